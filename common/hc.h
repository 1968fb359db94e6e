/* hc: shared definitions for every program of the toolkit. */
#ifndef HC_HC_H
#define HC_HC_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdnoreturn.h>

/*
 * The exit-code contract, identical in every program (README, EXIT STATUS in
 * every man page).  Checks exit HC_EXIT_UP or HC_EXIT_DOWN; filters exit
 * HC_EXIT_UP when their input ends normally.
 */
enum {
	HC_EXIT_UP = 0,       /* healthy; for filters, a normal end */
	HC_EXIT_DOWN = 1,     /* unhealthy */
	HC_EXIT_USAGE = 2,    /* bad option, argument or value */
	HC_EXIT_FAILURE = 3,  /* internal failure: out of memory, a system call */
};

extern const char *hc_progname;

/*
 * Process setup of every program: hc_progname from argv[0] (its basename),
 * argp's exit status, fds 0-2 open, SIGPIPE ignored (writers see EPIPE).
 */
void hc_init(const char *argv0);

/* Makes sure fds 0, 1 and 2 are open, on /dev/null if they were closed. */
void hc_ensure_std_fds(void);

/* "prog: message" on stderr, written with one write(2). */
void hc_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "prog: message: strerror(errno)" on stderr. */
void hc_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * "prog: 2026-11-25T18:50:00.123Z message" on stderr: for events that a
 * long-running filter reports (transitions, maintenance), in UTC.
 */
void hc_logx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * Warnings of one kind, rate-limited on the monotonic clock: the first is
 * said at once, then at most one per `every` ns; those held back in between
 * are counted, for the next one said to mention.
 */
struct hc_warn_limit {
	int64_t every;
	int64_t next_at;   /* 0: none said yet */
	long long held;    /* held back since the last one said */
};

/* Whether a warning at monotonic time now may be said; if not, it is counted in held. */
bool hc_warn_limit_pass(struct hc_warn_limit *w, int64_t now);

/*
 * Takes the count of warnings held back, zeroing it, for the caller to say
 * at monotonic time now; that counts as a warning said.
 */
long long hc_warn_limit_take(struct hc_warn_limit *w, int64_t now);

noreturn void hc_diex(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
noreturn void hc_die(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Allocation that cannot fail: exits HC_EXIT_FAILURE when memory runs out. */
void *hc_xmalloc(size_t n);
void *hc_xcalloc(size_t n, size_t size);
char *hc_xstrdup(const char *s);

#endif

/*
 * What every check program shares: its deadline option, the verdict of a
 * run and how it is reported, and the two ways a check runs: once, as a
 * program run by hand or by hc-loop, or resident, answering hc-loop's
 * requests one run at a time (hc-resident(7)).
 *
 * A check is a core with three phases: main sets it up once (options,
 * library init), hc_check_main() runs it (once, or once per request), and
 * each run reports through the same verdict layer.
 */
#ifndef HC_CHECK_H
#define HC_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parse.h"

#define HC_TIMEOUT_MIN HC_NS_PER_MS
#define HC_TIMEOUT_MAX (3600 * HC_NS_PER_S)

#define HC_VERDICT_WHERE_MAX  320  /* what was checked, as the -v line names it */
#define HC_VERDICT_REASON_MAX 768  /* why it is down, or the detail of an up */
#define HC_VERDICT_FIELDS_MAX 256  /* the fields hc-loop forwards (hc-stream(7)) */

/* The name of the environment variable by which hc-loop --resident asks a check to stay. */
#define HC_RESIDENT_ENV "HC_RESIDENT"

/* The outcome of one run. */
struct hc_verdict {
	int status;                           /* HC_EXIT_UP, HC_EXIT_DOWN or HC_EXIT_FAILURE */
	char where[HC_VERDICT_WHERE_MAX];     /* "127.0.0.1:80", a URL; "" for this host */
	char reason[HC_VERDICT_REASON_MAX];   /* down: why; up: a detail such as "HTTP 200", or "" */
	char fields[HC_VERDICT_FIELDS_MAX];   /* "key=value ..." when --fields asks, else "" */
};

/* A check set up once, to be run any number of times. */
struct hc_check {
	/*
	 * One run with fresh state and a deadline of its own: fills v, whose
	 * status is HC_EXIT_DOWN and strings empty on entry.
	 */
	void (*run)(void *ctx, struct hc_verdict *v);
	void *ctx;
	bool verbose;  /* -v: one line on stderr per run */
	bool fields;   /* --fields: v->fields on stdout (or in the answer) */
};

/*
 * Runs the check and returns main's exit status.  Started by hc-loop
 * --resident (HC_RESIDENT=1 in the environment of a process group leader),
 * it answers each request on stdin with one line on stdout until stdin
 * ends, then returns HC_EXIT_UP; otherwise it runs once and returns the
 * verdict's status.  Either way each run is reported by hc_report().
 */
int hc_check_main(const struct hc_check *c);

/*
 * Reports one run: with verbose, the one -v line form of every check on
 * stderr,
 *   "prog: WHERE up in TOOK[: DETAIL]"  or  "prog: WHERE down: REASON (after TOOK)";
 * with fields, v->fields as a line on stdout.  A failed write of the
 * fields (hc-loop gone) is not the check's failure: the status stands.
 */
void hc_report(const struct hc_check *c, const struct hc_verdict *v, int64_t took);

/*
 * Parses a check's -t/--timeout (1ms to 1h).  On a bad value, exits
 * HC_EXIT_USAGE with one line: "prog: invalid --timeout '5x': unknown unit".
 */
int64_t hc_parse_timeout(const char *arg);

/*
 * Formats why a check is up or down into buf.  A leading capital followed
 * by a lower-case letter, as in strerror()'s "Connection refused", is
 * lowered so the reason reads well after "down: "; "SSL ..." stays.
 */
void hc_reasonf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* hc_reasonf into a char array. */
#define hc_reason(array, ...) hc_reasonf((array), sizeof(array), __VA_ARGS__)

#endif

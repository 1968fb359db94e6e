/*
 * hc-loop: run a check on a schedule and write one status line per run.
 *
 * The first stage of every hc pipeline that ExaBGP runs: it starts COMMAND
 * (posix_spawnp, no shell) in a process group of its own, bounds each run
 * by a timeout, writes "up rc=0 ms=0.41 t=..." or "down rc=..."
 * (hc-stream(7)) and keeps reading the acks ExaBGP writes to its stdin, so
 * ExaBGP never blocks on them.  A run is one start of COMMAND, or, with
 * --resident, one request to a COMMAND that stays (hc-resident(7)).
 * Everything happens in one poll() loop on the monotonic clock.
 */
#include "config.h"

#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "hc.h"
#include "io.h"
#include "parse.h"
#include "sig.h"
#include "check.h"
#include "child.h"
#include "loop-fields.h"
#include "opt.h"
#include "stream.h"

#define FIRST_LINE_MAX      HC_STREAM_LINE_MAX  /* bytes of the check's first line looked at */
#define DRAIN_AFTER_EXIT    (64 * 1024)         /* output read once the check has exited */
#define ACK_LINE_MAX        8192
#define GROUP_PROBE_NS      (10 * HC_NS_PER_MS)
#define ERROR_REPORT_NS     (10 * HC_NS_PER_S)
#define TIMEOUT_DEFAULT_MAX (10 * HC_NS_PER_S)
#define DURATION_MAX        (24 * 3600 * HC_NS_PER_S)

struct options {
	int64_t interval;
	int64_t fast_interval;  /* 0: not set, the interval */
	int64_t down_interval;  /* 0: not set, the interval */
	long long fast_runs;
	long long jitter_pct;
	int64_t splay;
	int64_t timeout;        /* 0: not set, the interval up to TIMEOUT_DEFAULT_MAX */
	int64_t grace;
	long long count;        /* 0: forever */
	bool warning_up;
	bool resident;
	bool verbose;
	char **command;
};

enum {
	OPT_FAST_INTERVAL = 0x100,
	OPT_FAST_RUNS,
	OPT_DOWN_INTERVAL,
	OPT_JITTER,
	OPT_SPLAY,
	OPT_GRACE,
	OPT_PLUGIN,
	OPT_RESIDENT,
	OPT_WARNING_UP,
};

static const struct argp_option option_table[] = {
	{ "count", 'n', "N", 0, "Run the check N times, then exit with the last state", 0 },
	{ "down-interval", OPT_DOWN_INTERVAL, "DURATION", 0,
	  "Period while the check is down (default: the interval)", 0 },
	{ "fast-interval", OPT_FAST_INTERVAL, "DURATION", 0,
	  "Period while the result is settling (default: the interval)", 0 },
	{ "fast-runs", OPT_FAST_RUNS, "N", 0,
	  "Runs that must agree before the fast interval ends (default 3)", 0 },
	{ "grace", OPT_GRACE, "DURATION", 0,
	  "Time between SIGTERM and SIGKILL for a check's process group (default 500ms)", 0 },
	{ "interval", 'i', "DURATION", 0, "Period between the starts of two runs (default 2s)", 0 },
	{ "jitter", OPT_JITTER, "PERCENT", 0, "Spread each period at random by up to PERCENT (0-50)", 0 },
	{ "plugin", OPT_PLUGIN, NULL, 0,
	  "Read exit codes as monitoring-plugins do: 0 (OK) up; 1, 2, 3 and others down", 0 },
	{ "resident", OPT_RESIDENT, NULL, 0,
	  "Start COMMAND once and ask it for each run (hc-resident(7))", 0 },
	{ "splay", OPT_SPLAY, "DURATION", 0, "Wait a random time up to DURATION before the first run", 0 },
	{ "timeout", 't', "DURATION", 0,
	  "Deadline of each run (default: the interval, at most 10s)", 0 },
	{ "verbose", 'v', NULL, 0, "Log each run on stderr", 0 },
	{ "warning-up", OPT_WARNING_UP, NULL, 0, "With --plugin, count WARNING (1) as up", 0 },
	{ 0 }
};

static error_t
parse_option(int key, char *arg, struct argp_state *state)
{
	struct options *o = state->input;
	switch (key) {
	case 'i':
		o->interval = hc_opt_duration("--interval", arg, HC_NS_PER_MS, DURATION_MAX);
		break;
	case 'n':
		o->count = hc_opt_int("--count", arg, 1, LLONG_MAX);
		break;
	case 't':
		o->timeout = hc_opt_duration("--timeout", arg, HC_NS_PER_MS, DURATION_MAX);
		break;
	case 'v':
		o->verbose = true;
		break;
	case OPT_DOWN_INTERVAL:
		o->down_interval = hc_opt_duration("--down-interval", arg, HC_NS_PER_MS,
		    DURATION_MAX);
		break;
	case OPT_FAST_INTERVAL:
		o->fast_interval = hc_opt_duration("--fast-interval", arg, HC_NS_PER_MS,
		    DURATION_MAX);
		break;
	case OPT_FAST_RUNS:
		o->fast_runs = hc_opt_int("--fast-runs", arg, 1, 1000);
		break;
	case OPT_GRACE:
		o->grace = hc_opt_duration("--grace", arg, 0, DURATION_MAX);
		break;
	case OPT_JITTER:
		o->jitter_pct = hc_opt_percent("--jitter", arg, 0, 50);
		break;
	case OPT_PLUGIN:
		break;  /* names the reading that is the default: 0 up, anything else down */
	case OPT_RESIDENT:
		o->resident = true;
		break;
	case OPT_SPLAY:
		o->splay = hc_opt_duration("--splay", arg, 0, DURATION_MAX);
		break;
	case OPT_WARNING_UP:
		o->warning_up = true;
		break;
	case ARGP_KEY_ARG:
		/* COMMAND and everything after it belong to the check. */
		o->command = &state->argv[state->next - 1];
		state->next = state->argc;
		break;
	case ARGP_KEY_END:
		if (o->command == NULL)
			hc_diex(HC_EXIT_USAGE, "missing COMMAND (usage: %s [options] -- COMMAND [ARG...])",
			    hc_progname);
		if (o->command[0][0] == '\0')
			hc_diex(HC_EXIT_USAGE, "invalid COMMAND '': empty");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* Where the current run is. */
enum phase {
	PHASE_IDLE,         /* no check: waiting for the next start */
	PHASE_RUNNING,      /* the check runs; deadline = its timeout */
	PHASE_TERMINATING,  /* its group got SIGTERM; deadline = SIGKILL */
	PHASE_KILLING,      /* its group got SIGKILL; waiting for the exit */
	PHASE_LEFTOVER,     /* it exited, its group did not: SIGTERM sent, deadline = SIGKILL */
	PHASE_REAPING,      /* the rest of the group got SIGKILL; deadline = giving up on it */
};

struct run {
	enum phase phase;
	struct hc_child child;
	int64_t started;
	hc_deadline deadline;
	bool timed_out;
	bool reported;                   /* already reported: the check's exit is no result */
	bool ending;                     /* hc-loop ends the check: its exit is no failure */
	/* --resident: the check stays between runs */
	int request_fd;                  /* the write end of its stdin; -1 when none runs */
	struct hc_linebuf answers;       /* its stdout */
	long long answered;              /* answers since it was started */
	char first[FIRST_LINE_MAX + 1];  /* the first line of its stdout so far */
	size_t first_len;
	bool first_done;                 /* that line ended (newline or limit) */
	bool first_cut;                  /* ... at the limit, inside a token maybe */
};

struct loop {
	const struct options *o;
	struct run run;
	int sig_fd;
	int null_fd;
	int64_t next_start;             /* scheduled, on the monotonic clock */
	long long runs;
	enum hc_state last_state;
	long long streak;               /* consecutive runs with last_state */
	bool exec_warned;               /* "cannot run" said; quiet until it runs again */
	bool restart_warned;            /* a resident check's failure said; quiet until it answers */
	bool stopping;                  /* no more runs: leave once the check is gone */
	int signals_seen;               /* SIGTERM/SIGINT: the second one kills at once */
	int exit_status;
	bool stdin_open;                /* still reading acks from stdin */
	bool stdin_eof_ends;            /* stdin is a pipe or socket: EOF means ExaBGP left */
	struct hc_linebuf acks;
	struct hc_exabgp_acks ack_reason;       /* main's "error: REASON" before its "error" */
	struct hc_warn_limit error_acks; /* ExaBGP's "error" acks: one report per 10 s */
	uint64_t rng;
};

/* A uniform random number below n (n > 0): xorshift64*, good enough for spreading. */
static uint64_t
random_below(struct loop *l, uint64_t n)
{
	l->rng ^= l->rng >> 12;
	l->rng ^= l->rng << 25;
	l->rng ^= l->rng >> 27;
	return (l->rng * UINT64_C(2685821657736338717)) % n;
}

static void
seed_random(struct loop *l)
{
	if (getrandom(&l->rng, sizeof l->rng, GRND_NONBLOCK) != (ssize_t)sizeof l->rng)
		l->rng = (uint64_t)hc_wall_now() ^ ((uint64_t)getpid() << 32);
	if (l->rng == 0)
		l->rng = 1;
}

/*
 * The period after the latest run: the fast interval until --fast-runs runs
 * in a row agree (from the start and after every change), else the down
 * interval while down, else the interval; then spread by --jitter.
 */
static int64_t
next_period(struct loop *l)
{
	const struct options *o = l->o;
	int64_t p = o->interval;
	if (o->fast_interval > 0 && l->streak < o->fast_runs)
		p = o->fast_interval;
	else if (o->down_interval > 0 && l->last_state == HC_STATE_DOWN)
		p = o->down_interval;
	if (o->jitter_pct > 0) {
		int64_t spread = p / 100 * o->jitter_pct + p % 100 * o->jitter_pct / 100;
		p = p - spread + (int64_t)random_below(l, 2 * (uint64_t)spread + 1);
	}
	return p;
}

/* Keeps the first line of the check's output and drops the rest.  Returns read()'s result. */
static ssize_t
read_check_output(struct run *r)
{
	char scratch[16384];
	char *into = r->first_done ? scratch : r->first + r->first_len;
	size_t room = r->first_done ? sizeof scratch : FIRST_LINE_MAX - r->first_len;
	ssize_t n;
	do
		n = read(r->child.out_fd, into, room);
	while (n < 0 && errno == EINTR);
	if (n > 0 && !r->first_done) {
		char *nl = memchr(into, '\n', (size_t)n);
		r->first_len += nl != NULL ? (size_t)(nl - into) : (size_t)n;
		r->first_cut = nl == NULL && r->first_len == FIRST_LINE_MAX;
		r->first_done = nl != NULL || r->first_cut;
	}
	return n;
}

static void
close_check_output(struct run *r)
{
	if (r->child.out_fd != -1) {
		close(r->child.out_fd);
		r->child.out_fd = -1;
	}
}

/* How a run ended. */
struct run_end {
	int64_t at;
	int wstatus;        /* the check exited: its wait status */
	int exec_err;       /* it could not be started: errno, else 0 */
	int answer;         /* a resident check answered this status; else -1 */
	bool garbage;       /* a resident check answered something else */
	char *fields;       /* the line its fields come from, split in place, or NULL */
	size_t fields_len;
	bool fields_partial;
};

/* "0", "sig9", "timeout", "exec" or "protocol": how the run ended. */
static void
format_rc(const struct run *r, const struct run_end *e, char *buf, size_t size)
{
	if (r->timed_out)
		snprintf(buf, size, "timeout");
	else if (e->exec_err != 0)
		snprintf(buf, size, "exec");
	else if (e->garbage)
		snprintf(buf, size, "protocol");
	else if (e->answer >= 0)
		snprintf(buf, size, "%d", e->answer);
	else if (WIFSIGNALED(e->wstatus))
		snprintf(buf, size, "sig%d", WTERMSIG(e->wstatus));
	else
		snprintf(buf, size, "%d", WEXITSTATUS(e->wstatus));
}

/* Up for status 0 (and 1 with --warning-up); a resident check that exits is down. */
static enum hc_state
state_of(const struct options *o, const struct run *r, const struct run_end *e)
{
	if (r->timed_out || e->exec_err != 0 || e->garbage)
		return HC_STATE_DOWN;
	int code;
	if (e->answer >= 0)
		code = e->answer;
	else if (o->resident || !WIFEXITED(e->wstatus))
		return HC_STATE_DOWN;
	else
		code = WEXITSTATUS(e->wstatus);
	if (code == 0 || (o->warning_up && code == 1))
		return HC_STATE_UP;
	return HC_STATE_DOWN;
}

/*
 * Writes the run's line; on EPIPE (the reader left) stops quietly, and so
 * when a stop signal comes while the line waits for a reader that does not read.
 */
static void
report_run(struct loop *l, const struct run_end *e)
{
	struct run *r = &l->run;
	char rc[16], ms[32], t[32], dropped_buf[16], line[HC_STREAM_LINE_MAX + 1];
	struct hc_status st = { .state = state_of(l->o, r, e) };
	int64_t took = e->at - r->started;
	int64_t wall = hc_wall_now();

	format_rc(r, e, rc, sizeof rc);
	snprintf(ms, sizeof ms, "%" PRId64 ".%02" PRId64, took / HC_NS_PER_MS,
	    took % HC_NS_PER_MS / 10000);
	snprintf(t, sizeof t, "%" PRId64 ".%03" PRId64, wall / HC_NS_PER_S,
	    wall % HC_NS_PER_S / HC_NS_PER_MS);
	hc_status_set(&st, "rc", rc);
	hc_status_set(&st, "ms", ms);
	hc_status_set(&st, "t", t);
	hc_status_set(&st, "dropped", "0");  /* holds its place before the check's fields */
	unsigned dropped = e->fields == NULL ? 0
	    : loop_take_fields(e->fields, e->fields_len, e->fields_partial, &st);
	snprintf(dropped_buf, sizeof dropped_buf, "%u", dropped);
	if (dropped > 0)
		hc_status_set(&st, "dropped", dropped_buf);
	else
		hc_status_del(&st, "dropped");
	if (hc_status_format(&st, line, sizeof line) == 0)
		hc_die(HC_EXIT_FAILURE, "status line too long");

	if (e->exec_err != 0 && !l->exec_warned)
		hc_warnx("cannot run '%s': %s", l->o->command[0], strerror(e->exec_err));
	l->exec_warned = e->exec_err != 0;
	if (l->o->verbose)
		hc_logx("run %lld: %s", l->runs + 1, line);

	if (hc_sig_write_line(STDOUT_FILENO, line, hc_deadline_at(HC_NEVER)) == -1) {
		/* EINTR: a stop signal came while the reader did not read; on_signal takes it. */
		if (errno != EPIPE && errno != EINTR) {
			hc_warn("write");
			l->exit_status = HC_EXIT_FAILURE;
		}
		l->stopping = true;
		return;
	}
	l->streak = l->runs > 0 && st.state == l->last_state ? l->streak + 1 : 1;
	l->last_state = st.state;
	l->runs++;
	if (l->o->count > 0 && l->runs == l->o->count) {
		l->stopping = true;
		l->exit_status = st.state == HC_STATE_UP ? HC_EXIT_UP : HC_EXIT_DOWN;
	}
}

/* Reports the run (unless stopping) and schedules the next start. */
static void
complete_run(struct loop *l, const struct run_end *e)
{
	if (!l->stopping)
		report_run(l, e);
	l->run.reported = true;
	int64_t now = hc_now();
	int64_t scheduled = l->next_start + next_period(l);
	l->next_start = scheduled > now ? scheduled : now;
}

/* Says once per episode, until the check answers again, why a resident check is started again. */
__attribute__((format(printf, 2, 3)))
static void
warn_resident(struct loop *l, const char *fmt, ...)
{
	if (l->restart_warned)
		return;
	l->restart_warned = true;
	char why[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	hc_warnx("resident check '%s' %s%s; it starts again at the next run", l->o->command[0],
	    why, l->run.answered == 0 ? " (does it speak hc-resident(7)?)" : "");
}

/*
 * Ends the resident check: no more requests (its stdin ends), SIGTERM to its
 * group, SIGKILL after the grace.  Its exit is then no result.
 */
static void
end_resident(struct loop *l)
{
	struct run *r = &l->run;
	r->reported = true;
	r->ending = true;
	if (r->request_fd != -1) {
		close(r->request_fd);
		r->request_fd = -1;
	}
	hc_group_signal(r->child.pid, SIGTERM);
	r->phase = PHASE_TERMINATING;
	r->deadline = hc_deadline_in(l->o->grace);
}

/* Starts the resident check: its stdin a pipe for requests, HC_RESIDENT=1 (from main). */
static int
spawn_resident(struct loop *l)
{
	struct run *r = &l->run;
	int req[2];
	if (pipe2(req, O_CLOEXEC) == -1)
		return -1;
	if (hc_spawn(l->o->command, req[0], &r->child) == -1) {
		int err = errno;
		close(req[0]);
		close(req[1]);
		errno = err;
		return -1;
	}
	close(req[0]);
	hc_set_nonblock(req[1], true);
	r->request_fd = req[1];
	r->answered = 0;
	r->ending = false;
	hc_linebuf_init(&r->answers, HC_STREAM_LINE_MAX);
	return 0;
}

/*
 * Starts a run: the command, or a request to the resident check (started
 * first if none runs).  A command that cannot be run (not found, not
 * executable, a full process table) is a run that could not be carried
 * out: down, rc=exec, and the loop goes on.
 */
static void
start_run(struct loop *l)
{
	struct run *r = &l->run;
	r->started = hc_now();
	r->timed_out = false;
	r->reported = false;
	r->first_len = 0;
	r->first_done = false;
	r->first_cut = false;
	bool started = l->o->resident
	    ? r->request_fd != -1 || spawn_resident(l) == 0
	    : hc_spawn(l->o->command, l->null_fd, &r->child) == 0;
	if (!started) {
		struct run_end e = { .at = hc_now(), .exec_err = errno, .answer = -1 };
		r->child = (struct hc_child){ .pid = 0, .out_fd = -1 };
		complete_run(l, &e);
		return;
	}
	/* EAGAIN (it does not read) and EPIPE (it is gone) end at the deadline or at its exit. */
	if (l->o->resident)
		(void)!write(r->request_fd, "check\n", 6);
	r->deadline = hc_deadline_at(r->started + l->o->timeout);
	r->phase = PHASE_RUNNING;
}

/* One answer of the resident check: the result of the run, or garbage that ends it. */
static void
take_answer(struct loop *l, char *line, size_t len, enum hc_line kind)
{
	struct run *r = &l->run;
	struct run_end e = { .at = hc_now(), .answer = -1 };
	size_t at;
	bool asked = r->phase == PHASE_RUNNING && !r->reported;
	if (kind == HC_LINE_OK && asked && loop_take_answer(line, len, &e.answer, &at)) {
		e.fields = line + at;
		e.fields_len = len - at;
		r->answered++;
		l->restart_warned = false;
		complete_run(l, &e);
		r->phase = PHASE_IDLE;
		return;
	}
	e.garbage = true;
	if (asked)
		complete_run(l, &e);
	if (kind == HC_LINE_UNTERMINATED)
		warn_resident(l, "ended its output inside an answer");
	else
		warn_resident(l, "%s '%.40s', not an answer", asked ? "answered" : "wrote unasked",
		    line);
	end_resident(l);
}

/* Reads what the resident check wrote; at its end, closes its stdout.  Returns read()'s result. */
static ssize_t
read_answers(struct loop *l)
{
	struct run *r = &l->run;
	ssize_t n = hc_linebuf_fill(&r->answers, r->child.out_fd);
	char *line;
	size_t len;
	enum hc_line kind;
	while (r->child.out_fd != -1 &&
	    (kind = hc_linebuf_next(&r->answers, &line, &len)) != HC_LINE_NONE) {
		take_answer(l, line, len, kind);
		if (r->request_fd == -1)
			break;  /* ended: the rest is not read */
	}
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) || r->request_fd == -1)
		close_check_output(r);
	return n;
}

/* The resident check's leader exited: says why once per episode and lets its pipes go. */
static void
release_resident(struct loop *l, int wstatus)
{
	struct run *r = &l->run;
	if (!r->ending) {
		if (r->timed_out)
			warn_resident(l, "did not answer before the deadline");
		else if (WIFSIGNALED(wstatus))
			warn_resident(l, "was killed by signal %d", WTERMSIG(wstatus));
		else
			warn_resident(l, "exited with status %d", WEXITSTATUS(wstatus));
	}
	if (r->request_fd != -1) {
		close(r->request_fd);
		r->request_fd = -1;
	}
	hc_linebuf_free(&r->answers);
}

/*
 * The check's leader exited with wstatus: takes the rest of its output,
 * closes it, completes the run, and signals what is left of its process
 * group (SIGTERM, then SIGKILL after the grace).
 */
static void
finish_run(struct loop *l, int wstatus)
{
	struct run *r = &l->run;
	struct run_end e = { .at = hc_now(), .wstatus = wstatus, .answer = -1 };
	bool killed = r->phase == PHASE_KILLING;
	if (l->o->resident) {
		while (r->child.out_fd != -1 && !r->reported && read_answers(l) > 0)
			;
	} else {
		for (size_t drained = 0; drained < DRAIN_AFTER_EXIT && !r->first_done;) {
			ssize_t n = r->child.out_fd != -1 ? read_check_output(r) : 0;
			if (n <= 0)
				break;
			drained += (size_t)n;
		}
		r->first[r->first_len] = '\0';
		e.fields = r->first;
		e.fields_len = r->first_len;
		/* A line cut at the limit, or by a kill before its newline, may end mid-token. */
		e.fields_partial = r->first_cut || (r->timed_out && !r->first_done);
	}
	close_check_output(r);
	if (r->phase != PHASE_IDLE && !r->reported)
		complete_run(l, &e);
	if (l->o->resident)
		release_resident(l, wstatus);

	/* The leader is reaped; a member left behind keeps the group id from reuse. */
	r->phase = PHASE_IDLE;
	if (hc_group_signal(r->child.pid, killed ? SIGKILL : SIGTERM)) {
		r->phase = killed ? PHASE_REAPING : PHASE_LEFTOVER;
		r->deadline = hc_deadline_in(l->o->grace);
		if (l->o->verbose)
			hc_logx("check left processes in its group %d: %s sent", (int)r->child.pid,
			    killed ? "SIGKILL" : "SIGTERM");
	}
}

/* Reaps every exited child (as subreaper, orphaned grandchildren too). */
static void
reap_children(struct loop *l)
{
	int wstatus;
	pid_t pid;
	while ((pid = waitpid(-1, &wstatus, WNOHANG)) > 0) {
		struct run *r = &l->run;
		bool leader = pid == r->child.pid &&
		    (r->phase == PHASE_RUNNING || r->phase == PHASE_TERMINATING ||
		     r->phase == PHASE_KILLING || r->request_fd != -1);
		if (leader)
			finish_run(l, wstatus);
	}
}

/* Moves the run along when its deadline has passed. */
static void
on_deadline(struct loop *l)
{
	struct run *r = &l->run;
	if (!hc_deadline_passed(r->deadline))
		return;
	switch (r->phase) {
	case PHASE_RUNNING:
		r->timed_out = true;
		hc_group_signal(r->child.pid, SIGTERM);
		r->phase = PHASE_TERMINATING;
		r->deadline = hc_deadline_in(l->o->grace);
		break;
	case PHASE_TERMINATING:
		hc_group_signal(r->child.pid, SIGKILL);
		r->phase = PHASE_KILLING;
		r->deadline = hc_deadline_at(HC_NEVER);
		break;
	case PHASE_LEFTOVER:
		if (l->o->verbose)
			hc_logx("group %d still there after the grace: SIGKILL sent", (int)r->child.pid);
		hc_group_signal(r->child.pid, SIGKILL);
		r->phase = PHASE_REAPING;
		r->deadline = hc_deadline_in(l->o->grace);
		break;
	case PHASE_REAPING:
		hc_warnx("process group %d survives SIGKILL; going on without it", (int)r->child.pid);
		r->phase = PHASE_IDLE;
		break;
	default:
		break;
	}
}

/*
 * Stops the loop: the running check's group gets SIGTERM (SIGKILL after the
 * grace) and the run is not reported.  hurry sends SIGKILL at once.
 */
static void
stop(struct loop *l, bool hurry)
{
	struct run *r = &l->run;
	l->stopping = true;
	r->ending = true;
	if (r->phase == PHASE_RUNNING)
		r->deadline = hc_deadline_at(0);
	on_deadline(l);
	if (hurry && (r->phase == PHASE_TERMINATING || r->phase == PHASE_LEFTOVER)) {
		r->deadline = hc_deadline_at(0);
		on_deadline(l);
	}
}

/* Says how many "error" acks were not reported yet. */
static void
flush_error_report(struct loop *l)
{
	long long unreported = hc_warn_limit_take(&l->error_acks, hc_now());
	if (unreported > 0)
		hc_logx("ExaBGP answered 'error' to %lld more command%s", unreported,
		    unreported == 1 ? "" : "s");
}

/*
 * An "error" ack, with the reason ExaBGP gave or NULL: said at once, then at
 * most one summary every ERROR_REPORT_NS.
 */
static void
note_error_ack(struct loop *l, const char *reason)
{
	if (!hc_warn_limit_pass(&l->error_acks, hc_now()))
		return;
	if (reason != NULL)
		hc_logx("ExaBGP answered 'error' to a command: %s", reason);
	else
		hc_logx("ExaBGP answered 'error' to a command (does the neighbor list this process "
		    "in api { processes }?)");
}

/* One read of ExaBGP's acks and events from stdin. */
static void
read_stdin(struct loop *l)
{
	ssize_t n = hc_linebuf_fill(&l->acks, STDIN_FILENO);
	if (n < 0 && errno != EAGAIN) {
		hc_warn("read stdin");
		l->stdin_open = false;
		return;
	}
	char *line;
	const char *reason;
	size_t len;
	enum hc_line kind;
	while ((kind = hc_linebuf_next(&l->acks, &line, &len)) != HC_LINE_NONE) {
		if (kind != HC_LINE_OK)
			continue;
		enum hc_exabgp_line ack = hc_exabgp_ack(&l->ack_reason, line, len, &reason);
		if (ack == HC_EXABGP_ERROR) {
			note_error_ack(l, reason);
		} else if (ack == HC_EXABGP_SHUTDOWN) {
			if (l->o->verbose)
				hc_logx("ExaBGP is shutting down");
			stop(l, false);
		}
	}
	if (n == 0) {
		l->stdin_open = false;
		if (l->stdin_eof_ends) {
			if (l->o->verbose)
				hc_logx("stdin closed: ExaBGP went away");
			stop(l, false);
		}
	}
}

static void
on_signal(struct loop *l, int sig)
{
	if (sig == SIGCHLD) {
		reap_children(l);
	} else if (sig == SIGTERM || sig == SIGINT) {
		if (l->o->verbose)
			hc_logx("%s received", sig == SIGTERM ? "SIGTERM" : "SIGINT");
		stop(l, l->signals_seen++ > 0);
	}
}

/* Reads stdin unless it is a terminal; EOF ends the loop when it is a pipe or socket. */
static void
setup_stdin(struct loop *l)
{
	struct stat sb;
	if (isatty(STDIN_FILENO) || fstat(STDIN_FILENO, &sb) == -1)
		return;
	l->stdin_open = true;
	l->stdin_eof_ends = S_ISFIFO(sb.st_mode) || S_ISSOCK(sb.st_mode);
	hc_linebuf_init(&l->acks, ACK_LINE_MAX);
}

/* The earliest moment the loop must act without an fd event. */
static hc_deadline
next_wakeup(const struct loop *l)
{
	const struct run *r = &l->run;
	hc_deadline d = hc_deadline_at(HC_NEVER);
	if (r->phase == PHASE_IDLE && !l->stopping)
		d = hc_deadline_at(l->next_start);
	else if (r->phase != PHASE_IDLE)
		d = r->deadline;
	if (r->phase == PHASE_LEFTOVER || r->phase == PHASE_REAPING)
		d = hc_deadline_min(d, hc_deadline_in(GROUP_PROBE_NS));
	if (l->error_acks.held > 0)
		d = hc_deadline_min(d, hc_deadline_at(l->error_acks.next_at));
	return d;
}

static void
run_loop(struct loop *l)
{
	struct run *r = &l->run;
	while (!(l->stopping && r->phase == PHASE_IDLE && r->request_fd == -1)) {
		struct pollfd pfd[3];
		nfds_t n = 0;
		pfd[n++] = (struct pollfd){ .fd = l->sig_fd, .events = POLLIN };
		nfds_t in = 0, out = 0;
		if (l->stdin_open && !l->stopping) {
			in = n;
			pfd[n++] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
		}
		if (r->child.out_fd != -1) {
			out = n;
			pfd[n++] = (struct pollfd){ .fd = r->child.out_fd, .events = POLLIN };
		}
		int ready = hc_poll(pfd, n, next_wakeup(l));
		if (ready < 0 && errno != EINTR)
			hc_die(HC_EXIT_FAILURE, "poll");
		if (ready > 0) {
			if (out != 0 && pfd[out].revents != 0 && l->o->resident) {
				read_answers(l);
			} else if (out != 0 && pfd[out].revents != 0) {
				ssize_t got = read_check_output(r);
				if (got == 0 || (got < 0 && errno != EAGAIN))
					close_check_output(r);
			}
			if (in != 0 && pfd[in].revents != 0)
				read_stdin(l);
			if (pfd[0].revents != 0) {
				int sig;
				while ((sig = hc_sig_next()) != 0)
					on_signal(l, sig);
			}
		}
		if ((r->phase == PHASE_LEFTOVER || r->phase == PHASE_REAPING) &&
		    !hc_group_signal(r->child.pid, 0))
			r->phase = PHASE_IDLE;
		on_deadline(l);
		if (l->stopping && r->phase == PHASE_IDLE && r->request_fd != -1)
			end_resident(l);
		if (l->error_acks.held > 0 && hc_now() >= l->error_acks.next_at)
			flush_error_report(l);
		if (r->phase == PHASE_IDLE && !l->stopping && hc_now() >= l->next_start)
			start_run(l);
	}
}

int
main(int argc, char **argv)
{
	static const struct argp argp = {
		option_table, parse_option, "-- COMMAND [ARG...]",
		"Run COMMAND on a schedule and write one status line per run (hc-stream(7))."
		"\vExit status: 0 normal end, 1 the last of --count runs was down, "
		"2 usage error, 3 internal failure.", NULL, NULL, NULL
	};
	struct options o = {
		.interval = 2 * HC_NS_PER_S,
		.fast_runs = 3,
		.grace = 500 * HC_NS_PER_MS,
	};

	hc_init(argv[0]);
	argv[0] = (char *)hc_progname;
	argp_parse(&argp, argc, argv, ARGP_IN_ORDER, NULL, &o);
	if (o.timeout == 0)
		o.timeout = o.interval < TIMEOUT_DEFAULT_MAX ? o.interval : TIMEOUT_DEFAULT_MAX;
	/* What tells a check to stay (hc-resident(7)); a check run once never sees it. */
	if (o.resident ? setenv(HC_RESIDENT_ENV, "1", 1) : unsetenv(HC_RESIDENT_ENV))
		hc_die(HC_EXIT_FAILURE, "setenv");

	static const int sigs[] = { SIGTERM, SIGINT, SIGCHLD };
	hc_sig_ignore(SIGHUP);
	struct loop l = {
		.o = &o,
		.sig_fd = hc_sig_catch(sigs, sizeof sigs / sizeof sigs[0]),
		.exit_status = HC_EXIT_UP,
		.error_acks = { .every = ERROR_REPORT_NS },
		.run = { .phase = PHASE_IDLE, .child = { .out_fd = -1 }, .request_fd = -1 },
	};
	sigset_t mask;
	sigemptyset(&mask);
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaddset(&mask, sigs[i]);
	sigprocmask(SIG_UNBLOCK, &mask, NULL);
	if ((l.null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1)
		hc_die(HC_EXIT_FAILURE, "open /dev/null");
	hc_become_subreaper();
	seed_random(&l);
	setup_stdin(&l);
	l.next_start = hc_now() + (o.splay > 0 ? (int64_t)random_below(&l, (uint64_t)o.splay + 1) : 0);

	run_loop(&l);

	flush_error_report(&l);
	if (l.acks.buf != NULL)
		hc_linebuf_free(&l.acks);
	close(l.null_fd);
	return l.exit_status;
}

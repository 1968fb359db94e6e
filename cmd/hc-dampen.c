/*
 * hc-dampen: turn raw check results into a stable health state.
 *
 * Reads the status stream (hc-stream(7)) on stdin and writes it back line for
 * line with STATE replaced by the dampened state and raw=STATE added.  The
 * state moves in three steps: rise/fall counters (or a K-of-N window) decide
 * a candidate; flap damping (RFC 2439) and --min-down can only delay or deny
 * going up; --min-up alone can delay going down.  End of input, SIGTERM and
 * SIGINT write a final "down" line.
 */
#include "config.h"

#include <argp.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "dampen-state.h"
#include "hc.h"
#include "io.h"
#include "opt.h"
#include "parse.h"
#include "sig.h"
#include "stream.h"

#define COUNT_MAX       1000                     /* --rise, --fall, window size */
#define HOLD_MAX        (24 * 3600 * HC_NS_PER_S) /* every duration option */
#define PENALTY_MAX     1000000000LL
#define HALF_LIVES_MAX  64                       /* --max-suppress / --half-life */

enum {
	OPT_INITIAL = 256, OPT_MIN_UP, OPT_MIN_DOWN, OPT_DAMPING, OPT_PENALTY, OPT_SUPPRESS,
	OPT_REUSE, OPT_HALF_LIFE, OPT_MAX_SUPPRESS, OPT_CLOCK,
};

static const struct argp_option option_table[] = {
	{ NULL, 0, NULL, 0, "Counting results:", 1 },
	{ "rise", 'r', "N", 0, "N consecutive ups to go up (default 3)", 1 },
	{ "fall", 'f', "N", 0, "N consecutive downs to go down (default 3)", 1 },
	{ "window", 'w', "K/N", 0, "Up while at least K of the last N results are up", 1 },
	{ "initial", OPT_INITIAL, "STATE", 0, "State before any result: down (default) or up", 1 },
	{ NULL, 0, NULL, 0, "Holding the state:", 2 },
	{ "min-down", OPT_MIN_DOWN, "DURATION", 0,
	  "Stay down at least DURATION after going down or starting", 2 },
	{ "min-up", OPT_MIN_UP, "DURATION", 0,
	  "Stay up at least DURATION after going up, even for a failed service", 2 },
	{ NULL, 0, NULL, 0, "Flap damping (RFC 2439), off unless one of these is given:", 3 },
	{ "flap-damping", OPT_DAMPING, NULL, 0, "Turn flap damping on with the defaults", 3 },
	{ "flap-penalty", OPT_PENALTY, "N", 0, "Penalty added each time it goes down (1000)", 3 },
	{ "suppress", OPT_SUPPRESS, "N", 0, "Suppress (hold down) once a flap takes the penalty above N (2000)", 3 },
	{ "reuse", OPT_REUSE, "N", 0, "End a suppression once the penalty is below N (750)", 3 },
	{ "half-life", OPT_HALF_LIFE, "DURATION", 0, "Time for the penalty to halve (5m)", 3 },
	{ "max-suppress", OPT_MAX_SUPPRESS, "DURATION", 0,
	  "Longest hold after a flap (4 half-lives)", 3 },
	{ NULL, 0, NULL, 0, "Time:", 4 },
	{ "clock", OPT_CLOCK, "CLOCK", 0,
	  "monotonic (default), or stream: each line's t= field, to replay a log", 4 },
	{ 0 }
};

/* Parses "K/N" with 1 <= K <= N <= COUNT_MAX, or exits with a usage error. */
static void
parse_window(const char *arg, struct dampen_options *o)
{
	const char *slash = strchr(arg, '/');
	if (slash == NULL)
		hc_diex(HC_EXIT_USAGE, "invalid --window '%s': not K/N (like 3/5)", arg);
	char k[32];
	size_t klen = (size_t)(slash - arg);
	if (klen >= sizeof k)
		hc_diex(HC_EXIT_USAGE, "invalid --window '%s': K is too large", arg);
	memcpy(k, arg, klen);
	k[klen] = '\0';
	const char *why;
	if ((why = hc_parse_int(k, 1, COUNT_MAX, &o->window_k)) != NULL)
		hc_diex(HC_EXIT_USAGE, "invalid --window '%s': K: %s", arg, why);
	if ((why = hc_parse_int(slash + 1, 1, COUNT_MAX, &o->window_n)) != NULL)
		hc_diex(HC_EXIT_USAGE, "invalid --window '%s': N: %s", arg, why);
	if (o->window_k > o->window_n)
		hc_diex(HC_EXIT_USAGE, "invalid --window '%s': K is larger than N", arg);
}

/*
 * Checks the options that constrain each other, or exits with a usage error;
 * fills in the default --max-suppress.
 */
static void
check_options(struct dampen_options *o)
{
	if (o->window_k != 0 && o->counters_set)
		hc_diex(HC_EXIT_USAGE, "--window cannot be combined with --rise or --fall");
	if (!o->damping)
		return;
	if (o->max_suppress == 0)
		o->max_suppress = 4 * o->half_life;
	if (o->reuse >= o->suppress)
		hc_diex(HC_EXIT_USAGE, "--reuse %lld must be below --suppress %lld", o->reuse,
		    o->suppress);
	double half_lives = (double)o->max_suppress / (double)o->half_life;
	if (half_lives > HALF_LIVES_MAX)
		hc_diex(HC_EXIT_USAGE, "--max-suppress must be at most %d times --half-life",
		    HALF_LIVES_MAX);
	if ((double)o->reuse * exp2(half_lives) <= (double)o->suppress)
		hc_diex(HC_EXIT_USAGE, "--max-suppress is too short: with this --half-life and "
		    "--reuse the penalty could never exceed --suppress %lld", o->suppress);
}

static error_t
parse_option(int key, char *arg, struct argp_state *state)
{
	struct dampen_options *o = state->input;
	switch (key) {
	case 'r':
		o->rise = hc_opt_int("--rise", arg, 1, COUNT_MAX);
		o->counters_set = true;
		break;
	case 'f':
		o->fall = hc_opt_int("--fall", arg, 1, COUNT_MAX);
		o->counters_set = true;
		break;
	case 'w':
		parse_window(arg, o);
		break;
	case OPT_INITIAL:
		if (strcmp(arg, "up") == 0)
			o->initial = HC_STATE_UP;
		else if (strcmp(arg, "down") == 0)
			o->initial = HC_STATE_DOWN;
		else
			hc_diex(HC_EXIT_USAGE, "invalid --initial '%s': not up or down", arg);
		break;
	case OPT_MIN_UP:
		o->min_up = hc_opt_duration("--min-up", arg, 0, HOLD_MAX);
		break;
	case OPT_MIN_DOWN:
		o->min_down = hc_opt_duration("--min-down", arg, 0, HOLD_MAX);
		break;
	case OPT_DAMPING:
		o->damping = true;
		break;
	case OPT_PENALTY:
		o->flap_penalty = hc_opt_int("--flap-penalty", arg, 1, PENALTY_MAX);
		o->damping = true;
		break;
	case OPT_SUPPRESS:
		o->suppress = hc_opt_int("--suppress", arg, 1, PENALTY_MAX);
		o->damping = true;
		break;
	case OPT_REUSE:
		o->reuse = hc_opt_int("--reuse", arg, 1, PENALTY_MAX);
		o->damping = true;
		break;
	case OPT_HALF_LIFE:
		o->half_life = hc_opt_duration("--half-life", arg, HC_NS_PER_MS, HOLD_MAX);
		o->damping = true;
		break;
	case OPT_MAX_SUPPRESS:
		o->max_suppress = hc_opt_duration("--max-suppress", arg, HC_NS_PER_MS, HOLD_MAX);
		o->damping = true;
		break;
	case OPT_CLOCK:
		if (strcmp(arg, "monotonic") == 0)
			o->stream_clock = false;
		else if (strcmp(arg, "stream") == 0)
			o->stream_clock = true;
		else
			hc_diex(HC_EXIT_USAGE, "invalid --clock '%s': not monotonic or stream", arg);
		break;
	case ARGP_KEY_ARG:
		hc_diex(HC_EXIT_USAGE, "unexpected argument '%s' (usage: %s [options] < stream)",
		    arg, hc_progname);
	case ARGP_KEY_END:
		check_options(o);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* Standard output as the sink of the lines. */
struct output {
	hc_deadline until;  /* how long a line may wait for the reader */
	bool given_up;      /* a stop signal came while a line waited: no more lines */
};

/*
 * The sink of the program: writes a line; at EPIPE (the reader is gone)
 * exits quietly.  A line that waits for a reader that does not read gives
 * way to a stop signal, and so does every line after it.
 */
static void
emit(void *ctx, const char *line)
{
	struct output *out = ctx;
	if (out->given_up || hc_sig_write_line(STDOUT_FILENO, line, out->until) == 0)
		return;
	if (errno == EINTR || errno == ETIMEDOUT) {
		out->given_up = true;
		return;
	}
	if (errno == EPIPE)
		exit(HC_EXIT_UP);
	hc_die(HC_EXIT_FAILURE, "write");
}

/*
 * Reads what stdin has and handles each complete line; false at end of
 * input.  A non-blocking stdin with nothing to read (EAGAIN) is no error.
 */
static bool
read_input(struct dampen_filter *f, struct hc_linebuf *lb)
{
	ssize_t r = hc_linebuf_fill(lb, STDIN_FILENO);
	if (r < 0 && errno != EAGAIN) {
		hc_warn("read");
		dampen_final(f, "error");
		exit(HC_EXIT_FAILURE);
	}
	char *text;
	size_t len;
	enum hc_line kind;
	while ((kind = hc_linebuf_next(lb, &text, &len)) != HC_LINE_NONE)
		dampen_line(f, kind, text, len, hc_now());
	return r != 0;
}

int
main(int argc, char **argv)
{
	static const struct argp argp = {
		option_table, parse_option, NULL,
		"Turn raw check results from the status stream into a stable health state."
		"\vExit status: 0 at the end of input or on SIGTERM/SIGINT, 2 usage error, "
		"3 internal failure.", NULL, NULL, NULL
	};
	struct dampen_options o = {
		.rise = 3,
		.fall = 3,
		.initial = HC_STATE_DOWN,
		.flap_penalty = 1000,
		.suppress = 2000,
		.reuse = 750,
		.half_life = 5 * 60 * HC_NS_PER_S,
		.max_suppress = 0,  /* 4 half-lives, as RFC 2439's usual 15 and 60 minutes */
	};

	hc_init(argv[0]);
	argv[0] = (char *)hc_progname;
	argp_parse(&argp, argc, argv, 0, NULL, &o);

	static const int sigs[] = { SIGTERM, SIGINT };
	int sig_fd = hc_sig_catch(sigs, sizeof sigs / sizeof sigs[0]);
	hc_sig_ignore(SIGHUP);

	static struct dampen_filter f;
	struct output out = { .until = hc_deadline_at(HC_NEVER) };
	dampen_init(&f, &o, (struct dampen_sink){ .write = emit, .ctx = &out }, hc_now());
	struct hc_linebuf lb;
	hc_linebuf_init(&lb, HC_STREAM_LINE_MAX);

	const char *end = NULL;
	while (end == NULL) {
		struct pollfd fds[2] = {
			{ .fd = sig_fd, .events = POLLIN },
			{ .fd = STDIN_FILENO, .events = POLLIN },
		};
		hc_deadline timer = { dampen_timer_at(&f) };
		int r = hc_poll(fds, 2, timer);
		if (r < 0 && errno != EINTR)
			hc_die(HC_EXIT_FAILURE, "poll");
		int sig = fds[0].revents != 0 ? hc_sig_next() : 0;
		if (sig != 0) {
			end = sig == SIGTERM ? "sigterm" : "sigint";
			/* The final line goes if the reader has room for it now; else its end of input says it. */
			out = (struct output){ .until = hc_deadline_at(0) };
			break;
		}
		if (hc_deadline_passed(timer))
			dampen_timer(&f, hc_now());
		if (r > 0 && fds[1].revents != 0 && !read_input(&f, &lb))
			end = "eof";
	}
	dampen_final(&f, end);
	hc_linebuf_free(&lb);
	dampen_free(&f);
	return HC_EXIT_UP;
}

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
#include "hc.h"
#include "io.h"
#include "parse.h"
#include "sig.h"
#include "stream.h"

#define COUNT_MAX       1000                     /* --rise, --fall, window size */
#define HOLD_MAX        (24 * 3600 * HC_NS_PER_S) /* every duration option */
#define PENALTY_MAX     1000000000LL
#define HALF_LIVES_MAX  64                       /* --max-suppress / --half-life */
#define STREAM_T_MAX    (9000000000LL * HC_NS_PER_S)  /* t= beyond year 2255 is unusable */
#define WARN_EVERY      (10 * HC_NS_PER_S)       /* at most one warning per 10 s */

struct options {
	long long rise;
	long long fall;
	bool counters_set;         /* --rise or --fall given */
	long long window_k;        /* 0: counters decide, not a window */
	long long window_n;
	enum hc_state initial;
	int64_t min_up;
	int64_t min_down;
	bool damping;
	long long flap_penalty;
	long long suppress;
	long long reuse;
	int64_t half_life;
	int64_t max_suppress;
	bool stream_clock;
};

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

/* Parses a count option into *out, or exits with a usage error. */
static void
parse_count(const char *name, const char *arg, long long min, long long max, long long *out)
{
	const char *why = hc_parse_int(arg, min, max, out);
	if (why != NULL)
		hc_diex(HC_EXIT_USAGE, "invalid %s '%s': %s", name, arg, why);
}

/* Parses a duration option into *out, or exits with a usage error. */
static void
parse_hold(const char *name, const char *arg, int64_t min, int64_t *out)
{
	const char *why = hc_parse_duration(arg, min, HOLD_MAX, out);
	if (why != NULL)
		hc_diex(HC_EXIT_USAGE, "invalid %s '%s': %s", name, arg, why);
}

/* Parses "K/N" with 1 <= K <= N <= COUNT_MAX, or exits with a usage error. */
static void
parse_window(const char *arg, struct options *o)
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
check_options(struct options *o)
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
	struct options *o = state->input;
	switch (key) {
	case 'r':
		parse_count("--rise", arg, 1, COUNT_MAX, &o->rise);
		o->counters_set = true;
		break;
	case 'f':
		parse_count("--fall", arg, 1, COUNT_MAX, &o->fall);
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
		parse_hold("--min-up", arg, 0, &o->min_up);
		break;
	case OPT_MIN_DOWN:
		parse_hold("--min-down", arg, 0, &o->min_down);
		break;
	case OPT_DAMPING:
		o->damping = true;
		break;
	case OPT_PENALTY:
		parse_count("--flap-penalty", arg, 1, PENALTY_MAX, &o->flap_penalty);
		o->damping = true;
		break;
	case OPT_SUPPRESS:
		parse_count("--suppress", arg, 1, PENALTY_MAX, &o->suppress);
		o->damping = true;
		break;
	case OPT_REUSE:
		parse_count("--reuse", arg, 1, PENALTY_MAX, &o->reuse);
		o->damping = true;
		break;
	case OPT_HALF_LIFE:
		parse_hold("--half-life", arg, HC_NS_PER_MS, &o->half_life);
		o->damping = true;
		break;
	case OPT_MAX_SUPPRESS:
		parse_hold("--max-suppress", arg, HC_NS_PER_MS, &o->max_suppress);
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

/*
 * The dampening state.  Times are nanoseconds since the clock started: the
 * program's start on the monotonic clock, the first usable t= with --clock
 * stream.
 */
struct damper {
	const struct options *o;
	enum hc_state candidate;   /* what the counters or the window say */
	long long run;             /* consecutive results against the candidate */
	unsigned char *window;     /* the last window_n results, a ring */
	long long window_pos;
	long long window_ups;
	double penalty;            /* flap penalty as it was at penalty_at */
	int64_t penalty_at;
	double penalty_ceiling;    /* reuse * 2^(max_suppress / half_life) */
	bool suppressed;
	int64_t reuse_at;          /* when the penalty falls to --reuse */
	enum hc_state output;
	int64_t output_since;
	const char *hold;          /* why output differs from candidate, or NULL */
};

static void
damper_init(struct damper *d, const struct options *o)
{
	*d = (struct damper){ .o = o, .candidate = o->initial, .output = o->initial };
	if (o->window_n > 0) {
		d->window = hc_xmalloc((size_t)o->window_n);
		memset(d->window, o->initial == HC_STATE_UP, (size_t)o->window_n);
		d->window_ups = o->initial == HC_STATE_UP ? o->window_n : 0;
	}
	if (o->damping)
		d->penalty_ceiling = (double)o->reuse *
		    exp2((double)o->max_suppress / (double)o->half_life);
}

/* Feeds one result to the counters or the window; true when the candidate changed. */
static bool
count_result(struct damper *d, enum hc_state result)
{
	const struct options *o = d->o;
	enum hc_state before = d->candidate;
	if (d->window != NULL) {
		d->window_ups -= d->window[d->window_pos];
		d->window[d->window_pos] = result == HC_STATE_UP;
		d->window_ups += d->window[d->window_pos];
		d->window_pos = (d->window_pos + 1) % o->window_n;
		d->candidate = d->window_ups >= o->window_k ? HC_STATE_UP : HC_STATE_DOWN;
	} else if (result == d->candidate) {
		d->run = 0;
	} else if (++d->run >= (d->candidate == HC_STATE_UP ? o->fall : o->rise)) {
		d->candidate = result;
		d->run = 0;
	}
	return d->candidate != before;
}

/* The flap penalty decayed to time now. */
static double
penalty_now(const struct damper *d, int64_t now)
{
	double elapsed = (double)(now - d->penalty_at);
	return d->penalty * exp2(-elapsed / (double)d->o->half_life);
}

/* Ends a suppression whose time has come. */
static void
expire_suppression(struct damper *d, int64_t now)
{
	if (d->suppressed && now >= d->reuse_at)
		d->suppressed = false;
}

/*
 * Charges one flap (the candidate went down) at time now: the penalty grows,
 * up to the ceiling that bounds a hold to --max-suppress, and above
 * --suppress the state is held down until it has decayed below --reuse.
 */
static void
add_flap(struct damper *d, int64_t now)
{
	const struct options *o = d->o;
	expire_suppression(d, now);
	double p = penalty_now(d, now) + (double)o->flap_penalty;
	d->penalty = p < d->penalty_ceiling ? p : d->penalty_ceiling;
	d->penalty_at = now;
	bool was_suppressed = d->suppressed;
	if (d->penalty > (double)o->suppress)
		d->suppressed = true;
	if (!d->suppressed)
		return;
	double wait = ceil((double)o->half_life * log2(d->penalty / (double)o->reuse));
	d->reuse_at = now + (wait > 0 ? (int64_t)wait : 0);
	if (!was_suppressed) {
		char took[32];
		hc_format_ms(d->reuse_at - now, took, sizeof took);
		hc_logx("flapping: penalty %.0f is above --suppress %lld; up is held back "
		    "for %s, until it decays below --reuse %lld", d->penalty, o->suppress, took,
		    o->reuse);
	}
}

/*
 * Moves the output towards the candidate at time now, unless a hold applies
 * (then d->hold says which).  true when the output changed.
 */
static bool
settle(struct damper *d, int64_t now)
{
	const struct options *o = d->o;
	expire_suppression(d, now);
	d->hold = NULL;
	if (d->output == d->candidate)
		return false;
	if (d->candidate == HC_STATE_UP && d->suppressed)
		d->hold = "suppressed";
	else if (d->candidate == HC_STATE_UP && now - d->output_since < o->min_down)
		d->hold = "min_down";
	else if (d->candidate == HC_STATE_DOWN && now - d->output_since < o->min_up)
		d->hold = "min_up";
	if (d->hold != NULL)
		return false;
	d->output = d->candidate;
	d->output_since = now;
	return true;
}

/* When settle() would change the output without new input, or HC_NEVER. */
static int64_t
next_change_at(const struct damper *d)
{
	if (d->hold == NULL)
		return HC_NEVER;
	if (d->candidate == HC_STATE_DOWN)
		return d->output_since + d->o->min_up;
	int64_t at = d->output_since + d->o->min_down;
	if (d->suppressed && d->reuse_at > at)
		at = d->reuse_at;
	return at;
}

/* Feeds one result at time now: counters, flap penalty, holds. */
static void
apply_result(struct damper *d, enum hc_state result, int64_t now)
{
	if (count_result(d, result) && d->candidate == HC_STATE_DOWN && d->o->damping)
		add_flap(d, now);
	settle(d, now);
}

/* Where the time of each line comes from. */
struct input_clock {
	bool stream;
	bool started;
	int64_t base;       /* hc_now() at start, or the first usable t= in ns */
	int64_t last;       /* the latest time handed out, since base */
};

/* Time since the clock's start on the monotonic clock. */
static int64_t
monotonic_since_start(const struct input_clock *c)
{
	return hc_now() - c->base;
}

/*
 * The time of a line with --clock stream: its t= (seconds since the epoch)
 * since the first usable one, never earlier than the previous line's.  false
 * when the line has no usable t=.
 */
static bool
stream_time(struct input_clock *c, const struct hc_status *st, int64_t *out)
{
	const char *t = hc_status_get(st, "t");
	long long ns;
	if (t == NULL || hc_parse_fixed(t, 9, 0, STREAM_T_MAX, &ns) != NULL)
		return false;
	if (!c->started) {
		c->started = true;
		c->base = ns;
	}
	if (ns - c->base > c->last)
		c->last = ns - c->base;
	*out = c->last;
	return true;
}

/* Warnings about the input: the first at once, then at most one per WARN_EVERY. */
struct warn_limit {
	int64_t next_at;
	long long unshown;
};

__attribute__((format(printf, 2, 3)))
static void
warn_limited(struct warn_limit *w, const char *fmt, ...)
{
	int64_t now = hc_now();
	if (w->next_at != 0 && now < w->next_at) {
		w->unshown++;
		return;
	}
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (w->unshown > 0)
		hc_logx("%s (%lld more not shown since the last warning)", msg, w->unshown);
	else
		hc_logx("%s", msg);
	w->unshown = 0;
	w->next_at = now + WARN_EVERY;
}

/* Writes a line; at EPIPE (the reader is gone) exits quietly. */
static void
emit(const char *line)
{
	if (hc_write_line(STDOUT_FILENO, line) == 0)
		return;
	if (errno == EPIPE)
		exit(HC_EXIT_UP);
	hc_die(HC_EXIT_FAILURE, "write");
}

/* What one output line says besides the fields it passes on. */
struct line_info {
	enum hc_state raw;
	const char *why;   /* or NULL */
	unsigned long long lineno;
};

/*
 * Writes st (the input's fields, or none) with the dampened state and raw=,
 * penalty=, hold= and why=.  When those do not fit in a stream line, the
 * input's fields are dropped from it, with a warning.
 */
static void
write_status(struct hc_status *st, const struct damper *d, const struct line_info *li,
    int64_t now, struct warn_limit *warn)
{
	char penalty[32];
	if (d->o->damping)
		snprintf(penalty, sizeof penalty, "%.0f", penalty_now(d, now));
	char line[HC_STREAM_LINE_MAX + 1];
	for (int attempt = 0;; attempt++) {
		if (attempt == 1) {
			warn_limited(warn, "line %llu: no room for hc-dampen's fields; "
			    "the line's own fields are dropped", li->lineno);
			st->nfields = 0;
		}
		hc_status_del(st, "penalty");
		hc_status_del(st, "hold");
		st->state = d->output;
		bool ok = hc_status_set(st, "raw", hc_state_name(li->raw));
		if (d->o->damping)
			ok = ok && hc_status_set(st, "penalty", penalty);
		if (d->hold != NULL)
			ok = ok && hc_status_set(st, "hold", d->hold);
		if (li->why != NULL)
			ok = ok && hc_status_set(st, "why", li->why);
		if (ok && hc_status_format(st, line, sizeof line) > 0)
			break;
	}
	emit(line);
}

/* The final line: down, with the reason. */
static void
write_final(const char *why, struct warn_limit *warn)
{
	char line[64];
	snprintf(line, sizeof line, "down why=%s", why);
	if (warn->unshown > 0)
		hc_logx("%lld more warning%s not shown", warn->unshown,
		    warn->unshown == 1 ? " was" : "s were");
	emit(line);
}

/* Everything the main loop works on. */
struct filter {
	struct damper d;
	struct input_clock clock;
	struct warn_limit warn;
	unsigned long long lineno;
	enum hc_state last_raw;
	char last_line[HC_STREAM_LINE_MAX + 1];  /* the last valid input line, for timer lines */
	size_t last_len;                         /* 0: the last line was invalid */
};

/* The time of a line that carries no usable time: the latest time seen. */
static int64_t
untimed_now(struct filter *f)
{
	return f->clock.stream ? f->clock.last : monotonic_since_start(&f->clock);
}

/* Handles one input line: kind is what hc_linebuf_next said about it. */
static void
handle_line(struct filter *f, enum hc_line kind, char *text, size_t len)
{
	struct line_info li = { .raw = HC_STATE_DOWN, .lineno = ++f->lineno };
	struct hc_status st = { .nfields = 0 };
	const char *why = NULL;
	char copy[HC_STREAM_LINE_MAX + 1];
	int64_t now = 0;
	if (kind == HC_LINE_TOO_LONG)
		why = "line too long";
	else if (kind == HC_LINE_UNTERMINATED)
		why = "no newline at end of input";
	else if (len <= HC_STREAM_LINE_MAX)
		memcpy(copy, text, len + 1);
	if (why == NULL)
		why = hc_stream_parse(text, len, &st);
	if (why == NULL && f->clock.stream && !stream_time(&f->clock, &st, &now))
		why = "no usable t= field (--clock stream)";
	if (why == NULL && !f->clock.stream)
		now = monotonic_since_start(&f->clock);
	if (why != NULL) {
		warn_limited(&f->warn, "line %llu: invalid (%s); counted as down", li.lineno, why);
		st.nfields = 0;
		li.why = "invalid";
		now = untimed_now(f);
		f->last_len = 0;
	} else {
		li.raw = st.state;
		memcpy(f->last_line, copy, len + 1);
		f->last_len = len;
	}
	f->last_raw = li.raw;
	apply_result(&f->d, li.raw, now);
	write_status(&st, &f->d, &li, now, &f->warn);
}

/* Lets a hold that ended change the output; writes a why=timer line if it did. */
static void
handle_timer(struct filter *f)
{
	int64_t now = monotonic_since_start(&f->clock);
	if (!settle(&f->d, now))
		return;
	struct line_info li = { .raw = f->last_raw, .why = "timer", .lineno = f->lineno };
	struct hc_status st = { .nfields = 0 };
	char copy[HC_STREAM_LINE_MAX + 1];
	if (f->last_len > 0) {
		memcpy(copy, f->last_line, f->last_len + 1);
		if (hc_stream_parse(copy, f->last_len, &st) != NULL)
			st.nfields = 0;
	}
	write_status(&st, &f->d, &li, now, &f->warn);
}

/* The deadline of the next timer line, on the monotonic clock. */
static hc_deadline
timer_deadline(const struct filter *f)
{
	if (f->clock.stream)
		return (hc_deadline){ HC_NEVER };
	int64_t at = next_change_at(&f->d);
	return (hc_deadline){ at == HC_NEVER ? HC_NEVER : f->clock.base + at };
}

/* Reads what stdin has and handles each complete line; false at end of input. */
static bool
read_input(struct filter *f, struct hc_linebuf *lb)
{
	ssize_t r = hc_linebuf_fill(lb, STDIN_FILENO);
	if (r < 0) {
		hc_warn("read");
		write_final("error", &f->warn);
		exit(HC_EXIT_FAILURE);
	}
	char *text;
	size_t len;
	enum hc_line kind;
	while ((kind = hc_linebuf_next(lb, &text, &len)) != HC_LINE_NONE)
		handle_line(f, kind, text, len);
	return r > 0;
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
	struct options o = {
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
	struct sigaction ignore = { .sa_handler = SIG_IGN };
	sigaction(SIGHUP, &ignore, NULL);

	static struct filter f;
	damper_init(&f.d, &o);
	f.clock = (struct input_clock){ .stream = o.stream_clock, .base = hc_now() };
	struct hc_linebuf lb;
	hc_linebuf_init(&lb, HC_STREAM_LINE_MAX);

	const char *end = NULL;
	while (end == NULL) {
		struct pollfd fds[2] = {
			{ .fd = sig_fd, .events = POLLIN },
			{ .fd = STDIN_FILENO, .events = POLLIN },
		};
		hc_deadline timer = timer_deadline(&f);
		int r = hc_poll(fds, 2, timer);
		if (r < 0 && errno != EINTR)
			hc_die(HC_EXIT_FAILURE, "poll");
		int sig = hc_sig_next();
		if (sig != 0) {
			end = sig == SIGTERM ? "sigterm" : "sigint";
			break;
		}
		if (hc_deadline_passed(timer))
			handle_timer(&f);
		if (r > 0 && fds[1].revents != 0 && !read_input(&f, &lb))
			end = "eof";
	}
	write_final(end, &f.warn);
	hc_linebuf_free(&lb);
	free(f.d.window);
	return HC_EXIT_UP;
}

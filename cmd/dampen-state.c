/*
 * hc-dampen's state machine (dampen-state.h): the damper moves the output
 * state towards what the results say; the filter writes one line per input
 * line, plus a line when a hold ends.
 */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "dampen-state.h"
#include "hc.h"
#include "parse.h"

#define STREAM_T_MAX    (9000000000LL * HC_NS_PER_S)  /* t= beyond year 2255 is unusable */
#define WARN_EVERY      (10 * HC_NS_PER_S)       /* at most one warning per 10 s */


/* Starts d in the initial state, the window full of it. */
static void
damper_init(struct damper *d, const struct dampen_options *o)
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
	const struct dampen_options *o = d->o;
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
	const struct dampen_options *o = d->o;
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
	const struct dampen_options *o = d->o;
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


/* Monotonic time now since the clock's start. */
static int64_t
monotonic_since_start(const struct input_clock *c, int64_t now)
{
	return now - c->base;
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

/* Logs a warning at monotonic time now, unless one was logged in the last WARN_EVERY. */
__attribute__((format(printf, 3, 4)))
static void
warn_limited(struct hc_warn_limit *w, int64_t now, const char *fmt, ...)
{
	if (!hc_warn_limit_pass(w, now))
		return;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	long long unshown = hc_warn_limit_take(w, now);
	if (unshown > 0)
		hc_logx("%s (%lld more not shown since the last warning)", msg, unshown);
	else
		hc_logx("%s", msg);
}

/* What one output line says besides the fields it passes on. */
struct line_info {
	enum hc_state raw;
	const char *why;   /* or NULL */
	unsigned long long lineno;
};

/*
 * The longest line of hc-dampen's own fields: state, raw=, penalty= (what
 * write_status's 32-byte buffer holds), hold= and why= (the longest of
 * "invalid" and "timer").
 */
#define OWN_FIELDS_MAX (sizeof "down raw=down penalty=" - 1 + 32 + \
	sizeof " hold=suppressed why=invalid" - 1)
_Static_assert(OWN_FIELDS_MAX <= HC_STREAM_LINE_MAX, "hc-dampen's own fields fit a line");

/*
 * Formats st with the dampened state and raw=, penalty=, hold= and why= into
 * line (HC_STREAM_LINE_MAX + 1 bytes).  false when they do not fit.
 */
static bool
format_status(const struct damper *d, struct hc_status *st, const struct line_info *li,
    const char *penalty, char *line)
{
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
	return ok && hc_status_format(st, line, HC_STREAM_LINE_MAX + 1) > 0;
}

/*
 * Writes st (the input's fields, or none) with the dampened state and raw=,
 * penalty=, hold= and why=.  When those do not fit in a stream line, the
 * input's fields are dropped from it, with a warning: two tries at most, as
 * the second has only hc-dampen's own fields (OWN_FIELDS_MAX).
 */
static void
write_status(struct dampen_filter *f, struct hc_status *st, const struct line_info *li,
    int64_t now, int64_t mono)
{
	const struct damper *d = &f->d;
	char penalty[32] = "";
	if (d->o->damping)
		snprintf(penalty, sizeof penalty, "%.0f", penalty_now(d, now));
	char line[HC_STREAM_LINE_MAX + 1];
	if (!format_status(d, st, li, penalty, line)) {
		warn_limited(&f->warn, mono, "line %llu: no room for hc-dampen's fields; "
		    "the line's own fields are dropped", li->lineno);
		st->nfields = 0;
		if (!format_status(d, st, li, penalty, line))
			hc_diex(HC_EXIT_FAILURE, "line %llu: hc-dampen's own fields do not fit",
			    li->lineno);
	}
	f->sink.write(f->sink.ctx, line);
}

void
dampen_final(struct dampen_filter *f, const char *why)
{
	char line[64];
	snprintf(line, sizeof line, "down why=%s", why);
	long long unshown = hc_warn_limit_take(&f->warn, 0);
	if (unshown > 0)
		hc_logx("%lld more warning%s not shown", unshown, unshown == 1 ? " was" : "s were");
	f->sink.write(f->sink.ctx, line);
}

/* The time of a line that carries no usable time: the latest time seen. */
static int64_t
untimed_now(const struct dampen_filter *f, int64_t mono)
{
	return f->clock.stream ? f->clock.last : monotonic_since_start(&f->clock, mono);
}

void
dampen_init(struct dampen_filter *f, const struct dampen_options *o, struct dampen_sink sink,
    int64_t now)
{
	*f = (struct dampen_filter){ .sink = sink, .warn = { .every = WARN_EVERY } };
	damper_init(&f->d, o);
	f->clock = (struct input_clock){ .stream = o->stream_clock, .base = now };
}

void
dampen_free(struct dampen_filter *f)
{
	free(f->d.window);
	f->d.window = NULL;
}

void
dampen_line(struct dampen_filter *f, enum hc_line kind, char *text, size_t len, int64_t mono)
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
		now = monotonic_since_start(&f->clock, mono);
	if (why != NULL) {
		warn_limited(&f->warn, mono, "line %llu: invalid (%s); counted as down", li.lineno, why);
		st.nfields = 0;
		li.why = "invalid";
		now = untimed_now(f, mono);
		f->last_len = 0;
	} else {
		li.raw = st.state;
		memcpy(f->last_line, copy, len + 1);
		f->last_len = len;
	}
	f->last_raw = li.raw;
	apply_result(&f->d, li.raw, now);
	write_status(f, &st, &li, now, mono);
}

void
dampen_timer(struct dampen_filter *f, int64_t mono)
{
	int64_t now = monotonic_since_start(&f->clock, mono);
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
	write_status(f, &st, &li, now, mono);
}

int64_t
dampen_timer_at(const struct dampen_filter *f)
{
	if (f->clock.stream)
		return HC_NEVER;
	int64_t at = next_change_at(&f->d);
	return at == HC_NEVER ? HC_NEVER : f->clock.base + at;
}


/*
 * hc-dampen's state machine (cmd/dampen-state.h), checked against what
 * hc-dampen(1) promises:
 *  - every input line gives exactly one output line, a hold that ends gives
 *    at most one (why=timer, and only with a change of state), and the end
 *    of input one more ("down why=eof");
 *  - every output line is a stream line (hc_stream_parse) whose raw= is the
 *    input's state (down for an invalid line, which also gets why=invalid),
 *    with penalty= exactly when flap damping is on, and the input's own
 *    fields passed on in order, or all dropped when they do not fit;
 *  - a reference model of the counters (--rise/--fall) or the window
 *    (--window K/N) gives the candidate; the state differs from it only
 *    with a hold= that says why (min_up while up, min_down or suppressed
 *    while down); without flap damping the model also decides the holds
 *    (--min-up, --min-down on the line's clock), so the state must equal
 *    the model's on every line.
 *
 * Input: byte 0 picks one of the configurations below.  Then records, each a
 * control byte and a line up to '\n' (the last may lack it: an unterminated
 * last line; lines over HC_STREAM_LINE_MAX are too long).  Control byte:
 * bits 0-3 advance the monotonic clock (steps[] below), bit 4 lets the time
 * pass without a line (the record's line is skipped).  Before each line,
 * the timer lines whose time has come are written, as the program's poll
 * loop does.
 */
/* scripts/fuzz: cmd/dampen-state.c */
/* scripts/fuzz-flags: -close_fd_mask=2 */
#include "config.h"

#include <math.h>
#include <stdbool.h>
#include <stddef.h>

#include "fuzz.h"
#include "clock.h"
#include "dampen-state.h"
#include "parse.h"
#include "stream.h"

#define MS HC_NS_PER_MS
#define S HC_NS_PER_S

/* Configurations as hc-dampen's option parsing leaves them (defaults filled in). */
static const struct dampen_options configs[] = {
	/* the defaults: --rise 3 --fall 3 */
	{ .rise = 3, .fall = 3 },
	{ .rise = 1, .fall = 1 },
	{ .rise = 2, .fall = 5, .initial = HC_STATE_UP },
	/* --window 3/5, --window 1/1 --initial up */
	{ .rise = 3, .fall = 3, .window_k = 3, .window_n = 5 },
	{ .rise = 3, .fall = 3, .window_k = 1, .window_n = 1, .initial = HC_STATE_UP },
	/* --rise 2 --fall 2 --min-down 5s --min-up 2s */
	{ .rise = 2, .fall = 2, .min_down = 5 * S, .min_up = 2 * S },
	/* --flap-damping (the defaults), --rise 1 --fall 1 */
	{ .rise = 1, .fall = 1, .damping = true, .flap_penalty = 1000, .suppress = 2000,
	  .reuse = 750, .half_life = 300 * S, .max_suppress = 1200 * S },
	/* fast damping with --min-down: --half-life 2s --max-suppress 8s */
	{ .rise = 1, .fall = 1, .damping = true, .flap_penalty = 1000, .suppress = 1500,
	  .reuse = 500, .half_life = 2 * S, .max_suppress = 8 * S, .min_down = 1 * S },
	/* replaying a log: --clock stream --rise 2 --fall 2 --min-down 3s */
	{ .rise = 2, .fall = 2, .min_down = 3 * S, .stream_clock = true },
	{ .rise = 3, .fall = 3, .window_k = 2, .window_n = 3, .damping = true,
	  .flap_penalty = 1000, .suppress = 2000, .reuse = 750, .half_life = 1 * S,
	  .max_suppress = 4 * S, .stream_clock = true },
};

#define NCONFIGS (sizeof configs / sizeof configs[0])

/* Clock steps a control byte picks (bits 0-3). */
static const int64_t steps[16] = {
	0, 1 * MS, 10 * MS, 100 * MS, 500 * MS, 999 * MS, 1 * S, 1001 * MS, 2 * S,
	3 * S, 4999 * MS, 5 * S, 8 * S, 30 * S, 600 * S, 3600 * S,
};

/* The output lines of one step. */
struct sink_lines {
	size_t n;
	char line[HC_STREAM_LINE_MAX + 1];
};

static void
record_line(void *ctx, const char *line)
{
	struct sink_lines *out = ctx;
	out->n++;
	FUZZ_CHECK(strlen(line) <= HC_STREAM_LINE_MAX);
	snprintf(out->line, sizeof out->line, "%s", line);
}

/* The reference: counters or window for the candidate, holds without damping. */
struct model {
	const struct dampen_options *o;
	enum hc_state candidate, output;
	long long run;
	unsigned char window[8];   /* every configured window fits */
	long long window_pos;
	int64_t since;             /* when the output last changed, on the line clock */
	bool stream_started;
	int64_t stream_first, stream_latest;  /* usable t= in ns since the epoch */
};

/* The candidate after one result, as the man page's step 1 says. */
static void
model_count(struct model *m, enum hc_state result)
{
	const struct dampen_options *o = m->o;
	if (o->window_n > 0) {
		m->window[m->window_pos] = result == HC_STATE_UP;
		m->window_pos = (m->window_pos + 1) % o->window_n;
		long long ups = 0;
		for (long long i = 0; i < o->window_n; i++)
			ups += m->window[i];
		m->candidate = ups >= o->window_k ? HC_STATE_UP : HC_STATE_DOWN;
	} else if (result == m->candidate) {
		m->run = 0;
	} else if (++m->run >= (m->candidate == HC_STATE_UP ? o->fall : o->rise)) {
		m->candidate = result;
		m->run = 0;
	}
}

/* The output at time now (without damping): follows the candidate unless held. */
static void
model_settle(struct model *m, int64_t now)
{
	if (m->output == m->candidate)
		return;
	if (m->candidate == HC_STATE_UP && now - m->since < m->o->min_down)
		return;
	if (m->candidate == HC_STATE_DOWN && now - m->since < m->o->min_up)
		return;
	m->output = m->candidate;
	m->since = now;
}

/*
 * A usable t=, read as hc-dampen(1) says: seconds since the epoch from 0 to
 * 9000000000 (the year 2255), digits with up to nine decimals after a '.'
 * (further decimals only zeros).  The nanoseconds in *ns; false when not usable.
 */
static bool
model_read_t(const char *t, int64_t *ns)
{
	const char *p = t;
	int64_t seconds = 0, nanos = 0;
	for (; *p >= '0' && *p <= '9'; p++) {
		seconds = seconds * 10 + (*p - '0');
		if (seconds > 9000000000)
			return false;
	}
	if (p == t)
		return false;
	if (*p == '.') {
		const char *decimals = ++p;
		for (; *p >= '0' && *p <= '9'; p++) {
			if (p - decimals < 9)
				nanos = nanos * 10 + (*p - '0');
			else if (*p != '0')
				return false;
		}
		if (p == decimals)
			return false;
		for (ptrdiff_t given = p - decimals; given < 9; given++)
			nanos *= 10;
	}
	if (*p != '\0' || (seconds == 9000000000 && nanos > 0))
		return false;
	*ns = seconds * S + nanos;
	return true;
}

/*
 * The line's time with --clock stream, as hc-dampen(1) words it: the clock
 * starts at the first usable t=, and a t= earlier than the latest counts as
 * the latest (time never runs backwards).  false for a line without a
 * usable t=.
 */
static bool
model_stream_time(struct model *m, const struct hc_status *st, int64_t *now)
{
	const char *t = hc_status_get(st, "t");
	int64_t at;
	if (t == NULL || !model_read_t(t, &at))
		return false;
	if (!m->stream_started)
		m->stream_first = m->stream_latest = at;
	m->stream_started = true;
	if (at > m->stream_latest)
		m->stream_latest = at;
	*now = m->stream_latest - m->stream_first;
	return true;
}

/* The fields hc-dampen sets itself: raw=, penalty=, hold=. */
static bool
is_dampen_field(const char *key)
{
	return strcmp(key, "raw") == 0 || strcmp(key, "penalty") == 0 || strcmp(key, "hold") == 0;
}

/*
 * Checks one output line: a stream line in the model's state (or held, with
 * the reason), raw= as given, why= as given (NULL: the input's own, in in),
 * penalty= with damping only, and the input's fields passed on or dropped.
 */
static void
check_output(const struct model *m, const char *line, enum hc_state raw, const char *why,
    const struct hc_status *in)
{
	const struct dampen_options *o = m->o;
	char copy[HC_STREAM_LINE_MAX + 1];
	struct hc_status st;
	size_t len = strlen(line);
	memcpy(copy, line, len + 1);
	FUZZ_CHECK(hc_stream_parse(copy, len, &st) == NULL);
	const char *r = hc_status_get(&st, "raw");
	FUZZ_CHECK(r != NULL && strcmp(r, hc_state_name(raw)) == 0);
	const char *w = hc_status_get(&st, "why");
	if (why != NULL)
		FUZZ_CHECK(w != NULL && strcmp(w, why) == 0);
	const char *penalty = hc_status_get(&st, "penalty");
	FUZZ_CHECK((penalty != NULL) == o->damping);
	if (penalty != NULL) {
		long long p;
		double ceiling = (double)o->reuse * exp2((double)o->max_suppress /
		    (double)o->half_life);
		FUZZ_CHECK(hc_parse_int(penalty, 0, INT64_C(1) << 40, &p) == NULL);
		FUZZ_CHECK((double)p <= ceiling + 1);
	}
	const char *hold = hc_status_get(&st, "hold");
	if (st.state == m->candidate) {
		FUZZ_CHECK(hold == NULL);
	} else if (st.state == HC_STATE_UP) {
		FUZZ_CHECK(hold != NULL && strcmp(hold, "min_up") == 0);
	} else {
		FUZZ_CHECK(hold != NULL && (strcmp(hold, "min_down") == 0 ||
		    (o->damping && strcmp(hold, "suppressed") == 0)));
	}
	if (!o->damping)
		FUZZ_CHECK(st.state == m->output);
	if (in == NULL)
		return;
	/* The input's fields (raw= replaced in place), or none when they did not fit. */
	size_t n = 0, shown = 0;
	for (size_t i = 0; i < st.nfields; i++) {
		if (is_dampen_field(st.fields[i].key))
			continue;
		shown++;
		while (n < in->nfields && is_dampen_field(in->fields[n].key))
			n++;
		FUZZ_CHECK(n < in->nfields && strcmp(st.fields[i].key, in->fields[n].key) == 0 &&
		    strcmp(st.fields[i].value, in->fields[n].value) == 0);
		n++;
	}
	while (n < in->nfields && is_dampen_field(in->fields[n].key))
		n++;
	FUZZ_CHECK(n == in->nfields || shown == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct dampen_options *o = &configs[fuzz_take(&data, &size, 1) % NCONFIGS];
	struct sink_lines out = { 0 };
	static struct dampen_filter f;
	int64_t mono = 1000 * S;
	const int64_t start = mono;
	dampen_init(&f, o, (struct dampen_sink){ .write = record_line, .ctx = &out }, mono);
	struct model m = { .o = o, .candidate = o->initial, .output = o->initial };
	memset(m.window, o->initial == HC_STATE_UP, sizeof m.window);

	char line[HC_STREAM_LINE_MAX + 2], copy[HC_STREAM_LINE_MAX + 2];
	size_t inputs = 0, timers = 0;
	enum hc_state last_raw = HC_STATE_DOWN;
	while (size > 0) {
		unsigned control = (unsigned)fuzz_take(&data, &size, 1);
		const uint8_t *nl = memchr(data, '\n', size);
		size_t len = nl != NULL ? (size_t)(nl - data) : size;
		enum hc_line kind = nl == NULL ? HC_LINE_UNTERMINATED : HC_LINE_OK;
		if (len > HC_STREAM_LINE_MAX)
			kind = HC_LINE_TOO_LONG;
		size_t keep = len > HC_STREAM_LINE_MAX ? HC_STREAM_LINE_MAX : len;
		memcpy(line, data, keep);
		line[keep] = '\0';
		data += len + (nl != NULL);
		size -= len + (nl != NULL);

		/* The poll loop's wakeups for the timers due before the line. */
		mono += steps[control & 0xf];
		for (int64_t at; (at = dampen_timer_at(&f)) <= mono;) {
			FUZZ_CHECK(!o->stream_clock);
			enum hc_state before = m.output;
			if (!o->damping)
				model_settle(&m, at - start);
			out.n = 0;
			dampen_timer(&f, at);
			/* A due timer changes the state or moves on: poll() must not spin. */
			FUZZ_CHECK(out.n == 1 || (out.n == 0 && dampen_timer_at(&f) > at));
			if (!o->damping)
				FUZZ_CHECK(out.n == (m.output != before));
			if (out.n == 0)
				break;
			timers++;
			check_output(&m, out.line, last_raw, "timer", NULL);
			if (o->damping) {
				struct hc_status st;
				memcpy(copy, out.line, strlen(out.line) + 1);
				FUZZ_CHECK(hc_stream_parse(copy, strlen(copy), &st) == NULL);
				m.output = st.state;
			}
		}
		if ((control & 0x10) || (kind == HC_LINE_UNTERMINATED && len == 0))
			continue;

		/* The model's reading of the line. */
		struct hc_status in;
		bool valid = kind == HC_LINE_OK;
		if (valid) {
			memcpy(copy, line, keep + 1);
			valid = hc_stream_parse(copy, keep, &in) == NULL;
		}
		int64_t now = o->stream_clock ? m.stream_latest - m.stream_first : mono - start;
		if (valid && o->stream_clock)
			valid = model_stream_time(&m, &in, &now);
		enum hc_state raw = valid ? in.state : HC_STATE_DOWN;
		model_count(&m, raw);
		if (!o->damping)
			model_settle(&m, now);

		out.n = 0;
		dampen_line(&f, kind, line, keep, mono);
		inputs++;
		last_raw = raw;
		FUZZ_CHECK(out.n == 1);
		check_output(&m, out.line, raw, valid ? NULL : "invalid", valid ? &in : NULL);
		if (o->damping) {
			struct hc_status st;
			memcpy(copy, out.line, strlen(out.line) + 1);
			FUZZ_CHECK(hc_stream_parse(copy, strlen(copy), &st) == NULL);
			m.output = st.state;
		}
	}
	FUZZ_CHECK(timers <= inputs);
	out.n = 0;
	dampen_final(&f, "eof");
	FUZZ_CHECK(out.n == 1 && strcmp(out.line, "down why=eof") == 0);
	dampen_free(&f);
	return 0;
}

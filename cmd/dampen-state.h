/*
 * hc-dampen's state machine, apart from its I/O: the options, the damper
 * (counters or window, flap damping, holds) and the filter that turns each
 * input line into one output line.  The caller gives the monotonic time of
 * every step and a sink for the lines, so hc-dampen.c drives it from stdin
 * and poll() and fuzz/fuzz-dampen.c from a fuzzer's bytes.
 */
#ifndef HC_DAMPEN_STATE_H
#define HC_DAMPEN_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hc.h"
#include "io.h"
#include "stream.h"

/* hc-dampen's options, checked: max_suppress is set when damping is on. */
struct dampen_options {
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

/*
 * The dampening state.  Times are nanoseconds since the clock started: the
 * program's start on the monotonic clock, the first usable t= with --clock
 * stream.
 */
struct damper {
	const struct dampen_options *o;
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

/* Where the time of each line comes from. */
struct input_clock {
	bool stream;
	bool started;
	int64_t base;       /* hc_now() at start, or the first usable t= in ns */
	int64_t last;       /* the latest time handed out, since base */
};

/* Where output lines go; write deals with its own failure (hc-dampen exits). */
struct dampen_sink {
	void (*write)(void *ctx, const char *line);
	void *ctx;
};

/* Everything the main loop works on. */
struct dampen_filter {
	struct dampen_sink sink;
	struct damper d;
	struct input_clock clock;
	struct hc_warn_limit warn;       /* about the input: one per 10 s at most */
	unsigned long long lineno;
	enum hc_state last_raw;
	char last_line[HC_STREAM_LINE_MAX + 1];  /* the last valid input line, for timer lines */
	size_t last_len;                         /* 0: the last line was invalid */
};

/*
 * Starts f with the options o at monotonic time now (the clock's start),
 * writing through sink.  o must be valid and outlive f.
 */
void dampen_init(struct dampen_filter *f, const struct dampen_options *o,
    struct dampen_sink sink, int64_t now);

/* Frees what dampen_init allocated. */
void dampen_free(struct dampen_filter *f);

/*
 * Handles one input line at monotonic time now and writes its output line:
 * kind is what hc_linebuf_next said about it, and text[len] must be
 * writable.
 */
void dampen_line(struct dampen_filter *f, enum hc_line kind, char *text, size_t len,
    int64_t now);

/* When a hold ends and dampen_timer has a line to write: monotonic, or HC_NEVER. */
int64_t dampen_timer_at(const struct dampen_filter *f);

/* Lets a hold that ended by monotonic time now change the output (a why=timer line). */
void dampen_timer(struct dampen_filter *f, int64_t now);

/* Writes the final line: down why=why. */
void dampen_final(struct dampen_filter *f, const char *why);

#endif

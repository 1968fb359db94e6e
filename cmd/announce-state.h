/*
 * hc-announce's decisions, apart from its I/O: the options, the runtime
 * state, and the steps that move it (an input line, maintenance, silence,
 * the stop).  Each step writes the commands it makes through a sink, at a
 * time the caller gives, so hc-announce.c drives it from stdin and poll()
 * and fuzz/fuzz-announce.c from a fuzzer's bytes.
 */
#ifndef HC_ANNOUNCE_STATE_H
#define HC_ANNOUNCE_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "announce.h"
#include "announce-metrics.h"

#define ANNOUNCE_NAME_MAX 64

struct announce_options {
	struct route_config route;
	bool announce_down;        /* down: stay announced with the down MED */
	bool announce_maint;       /* maintenance: stay announced with the maintenance MED */
	const char *med_field;     /* dynamic MED from this stream field */
	uint32_t med_min, med_max, med_hysteresis;
	bool med_bounds_given;
	int64_t stale;             /* 0: no lease */
	int64_t drain;             /* 0: withdraw at once on stop */
	int64_t min_lifetime;
	const char *maintenance;
	const char *metrics;
	char name[ANNOUNCE_NAME_MAX + 1];
	char error[300];           /* option parsing: the first usage error */
	bool argp_failed;
	bool api_given;            /* --api or --peer-syntax: the environment is not asked */
};

/* The states shown in logs and metrics. */
enum announce_state {
	ST_START, ST_UP, ST_DOWN, ST_INVALID, ST_STALE, ST_MAINT, ST_DRAIN, ST_STOPPED,
	ST_COUNT
};

/* "up", "maintenance", ...: a state's name in logs and metrics. */
const char *announce_state_name(enum announce_state s);

/*
 * Where commands go: write returns 0, or -1 with errno: EINTR when a stop
 * signal came before the reader took the command (nothing of it was
 * written; the stop writes what matters next), ECANCELED when the sink gave
 * up on it and said why, anything else when the reader is gone or failed.
 */
struct announce_sink {
	int (*write)(void *ctx, const char *line);
	void *ctx;
};

struct announce_runtime {
	struct announce_sink sink;
	enum announce_state health; /* ST_START, ST_UP, ST_DOWN, ST_INVALID or ST_STALE */
	bool maint, draining, stopped;
	enum announce_state shown; /* the state last logged */
	struct route_view applied; /* what the routers were last told */
	struct route_view drain_view;
	char (*sent)[COMMAND_MAX]; /* last command per prefix, "" before the first */
	bool seen_up;              /* an up line came: --announce-down may announce */
	bool have_dyn_med, metric_warned;
	uint32_t dyn_med;
	int64_t last_line, next_maint_check;
	unsigned long long transitions;
	int64_t last_change_wall;  /* ns since the epoch */
	struct announce_stats stats;
	bool out_broken, metrics_failed, maint_error;
};

/*
 * Starts r at time now: every prefix withdrawn through sink (the startup
 * withdraw), metrics written.  o must be valid (checked by the caller).
 */
void announce_start(const struct announce_options *o, struct announce_runtime *r,
    struct announce_sink sink, int64_t now);

/* Frees what announce_start allocated. */
void announce_free(struct announce_runtime *r);

/*
 * Handles one input line at time now: line[len] must be writable (the
 * stream parser ends the last value there).  why is the reader's reason to
 * reject the line (too long, unterminated), or NULL.
 */
void announce_line(const struct announce_options *o, struct announce_runtime *r, char *line,
    size_t len, const char *why, int64_t now);

/* Enters or leaves maintenance (no-op when unchanged); reason goes to the log. */
void announce_set_maintenance(const struct announce_options *o, struct announce_runtime *r,
    bool in, const char *reason);

/* When silence makes the stream stale (HC_NEVER without --stale or once stale). */
int64_t announce_stale_at(const struct announce_options *o, const struct announce_runtime *r);

/* Withdraws as stale if no line came for --stale by time now. */
void announce_check_stale(const struct announce_options *o, struct announce_runtime *r,
    int64_t now);

/*
 * Starts the --drain: re-announces what is announced with GRACEFUL_SHUTDOWN
 * and the drain MED.  false (nothing written) when there is nothing to drain.
 */
bool announce_drain(const struct announce_options *o, struct announce_runtime *r,
    const char *reason);

/* Withdraws every prefix for good. */
void announce_stop(const struct announce_options *o, struct announce_runtime *r,
    const char *reason);

#endif

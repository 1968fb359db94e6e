/*
 * hc-announce's metrics: the counters and timings its steps feed
 * (announce-state.c) and the node_exporter textfile they are written to.
 */
#ifndef HC_ANNOUNCE_METRICS_H
#define HC_ANNOUNCE_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "announce.h"
#include "stream.h"

#define DURATION_BUCKETS 11  /* the upper bounds are in announce-metrics.c */

/* How a check ended, as hc-announce counts it. */
enum check_result { RESULT_UP, RESULT_DOWN, RESULT_INVALID, RESULT_COUNT };

/* What the metrics count since start; times are hc_now() or hc_wall_now() values. */
struct announce_stats {
	unsigned long long checks[RESULT_COUNT];
	unsigned long long duration_le[DURATION_BUCKETS]; /* per bucket, not cumulative */
	unsigned long long duration_count;
	long long duration_sum_us;
	bool have_duration;
	long long last_duration_us;
	int64_t start_wall, last_up_wall;
	unsigned long long announces, withdraws; /* commands written */
	unsigned long long failovers;
	int64_t last_line;        /* monotonic: the latest line, checks or not */
	int64_t trouble_since;    /* monotonic: start of the first failing check after an up one; 0 none */
	int64_t failed_at;        /* monotonic: the failover not yet recovered; 0 none */
	bool have_failover_time, have_recovery_time;
	int64_t last_failover_ns, last_recovery_ns;
};

/* Starts the counters at zero, at wall time wall. */
void stats_init(struct announce_stats *s, int64_t wall);

/*
 * Counts one input line: st is the parsed line, or NULL for a line that is
 * not a stream line.  Lines a stage wrote itself (why= other than invalid)
 * are not checks and only count as input.
 */
void stats_line(struct announce_stats *s, const struct hc_status *st);

/* Counts one command written: an announce or a withdraw. */
void stats_command(struct announce_stats *s, bool announce);

/*
 * Records what a change of the routes means: a failover when routes that
 * were announced as up stop being so because of the checks (by_checks: a
 * down, invalid or stale stream; not maintenance or a stop), a recovery when
 * they are announced as up again after a failover.
 */
void stats_routes(struct announce_stats *s, const struct route_view *before,
    const struct route_view *after, bool by_checks, bool stale);

struct announce_options;
struct announce_runtime;

/*
 * Writes the node_exporter textfile of --metrics (nothing without it) for r
 * in state `state`: into FILE.tmp, then rename(2), so the collector never
 * reads half a file.  Warns once if that fails.
 */
void announce_metrics_write(const struct announce_options *o, struct announce_runtime *r,
    const char *state);

#endif

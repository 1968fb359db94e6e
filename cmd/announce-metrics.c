/*
 * hc-announce's metrics (announce-metrics.h): what its steps count, and the
 * Prometheus textfile that shows it.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "announce-metrics.h"
#include "announce-state.h"
#include "clock.h"
#include "hc.h"
#include "io.h"
#include "parse.h"
#include "textfile.h"

/* Upper bounds of the check duration histogram, in microseconds (Prometheus's defaults). */
static const long long bucket_us[DURATION_BUCKETS] = {
	5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000
};
static const char *const bucket_le[DURATION_BUCKETS] = {
	"0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10"
};

static const char *const result_names[RESULT_COUNT] = { "up", "down", "invalid" };

void
stats_init(struct announce_stats *s, int64_t wall)
{
	*s = (struct announce_stats){ .start_wall = wall, .last_up_wall = wall,
	    .last_line = hc_now() };
}

void
stats_line(struct announce_stats *s, const struct hc_status *st)
{
	int64_t now = hc_now();
	s->last_line = now;
	enum check_result result = RESULT_INVALID;
	if (st != NULL) {
		const char *why = hc_status_get(st, "why");
		const char *raw = hc_status_get(st, "raw");
		if (why != NULL && strcmp(why, "invalid") != 0)
			return;
		if (why == NULL) {
			enum hc_state state = st->state;
			if (raw != NULL)
				state = strcmp(raw, "up") == 0 ? HC_STATE_UP : HC_STATE_DOWN;
			result = state == HC_STATE_UP ? RESULT_UP : RESULT_DOWN;
		}
	}
	const char *ms = st != NULL ? hc_status_get(st, "ms") : NULL;
	long long us;
	bool timed = ms != NULL && hc_parse_fixed(ms, 3, 0, INT64_C(1000000000000), &us) == NULL;
	s->checks[result]++;
	if (result == RESULT_UP) {
		s->last_up_wall = hc_wall_now();
		s->trouble_since = 0;
	} else if (s->trouble_since == 0) {
		/* The failing check started ms= before its line came. */
		int64_t ran = timed ? us * 1000 : 0;
		s->trouble_since = now - ran > 0 ? now - ran : 1;
	}
	if (!timed)
		return;
	s->have_duration = true;
	s->last_duration_us = us;
	s->duration_count++;
	s->duration_sum_us += us;
	for (int b = 0; b < DURATION_BUCKETS; b++) {
		if (us <= bucket_us[b]) {
			s->duration_le[b]++;
			break;
		}
	}
}

void
stats_command(struct announce_stats *s, bool announce)
{
	if (announce)
		s->announces++;
	else
		s->withdraws++;
}

static bool
announced_up(const struct route_view *v)
{
	return v->announce && v->set == SET_UP && !v->graceful;
}

void
stats_routes(struct announce_stats *s, const struct route_view *before,
    const struct route_view *after, bool by_checks, bool stale)
{
	int64_t now = hc_now();
	if (announced_up(before) && !announced_up(after) && by_checks) {
		int64_t since = stale ? s->last_line : s->trouble_since;
		s->failovers++;
		s->failed_at = now;
		s->have_failover_time = since != 0;
		if (since != 0)
			s->last_failover_ns = now - since;
	} else if (!announced_up(before) && announced_up(after) && s->failed_at != 0) {
		s->have_recovery_time = true;
		s->last_recovery_ns = now - s->failed_at;
		s->failed_at = 0;
	}
}

/* Every series of one service into t. */
static void
format_metrics(struct hc_textfile *t, const struct announce_options *o,
    const struct announce_runtime *r, const char *state)
{
	const char *sv = o->name;
	const struct announce_stats *s = &r->stats;
	hc_textfile_family(t, "hc_announce_state", "gauge", "1 for the state hc-announce is in.");
	for (int st = 0; st < ST_COUNT; st++) {
		const char *name = announce_state_name((enum announce_state)st);
		hc_textfile_put(t, "hc_announce_state{service=\"%s\",state=\"%s\"} %d\n", sv, name,
		    strcmp(name, state) == 0);
	}
	hc_textfile_family(t, "hc_announce_up", "gauge", "1 if the last status line was up.");
	hc_textfile_put(t, "hc_announce_up{service=\"%s\"} %d\n", sv, r->health == ST_UP);
	hc_textfile_family(t, "hc_announce_announced", "gauge", "Prefixes announced.");
	hc_textfile_put(t, "hc_announce_announced{service=\"%s\"} %zu\n", sv,
	    r->applied.announce ? o->route.nprefixes : 0);
	if (r->applied.announce) {
		hc_textfile_family(t, "hc_announce_med", "gauge",
		    "MED of the first prefix, while announced.");
		hc_textfile_put(t, "hc_announce_med{service=\"%s\"} %lu\n", sv,
		    (unsigned long)r->applied.med);
	}
	hc_textfile_family(t, "hc_announce_transitions_total", "counter",
	    "State changes since start.");
	hc_textfile_put(t, "hc_announce_transitions_total{service=\"%s\"} %llu\n", sv,
	    r->transitions);
	hc_textfile_family(t, "hc_announce_last_change_timestamp_seconds", "gauge",
	    "When the state last changed.");
	hc_textfile_put(t, "hc_announce_last_change_timestamp_seconds{service=\"%s\"} ", sv);
	hc_textfile_wall(t, r->last_change_wall);
	hc_textfile_family(t, "hc_announce_start_time_seconds", "gauge",
	    "When hc-announce started.");
	hc_textfile_put(t, "hc_announce_start_time_seconds{service=\"%s\"} ", sv);
	hc_textfile_wall(t, s->start_wall);

	hc_textfile_family(t, "hc_announce_checks_total", "counter",
	    "Check results read, by result (raw=, before dampening).");
	for (int res = 0; res < RESULT_COUNT; res++)
		hc_textfile_put(t, "hc_announce_checks_total{service=\"%s\",result=\"%s\"} %llu\n",
		    sv, result_names[res], s->checks[res]);
	hc_textfile_family(t, "hc_announce_last_up_check_timestamp_seconds", "gauge",
	    "When the last up check result was read (the start time before the first).");
	hc_textfile_put(t, "hc_announce_last_up_check_timestamp_seconds{service=\"%s\"} ", sv);
	hc_textfile_wall(t, s->last_up_wall);
	hc_textfile_family(t, "hc_announce_check_duration_seconds", "histogram",
	    "How long the checks ran (ms= field).");
	unsigned long long cumulative = 0;
	for (int b = 0; b < DURATION_BUCKETS; b++) {
		cumulative += s->duration_le[b];
		hc_textfile_put(t, "hc_announce_check_duration_seconds_bucket"
		    "{service=\"%s\",le=\"%s\"} %llu\n", sv, bucket_le[b], cumulative);
	}
	hc_textfile_put(t, "hc_announce_check_duration_seconds_bucket"
	    "{service=\"%s\",le=\"+Inf\"} %llu\n", sv, s->duration_count);
	hc_textfile_put(t, "hc_announce_check_duration_seconds_sum{service=\"%s\"} ", sv);
	hc_textfile_us(t, s->duration_sum_us);
	hc_textfile_put(t, "hc_announce_check_duration_seconds_count{service=\"%s\"} %llu\n", sv,
	    s->duration_count);
	if (s->have_duration) {
		hc_textfile_family(t, "hc_announce_last_check_duration_seconds", "gauge",
		    "How long the last check ran (ms= field).");
		hc_textfile_put(t, "hc_announce_last_check_duration_seconds{service=\"%s\"} ", sv);
		hc_textfile_us(t, s->last_duration_us);
	}

	hc_textfile_family(t, "hc_announce_commands_total", "counter",
	    "Commands written to ExaBGP, one per prefix, by command.");
	hc_textfile_put(t, "hc_announce_commands_total{service=\"%s\",command=\"announce\"} %llu\n",
	    sv, s->announces);
	hc_textfile_put(t, "hc_announce_commands_total{service=\"%s\",command=\"withdraw\"} %llu\n",
	    sv, s->withdraws);
	hc_textfile_family(t, "hc_announce_failovers_total", "counter",
	    "Times the checks took the routes out of the up announcement.");
	hc_textfile_put(t, "hc_announce_failovers_total{service=\"%s\"} %llu\n", sv, s->failovers);
	if (s->have_failover_time) {
		hc_textfile_family(t, "hc_announce_last_failover_duration_seconds", "gauge",
		    "Last failover: from the start of the first failing check (or the last line, "
		    "when stale) to the withdraw.");
		hc_textfile_put(t, "hc_announce_last_failover_duration_seconds{service=\"%s\"} ",
		    sv);
		hc_textfile_us(t, s->last_failover_ns / 1000);
	}
	if (s->have_recovery_time) {
		hc_textfile_family(t, "hc_announce_last_recovery_duration_seconds", "gauge",
		    "Last recovery: from a failover to the next up announcement.");
		hc_textfile_put(t, "hc_announce_last_recovery_duration_seconds{service=\"%s\"} ",
		    sv);
		hc_textfile_us(t, s->last_recovery_ns / 1000);
	}
}

void
announce_metrics_write(const struct announce_options *o, struct announce_runtime *r,
    const char *state)
{
	if (o->metrics == NULL)
		return;
	static char buf[16384];
	struct hc_textfile t;
	hc_textfile_start(&t, buf, sizeof buf);
	format_metrics(&t, o, r, state);
	bool ok = hc_textfile_write(&t, o->metrics) == 0;
	if (!ok && !r->metrics_failed)
		hc_warn("cannot write metrics to %s (routes are not affected)", o->metrics);
	r->metrics_failed = !ok;
}

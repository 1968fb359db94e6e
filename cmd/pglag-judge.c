/*
 * hc-pglag's judge: up or down from one sample, following the measured
 * rules in NOTES.md, and the words and fields that say why.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "parse.h"
#include "pglag.h"

/* "12.345 s" from milliseconds. */
static void
format_seconds(int64_t ms, char *buf, size_t size)
{
	snprintf(buf, size, "%" PRId64 ".%03" PRId64 " s", ms / 1000, ms % 1000);
}

/* The silence limit in milliseconds for this sample, or PGLAG_NO_LIMIT. */
static int64_t
silence_limit_ms(const struct pglag_limits *l, const struct sample *s)
{
	if (l->max_silence != PGLAG_NO_LIMIT)
		return l->max_silence / HC_NS_PER_MS;
	if (s->receiver_timeout_ms > 0)
		return s->receiver_timeout_ms * 3 / 4;
	return PGLAG_NO_LIMIT;  /* wal_receiver_timeout = 0: an idle primary never talks */
}

void
pglag_judge(const struct pglag_limits *l, const struct sample *s, struct judgement *j)
{
	char a[32], b[32];
	*j = (struct judgement){ .up = false };
	if (!s->in_recovery) {
		j->up = l->allow_primary;
		hc_reason(j->reason, "%s", l->allow_primary
		    ? "not in recovery (a primary), allowed by --allow-primary"
		    : "not a replica: the server is not in recovery (a primary, or a promoted replica)");
		return;
	}
	if (!s->can_read_stats) {
		hc_reason(j->reason, "%s", "the role cannot read pg_stat_wal_receiver: grant it pg_monitor");
		return;
	}
	if (!s->has_receiver) {
		hc_reason(j->reason, "%s", "no WAL receiver: the replica is not connected to its primary");
		return;
	}
	if (strcmp(s->status, "streaming") != 0) {
		hc_reason(j->reason, "the WAL receiver is %s, not streaming", s->status);
		return;
	}
	int64_t limit = silence_limit_ms(l, s);
	if (limit != PGLAG_NO_LIMIT && (s->silence_ms < 0 || s->silence_ms > limit)) {
		format_seconds(s->silence_ms, a, sizeof a);
		format_seconds(limit, b, sizeof b);
		hc_reason(j->reason, "nothing received from the primary for %s (limit %s)",
		    s->silence_ms < 0 ? "an unknown time" : a, b);
		return;
	}
	if (s->paused && !l->allow_paused) {
		hc_reason(j->reason, "%s", "WAL replay is paused");
		return;
	}
	j->lagging = true;
	if (s->lag_ms < 0) {
		hc_reason(j->reason, "%s",
		    "time lag unknown: WAL is waiting and no transaction was replayed yet");
		return;
	}
	if (s->lag_ms > l->max_lag / HC_NS_PER_MS) {
		format_seconds(s->lag_ms, a, sizeof a);
		format_seconds(l->max_lag / HC_NS_PER_MS, b, sizeof b);
		hc_reason(j->reason, "time lag %s over --max-lag %s", a, b);
		return;
	}
	if (l->max_bytes != PGLAG_NO_LIMIT && (s->lag_bytes < 0 || s->lag_bytes > l->max_bytes)) {
		hc_reason(j->reason, "byte lag %" PRId64 " over --max-bytes %" PRId64, s->lag_bytes,
		    l->max_bytes);
		return;
	}
	j->lagging = false;
	j->up = true;
	hc_reason(j->reason, "%s",
	    s->paused ? "replay paused, allowed by --allow-paused" : "streaming replica");
}

void
pglag_describe(const struct pglag_limits *l, const struct sample *s, char *buf, size_t size)
{
	char lag[32] = "unknown", silence[32] = "unknown", limit[40] = "not checked";
	if (!s->in_recovery) {
		snprintf(buf, size, "%s", "role primary");
		return;
	}
	if (s->lag_ms >= 0)
		format_seconds(s->lag_ms, lag, sizeof lag);
	if (s->silence_ms >= 0)
		format_seconds(s->silence_ms, silence, sizeof silence);
	int64_t limit_ms = silence_limit_ms(l, s);
	if (limit_ms != PGLAG_NO_LIMIT) {
		char seconds[32];
		format_seconds(limit_ms, seconds, sizeof seconds);
		snprintf(limit, sizeof limit, "limit %s", seconds);
	}
	char bytes[24] = "unknown";
	if (s->lag_bytes >= 0)
		snprintf(bytes, sizeof bytes, "%" PRId64, s->lag_bytes);
	snprintf(buf, size, "time lag %s, byte lag %s, receiver %s, silence %s (%s)%s", lag, bytes,
	    s->has_receiver ? (s->status[0] != '\0' ? s->status : "hidden") : "none",
	    s->has_receiver ? silence : "none", limit, s->paused ? ", replay paused" : "");
}

void
pglag_format_fields(const struct sample *s, char *buf, size_t size)
{
	size_t n = (size_t)snprintf(buf, size, "role=%s", s->in_recovery ? "replica" : "primary");
	if (!s->in_recovery)
		return;
	if (s->lag_ms >= 0 && n < size)
		n += (size_t)snprintf(buf + n, size - n, " lag_s=%" PRId64 ".%03" PRId64,
		    s->lag_ms / 1000, s->lag_ms % 1000);
	if (s->lag_bytes >= 0 && n < size)
		n += (size_t)snprintf(buf + n, size - n, " lag_bytes=%" PRId64, s->lag_bytes);
	if (s->has_receiver && s->silence_ms >= 0 && n < size)
		n += (size_t)snprintf(buf + n, size - n, " silence_s=%" PRId64 ".%03" PRId64,
		    s->silence_ms / 1000, s->silence_ms % 1000);
	if (s->has_receiver && s->status[0] != '\0' && n < size)
		snprintf(buf + n, size - n, " receiver=%s", s->status);
}

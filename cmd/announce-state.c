/*
 * hc-announce's state: what the routers should see after each input line,
 * maintenance change, silence or stop, and the commands that bring them
 * there (announce-state.h).
 */
#include "config.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "announce-state.h"
#include "clock.h"
#include "hc.h"
#include "io.h"
#include "parse.h"
#include "stream.h"

static const char *const state_names[ST_COUNT] = {
	"start", "up", "down", "invalid", "stale", "maintenance", "draining", "stopped"
};

static bool
same_view(const struct route_view *a, const struct route_view *b)
{
	if (a->announce != b->announce)
		return false;
	return !a->announce || (a->set == b->set && a->med == b->med && a->graceful == b->graceful);
}

/* What the routers should see now, from health, maintenance and stopping. */
static struct route_view
desired_view(const struct announce_options *o, const struct announce_runtime *r)
{
	const struct route_config *c = &o->route;
	struct route_view v = { .announce = false };
	if (r->stopped)
		return v;
	if (r->draining)
		return r->drain_view;
	if (r->health == ST_UP)
		v = (struct route_view){ true, SET_UP, r->have_dyn_med ? r->dyn_med : c->med[SET_UP],
		    false };
	else if (r->health == ST_DOWN && o->announce_down && r->seen_up)
		v = (struct route_view){ true, SET_DOWN, c->med[SET_DOWN], false };
	if (r->maint && v.announce) {
		v.announce = o->announce_maint;
		v.set = SET_MAINT;
		v.med = c->med[SET_MAINT];
	}
	return v;
}

static enum announce_state
current_state(const struct announce_runtime *r)
{
	if (r->stopped)
		return ST_STOPPED;
	if (r->draining)
		return ST_DRAIN;
	return r->maint ? ST_MAINT : r->health;
}

/* "withdraw" or "announce med 100" (and the drain community), for logs. */
static void
describe_view(const struct route_view *v, char *buf, size_t size)
{
	if (!v->announce)
		snprintf(buf, size, "withdraw");
	else
		snprintf(buf, size, "announce med %lu%s", (unsigned long)v->med,
		    v->graceful ? " with GRACEFUL_SHUTDOWN 65535:0" : "");
}

/* Appends one metric with its HELP and TYPE lines to buf at *n. */
__attribute__((format(printf, 7, 8)))
static void
add_metric(char *buf, size_t size, size_t *n, const char *name, const char *type,
    const char *help, const char *fmt, ...)
{
	if (*n < size)
		*n += (size_t)snprintf(buf + *n, size - *n, "# HELP %s %s\n# TYPE %s %s\n", name,
		    help, name, type);
	if (*n >= size)
		return;
	va_list ap;
	va_start(ap, fmt);
	*n += (size_t)vsnprintf(buf + *n, size - *n, fmt, ap);
	va_end(ap);
}

/*
 * Writes the node_exporter textfile: into FILE.tmp, then rename(2), so the
 * collector never reads half a file.  Warns once if that fails.
 */
static void
write_metrics(const struct announce_options *o, struct announce_runtime *r)
{
	if (o->metrics == NULL)
		return;
	char buf[4096];
	size_t n = 0;
	const char *sv = o->name;
	enum announce_state now = current_state(r);
	add_metric(buf, sizeof buf, &n, "hc_announce_state", "gauge",
	    "1 for the state hc-announce is in.", "%s", "");
	for (int s = 0; s < ST_COUNT && n < sizeof buf; s++)
		n += (size_t)snprintf(buf + n, sizeof buf - n,
		    "hc_announce_state{service=\"%s\",state=\"%s\"} %d\n", sv, state_names[s],
		    s == (int)now);
	add_metric(buf, sizeof buf, &n, "hc_announce_up", "gauge",
	    "1 if the last status line was up.", "hc_announce_up{service=\"%s\"} %d\n", sv,
	    r->health == ST_UP);
	add_metric(buf, sizeof buf, &n, "hc_announce_announced", "gauge", "Prefixes announced.",
	    "hc_announce_announced{service=\"%s\"} %zu\n", sv,
	    r->applied.announce ? o->route.nprefixes : 0);
	if (r->applied.announce)
		add_metric(buf, sizeof buf, &n, "hc_announce_med", "gauge",
		    "MED of the first prefix, while announced.",
		    "hc_announce_med{service=\"%s\"} %lu\n", sv, (unsigned long)r->applied.med);
	add_metric(buf, sizeof buf, &n, "hc_announce_transitions_total", "counter",
	    "State changes since start.", "hc_announce_transitions_total{service=\"%s\"} %llu\n",
	    sv, r->transitions);
	add_metric(buf, sizeof buf, &n, "hc_announce_last_change_timestamp_seconds", "gauge",
	    "When the state last changed.",
	    "hc_announce_last_change_timestamp_seconds{service=\"%s\"} %lld.%03lld\n", sv,
	    (long long)(r->last_change_wall / HC_NS_PER_S),
	    (long long)(r->last_change_wall % HC_NS_PER_S / HC_NS_PER_MS));
	if (r->have_latency)
		add_metric(buf, sizeof buf, &n, "hc_announce_check_duration_seconds", "gauge",
		    "How long the last check ran (ms= field).",
		    "hc_announce_check_duration_seconds{service=\"%s\"} %lld.%06lld\n", sv,
		    r->latency_us / 1000000, r->latency_us % 1000000);
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.tmp", o->metrics);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	bool ok = fd != -1 && n < sizeof buf && hc_write_all(fd, buf, n) == 0;
	if (fd != -1 && close(fd) == -1)
		ok = false;
	if (ok && rename(tmp, o->metrics) == -1)
		ok = false;
	if (!ok && !r->metrics_failed)
		hc_warn("cannot write metrics to %s (routes are not affected)", o->metrics);
	if (!ok && fd != -1)
		unlink(tmp);
	r->metrics_failed = !ok;
}

/*
 * Brings the routers in line with the desired view: writes a command for
 * each prefix whose command changed, then logs the transition or change
 * with its reason.  Sets out_broken if the sink fails.
 */
static void
apply(const struct announce_options *o, struct announce_runtime *r, const char *reason)
{
	const struct route_config *c = &o->route;
	struct route_view v = desired_view(o, r);
	bool changed = false;
	for (size_t i = 0; i < c->nprefixes && !r->out_broken; i++) {
		char cmd[COMMAND_MAX];
		if (!route_command(c, i, &v, cmd, sizeof cmd)) {
			/* check_config proved every command fits; if not, withdraw, never die. */
			struct route_view withdraw = { .announce = false };
			(void)route_command(c, i, &withdraw, cmd, sizeof cmd);
		}
		if (strcmp(r->sent[i], cmd) == 0)
			continue;
		if (r->sink.write(r->sink.ctx, cmd) == -1) {
			hc_warn("cannot write to ExaBGP (standard output)");
			r->out_broken = true;
			break;
		}
		memcpy(r->sent[i], cmd, sizeof cmd);
		changed = true;
	}
	struct route_view before = r->applied;
	r->applied = v;
	enum announce_state now = current_state(r);
	char what[96];
	describe_view(&v, what, sizeof what);
	bool transition = now != r->shown;
	if (transition) {
		if (!changed)
			snprintf(what, sizeof what, "%s", v.announce ? "no route change"
			    : "stay withdrawn");
		hc_logx("%s: %s -> %s: %s (%s)", o->name, state_names[r->shown], state_names[now],
		    what, reason);
		r->shown = now;
		r->transitions++;
		r->last_change_wall = hc_wall_now();
	} else if (changed && !same_view(&before, &v)) {
		if (before.announce && v.announce && before.set == v.set)
			snprintf(what, sizeof what, "med %lu -> %lu", (unsigned long)before.med,
			    (unsigned long)v.med);
		hc_logx("%s: %s: %s (%s)", o->name, state_names[now], what, reason);
	}
	if (changed || transition || r->have_latency)
		write_metrics(o, r);
}

/*
 * Reads a MED from a field value: a decimal number with any fraction, rounded
 * half up, clamped to [med_min, med_max].  false if it is not a number.
 */
static bool
metric_med(const struct announce_options *o, const char *value, uint32_t *out)
{
	const char *dot = strchr(value, '.');
	size_t len = dot != NULL ? (size_t)(dot - value) : strlen(value);
	char whole[24];
	long long v;
	if (len == 0 || len >= sizeof whole)
		return false;
	memcpy(whole, value, len);
	whole[len] = '\0';
	if (hc_parse_int(whole, -INT64_C(1000000000000), INT64_C(1000000000000), &v) != NULL)
		return false;
	if (dot != NULL) {
		const char *frac = dot + 1;
		if (frac[0] == '\0' || strspn(frac, "0123456789") != strlen(frac))
			return false;
		if (frac[0] >= '5')
			v += whole[0] == '-' ? -1 : 1;
	}
	if (v < o->med_min)
		v = o->med_min;
	if (v > o->med_max)
		v = o->med_max;
	*out = (uint32_t)v;
	return true;
}

/* Takes the up line's MED field, changing the MED only past the hysteresis. */
static void
update_dynamic_med(const struct announce_options *o, struct announce_runtime *r,
    const struct hc_status *st, bool was_up)
{
	const char *value = hc_status_get(st, o->med_field);
	uint32_t med;
	if (value == NULL || !metric_med(o, value, &med)) {
		if (!r->metric_warned)
			hc_logx("%s: up line without a number in %s=; MED stays %lu", o->name,
			    o->med_field, (unsigned long)(r->have_dyn_med ? r->dyn_med
			    : o->route.med[SET_UP]));
		r->metric_warned = true;
		return;
	}
	r->metric_warned = false;
	uint32_t step = o->med_hysteresis > 0 ? o->med_hysteresis : 1;
	uint32_t diff = med > r->dyn_med ? med - r->dyn_med : r->dyn_med - med;
	if (!r->have_dyn_med || !was_up || diff >= step) {
		r->dyn_med = med;
		r->have_dyn_med = true;
	}
}

/* Whether line is what ExaBGP writes to a process: an ack or its shutdown line. */
static bool
is_exabgp_ack(const char *line)
{
	return strcmp(line, "done") == 0 || strcmp(line, "error") == 0
	    || strncmp(line, "error: ", 7) == 0 || hc_exabgp_shutdown_line(line, strlen(line));
}

void
announce_line(const struct announce_options *o, struct announce_runtime *r, char *line,
    size_t len, const char *why, int64_t now)
{
	char text[128] = "", reason[256];
	struct hc_status st;
	r->last_line = now;
	if (why == NULL) {
		snprintf(text, sizeof text, "%.*s", (int)(len > 120 ? 120 : len), line);
		why = hc_stream_parse(line, len, &st);
	}
	if (why != NULL) {
		if (is_exabgp_ack(text))
			snprintf(reason, sizeof reason, "malformed input: ExaBGP's '%s' on standard "
			    "input; hc-announce must not be the first stage of the run pipeline", text);
		else
			snprintf(reason, sizeof reason, "malformed input: %s", why);
		r->health = ST_INVALID;
		apply(o, r, reason);
		return;
	}
	bool was_up = r->health == ST_UP;
	const char *ms = hc_status_get(&st, "ms");
	long long us;
	if (ms != NULL && hc_parse_fixed(ms, 3, 0, INT64_C(1000000000000), &us) == NULL) {
		r->have_latency = true;
		r->latency_us = us;
	}
	r->health = st.state == HC_STATE_UP ? ST_UP : ST_DOWN;
	r->seen_up = r->seen_up || st.state == HC_STATE_UP;
	if (st.state == HC_STATE_UP && o->med_field != NULL)
		update_dynamic_med(o, r, &st, was_up);
	apply(o, r, text);
}

void
announce_start(const struct announce_options *o, struct announce_runtime *r,
    struct announce_sink sink, int64_t now)
{
	*r = (struct announce_runtime){ .sink = sink, .health = ST_START, .shown = ST_START,
	    .last_line = now, .last_change_wall = hc_wall_now(),
	    .sent = hc_xcalloc(o->route.nprefixes, COMMAND_MAX) };
	hc_logx("%s: start: withdraw %zu prefix%s until an up line", o->name, o->route.nprefixes,
	    o->route.nprefixes == 1 ? "" : "es");
	apply(o, r, "start");
	write_metrics(o, r);
}

void
announce_free(struct announce_runtime *r)
{
	free(r->sent);
	r->sent = NULL;
}

void
announce_set_maintenance(const struct announce_options *o, struct announce_runtime *r,
    bool in, const char *reason)
{
	if (in == r->maint)
		return;
	r->maint = in;
	apply(o, r, reason);
}

int64_t
announce_stale_at(const struct announce_options *o, const struct announce_runtime *r)
{
	if (o->stale <= 0 || r->health == ST_STALE)
		return HC_NEVER;
	return r->last_line + o->stale;
}

void
announce_check_stale(const struct announce_options *o, struct announce_runtime *r,
    int64_t now)
{
	if (now < announce_stale_at(o, r))
		return;
	char reason[80], took[32];
	hc_format_ms(o->stale, took, sizeof took);
	snprintf(reason, sizeof reason, "no status line for %s", took);
	r->health = ST_STALE;
	apply(o, r, reason);
}

bool
announce_drain(const struct announce_options *o, struct announce_runtime *r,
    const char *reason)
{
	if (o->drain <= 0 || !r->applied.announce || r->out_broken)
		return false;
	char why[200], wait[32];
	hc_format_ms(o->drain, wait, sizeof wait);
	snprintf(why, sizeof why, "%s; draining for %s", reason, wait);
	r->drain_view = r->applied;
	r->drain_view.graceful = true;
	r->drain_view.med = o->route.drain_med;
	r->draining = true;
	apply(o, r, why);
	return true;
}

void
announce_stop(const struct announce_options *o, struct announce_runtime *r,
    const char *reason)
{
	r->draining = false;
	r->stopped = true;
	apply(o, r, reason);
}

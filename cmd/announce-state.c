/*
 * hc-announce's state: what the routers should see after each input line,
 * maintenance change, silence or stop, and the commands that bring them
 * there (announce-state.h).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "announce-state.h"
#include "clock.h"
#include "hc.h"
#include "io.h"
#include "parse.h"
#include "stream.h"

static const char *const state_names[ST_COUNT] = {
	"start", "up", "down", "invalid", "stale", "maintenance", "draining", "stopped"
};

const char *
announce_state_name(enum announce_state s)
{
	return state_names[s];
}

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

/*
 * Brings the routers in line with the desired view: writes a command for
 * each prefix whose command changed, then logs the transition or change
 * with its reason.  Sets out_broken if the sink fails; a stop signal
 * (EINTR) ends the round and leaves the rest to the stop.
 */
static void
apply(const struct announce_options *o, struct announce_runtime *r, const char *reason)
{
	const struct route_config *c = &o->route;
	struct route_view v = desired_view(o, r);
	bool changed = false;
	for (size_t i = 0; i < c->nprefixes && !r->out_broken; i++) {
		char cmd[COMMAND_MAX];
		bool announce = v.announce;
		if (!route_command(c, i, &v, cmd, sizeof cmd)) {
			/* check_config proved every command fits; if not, withdraw, never die. */
			struct route_view withdraw = { .announce = false };
			(void)route_command(c, i, &withdraw, cmd, sizeof cmd);
			announce = false;
		}
		if (strcmp(r->sent[i], cmd) == 0)
			continue;
		if (r->sink.write(r->sink.ctx, cmd) == -1) {
			if (errno == EINTR)
				break;
			if (errno != ECANCELED)
				hc_warn("cannot write to ExaBGP (standard output)");
			r->out_broken = true;
			break;
		}
		memcpy(r->sent[i], cmd, sizeof cmd);
		stats_command(&r->stats, announce);
		changed = true;
	}
	struct route_view before = r->applied;
	r->applied = v;
	if (changed) {
		bool by_checks = r->health != ST_UP && !r->maint && !r->draining && !r->stopped
		    && (r->health == ST_STALE || r->health == ST_INVALID
		    || r->stats.trouble_since != 0);
		stats_routes(&r->stats, &before, &v, by_checks, r->health == ST_STALE);
	}
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
	announce_metrics_write(o, r, state_names[now]);
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
	return hc_exabgp_line_kind(line, strlen(line)) != HC_EXABGP_OTHER;
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
	stats_line(&r->stats, why == NULL ? &st : NULL);
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
	stats_init(&r->stats, r->last_change_wall);
	hc_logx("%s: start: withdraw %zu prefix%s until an up line", o->name, o->route.nprefixes,
	    o->route.nprefixes == 1 ? "" : "es");
	apply(o, r, "start");
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

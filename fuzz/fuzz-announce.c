/*
 * hc-announce's input handling (cmd/announce-state.h), checked against a
 * reference model of what hc-announce(1) promises:
 *  - every command is one line of printable ASCII, shorter than COMMAND_MAX,
 *    in the grammar hc-announce writes ("[neighbor A |peer A ]announce route
 *    P next-hop H [origin O] med N [local-preference N] [as-path [ .. ]]
 *    [community [ .. ]] [large-community [ .. ]] [extended-community [ .. ]]
 *    [path-information N]", or "withdraw route P next-hop H
 *    [path-information N]"), for a configured prefix, with its next hop;
 *  - the first command of each prefix is the startup withdraw, and a command
 *    is written only when it changes what the routers see (never the same
 *    command twice in a row for a prefix, so never a double withdraw);
 *  - after every step the routers see what the man page says: announced
 *    after an up line (with the up MED and attributes), withdrawn after a
 *    down line unless --announce-down has seen an up line (then the down
 *    MED), withdrawn after an invalid line (an ack, CRLF, too long,
 *    unterminated ...) and once --stale passed without a line; maintenance
 *    withdraws, or with --announce-maint re-announces what was announced
 *    with the maintenance MED, and never announces what the stream would
 *    withdraw; --med-from takes MEDs within --med-min..--med-max that move
 *    by at least --med-hysteresis while up (the first value, and the first
 *    after a down, as they are);
 *  - at the end of input, --drain re-announces what was announced with
 *    GRACEFUL_SHUTDOWN (65535:0) and the drain MED, and then every prefix is
 *    withdrawn.
 *
 * Input: byte 0 picks one of the configurations below.  Then records, each a
 * control byte and a line up to '\n' (the last one may lack it, and is then
 * an unterminated last line; lines over HC_STREAM_LINE_MAX are too long).
 * Control byte: bits 0-3 advance the clock (steps[] below), bit 4 toggles
 * the maintenance file (configurations with one), bit 5 lets the time pass
 * without a line (the record's line is skipped).
 */
/* scripts/fuzz: cmd/announce-route.c cmd/announce-state.c cmd/announce-metrics.c */
/* scripts/fuzz-flags: -close_fd_mask=2 */
#include "config.h"

#include <stdbool.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "announce-state.h"
#include "clock.h"
#include "stream.h"

#define NPREFIXES_MAX 3

/* One realistic command line of hc-announce, as data. */
struct config {
	const char *prefixes[NPREFIXES_MAX];
	const char *nh4, *nh6, *neighbor;
	bool peer_syntax;
	const char *med, *med_down, *med_maint, *drain_med;  /* NULL: the default */
	uint32_t med_step;
	const char *origin;
	bool have_local_pref, have_path_id;
	const char *communities[2], *up_community, *down_community, *maint_community;
	const char *large, *extended, *as_path, *down_as_path;
	bool announce_down, announce_maint, maintenance;
	const char *med_field;
	uint32_t med_min, med_max, med_hysteresis;
	int64_t stale, drain;
};

#define MS HC_NS_PER_MS
#define S HC_NS_PER_S

static const struct config configs[] = {
	/* hc-announce 203.0.113.10/32 */
	{ .prefixes = { "203.0.113.10/32" } },
	/* several prefixes, both families, --med-step */
	{ .prefixes = { "203.0.113.10/32", "198.51.100.0/24", "2001:db8::/64" },
	  .nh4 = "192.0.2.1", .nh6 = "2001:db8::1", .med = "50", .med_step = 10 },
	/* every attribute, one neighbor */
	{ .prefixes = { "203.0.113.10/32" }, .neighbor = "192.0.2.254", .origin = "igp",
	  .have_local_pref = true, .have_path_id = true,
	  .communities = { "65000:1", "no-export" }, .up_community = "65000:100",
	  .large = "65000:1:2", .extended = "target:65000:1", .as_path = "65001" },
	/* active-passive: --announce-down with its own community and AS path */
	{ .prefixes = { "203.0.113.10/32", "203.0.113.11/32" }, .announce_down = true,
	  .med_down = "1000", .down_community = "65000:666", .as_path = "65001",
	  .down_as_path = "65001" },
	/* MED from the load field */
	{ .prefixes = { "203.0.113.10/32" }, .med_field = "load", .med_min = 10,
	  .med_max = 5000, .med_hysteresis = 20 },
	/* maintenance file that keeps the routes with the maintenance MED */
	{ .prefixes = { "203.0.113.10/32" }, .maintenance = true, .announce_maint = true,
	  .maint_community = "65000:500", .med_maint = "500" },
	/* --stale */
	{ .prefixes = { "203.0.113.10/32" }, .stale = 3 * S },
	/* --drain, ExaBGP 6 syntax */
	{ .prefixes = { "203.0.113.10/32", "2001:db8:1::/48" }, .nh6 = "2001:db8::1",
	  .peer_syntax = true, .drain = 10 * S, .drain_med = "4000000000" },
	/* all the states together */
	{ .prefixes = { "203.0.113.10/32", "203.0.113.12/31" }, .announce_down = true,
	  .maintenance = true, .announce_maint = true, .stale = 1500 * MS, .drain = 5 * S,
	  .med_field = "load", .med_hysteresis = 1, .med_max = MED_MAX,
	  .communities = { "65000:1" } },
	/* maintenance that withdraws, --announce-down, short --stale */
	{ .prefixes = { "203.0.113.10/32" }, .announce_down = true, .maintenance = true,
	  .stale = 1 * S, .med = "0", .med_down = "4294967295" },
};

#define NCONFIGS (sizeof configs / sizeof configs[0])

/* Clock steps a control byte picks (bits 0-3). */
static const int64_t steps[16] = {
	0, 1 * MS, 10 * MS, 100 * MS, 500 * MS, 900 * MS, 1 * S, 1400 * MS, 1500 * MS,
	2 * S, 2999 * MS, 3 * S, 5 * S, 10 * S, 60 * S, 3600 * S,
};

/* A MED option's value, or its default when not given. */
static uint32_t
med_option(const char *arg, uint32_t fallback)
{
	long long v;
	if (arg == NULL)
		return fallback;
	FUZZ_CHECK(hc_parse_int(arg, 0, MED_MAX, &v) == NULL);
	return (uint32_t)v;
}

/* Fills o from config k, as parse_option would (values are valid). */
static void
build_options(const struct config *k, struct announce_options *o)
{
	struct route_config *c = &o->route;
	*o = (struct announce_options){
		.route = { .med = { med_option(k->med, 100), med_option(k->med_down, 1000),
		    med_option(k->med_maint, 500) }, .med_step = k->med_step,
		    .drain_med = med_option(k->drain_med, MED_MAX),
		    .peer_syntax = k->peer_syntax, .origin = k->origin },
		.announce_down = k->announce_down, .announce_maint = k->announce_maint,
		.med_field = k->med_field, .med_min = k->med_min,
		.med_max = k->med_max ? k->med_max : MED_MAX,
		.med_hysteresis = k->med_hysteresis, .stale = k->stale, .drain = k->drain,
		.maintenance = k->maintenance ? "/nonexistent/fuzz.maint" : NULL,
		.name = "fuzz",
	};
	for (size_t i = 0; i < NPREFIXES_MAX && k->prefixes[i] != NULL; i++)
		FUZZ_CHECK(hc_parse_prefix(k->prefixes[i], &c->prefixes[c->nprefixes++]) == NULL);
	if (k->nh4 != NULL) {
		FUZZ_CHECK(hc_parse_addr(k->nh4, &c->nh4) == NULL);
		c->have_nh4 = true;
	}
	if (k->nh6 != NULL) {
		FUZZ_CHECK(hc_parse_addr(k->nh6, &c->nh6) == NULL);
		c->have_nh6 = true;
	}
	if (k->neighbor != NULL)
		snprintf(c->neighbor, sizeof c->neighbor, "%s", k->neighbor);
	c->have_local_pref = k->have_local_pref;
	c->local_pref = 200;
	c->have_path_id = k->have_path_id;
	c->path_id = 7;
	for (size_t i = 0; i < 2; i++) {
		if (k->communities[i] != NULL)
			words_add(&c->communities, k->communities[i]);
	}
	const char *state_communities[SET_COUNT] = {
		k->up_community, k->down_community, k->maint_community,
	};
	for (int s = 0; s < SET_COUNT; s++) {
		if (state_communities[s] != NULL)
			words_add(&c->state_communities[s], state_communities[s]);
	}
	if (k->large != NULL)
		words_add(&c->large_communities, k->large);
	if (k->extended != NULL)
		words_add(&c->extended_communities, k->extended);
	if (k->as_path != NULL)
		words_add(&c->as_path, k->as_path);
	if (k->down_as_path != NULL) {
		words_add(&c->state_as_path[SET_DOWN], k->down_as_path);
		words_add(&c->state_as_path[SET_DOWN], k->down_as_path);
	}
}

/* What the routers see of one prefix, from the commands written so far. */
struct seen {
	bool written;              /* the startup withdraw came */
	bool announce;
	uint64_t med;
	char lists[COMMAND_MAX];   /* the attributes after the MED, as written */
	char last[COMMAND_MAX];
};

/* The reference model: the man page's rules, kept apart from the code. */
struct model {
	enum { M_START, M_UP, M_DOWN, M_INVALID, M_STALE } health;
	bool seen_up, maint, draining, stopped;
	int64_t last_line;
	bool was_up_announced;     /* the last step ended announced in the up set */
	uint64_t up_med;           /* prefix 0's MED then */
	struct route_view drain_view;
};

struct harness {
	const struct announce_options *o;
	struct seen seen[NPREFIXES_MAX];
	size_t written;            /* commands in this step */
};

/* Consumes word from *p if it is there. */
static bool
eat(const char **p, const char *word)
{
	size_t len = strlen(word);
	if (strncmp(*p, word, len) != 0)
		return false;
	*p += len;
	return true;
}

/* Consumes a number without leading zeros, at most MED_MAX, into *out. */
static bool
eat_number(const char **p, uint64_t *out)
{
	size_t len = strspn(*p, "0123456789");
	if (len == 0 || len > 10 || (len > 1 && **p == '0'))
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < len; i++)
		v = v * 10 + (uint64_t)((*p)[i] - '0');
	*p += len;
	*out = v;
	return v <= MED_MAX;
}

/* Consumes " NAME [ w1 w2 ]" (words of printable ASCII) if NAME is next. */
static bool
eat_list(const char **p, const char *name, bool *present)
{
	char head[64];
	snprintf(head, sizeof head, " %s [", name);
	*present = eat(p, head);
	if (!*present)
		return true;
	size_t words = 0;
	while (eat(p, " ")) {
		if (eat(p, "]"))
			return words > 0;
		size_t len = strcspn(*p, " []");
		if (len == 0)
			return false;
		*p += len;
		words++;
	}
	return false;
}

/*
 * The sink: checks that line is one command of the grammar above, for a
 * configured prefix and its next hop, then records what the routers see.
 */
static int
record_command(void *ctx, const char *line)
{
	struct harness *h = ctx;
	const struct route_config *c = &h->o->route;
	size_t len = strlen(line);
	FUZZ_CHECK(len > 0 && len < COMMAND_MAX);
	for (size_t i = 0; i < len; i++)
		FUZZ_CHECK(line[i] >= 0x20 && line[i] < 0x7f);
	FUZZ_CHECK(strstr(line, "  ") == NULL && line[0] != ' ' && line[len - 1] != ' ');
	FUZZ_CHECK(++h->written <= c->nprefixes);

	const char *p = line;
	char head[HC_PREFIX_STRLEN + 16];
	if (c->peer_syntax)
		snprintf(head, sizeof head, "peer %s ", c->neighbor[0] ? c->neighbor : "*");
	else if (c->neighbor[0] != '\0')
		snprintf(head, sizeof head, "neighbor %s ", c->neighbor);
	else
		head[0] = '\0';
	FUZZ_CHECK(eat(&p, head));
	bool announce = eat(&p, "announce route ");
	FUZZ_CHECK(announce || eat(&p, "withdraw route "));
	size_t i, plen = strcspn(p, " ");
	char text[HC_PREFIX_STRLEN];
	for (i = 0; i < c->nprefixes; i++) {
		hc_format_prefix(&c->prefixes[i], text, sizeof text);
		if (strlen(text) == plen && strncmp(p, text, plen) == 0)
			break;
	}
	FUZZ_CHECK(i < c->nprefixes);
	p += plen;
	char nh[HC_PREFIX_STRLEN + 16] = " next-hop self";
	if (c->prefixes[i].family == AF_INET6 || c->have_nh4) {
		hc_format_addr(c->prefixes[i].family == AF_INET6 ? &c->nh6 : &c->nh4, text,
		    sizeof text);
		snprintf(nh, sizeof nh, " next-hop %s", text);
	}
	FUZZ_CHECK(eat(&p, nh));

	struct seen *s = &h->seen[i];
	FUZZ_CHECK(s->written || !announce);   /* the startup withdraw comes first */
	FUZZ_CHECK(strcmp(s->last, line) != 0); /* only changes are written */
	snprintf(s->last, sizeof s->last, "%s", line);
	s->written = true;
	s->announce = announce;
	s->lists[0] = '\0';
	if (announce) {
		if (c->origin != NULL) {
			FUZZ_CHECK(eat(&p, " origin "));
			FUZZ_CHECK(eat(&p, c->origin));
		}
		FUZZ_CHECK(eat(&p, " med "));
		FUZZ_CHECK(eat_number(&p, &s->med));
		uint64_t lp;
		if (c->have_local_pref)
			FUZZ_CHECK(eat(&p, " local-preference ") && eat_number(&p, &lp) &&
			    lp == c->local_pref);
		const char *lists = p;
		bool present;
		static const char *const names[] = {
			"as-path", "community", "large-community", "extended-community",
		};
		for (size_t n = 0; n < sizeof names / sizeof names[0]; n++)
			FUZZ_CHECK(eat_list(&p, names[n], &present));
		snprintf(s->lists, sizeof s->lists, "%.*s", (int)(p - lists), lists);
	}
	uint64_t id;
	if (c->have_path_id)
		FUZZ_CHECK(eat(&p, " path-information ") && eat_number(&p, &id) && id == c->path_id);
	FUZZ_CHECK(*p == '\0');
	return 0;
}

/* Appends " NAME [ a b extra ]" for the words of a and b, as the man page lists them. */
static void
expect_list(char *buf, size_t size, const char *name, const struct words *a,
    const struct words *b, const char *extra)
{
	size_t n = strlen(buf);
	if (a->n + (b ? b->n : 0) + (extra ? 1 : 0) == 0)
		return;
	n += (size_t)snprintf(buf + n, size - n, " %s [", name);
	for (size_t i = 0; i < a->n; i++)
		n += (size_t)snprintf(buf + n, size - n, " %s", a->v[i]);
	for (size_t i = 0; b != NULL && i < b->n; i++)
		n += (size_t)snprintf(buf + n, size - n, " %s", b->v[i]);
	if (extra != NULL)
		n += (size_t)snprintf(buf + n, size - n, " %s", extra);
	snprintf(buf + n, size - n, " ]");
}

/* What the man page says the routers should see now. */
static struct route_view
model_view(const struct announce_options *o, const struct model *m)
{
	const struct route_config *c = &o->route;
	struct route_view v = { .announce = false };
	if (m->stopped)
		return v;
	if (m->draining)
		return m->drain_view;
	if (m->health == M_UP)
		v = (struct route_view){ true, SET_UP, c->med[SET_UP], false };
	else if (m->health == M_DOWN && o->announce_down && m->seen_up)
		v = (struct route_view){ true, SET_DOWN, c->med[SET_DOWN], false };
	if (m->maint && v.announce)
		v = (struct route_view){ o->announce_maint, SET_MAINT, c->med[SET_MAINT], false };
	return v;
}

/* Checks that the routers see, for every prefix, what the model says. */
static void
check_routers(const struct announce_options *o, struct model *m, struct harness *h)
{
	const struct route_config *c = &o->route;
	struct route_view v = model_view(o, m);
	bool dynamic = v.announce && !v.graceful && v.set == SET_UP && o->med_field != NULL;
	for (size_t i = 0; i < c->nprefixes; i++) {
		struct seen *s = &h->seen[i];
		FUZZ_CHECK(s->written);
		FUZZ_CHECK(s->announce == v.announce);
		if (!v.announce)
			continue;
		uint64_t med = v.graceful ? v.med : v.med + (uint64_t)c->med_step * i;
		if (med > MED_MAX)
			med = MED_MAX;
		if (!dynamic) {
			FUZZ_CHECK(s->med == med);
		} else {
			/* Within the bounds, or the --med MED until a valid value came. */
			FUZZ_CHECK((s->med >= o->med_min && s->med <= o->med_max) ||
			    s->med == c->med[SET_UP]);
			uint64_t step = o->med_hysteresis > 0 ? o->med_hysteresis : 1;
			uint64_t diff = s->med > m->up_med ? s->med - m->up_med : m->up_med - s->med;
			/* The first value replaces --med as it is; later ones pass the hysteresis. */
			if (i == 0 && m->was_up_announced && m->up_med != c->med[SET_UP])
				FUZZ_CHECK(diff == 0 || diff >= step);
		}
		char want[COMMAND_MAX] = "";
		const struct words *path = c->state_as_path[v.set].n > 0 ? &c->state_as_path[v.set]
		    : &c->as_path;
		expect_list(want, sizeof want, "as-path", path, NULL, NULL);
		expect_list(want, sizeof want, "community", &c->communities,
		    &c->state_communities[v.set], v.graceful ? "65535:0" : NULL);
		expect_list(want, sizeof want, "large-community", &c->large_communities, NULL, NULL);
		expect_list(want, sizeof want, "extended-community", &c->extended_communities,
		    NULL, NULL);
		FUZZ_CHECK(strcmp(s->lists, want) == 0);
	}
	m->was_up_announced = dynamic;
	if (m->was_up_announced)
		m->up_med = h->seen[0].med;
	h->written = 0;
}

/* What a line does to the model's health: up, down or invalid. */
static void
model_line(struct model *m, const char *line, size_t len, const char *why, int64_t now)
{
	m->last_line = now;
	char copy[HC_STREAM_LINE_MAX + 1];
	struct hc_status st;
	if (why != NULL || len > HC_STREAM_LINE_MAX) {
		m->health = M_INVALID;
		return;
	}
	memcpy(copy, line, len);
	copy[len] = '\0';
	if (hc_stream_parse(copy, len, &st) != NULL) {
		m->health = M_INVALID;
		return;
	}
	m->health = st.state == HC_STATE_UP ? M_UP : M_DOWN;
	m->seen_up = m->seen_up || st.state == HC_STATE_UP;
}

/* The model's --stale: withdraws after a silence. */
static void
model_stale(const struct announce_options *o, struct model *m, int64_t now)
{
	if (o->stale > 0 && m->health != M_STALE && now >= m->last_line + o->stale)
		m->health = M_STALE;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct announce_options o;
	const struct config *k = &configs[fuzz_take(&data, &size, 1) % NCONFIGS];
	build_options(k, &o);
	struct harness h = { .o = &o };
	struct model m = { .health = M_START };
	struct announce_runtime r;
	int64_t now = 1000 * S;
	m.last_line = now;
	announce_start(&o, &r, (struct announce_sink){ .write = record_command, .ctx = &h }, now);
	check_routers(&o, &m, &h);

	char line[HC_STREAM_LINE_MAX + 2];
	while (size > 0) {
		unsigned control = (unsigned)fuzz_take(&data, &size, 1);
		const uint8_t *nl = memchr(data, '\n', size);
		size_t len = nl != NULL ? (size_t)(nl - data) : size;
		const char *why = nl == NULL ? "unterminated last line" : NULL;
		if (len > HC_STREAM_LINE_MAX)
			why = "line too long";
		size_t keep = len > HC_STREAM_LINE_MAX ? HC_STREAM_LINE_MAX : len;
		memcpy(line, data, keep);
		line[keep] = '\0';
		data += len + (nl != NULL);
		size -= len + (nl != NULL);

		now += steps[control & 0xf];
		/* The program's loop: a wakeup at the --stale deadline, then the line. */
		model_stale(&o, &m, now);
		announce_check_stale(&o, &r, now);
		check_routers(&o, &m, &h);
		if ((control & 0x10) && o.maintenance != NULL) {
			m.maint = !m.maint;
			announce_set_maintenance(&o, &r, m.maint, "fuzz");
			check_routers(&o, &m, &h);
		}
		if ((control & 0x20) || (nl == NULL && len == 0))
			continue;
		model_line(&m, line, keep, why, now);
		announce_line(&o, &r, line, keep, why, now);
		check_routers(&o, &m, &h);
		model_stale(&o, &m, now);
		announce_check_stale(&o, &r, now);
		check_routers(&o, &m, &h);
	}

	/* End of input: the drain if anything is announced, then the withdraws. */
	struct route_view before = model_view(&o, &m);
	bool drains = o.drain > 0 && before.announce;
	FUZZ_CHECK(announce_drain(&o, &r, "end of input") == drains);
	if (drains) {
		m.drain_view = before;
		m.drain_view.graceful = true;
		m.drain_view.med = o.route.drain_med;
		m.draining = true;
		check_routers(&o, &m, &h);
	}
	m.draining = false;
	m.stopped = true;
	announce_stop(&o, &r, "drain time over");
	check_routers(&o, &m, &h);
	for (size_t i = 0; i < o.route.nprefixes; i++)
		FUZZ_CHECK(!h.seen[i].announce);

	announce_free(&r);
	route_config_free(&o.route);
	return 0;
}

/*
 * hc-announce: turn the status stream into ExaBGP text-API commands.
 *
 * Reads hc-stream(7) lines on stdin and writes "announce route ..." and
 * "withdraw route ..." on stdout, one command per change of what the routers
 * would see.  Conservative by construction: every prefix is withdrawn at start
 * and announced only after an "up" line; malformed input, silence (--stale),
 * end of input and signals all withdraw; an early exit waits out a minimum
 * lifetime so ExaBGP 4.2 cannot respawn it into "Too many death".
 */
#include "config.h"

#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "announce-state.h"
#include "clock.h"
#include "hc.h"
#include "io.h"
#include "opt.h"
#include "parse.h"
#include "sig.h"
#include "stream.h"

#define MAINT_CHECK_NS (500 * HC_NS_PER_MS)  /* --maintenance is stat()ed this often */
#define STOP_WRITE_NS  (5 * HC_NS_PER_S)     /* after a signal, the most a stop's step waits */

enum {
	OPT_ANNOUNCE_DOWN = 256, OPT_ANNOUNCE_MAINT, OPT_MED, OPT_AS_PATH, OPT_UP_AS_PATH,
	OPT_DOWN_AS_PATH, OPT_MAINT_AS_PATH, OPT_COMMUNITY, OPT_UP_COMMUNITY,
	OPT_DOWN_COMMUNITY, OPT_MAINT_COMMUNITY, OPT_DRAIN, OPT_DRAIN_MED, OPT_EXTENDED,
	OPT_LARGE, OPT_LOCAL_PREF, OPT_MED_DOWN, OPT_MED_MAINT, OPT_MED_STEP, OPT_MED_FROM,
	OPT_MED_MIN, OPT_MED_MAX, OPT_MED_HYSTERESIS, OPT_METRICS, OPT_MIN_LIFETIME,
	OPT_NEIGHBOR, OPT_ORIGIN, OPT_PATH_ID, OPT_PEER_SYNTAX, OPT_STALE, OPT_API,
};

static const struct argp_option option_table[] = {
	{ NULL, 0, NULL, 0, "Routes:", 1 },
	{ "next-hop", 'n', "ADDRESS", 0,
	  "Next hop (default self for IPv4; IPv6 prefixes need an IPv6 one); once per family", 1 },
	{ "neighbor", OPT_NEIGHBOR, "ADDRESS", 0, "Send to this neighbor only", 1 },
	{ "api", OPT_API, "VERSION", 0,
	  "ExaBGP API 4 ('announce route ...'; 4.2, 5.0) or 6 ('peer * announce route ...'; "
	  "main's default); default: exabgp_api_version from the environment, else 4", 1 },
	{ "peer-syntax", OPT_PEER_SYNTAX, NULL, 0, "Same as --api 6", 1 },
	{ NULL, 0, NULL, 0, "Attributes:", 2 },
	{ "med", OPT_MED, "N", 0, "MED while up (default 100)", 2 },
	{ "med-down", OPT_MED_DOWN, "N", 0, "MED while down, with --announce-down (default 1000)", 2 },
	{ "med-maint", OPT_MED_MAINT, "N", 0,
	  "MED in maintenance, with --announce-maint (default 500)", 2 },
	{ "med-step", OPT_MED_STEP, "N", 0, "Added to the MED for each extra prefix (default 0)", 2 },
	{ "local-preference", OPT_LOCAL_PREF, "N", 0, "LOCAL_PREF (iBGP)", 2 },
	{ "origin", OPT_ORIGIN, "ORIGIN", 0, "igp, egp or incomplete", 2 },
	{ "community", OPT_COMMUNITY, "C", 0,
	  "ASN:VALUE or no-export, no-advertise, no-export-subconfed, nopeer, blackhole; repeatable", 2 },
	{ "up-community", OPT_UP_COMMUNITY, "C", 0, "Added while up", 2 },
	{ "down-community", OPT_DOWN_COMMUNITY, "C", 0, "Added while down (--announce-down)", 2 },
	{ "maint-community", OPT_MAINT_COMMUNITY, "C", 0, "Added in maintenance (--announce-maint)", 2 },
	{ "large-community", OPT_LARGE, "G:D1:D2", 0, "Large community; repeatable", 2 },
	{ "extended-community", OPT_EXTENDED, "EC", 0,
	  "target:ADMIN:VALUE or origin:ADMIN:VALUE; repeatable", 2 },
	{ "as-path", OPT_AS_PATH, "ASN", 0, "AS path to send, one ASN per option, in order", 2 },
	{ "up-as-path", OPT_UP_AS_PATH, "ASN", 0, "AS path while up (replaces --as-path)", 2 },
	{ "down-as-path", OPT_DOWN_AS_PATH, "ASN", 0, "AS path while down", 2 },
	{ "maint-as-path", OPT_MAINT_AS_PATH, "ASN", 0, "AS path in maintenance", 2 },
	{ "path-id", OPT_PATH_ID, "N", 0, "ADD-PATH path identifier (path-information)", 2 },
	{ NULL, 0, NULL, 0, "States:", 3 },
	{ "announce-down", OPT_ANNOUNCE_DOWN, NULL, 0,
	  "While down, stay announced with the down MED (active-passive)", 3 },
	{ "announce-maint", OPT_ANNOUNCE_MAINT, NULL, 0,
	  "In maintenance, stay announced with the maintenance MED", 3 },
	{ "maintenance", 'm', "FILE", 0, "Maintenance while FILE exists (checked twice a second)", 3 },
	{ "stale", OPT_STALE, "DURATION", 0, "Withdraw when no line arrives for DURATION", 3 },
	{ "med-from", OPT_MED_FROM, "FIELD", 0, "Take the up MED from this stream field", 3 },
	{ "med-min", OPT_MED_MIN, "N", 0, "Lowest MED taken from the field (default 0)", 3 },
	{ "med-max", OPT_MED_MAX, "N", 0, "Highest MED taken from the field (default 4294967295)", 3 },
	{ "med-hysteresis", OPT_MED_HYSTERESIS, "N", 0,
	  "Change the MED only when the field moves by N or more (default 1)", 3 },
	{ NULL, 0, NULL, 0, "Stopping:", 4 },
	{ "drain", OPT_DRAIN, "DURATION", 0,
	  "On stop, announce with GRACEFUL_SHUTDOWN (65535:0) for DURATION, then withdraw", 4 },
	{ "drain-med", OPT_DRAIN_MED, "N", 0, "MED while draining (default 4294967295)", 4 },
	{ "min-lifetime", OPT_MIN_LIFETIME, "DURATION", 0,
	  "Unless signalled, never exit sooner than this after start (default 15s)", 4 },
	{ NULL, 0, NULL, 0, "Reporting:", 5 },
	{ "name", 'N', "NAME", 0, "Name in logs and metrics (default: the first prefix)", 5 },
	{ "metrics", OPT_METRICS, "FILE", 0, "Write Prometheus metrics to FILE (textfile collector)", 5 },
	{ 0 }
};

/* Records the first usage error; parsing goes on so every prefix is known. */
#define usage_error(o, ...) hc_opt_error((o)->error, sizeof (o)->error, __VA_ARGS__)

/* Parses a 32-bit unsigned option value into *out, or records the error. */
static void
parse_u32(struct announce_options *o, const char *what, const char *arg, uint32_t *out)
{
	long long v;
	const char *why = hc_parse_int(arg, 0, MED_MAX, &v);
	if (why != NULL)
		usage_error(o, "invalid %s '%s': %s", what, arg, why);
	else
		*out = (uint32_t)v;
}

/* Validates word with check and appends it to list, or records the error. */
static void
add_word(struct announce_options *o, const char *what, const char *arg, struct words *list,
    const char *(*check)(const char *))
{
	const char *why = check(arg);
	if (why != NULL) {
		usage_error(o, "invalid %s '%s': %s", what, arg, why);
		return;
	}
	/* Canonical numbers: "065000:01" is written as "65000:1". */
	char canon[96];
	size_t n = 0;
	for (const char *part = arg; n + 1 < sizeof canon; part++) {
		size_t len = strcspn(part, ":");
		if (strspn(part, "0123456789") == len) {
			while (len > 1 && *part == '0') {
				part++;
				len--;
			}
		}
		n += (size_t)snprintf(canon + n, sizeof canon - n, "%.*s%s", (int)len, part,
		    part[len] == ':' ? ":" : "");
		part += len;
		if (*part == '\0')
			break;
	}
	words_add(list, canon);
}

/* Parses a duration option (at least min, at most a day), or records the error. */
static void
parse_duration(struct announce_options *o, const char *what, const char *arg, int64_t min,
    int64_t *out)
{
	const char *why = hc_parse_duration(arg, min, 24 * 3600 * HC_NS_PER_S, out);
	if (why != NULL)
		usage_error(o, "invalid %s '%s': %s", what, arg, why);
}

/* Adds one PREFIX argument, refusing duplicates, or records the error. */
static void
parse_prefix_arg(struct announce_options *o, const char *arg)
{
	struct route_config *c = &o->route;
	struct hc_prefix p;
	const char *why = hc_parse_prefix(arg, &p);
	if (why != NULL) {
		usage_error(o, "invalid prefix '%s': %s", arg, why);
		return;
	}
	for (size_t i = 0; i < c->nprefixes; i++) {
		if (memcmp(&c->prefixes[i], &p, sizeof p) == 0) {
			usage_error(o, "invalid prefix '%s': given twice", arg);
			return;
		}
	}
	if (c->nprefixes == PREFIXES_MAX) {
		usage_error(o, "too many prefixes: at most %d", PREFIXES_MAX);
		return;
	}
	c->prefixes[c->nprefixes++] = p;
}

/* Sets the next hop of the address's family ("self" resets IPv4), or records the error. */
static void
parse_next_hop(struct announce_options *o, const char *arg)
{
	struct route_config *c = &o->route;
	struct hc_prefix a;
	if (strcmp(arg, "self") == 0) {
		c->have_nh4 = false;
		return;
	}
	const char *why = hc_parse_addr(arg, &a);
	if (why != NULL) {
		usage_error(o, "invalid --next-hop '%s': %s", arg, why);
		return;
	}
	bool *have = a.family == AF_INET ? &c->have_nh4 : &c->have_nh6;
	if (*have) {
		usage_error(o, "invalid --next-hop '%s': an IPv%c next hop was already given", arg,
		    a.family == AF_INET ? '4' : '6');
		return;
	}
	*have = true;
	*(a.family == AF_INET ? &c->nh4 : &c->nh6) = a;
}

static error_t
parse_option(int key, char *arg, struct argp_state *state)
{
	struct announce_options *o = state->input;
	struct route_config *c = &o->route;
	switch (key) {
	case 'n': parse_next_hop(o, arg); break;
	case OPT_NEIGHBOR: {
		struct hc_prefix a;
		const char *why = hc_parse_addr(arg, &a);
		if (why != NULL)
			usage_error(o, "invalid --neighbor '%s': %s", arg, why);
		else if (c->neighbor[0] != '\0')
			usage_error(o, "invalid --neighbor '%s': only one --neighbor", arg);
		else
			hc_format_addr(&a, c->neighbor, sizeof c->neighbor);
		break;
	}
	case OPT_PEER_SYNTAX:
		c->peer_syntax = true;
		o->api_given = true;
		break;
	case OPT_API:
		if (strcmp(arg, "4") == 0 || strcmp(arg, "6") == 0)
			c->peer_syntax = arg[0] == '6';
		else
			usage_error(o, "invalid --api '%s': 4 or 6", arg);
		o->api_given = true;
		break;
	case OPT_MED: parse_u32(o, "--med", arg, &c->med[SET_UP]); break;
	case OPT_MED_DOWN: parse_u32(o, "--med-down", arg, &c->med[SET_DOWN]); break;
	case OPT_MED_MAINT: parse_u32(o, "--med-maint", arg, &c->med[SET_MAINT]); break;
	case OPT_MED_STEP: parse_u32(o, "--med-step", arg, &c->med_step); break;
	case OPT_DRAIN_MED: parse_u32(o, "--drain-med", arg, &c->drain_med); break;
	case OPT_LOCAL_PREF:
		parse_u32(o, "--local-preference", arg, &c->local_pref);
		c->have_local_pref = true;
		break;
	case OPT_PATH_ID:
		parse_u32(o, "--path-id", arg, &c->path_id);
		c->have_path_id = true;
		break;
	case OPT_ORIGIN:
		if (strcmp(arg, "igp") == 0 || strcmp(arg, "egp") == 0 || strcmp(arg, "incomplete") == 0)
			c->origin = arg;
		else
			usage_error(o, "invalid --origin '%s': not igp, egp or incomplete", arg);
		break;
	case OPT_COMMUNITY:
		add_word(o, "--community", arg, &c->communities, check_community);
		break;
	case OPT_UP_COMMUNITY:
		add_word(o, "--up-community", arg, &c->state_communities[SET_UP], check_community);
		break;
	case OPT_DOWN_COMMUNITY:
		add_word(o, "--down-community", arg, &c->state_communities[SET_DOWN], check_community);
		break;
	case OPT_MAINT_COMMUNITY:
		add_word(o, "--maint-community", arg, &c->state_communities[SET_MAINT], check_community);
		break;
	case OPT_LARGE:
		add_word(o, "--large-community", arg, &c->large_communities, check_large_community);
		break;
	case OPT_EXTENDED: {
		/* Sent in hex: no ExaBGP version encodes every text form right. */
		char hex[EXTENDED_HEX_SIZE];
		if (check_extended_community(arg) == NULL)
			words_add(&c->extended_communities, extended_community_hex(arg, hex));
		else
			add_word(o, "--extended-community", arg, &c->extended_communities,
			    check_extended_community);
		break;
	}
	case OPT_AS_PATH: add_word(o, "--as-path", arg, &c->as_path, check_asn); break;
	case OPT_UP_AS_PATH:
		add_word(o, "--up-as-path", arg, &c->state_as_path[SET_UP], check_asn);
		break;
	case OPT_DOWN_AS_PATH:
		add_word(o, "--down-as-path", arg, &c->state_as_path[SET_DOWN], check_asn);
		break;
	case OPT_MAINT_AS_PATH:
		add_word(o, "--maint-as-path", arg, &c->state_as_path[SET_MAINT], check_asn);
		break;
	case OPT_ANNOUNCE_DOWN: o->announce_down = true; break;
	case OPT_ANNOUNCE_MAINT: o->announce_maint = true; break;
	case 'm':
		if (arg[0] == '\0')
			usage_error(o, "invalid --maintenance '': empty");
		o->maintenance = arg;
		break;
	case OPT_STALE: parse_duration(o, "--stale", arg, HC_NS_PER_MS, &o->stale); break;
	case OPT_MED_FROM:
		if (!hc_stream_key_ok(arg, strlen(arg)))
			usage_error(o, "invalid --med-from '%s': not a stream key (a-z, 0-9, _)", arg);
		o->med_field = arg;
		break;
	case OPT_MED_MIN:
		parse_u32(o, "--med-min", arg, &o->med_min);
		o->med_bounds_given = true;
		break;
	case OPT_MED_MAX:
		parse_u32(o, "--med-max", arg, &o->med_max);
		o->med_bounds_given = true;
		break;
	case OPT_MED_HYSTERESIS:
		parse_u32(o, "--med-hysteresis", arg, &o->med_hysteresis);
		o->med_bounds_given = true;
		break;
	case OPT_DRAIN: parse_duration(o, "--drain", arg, 0, &o->drain); break;
	case OPT_MIN_LIFETIME: parse_duration(o, "--min-lifetime", arg, 0, &o->min_lifetime); break;
	case 'N': {
		size_t len = strlen(arg);
		bool ok = len > 0 && len <= ANNOUNCE_NAME_MAX;
		for (size_t i = 0; ok && i < len; i++)
			ok = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:/-",
			    arg[i]) != NULL;
		if (ok)
			snprintf(o->name, sizeof o->name, "%s", arg);
		else
			usage_error(o, "invalid --name '%s': 1 to %d of A-Z a-z 0-9 _ . : / -", arg,
			    ANNOUNCE_NAME_MAX);
		break;
	}
	case OPT_METRICS:
		if (arg[0] == '\0')
			usage_error(o, "invalid --metrics '': empty");
		o->metrics = arg;
		break;
	case ARGP_KEY_ARG: parse_prefix_arg(o, arg); break;
	case ARGP_KEY_END:
		if (state->arg_num == 0)
			usage_error(o, "missing PREFIX (usage: %s [options] PREFIX...)", hc_progname);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/*
 * Checks what the options cannot check one by one (next hops against
 * prefixes, MED sums, command length).  Records the first error in o.
 */
static void
check_config(struct announce_options *o)
{
	struct route_config *c = &o->route;
	size_t extra = c->nprefixes > 0 ? c->nprefixes - 1 : 0;
	if (c->peer_syntax) {
		/* ExaBGP main (4460078e) packs as-path numbers in 16 bits: 'error'. */
		const struct words *paths[] = { &c->as_path, &c->state_as_path[SET_UP],
		    &c->state_as_path[SET_DOWN], &c->state_as_path[SET_MAINT] };
		for (size_t p = 0; p < sizeof paths / sizeof paths[0]; p++) {
			for (size_t i = 0; i < paths[p]->n; i++) {
				if (strtoull(paths[p]->v[i], NULL, 10) > 65535)
					usage_error(o, "AS number %s in an as-path: ExaBGP 6 (main) "
					    "refuses AS numbers above 65535 there", paths[p]->v[i]);
			}
		}
	}
	for (size_t i = 0; i < c->nprefixes; i++) {
		char text[HC_PREFIX_STRLEN];
		hc_format_prefix(&c->prefixes[i], text, sizeof text);
		if (c->prefixes[i].family == AF_INET6 && !c->have_nh6)
			usage_error(o, "IPv6 prefix %s needs an IPv6 --next-hop "
			    "('next-hop self' over an IPv4 session breaks the session)", text);
	}
	static const char *const med_names[] = { "--med", "--med-down", "--med-maint" };
	for (int s = 0; s < SET_COUNT; s++) {
		if ((uint64_t)c->med[s] + (uint64_t)c->med_step * extra > MED_MAX)
			usage_error(o, "%s %lu plus --med-step %lu per extra prefix passes 4294967295",
			    med_names[s], (unsigned long)c->med[s], (unsigned long)c->med_step);
	}
	if (o->med_bounds_given && o->med_field == NULL)
		usage_error(o, "--med-min, --med-max and --med-hysteresis need --med-from");
	if (o->med_min > o->med_max)
		usage_error(o, "--med-min %lu is larger than --med-max %lu",
		    (unsigned long)o->med_min, (unsigned long)o->med_max);
	/* The longest command each prefix can produce must fit. */
	for (size_t i = 0; i < c->nprefixes; i++) {
		if (c->prefixes[i].family == AF_INET6 && !c->have_nh6)
			continue;
		for (int s = 0; s < SET_COUNT; s++) {
			char buf[COMMAND_MAX];
			struct route_view v = { .announce = true, .set = s, .med = MED_MAX,
			    .graceful = true };
			if (!route_command(c, i, &v, buf, sizeof buf))
				usage_error(o, "too many attributes: a command would pass %d bytes",
				    COMMAND_MAX);
		}
	}
}

/*
 * Without --api: the API ExaBGP was told to speak, when it is in the
 * environment the process inherits (exabgp_api_version or exabgp.api.version;
 * ExaBGP puts nothing of its own version there).  Unset or unknown: API 4.
 */
static void
api_from_environment(struct announce_options *o)
{
	if (o->api_given)
		return;
	const char *v = getenv("exabgp_api_version");
	if (v == NULL)
		v = getenv("exabgp.api.version");
	if (v != NULL && strcmp(v, "6") == 0)
		o->route.peer_syntax = true;
}

/* Stats the maintenance file; applies a change of maintenance mode. */
static void
check_maintenance(const struct announce_options *o, struct announce_runtime *r)
{
	if (o->maintenance == NULL)
		return;
	r->next_maint_check = hc_now() + MAINT_CHECK_NS;
	struct stat sb;
	bool in = true;
	char reason[300];
	if (stat(o->maintenance, &sb) == 0) {
		snprintf(reason, sizeof reason, "maintenance file %s exists", o->maintenance);
		r->maint_error = false;
	} else if (errno == ENOENT || errno == ENOTDIR) {
		in = false;
		snprintf(reason, sizeof reason, "maintenance file %s removed", o->maintenance);
		r->maint_error = false;
	} else {
		/* Unknown counts as maintenance: withdrawing is the safe side. */
		snprintf(reason, sizeof reason, "cannot stat maintenance file %s: %s",
		    o->maintenance, strerror(errno));
		if (!r->maint_error)
			hc_logx("%s: %s; treated as maintenance", o->name, reason);
		r->maint_error = true;
	}
	announce_set_maintenance(o, r, in, reason);
}

/*
 * Reads what stdin has and handles each line read.  false at the end of
 * input or on a read error (lb->eof tells which).
 */
static bool
read_input(const struct announce_options *o, struct announce_runtime *r,
    struct hc_linebuf *lb)
{
	bool failed = false;
	if (hc_linebuf_fill(lb, STDIN_FILENO) < 0 && errno != EINTR && errno != EAGAIN) {
		hc_warn("cannot read standard input");
		failed = true;
	}
	char *line;
	size_t len;
	enum hc_line kind;
	while ((kind = hc_linebuf_next(lb, &line, &len)) != HC_LINE_NONE) {
		announce_line(o, r, line, len, kind == HC_LINE_TOO_LONG ? "line too long"
		    : kind == HC_LINE_UNTERMINATED ? "unterminated last line" : NULL, hc_now());
	}
	return !failed && !lb->eof;
}

/*
 * Standard output as the sink of commands.  Until the stop, a command waits
 * for ExaBGP to read it as long as it takes, or until a stop signal; on the
 * stop, until the deadline, and a signal gives it up.
 */
struct command_out {
	hc_deadline until;
	bool stopping;
	const char *cause;  /* the signal that started the stop ("SIGTERM"), else NULL */
	const char *name;
	bool wait_said;     /* the stop's wait for ExaBGP is logged */
};

/* The sink of the program: one write(2) per command to standard output. */
static int
write_stdout(void *ctx, const char *line)
{
	struct command_out *out = ctx;
	struct pollfd room = { .fd = STDOUT_FILENO, .events = POLLOUT };
	bool waits = out->stopping && hc_deadline_left(out->until) > 0;
	if (waits && !out->wait_said && poll(&room, 1, 0) == 0) {
		int most = (int)(STOP_WRITE_NS / HC_NS_PER_S);
		char wait[32] = "as long as it takes";
		if (out->cause != NULL)
			snprintf(wait, sizeof wait, "up to %d s", most);
		hc_logx("%s: ExaBGP is not reading standard output; the stop waits for it %s "
		    "(a signal ends the wait)", out->name, wait);
		out->wait_said = true;
	}
	if (hc_sig_write_line(STDOUT_FILENO, line, out->until) == 0)
		return 0;
	if (!out->stopping || (errno != EINTR && errno != ETIMEDOUT))
		return -1;
	if (errno == EINTR || out->cause == NULL)  /* a signal now, or one that cut the drain */
		hc_logx("%s: withdraw not written: ExaBGP did not read standard output before "
		    "the next signal; exiting (ExaBGP keeps the routes until the pipeline starts "
		    "again)", out->name);
	else
		hc_logx("%s: withdraw not written: ExaBGP read nothing from standard output "
		    "for %d s after %s; exiting (ExaBGP keeps the routes until the pipeline starts "
		    "again)", out->name, (int)(STOP_WRITE_NS / HC_NS_PER_S), out->cause);
	errno = ECANCELED;
	return -1;
}

static bool
is_stop_signal(int sig)
{
	return sig == SIGTERM || sig == SIGINT || sig == SIGHUP;
}

/*
 * Waits until deadline or a stop signal.  true if a signal came (or poll
 * failed).  With watch_stdout, also returns true once nobody reads stdout
 * (ExaBGP is gone, so there is nothing left to respawn us).
 */
static bool
wait_for_signal(int sigfd, hc_deadline deadline, bool watch_stdout)
{
	struct pollfd pfd[2] = {
		{ .fd = sigfd, .events = POLLIN },
		{ .fd = STDOUT_FILENO, .events = 0 },
	};
	for (;;) {
		int sig;
		while ((sig = hc_sig_next()) != 0) {
			if (is_stop_signal(sig))
				return true;
		}
		if (hc_deadline_passed(deadline))
			return false;
		if (hc_poll(pfd, watch_stdout ? 2 : 1, deadline) < 0 && errno != EINTR) {
			hc_warn("poll");
			return true;
		}
		if (watch_stdout && (pfd[1].revents & (POLLERR | POLLHUP | POLLNVAL)))
			return true;
	}
}

/*
 * The anti-respawn rule: an exit not asked for by a signal waits until
 * --min-lifetime after start, routes withdrawn, unless a signal comes.
 */
static void
hold_before_exit(const struct announce_options *o, int sigfd, int64_t start, const char *why)
{
	int64_t left = start + o->min_lifetime - hc_now();
	if (left <= 0 || isatty(STDOUT_FILENO))
		return;
	char took[32], wait[32];
	hc_format_ms(hc_now() - start, took, sizeof took);
	hc_format_ms(left, wait, sizeof wait);
	struct pollfd out = { .fd = STDOUT_FILENO, .events = 0 };
	if (poll(&out, 1, 0) == 1 && (out.revents & (POLLERR | POLLHUP | POLLNVAL))) {
		hc_logx("%s: %s %s after start; routes withdrawn; exiting now: nobody reads "
		    "standard output (ExaBGP is gone), so there is no respawn to slow down",
		    o->name, why, took);
		return;
	}
	hc_logx("%s: %s %s after start; routes withdrawn; exiting in %s so that ExaBGP "
	    "cannot respawn this process in a fast loop (SIGTERM, or ExaBGP closing the pipe, "
	    "exits now)", o->name, why, took, wait);
	wait_for_signal(sigfd, hc_deadline_at(start + o->min_lifetime), true);
}

/*
 * Stops: drains if asked and anything is announced, then withdraws every
 * prefix.  A stop signal during the drain cuts it short.  After a signal
 * (by_signal) the commands of each step (the drain's, the withdraws) wait
 * at most STOP_WRITE_NS in all for ExaBGP to read them; after a second
 * signal (one during the drain), not at all; a signal while they wait gives
 * them up.
 */
static void
stop_routes(const struct announce_options *o, struct announce_runtime *r, int sigfd,
    const char *reason, bool by_signal, struct command_out *out)
{
	out->stopping = true;
	out->cause = by_signal ? reason : NULL;
	out->until = hc_deadline_in(by_signal ? STOP_WRITE_NS : HC_NEVER);
	if (announce_drain(o, r, reason) && !r->out_broken) {
		bool cut = wait_for_signal(sigfd, hc_deadline_in(o->drain), false);
		reason = cut ? "signal during the drain" : "drain time over";
		out->until = hc_deadline_in(cut ? 0 : by_signal ? STOP_WRITE_NS : HC_NEVER);
		if (cut)
			out->cause = NULL;
	}
	announce_stop(o, r, reason);
}

/* Withdraws what a bad configuration still lets us name, waits, exits 2. */
static noreturn void
fail_usage(struct announce_options *o, int sigfd, int64_t start)
{
	if (o->error[0] != '\0')
		hc_warnx("%s", o->error);
	if (o->name[0] == '\0')
		snprintf(o->name, sizeof o->name, "%s", "configuration");
	struct route_config *c = &o->route;
	for (size_t i = 0; i < c->nprefixes; i++) {
		char cmd[COMMAND_MAX];
		struct route_view v = { .announce = false };
		if (c->prefixes[i].family == AF_INET6 && !c->have_nh6)
			continue;
		if (route_command(c, i, &v, cmd, sizeof cmd))
			(void)hc_sig_write_line(STDOUT_FILENO, cmd, hc_deadline_at(HC_NEVER));
	}
	hold_before_exit(o, sigfd, start, "usage error");
	exit(HC_EXIT_USAGE);
}

int
main(int argc, char **argv)
{
	static const struct argp_child children[] = { { &hc_opt_help, 0, NULL, -1 }, { 0 } };
	static const struct argp argp = {
		option_table, parse_option, "PREFIX...",
		"Announce PREFIX... through ExaBGP's text API while the status stream on standard "
		"input says up, and withdraw them otherwise."
		"\vExit status: 0 normal end, 2 usage error, 3 internal failure.",
		children, NULL, NULL
	};
	struct announce_options o = {
		.route = { .med = { [SET_UP] = 100, [SET_DOWN] = 1000, [SET_MAINT] = 500 },
			   .drain_med = MED_MAX },
		.med_max = MED_MAX,
		.min_lifetime = 15 * HC_NS_PER_S,
	};
	int64_t start = hc_now();
	hc_init(argv[0]);
	argv[0] = (char *)hc_progname;
	static const int stop_signals[] = { SIGTERM, SIGINT, SIGHUP };
	int sigfd = hc_sig_catch(stop_signals, sizeof stop_signals / sizeof stop_signals[0]);

	if (argp_parse(&argp, argc, argv, ARGP_NO_EXIT | ARGP_NO_HELP, NULL, &o) != 0)
		o.argp_failed = true;
	api_from_environment(&o);
	check_config(&o);
	if (o.error[0] != '\0' || o.argp_failed)
		fail_usage(&o, sigfd, start);
	if (o.name[0] == '\0')
		hc_format_prefix(&o.route.prefixes[0], o.name, sizeof o.name);

	/* The withdraws come first: whatever fails after this, the routers were told. */
	struct announce_runtime r;
	struct command_out out = { .until = hc_deadline_at(HC_NEVER), .name = o.name };
	announce_start(&o, &r, (struct announce_sink){ .write = write_stdout, .ctx = &out }, start);
	check_maintenance(&o, &r);

	struct hc_linebuf lb;
	hc_linebuf_init(&lb, HC_STREAM_LINE_MAX);
	const char *stop_reason = NULL;
	bool by_signal = false;
	int status = HC_EXIT_UP;
	while (stop_reason == NULL && !r.out_broken) {
		hc_deadline d = hc_deadline_at(HC_NEVER);
		if (o.maintenance != NULL)
			d = hc_deadline_at(r.next_maint_check);
		d = hc_deadline_min(d, hc_deadline_at(announce_stale_at(&o, &r)));
		struct pollfd fds[2] = {
			{ .fd = sigfd, .events = POLLIN },
			{ .fd = STDIN_FILENO, .events = POLLIN },
		};
		if (hc_poll(fds, 2, d) < 0 && errno != EINTR) {
			hc_warn("poll");
			stop_reason = "poll failed";
			status = HC_EXIT_FAILURE;
			break;
		}
		int sig;
		while (fds[0].revents != 0 && (sig = hc_sig_next()) != 0) {
			if (is_stop_signal(sig)) {
				stop_reason = sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT"
				    : "SIGHUP";
				by_signal = true;
			}
		}
		if (stop_reason != NULL)
			break;
		if (fds[1].revents != 0 && !read_input(&o, &r, &lb)) {
			stop_reason = lb.eof ? "end of input" : "read error";
			status = lb.eof ? HC_EXIT_UP : HC_EXIT_FAILURE;
		}
		if (o.maintenance != NULL && hc_now() >= r.next_maint_check)
			check_maintenance(&o, &r);
		announce_check_stale(&o, &r, hc_now());
	}
	if (r.out_broken) {
		stop_reason = "standard output failed";
		status = HC_EXIT_FAILURE;
	}
	stop_routes(&o, &r, sigfd, stop_reason, by_signal, &out);
	if (!by_signal)
		hold_before_exit(&o, sigfd, start, stop_reason);
	hc_linebuf_free(&lb);
	announce_free(&r);
	route_config_free(&o.route);
	return r.out_broken ? HC_EXIT_FAILURE : status;
}

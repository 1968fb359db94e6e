/*
 * hc-neighbors: BGP session state, as ExaBGP sees it, for Prometheus.
 *
 * Run by ExaBGP as a process of its own whose api block asks for
 * neighbor-changes.  Reads ExaBGP's neighbor events on stdin, in the text
 * encoder ("neighbor 192.0.2.1 up", "... down - reason") or the JSON one,
 * logs each change on stderr, and keeps a node_exporter textfile with each
 * session's state, its last change and how often it went down.  When ExaBGP
 * goes away (its "shutdown" line, end of input, a stop signal) the file says
 * so before the program exits: hc_exabgp_up 0, every session down.
 */
#include "config.h"

#include <argp.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "hc.h"
#include "io.h"
#include "opt.h"
#include "neighbors.h"
#include "parse.h"
#include "sig.h"
#include "textfile.h"

#define NEIGHBORS_MAX 256
#define LINE_MAX_BYTES 65536            /* ExaBGP's JSON updates can be long; only events matter */
#define REFRESH_NS (10 * HC_NS_PER_S)   /* the file is rewritten at least this often */

struct neighbor {
	char addr[HC_PREFIX_STRLEN];
	enum session state;
	int64_t last_change_wall;
	unsigned long long downs;
};

struct neighbors {
	const char *metrics;
	struct neighbor v[NEIGHBORS_MAX];
	size_t n;
	bool exabgp_up;
	bool full_warned, metrics_failed;
	int64_t start_wall;
	char error[300];
};

static const struct argp_option option_table[] = {
	{ "metrics", 'm', "FILE", 0, "Write Prometheus metrics to FILE (textfile collector)", 0 },
	{ 0 }
};

/* Records the first usage error. */
#define usage_error(t, ...) hc_opt_error((t)->error, sizeof (t)->error, __VA_ARGS__)

/* The neighbor with canonical address addr, added (down) if new; NULL when the table is full. */
static struct neighbor *
neighbor_get(struct neighbors *t, const char *addr)
{
	for (size_t i = 0; i < t->n; i++) {
		if (strcmp(t->v[i].addr, addr) == 0)
			return &t->v[i];
	}
	if (t->n == NEIGHBORS_MAX)
		return NULL;
	struct neighbor *nb = &t->v[t->n++];
	*nb = (struct neighbor){ .state = SESSION_DOWN, .last_change_wall = t->start_wall };
	snprintf(nb->addr, sizeof nb->addr, "%s", addr);
	return nb;
}

static error_t
parse_option(int key, char *arg, struct argp_state *state)
{
	struct neighbors *t = state->input;
	char addr[HC_PREFIX_STRLEN];
	switch (key) {
	case 'm':
		if (arg[0] == '\0')
			usage_error(t, "invalid --metrics '': empty");
		t->metrics = arg;
		break;
	case ARGP_KEY_ARG:
		if (!neighbors_canonical_addr(arg, addr, sizeof addr))
			usage_error(t, "invalid neighbor '%s': not an IPv4 or IPv6 address", arg);
		else if (neighbor_get(t, addr) == NULL)
			usage_error(t, "too many neighbors: at most %d", NEIGHBORS_MAX);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* Writes the textfile (nothing without --metrics); warns once if that fails. */
static void
write_metrics(struct neighbors *t)
{
	if (t->metrics == NULL)
		return;
	static char buf[NEIGHBORS_MAX * 512 + 1024];
	struct hc_textfile out;
	hc_textfile_start(&out, buf, sizeof buf);
	hc_textfile_family(&out, "hc_exabgp_up", "gauge",
	    "1 while ExaBGP runs hc-neighbors, 0 once it went away.");
	hc_textfile_put(&out, "hc_exabgp_up %d\n", t->exabgp_up);
	hc_textfile_family(&out, "hc_exabgp_start_time_seconds", "gauge",
	    "When ExaBGP started hc-neighbors.");
	hc_textfile_put(&out, "hc_exabgp_start_time_seconds ");
	hc_textfile_wall(&out, t->start_wall);
	if (t->n > 0)
		hc_textfile_family(&out, "hc_bgp_session_up", "gauge",
		    "1 while the BGP session is established.");
	for (size_t i = 0; i < t->n; i++)
		hc_textfile_put(&out, "hc_bgp_session_up{neighbor=\"%s\"} %d\n", t->v[i].addr,
		    t->v[i].state == SESSION_UP);
	if (t->n > 0)
		hc_textfile_family(&out, "hc_bgp_session_last_change_timestamp_seconds", "gauge",
		    "When the session's state last changed (the start time before any change).");
	for (size_t i = 0; i < t->n; i++) {
		hc_textfile_put(&out, "hc_bgp_session_last_change_timestamp_seconds"
		    "{neighbor=\"%s\"} ", t->v[i].addr);
		hc_textfile_wall(&out, t->v[i].last_change_wall);
	}
	if (t->n > 0)
		hc_textfile_family(&out, "hc_bgp_session_downs_total", "counter",
		    "Times the established session went down.");
	for (size_t i = 0; i < t->n; i++)
		hc_textfile_put(&out, "hc_bgp_session_downs_total{neighbor=\"%s\"} %llu\n",
		    t->v[i].addr, t->v[i].downs);
	bool ok = hc_textfile_write(&out, t->metrics) == 0;
	if (!ok && !t->metrics_failed)
		hc_warn("cannot write metrics to %s", t->metrics);
	t->metrics_failed = !ok;
}

/* Moves nb to state s at wall time now, logging the change (and reason). */
static void
set_state(struct neighbor *nb, enum session s, const char *reason, int64_t now)
{
	if (nb->state == s)
		return;
	if (reason != NULL && reason[0] != '\0')
		hc_logx("%s: %s -> %s (%s)", nb->addr, session_name(nb->state), session_name(s),
		    reason);
	else
		hc_logx("%s: %s -> %s", nb->addr, session_name(nb->state), session_name(s));
	if (nb->state == SESSION_UP)
		nb->downs++;
	nb->state = s;
	nb->last_change_wall = now;
}

/* ExaBGP went away (why says how): every session is down with it. */
static void
exabgp_gone(struct neighbors *t, const char *why)
{
	if (!t->exabgp_up)
		return;
	hc_logx("ExaBGP gone (%s)", why);
	t->exabgp_up = false;
	int64_t now = hc_wall_now();
	for (size_t i = 0; i < t->n; i++)
		set_state(&t->v[i], SESSION_DOWN, "ExaBGP gone", now);
	write_metrics(t);
}

/* Handles one input line. */
static void
handle_line(struct neighbors *t, const char *line)
{
	struct event ev = neighbors_parse_event(line);
	if (ev.kind == EV_SHUTDOWN) {
		exabgp_gone(t, "shutdown");
		return;
	}
	if (ev.kind != EV_STATE || !t->exabgp_up)
		return;
	struct neighbor *nb = neighbor_get(t, ev.addr);
	if (nb == NULL) {
		if (!t->full_warned)
			hc_warnx("more than %d neighbors: %s and later ones are not shown",
			    NEIGHBORS_MAX, ev.addr);
		t->full_warned = true;
		return;
	}
	set_state(nb, ev.state, ev.reason, hc_wall_now());
	write_metrics(t);
}

static bool
is_stop_signal(int sig)
{
	return sig == SIGTERM || sig == SIGINT || sig == SIGHUP;
}

/*
 * Reads ExaBGP's lines until end of input or a stop signal, rewriting the
 * file every REFRESH_NS.  Returns what ended it; *failed on a read error.
 */
static const char *
read_events(struct neighbors *t, int sigfd, bool *failed)
{
	struct hc_linebuf lb;
	hc_linebuf_init(&lb, LINE_MAX_BYTES);
	const char *why = NULL;
	int64_t next_refresh = hc_now() + REFRESH_NS;
	while (why == NULL) {
		struct pollfd fds[2] = {
			{ .fd = sigfd, .events = POLLIN },
			{ .fd = STDIN_FILENO, .events = POLLIN },
		};
		if (hc_poll(fds, 2, (hc_deadline){ next_refresh }) < 0 && errno != EINTR) {
			hc_warn("poll");
			*failed = true;
			why = "poll failed";
			break;
		}
		int sig;
		while ((sig = hc_sig_next()) != 0) {
			if (is_stop_signal(sig))
				why = sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" : "SIGHUP";
		}
		if (why == NULL && fds[1].revents != 0) {
			if (hc_linebuf_fill(&lb, STDIN_FILENO) < 0 && errno != EINTR && errno != EAGAIN) {
				hc_warn("cannot read standard input");
				*failed = true;
				why = "read error";
			}
			char *line;
			size_t len;
			enum hc_line kind;
			while ((kind = hc_linebuf_next(&lb, &line, &len)) != HC_LINE_NONE) {
				if (kind != HC_LINE_TOO_LONG && strlen(line) == len)
					handle_line(t, line);
			}
			if (why == NULL && lb.eof)
				why = "end of input";
		}
		if (hc_now() >= next_refresh) {
			write_metrics(t);
			next_refresh = hc_now() + REFRESH_NS;
		}
	}
	hc_linebuf_free(&lb);
	return why;
}

/*
 * After a usage error: reads and drops standard input until its end or a
 * stop signal, so that ExaBGP, which respawns a process that exits, cannot
 * do it in a fast loop (and never blocks writing to us).  At once on a terminal.
 */
static void
drain_until_end(int sigfd)
{
	if (isatty(STDIN_FILENO))
		return;
	char buf[4096];
	for (;;) {
		struct pollfd fds[2] = {
			{ .fd = sigfd, .events = POLLIN },
			{ .fd = STDIN_FILENO, .events = POLLIN },
		};
		if (hc_poll(fds, 2, (hc_deadline){ HC_NEVER }) < 0 && errno != EINTR)
			return;
		int sig;
		while ((sig = hc_sig_next()) != 0) {
			if (is_stop_signal(sig))
				return;
		}
		if (fds[1].revents != 0) {
			ssize_t r = read(STDIN_FILENO, buf, sizeof buf);
			if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN))
				return;
		}
	}
}

int
main(int argc, char **argv)
{
	static const struct argp_child children[] = { { &hc_opt_help, 0, NULL, -1 }, { 0 } };
	static const struct argp argp = {
		option_table, parse_option, "[NEIGHBOR...]",
		"Read ExaBGP's neighbor events (api { neighbor-changes; }) on standard input, log "
		"each change of a BGP session and write its state as Prometheus metrics.  Each "
		"NEIGHBOR is shown, down, before ExaBGP reports on it."
		"\vExit status: 0 normal end, 2 usage error, 3 internal failure.",
		children, NULL, NULL
	};
	static struct neighbors t;
	hc_init(argv[0]);
	argv[0] = (char *)hc_progname;
	static const int stop_signals[] = { SIGTERM, SIGINT, SIGHUP };
	int sigfd = hc_sig_catch(stop_signals, sizeof stop_signals / sizeof stop_signals[0]);
	t.start_wall = hc_wall_now();
	t.exabgp_up = true;

	bool argp_failed = argp_parse(&argp, argc, argv, ARGP_NO_EXIT | ARGP_NO_HELP, NULL, &t) != 0;
	if (t.error[0] != '\0' || argp_failed) {
		if (t.error[0] != '\0')
			hc_warnx("%s", t.error);
		drain_until_end(sigfd);
		return HC_EXIT_USAGE;
	}
	write_metrics(&t);
	bool failed = false;
	const char *why = read_events(&t, sigfd, &failed);
	exabgp_gone(&t, why);
	return failed ? HC_EXIT_FAILURE : HC_EXIT_UP;
}

/*
 * hc-drill: the monthly failover drill of one service on this host.
 *
 * Drains the host by creating hc-announce's maintenance file, waits until
 * hc-announce's metrics say the routes are withdrawn, optionally checks that
 * the VIP still answers from elsewhere (a plain HTTP GET), restores by
 * removing the file, waits until the routes are announced again, and reports
 * how long each step took.  The file is removed on every way out that can be
 * caught: a failed step, a limit passed, the drill's own deadline, SIGINT,
 * SIGTERM and SIGHUP.
 */
#include "config.h"

#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "hc.h"
#include "io.h"
#include "opt.h"
#include "parse.h"
#include "resolve.h"
#include "sig.h"

#define NAME_MAX_LEN 64
#define POLL_NS (50 * HC_NS_PER_MS)          /* the metrics file is read this often */
#define VERIFY_RETRY_NS (200 * HC_NS_PER_MS) /* between two GETs that failed */
#define GET_TIMEOUT_NS (2 * HC_NS_PER_S)     /* one GET, at most */
#define METRICS_MAX 65536

enum { OPT_ANNOUNCE_LIMIT = 256, OPT_HOLD, OPT_METRICS, OPT_TIMEOUT, OPT_URL,
	OPT_VERIFY_LIMIT, OPT_WITHDRAW_LIMIT };

struct drill_options {
	const char *service;
	const char *name;          /* the service="..." label; the service by default */
	const char *maint;
	const char *metrics;
	const char *url;
	int64_t withdraw_limit, verify_limit, announce_limit, hold, timeout;
	char maint_buf[300], metrics_buf[300];
};

/* A parsed http:// URL. */
struct url {
	char host[256];     /* without brackets */
	char host_hdr[262]; /* as written, for the Host header */
	uint16_t port;
	char path[1024];
};

/* What hc-announce's metrics file says about the service. */
struct announce_view {
	bool found;         /* a hc_announce_announced series for the service */
	long long announced;
	char state[32];     /* the state whose hc_announce_state is 1, or "" */
};

static const struct argp_option option_table[] = {
	{ "maintenance", 'm', "FILE", 0, "Maintenance file (default /run/hc/SERVICE.maint)", 0 },
	{ "metrics", OPT_METRICS, "FILE", 0,
	  "hc-announce's metrics (default /var/lib/prometheus/node-exporter/hc-SERVICE.prom)", 0 },
	{ "name", 'N', "NAME", 0, "hc-announce's --name, if not SERVICE", 0 },
	{ "url", OPT_URL, "URL", 0, "While drained, this http:// URL must answer 2xx", 0 },
	{ "withdraw-limit", OPT_WITHDRAW_LIMIT, "DURATION", 0, "Withdraw within (default 10s)", 0 },
	{ "verify-limit", OPT_VERIFY_LIMIT, "DURATION", 0, "URL answers within (default 10s)", 0 },
	{ "hold", OPT_HOLD, "DURATION", 0, "Stay drained this long (default 0)", 0 },
	{ "announce-limit", OPT_ANNOUNCE_LIMIT, "DURATION", 0,
	  "Announced again within (default 30s)", 0 },
	{ "timeout", OPT_TIMEOUT, "DURATION", 0, "The whole drill within (default 2m)", 0 },
	{ 0 }
};

/* Whether s is a service name fit for a file name: 1-64 of A-Z a-z 0-9 _ . -, no leading dot. */
static bool
service_ok(const char *s)
{
	size_t len = strlen(s);
	return len > 0 && len <= NAME_MAX_LEN && s[0] != '.'
	    && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == len;
}

/* Parses http://HOST[:PORT][/PATH] into u; NULL, or why not. */
static const char *
parse_url(const char *s, struct url *u)
{
	if (strncmp(s, "http://", 7) != 0)
		return strncmp(s, "https://", 8) == 0 ? "https is not supported (a plain http:// URL)"
		    : "not an http:// URL";
	const char *host = s + 7, *end;
	size_t hlen;
	if (*host == '[') {
		end = strchr(host, ']');
		if (end == NULL)
			return "unterminated [";
		hlen = (size_t)(end - host - 1);
		if (hlen == 0 || hlen >= sizeof u->host)
			return "bad host";
		memcpy(u->host, host + 1, hlen);
		u->host[hlen] = '\0';
		struct hc_prefix a;
		if (hc_parse_addr(u->host, &a) != NULL || a.family != AF_INET6)
			return "not an IPv6 address inside [ ]";
		end++;
	} else {
		end = host + strcspn(host, ":/?#");
		hlen = (size_t)(end - host);
		if (hlen == 0 || hlen >= sizeof u->host)
			return "bad host";
		memcpy(u->host, host, hlen);
		u->host[hlen] = '\0';
	}
	snprintf(u->host_hdr, sizeof u->host_hdr, "%.*s", (int)(end - host), host);
	u->port = 80;
	if (*end == ':') {
		char port[8];
		size_t plen = strcspn(end + 1, "/?#");
		long long v;
		if (plen == 0 || plen >= sizeof port)
			return "bad port";
		memcpy(port, end + 1, plen);
		port[plen] = '\0';
		if (hc_parse_int(port, 1, 65535, &v) != NULL)
			return "bad port";
		u->port = (uint16_t)v;
		snprintf(u->host_hdr, sizeof u->host_hdr, "%.*s", (int)(end - host + 1 + plen), host);
		end += 1 + plen;
	}
	if (*end == '#')
		end += strlen(end);
	const char *path = *end == '\0' ? "/" : end;
	if (strlen(path) >= sizeof u->path || path[strcspn(path, " \r\n\t#")] != '\0')
		return "bad path";
	snprintf(u->path, sizeof u->path, "%s%s", *path == '?' ? "/" : "", path);
	return NULL;
}

static void
parse_limit(const char *what, const char *arg, int64_t min, int64_t *out)
{
	const char *why = hc_parse_duration(arg, min, 24 * 3600 * HC_NS_PER_S, out);
	if (why != NULL)
		hc_diex(HC_EXIT_USAGE, "invalid %s '%s': %s", what, arg, why);
}

static error_t
parse_option(int key, char *arg, struct argp_state *state)
{
	struct drill_options *o = state->input;
	struct url u;
	const char *why;
	switch (key) {
	case 'm':
		if (arg[0] == '\0')
			hc_diex(HC_EXIT_USAGE, "invalid maintenance file '': empty");
		o->maint = arg;
		break;
	case OPT_METRICS:
		if (arg[0] == '\0')
			hc_diex(HC_EXIT_USAGE, "invalid metrics file '': empty");
		o->metrics = arg;
		break;
	case 'N':
		if (arg[0] == '\0' || strlen(arg) > NAME_MAX_LEN || strpbrk(arg, "\"\\\n") != NULL)
			hc_diex(HC_EXIT_USAGE, "invalid name '%s': 1 to %d characters, no quote, "
			    "backslash or newline", arg, NAME_MAX_LEN);
		o->name = arg;
		break;
	case OPT_URL:
		if ((why = parse_url(arg, &u)) != NULL)
			hc_diex(HC_EXIT_USAGE, "invalid URL '%s': %s", arg, why);
		o->url = arg;
		break;
	case OPT_WITHDRAW_LIMIT: parse_limit("--withdraw-limit", arg, HC_NS_PER_MS, &o->withdraw_limit); break;
	case OPT_VERIFY_LIMIT: parse_limit("--verify-limit", arg, HC_NS_PER_MS, &o->verify_limit); break;
	case OPT_ANNOUNCE_LIMIT: parse_limit("--announce-limit", arg, HC_NS_PER_MS, &o->announce_limit); break;
	case OPT_HOLD: parse_limit("--hold", arg, 0, &o->hold); break;
	case OPT_TIMEOUT: parse_limit("--timeout", arg, HC_NS_PER_MS, &o->timeout); break;
	case ARGP_KEY_ARG:
		if (o->service != NULL)
			hc_diex(HC_EXIT_USAGE, "one SERVICE only (usage: %s [options] SERVICE)",
			    hc_progname);
		if (!service_ok(arg))
			hc_diex(HC_EXIT_USAGE, "invalid service '%s': 1 to %d of A-Z a-z 0-9 _ . - "
			    "(it names files), not starting with '.'", arg, NAME_MAX_LEN);
		o->service = arg;
		break;
	case ARGP_KEY_END:
		if (o->service == NULL)
			hc_diex(HC_EXIT_USAGE, "missing SERVICE (usage: %s [options] SERVICE)",
			    hc_progname);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/*
 * Finds label key's value in a Prometheus label set "{a=\"x\",b=\"y\"}"
 * (labels points after '{'); copies it into out.  false if absent.
 */
static bool
label_value(const char *labels, const char *key, char *out, size_t size)
{
	size_t klen = strlen(key);
	const char *p = labels;
	while (*p != '\0' && *p != '}') {
		const char *eq = strchr(p, '=');
		if (eq == NULL || eq[1] != '"')
			return false;
		const char *v = eq + 2, *q = v;
		while (*q != '\0' && *q != '"')
			q += (*q == '\\' && q[1] != '\0') ? 2 : 1;
		if (*q != '"')
			return false;
		if ((size_t)(eq - p) == klen && strncmp(p, key, klen) == 0) {
			snprintf(out, size, "%.*s", (int)(q - v), v);
			return true;
		}
		p = q + 1;
		if (*p == ',')
			p++;
	}
	return false;
}

/*
 * Reads hc-announce's textfile metrics for service `name` into *v.  NULL,
 * or why the file could not be read.  Series of other services, comments
 * and metrics hc-drill does not know are skipped.
 */
static const char *
read_metrics(const char *path, const char *name, struct announce_view *v)
{
	*v = (struct announce_view){ .found = false };
	char *buf;
	size_t n;
	if (hc_read_file(path, METRICS_MAX, &buf, &n) == -1)
		return strerror(errno);
	for (char *line = buf, *next; line != NULL && *line != '\0'; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		char *brace = strchr(line, '{'), *close_brace, svc[NAME_MAX_LEN + 2], st[32];
		if (line[0] == '#' || brace == NULL || (close_brace = strchr(brace, '}')) == NULL)
			continue;
		if (!label_value(brace + 1, "service", svc, sizeof svc) || strcmp(svc, name) != 0)
			continue;
		char value[32];
		if (sscanf(close_brace + 1, " %31s", value) != 1)
			continue;
		size_t mlen = (size_t)(brace - line);
		long long x;
		if (mlen == strlen("hc_announce_announced")
		    && strncmp(line, "hc_announce_announced", mlen) == 0
		    && hc_parse_int(value, 0, 1000000, &x) == NULL) {
			v->found = true;
			v->announced = x;
		} else if (mlen == strlen("hc_announce_state")
		    && strncmp(line, "hc_announce_state", mlen) == 0 && strcmp(value, "1") == 0
		    && label_value(brace + 1, "state", st, sizeof st)) {
			snprintf(v->state, sizeof v->state, "%s", st);
		}
	}
	free(buf);
	return NULL;
}

/* The whole drill's state, for the steps and for restoring on the way out. */
struct drill {
	const struct drill_options *o;
	int sigfd;
	int64_t start;
	hc_deadline deadline;  /* --timeout */
	bool drained;          /* we created the maintenance file and it is still there */
	int64_t changed_at;    /* when the file was last created or removed */
	int caught;            /* the stop signal that came, or 0 */
	bool failed;
};

/* A line of the report on standard output, "hc-drill: SERVICE: ...". */
__attribute__((format(printf, 2, 3)))
static void
say(const struct drill *d, const char *fmt, ...)
{
	char line[1600];
	int n = snprintf(line, sizeof line, "%s: %s: ", hc_progname, d->o->service);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	va_end(ap);
	(void)hc_write_line(STDOUT_FILENO, line);
}

/*
 * Sleeps until `until` (or the drill's deadline, if earlier), watching for a
 * stop signal.  false if a signal came or the drill's deadline passed.
 */
static bool
pause_until(struct drill *d, hc_deadline until)
{
	hc_deadline stop = hc_deadline_min(until, d->deadline);
	for (;;) {
		int sig;
		while ((sig = hc_sig_next()) != 0) {
			if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) {
				d->caught = sig;
				return false;
			}
		}
		if (hc_deadline_passed(stop))
			return !hc_deadline_passed(d->deadline);
		struct pollfd pfd = { .fd = d->sigfd, .events = POLLIN };
		if (hc_poll(&pfd, 1, stop) < 0 && errno != EINTR)
			hc_die(HC_EXIT_FAILURE, "poll");
	}
}

static const char *
signal_name(int sig)
{
	return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "SIGHUP";
}

/* Why a wait ended early: the signal, or the drill's deadline. */
static void
interrupted_why(const struct drill *d, char *buf, size_t size)
{
	char t[32];
	hc_format_ms(d->o->timeout, t, sizeof t);
	if (d->caught != 0)
		snprintf(buf, size, "interrupted by %s", signal_name(d->caught));
	else
		snprintf(buf, size, "the drill's deadline (--timeout %s) passed", t);
}

/* "state maintenance, 0 announced", for the report. */
static void
describe(const struct announce_view *v, char *buf, size_t size)
{
	if (!v->found)
		snprintf(buf, size, "no hc_announce_announced series for this service");
	else
		snprintf(buf, size, "state %s, %lld announced", v->state[0] ? v->state : "?",
		    v->announced);
}

/*
 * Waits until the metrics say the routes are withdrawn in maintenance
 * (want_announced false) or announced (true), within limit of the file's
 * creation or removal.  Sets *took, from that moment.  false on a limit, a
 * signal or the deadline; the report says which.
 */
static bool
wait_routes(struct drill *d, bool want_announced, int64_t limit, int64_t *took)
{
	int64_t t0 = d->changed_at;
	hc_deadline step = { t0 + limit };
	struct announce_view v;
	const char *why = NULL;
	const char *what = want_announced ? "announced again" : "withdrawn";
	for (;;) {
		why = read_metrics(d->o->metrics, d->o->name, &v);
		bool done = why == NULL && v.found && (want_announced ? v.announced > 0
		    : v.announced == 0 && (v.state[0] == '\0' || strcmp(v.state, "maintenance") == 0));
		*took = hc_now() - t0;
		char t[32], lim[32], desc[128];
		hc_format_ms(*took, t, sizeof t);
		hc_format_ms(limit, lim, sizeof lim);
		describe(&v, desc, sizeof desc);
		if (done) {
			say(d, "%s after %s (limit %s): %s", what, t, lim, desc);
			return true;
		}
		if (hc_deadline_passed(step)) {
			if (why != NULL)
				say(d, "FAILED: not %s within %s: cannot read %s: %s", what, lim,
				    d->o->metrics, why);
			else
				say(d, "FAILED: not %s within %s: %s", what, lim, desc);
			return false;
		}
		if (!pause_until(d, hc_deadline_min(step, hc_deadline_in(POLL_NS)))) {
			char w[96];
			interrupted_why(d, w, sizeof w);
			say(d, "FAILED: %s while waiting to be %s (%s so far)", w, what, t);
			return false;
		}
	}
}

/*
 * One HTTP/1.0 GET of u to one address, within deadline dl.  The status
 * code, or -1 with a reason in why.
 */
static int
http_get_one(const struct url *u, const struct hc_sockaddr *a, hc_deadline dl, char *why,
    size_t size)
{
	int fd = socket(a->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		snprintf(why, size, "socket: %s", strerror(errno));
		return -1;
	}
	int status = -1;
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	if (connect(fd, (const struct sockaddr *)&a->sa, a->len) == -1 && errno != EINPROGRESS) {
		snprintf(why, size, "connect: %s", strerror(errno));
		goto out;
	}
	int r;
	while ((r = hc_poll(&pfd, 1, dl)) < 0 && errno == EINTR)
		continue;
	int err = 0;
	socklen_t elen = sizeof err;
	if (r == 0) {
		snprintf(why, size, "connect: timed out");
		goto out;
	}
	if (r < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) == -1 || err != 0) {
		snprintf(why, size, "connect: %s", strerror(err ? err : errno));
		goto out;
	}
	char req[1400];
	int n = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: hc-drill\r\n"
	    "Connection: close\r\n\r\n", u->path, u->host_hdr);
	if (n < 0 || (size_t)n >= sizeof req || hc_write_all(fd, req, (size_t)n) == -1) {
		snprintf(why, size, "send: %s", strerror(errno));
		goto out;
	}
	char resp[64];
	size_t got = 0;
	pfd.events = POLLIN;
	while (got < sizeof resp - 1 && memchr(resp, '\n', got) == NULL) {
		r = hc_poll(&pfd, 1, dl);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(why, size, r == 0 ? "no reply in time" : "poll: %s", strerror(errno));
			goto out;
		}
		ssize_t k = read(fd, resp + got, sizeof resp - 1 - got);
		if (k < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (k <= 0) {
			snprintf(why, size, k == 0 ? "connection closed before a status line"
			    : "read: %s", strerror(errno));
			goto out;
		}
		got += (size_t)k;
	}
	resp[got] = '\0';
	int code;
	char sp;
	if (sscanf(resp, "HTTP/1.%*1[01]%c%3d", &sp, &code) != 2 || sp != ' ' || code < 100
	    || code > 599) {
		snprintf(why, size, "not an HTTP status line");
		goto out;
	}
	status = code;
out:
	close(fd);
	return status;
}

/* One GET of u (every address of its host in turn) within `timeout`; the status or -1. */
static int
http_get(const struct url *u, int64_t timeout, char *why, size_t size)
{
	hc_deadline dl = hc_deadline_in(timeout);
	struct hc_sockaddr addrs[HC_RESOLVE_MAX];
	const char *rwhy;
	size_t n = hc_resolve(u->host, u->port, AF_UNSPEC, dl, addrs, HC_RESOLVE_MAX, &rwhy);
	if (n == 0) {
		snprintf(why, size, "cannot resolve %.100s: %s", u->host, rwhy);
		return -1;
	}
	int status = -1;
	for (size_t i = 0; i < n && status < 0 && !hc_deadline_passed(dl); i++)
		status = http_get_one(u, &addrs[i], dl, why, size);
	return status;
}

/* Fetches --url until it answers 2xx, within --verify-limit.  false otherwise. */
static bool
verify(struct drill *d)
{
	struct url u;
	(void)parse_url(d->o->url, &u);
	int64_t t0 = hc_now();
	hc_deadline step = { t0 + d->o->verify_limit };
	char why[200] = "", lim[32], t[32];
	hc_format_ms(d->o->verify_limit, lim, sizeof lim);
	int status = -1, tries = 0;
	for (;;) {
		int64_t left = hc_deadline_left(hc_deadline_min(step, d->deadline));
		status = http_get(&u, left < GET_TIMEOUT_NS ? left : GET_TIMEOUT_NS, why, sizeof why);
		tries++;
		hc_format_ms(hc_now() - t0, t, sizeof t);
		if (status >= 200 && status <= 299) {
			say(d, "verified: %s answered HTTP %d after %s (limit %s)", d->o->url, status,
			    t, lim);
			return true;
		}
		if (status > 0)
			snprintf(why, sizeof why, "HTTP %d", status);
		if (hc_deadline_passed(step)) {
			say(d, "FAILED: %s did not answer 2xx within %s (%d tries; last: %s)",
			    d->o->url, lim, tries, why);
			return false;
		}
		if (!pause_until(d, hc_deadline_min(step, hc_deadline_in(VERIFY_RETRY_NS)))) {
			char w[96];
			interrupted_why(d, w, sizeof w);
			say(d, "FAILED: %s while checking %s (last: %s)", w, d->o->url, why);
			return false;
		}
	}
}

/* Creates the maintenance file, refusing one that exists.  false on failure. */
static bool
drain(struct drill *d)
{
	int fd = open(d->o->maint, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd == -1) {
		if (errno == EEXIST)
			say(d, "FAILED: %s already exists: the host is drained already; hc-drill "
			    "leaves it as it is", d->o->maint);
		else
			say(d, "FAILED: cannot create %s: %s", d->o->maint, strerror(errno));
		return false;
	}
	d->drained = true;
	d->changed_at = hc_now();
	char note[160], when[32];
	time_t now = time(NULL);
	struct tm tm;
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	int n = snprintf(note, sizeof note, "drained by hc-drill (pid %ld) at %s\n", (long)getpid(),
	    when);
	(void)hc_write_all(fd, note, (size_t)n);
	close(fd);
	say(d, "drain: created %s", d->o->maint);
	return true;
}

/* Removes the maintenance file if we created it.  false if it could not be removed. */
static bool
restore(struct drill *d, const char *why)
{
	if (!d->drained)
		return true;
	if (unlink(d->o->maint) == -1 && errno != ENOENT) {
		hc_warn("cannot remove %s: THE HOST STAYS DRAINED; remove it by hand", d->o->maint);
		return false;
	}
	d->drained = false;
	d->changed_at = hc_now();
	say(d, "restore: removed %s (%s)", d->o->maint, why);
	return true;
}

int
main(int argc, char **argv)
{
	static const struct argp_child children[] = { { &hc_opt_help, 0, NULL, -1 }, { 0 } };
	static const struct argp argp = {
		option_table, parse_option, "SERVICE",
		"Run the failover drill of SERVICE on this host: drain it by its maintenance file, "
		"wait for the withdraw, check the URL, restore, wait for the announce."
		"\vExit status: 0 the drill passed, 1 a step failed or passed its limit, "
		"2 usage error, 3 internal failure.", children, NULL, NULL
	};
	struct drill_options o = {
		.withdraw_limit = 10 * HC_NS_PER_S,
		.verify_limit = 10 * HC_NS_PER_S,
		.announce_limit = 30 * HC_NS_PER_S,
		.timeout = 120 * HC_NS_PER_S,
	};
	hc_init(argv[0]);
	argv[0] = (char *)hc_progname;
	static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP };
	int sigfd = hc_sig_catch(stop_signals, sizeof stop_signals / sizeof stop_signals[0]);
	argp_parse(&argp, argc, argv, ARGP_NO_HELP, NULL, &o);
	if (o.name == NULL)
		o.name = o.service;
	if (o.maint == NULL) {
		snprintf(o.maint_buf, sizeof o.maint_buf, "/run/hc/%s.maint", o.service);
		o.maint = o.maint_buf;
	}
	if (o.metrics == NULL) {
		snprintf(o.metrics_buf, sizeof o.metrics_buf,
		    "/var/lib/prometheus/node-exporter/hc-%s.prom", o.service);
		o.metrics = o.metrics_buf;
	}

	struct drill d = { .o = &o, .sigfd = sigfd, .start = hc_now() };
	d.deadline = (hc_deadline){ d.start + o.timeout };
	struct announce_view v;
	const char *why = read_metrics(o.metrics, o.name, &v);
	char desc[128];
	describe(&v, desc, sizeof desc);
	if (why != NULL || !v.found || v.announced == 0) {
		if (why != NULL)
			say(&d, "FAILED before the drain: cannot read %s: %s", o.metrics, why);
		else
			say(&d, "FAILED before the drain: hc-announce (%s) does not announce the "
			    "service: %s", o.metrics, desc);
		say(&d, "drill FAILED; nothing was changed");
		return HC_EXIT_DOWN;
	}
	say(&d, "before: %s (%s)", desc, o.metrics);

	if (!drain(&d)) {
		say(&d, "drill FAILED at the drain; nothing was changed");
		return HC_EXIT_DOWN;
	}
	int64_t withdraw_ns = -1, announce_ns = -1;
	const char *failed_at = NULL;
	if (!wait_routes(&d, false, o.withdraw_limit, &withdraw_ns))
		failed_at = "withdraw";
	else if (o.url != NULL && !verify(&d))
		failed_at = "verify";
	else if (o.hold > 0 && !pause_until(&d, hc_deadline_in(o.hold))) {
		char w[96];
		interrupted_why(&d, w, sizeof w);
		say(&d, "FAILED: %s during the hold", w);
		failed_at = "hold";
	}
	bool stopped = d.caught != 0 || hc_deadline_passed(d.deadline);
	if (!restore(&d, failed_at ? "after a failed step" : stopped ? "stopping" : "drill done"))
		return HC_EXIT_FAILURE;
	/* After a signal or the deadline, stop at once: the host is restored. */
	if (!stopped && !wait_routes(&d, true, o.announce_limit, &announce_ns) && failed_at == NULL)
		failed_at = "announce";
	stopped = d.caught != 0 || hc_deadline_passed(d.deadline);

	char total[32], tw[32] = "-", ta[32] = "-";
	hc_format_ms(hc_now() - d.start, total, sizeof total);
	if (withdraw_ns >= 0)
		hc_format_ms(withdraw_ns, tw, sizeof tw);
	if (announce_ns >= 0)
		hc_format_ms(announce_ns, ta, sizeof ta);
	if (failed_at == NULL && !stopped) {
		say(&d, "drill passed in %s: withdrawn in %s, %s, announced again in %s", total, tw,
		    o.url ? "the URL answered while drained" : "no URL checked", ta);
		return HC_EXIT_UP;
	}
	say(&d, "drill FAILED%s%s in %s: withdrawn in %s, announced again in %s", failed_at
	    ? " at the " : "", failed_at ? failed_at : "", total, tw, ta);
	return HC_EXIT_DOWN;
}

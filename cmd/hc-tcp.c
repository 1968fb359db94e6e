/*
 * hc-tcp: is a TCP service accepting connections (and answering as expected)?
 *
 * Exit 0 when a connection to HOST PORT completes, and any --send/--expect
 * exchange succeeds, before one deadline that also covers name resolution.
 */
#include "config.h"

#include <argp.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "clock.h"
#include "hc.h"
#include "io.h"
#include "parse.h"
#include "resolve.h"

#define EXPECT_READ_MAX (64 * 1024)  /* reply bytes searched for --expect */

struct options {
	int family;
	int64_t timeout;
	bool verbose;
	const char *host;
	const char *port_arg;
	uint16_t port;
	char *send;
	size_t send_len;
	char *expect;
	size_t expect_len;
};

static const struct argp_option option_table[] = {
	{ "ipv4", '4', NULL, 0, "Use IPv4 addresses only", 0 },
	{ "ipv6", '6', NULL, 0, "Use IPv6 addresses only", 0 },
	{ "expect", 'e', "STRING", 0,
	  "Require the reply to contain STRING (escapes \\r \\n \\t \\\\ \\xHH)", 0 },
	{ "send", 's', "STRING", 0, "Send STRING once connected (same escapes)", 0 },
	{ "timeout", 't', "DURATION", 0, "Deadline for the whole check (default 2s)", 0 },
	{ "verbose", 'v', NULL, 0, "Say on stderr why the check is up or down", 0 },
	{ 0 }
};

/*
 * Decodes the escapes \r \n \t \\ \0 and \xHH of arg into a new buffer.
 * Returns NULL and sets *why on a malformed escape.
 */
static char *
unescape(const char *arg, size_t *len, const char **why)
{
	char *out = hc_xmalloc(strlen(arg) + 1);
	size_t n = 0;
	for (const char *p = arg; *p != '\0'; p++) {
		if (*p != '\\') {
			out[n++] = *p;
			continue;
		}
		p++;
		switch (*p) {
		case 'r': out[n++] = '\r'; break;
		case 'n': out[n++] = '\n'; break;
		case 't': out[n++] = '\t'; break;
		case '\\': out[n++] = '\\'; break;
		case '0': out[n++] = '\0'; break;
		case 'x': {
			unsigned v = 0;
			for (int i = 1; i <= 2; i++) {
				char c = p[i];
				unsigned d;
				if (c >= '0' && c <= '9')
					d = (unsigned)(c - '0');
				else if (c >= 'a' && c <= 'f')
					d = (unsigned)(c - 'a' + 10);
				else if (c >= 'A' && c <= 'F')
					d = (unsigned)(c - 'A' + 10);
				else {
					free(out);
					*why = "\\x needs two hex digits";
					return NULL;
				}
				v = v * 16 + d;
			}
			out[n++] = (char)v;
			p += 2;
			break;
		}
		default:
			free(out);
			*why = *p == '\0' ? "trailing backslash" : "unknown escape";
			return NULL;
		}
	}
	*len = n;
	return out;
}

static error_t
parse_option(int key, char *arg, struct argp_state *state)
{
	struct options *o = state->input;
	const char *why;
	switch (key) {
	case '4':
		o->family = AF_INET;
		break;
	case '6':
		o->family = AF_INET6;
		break;
	case 't':
		o->timeout = hc_parse_timeout(arg);
		break;
	case 'v':
		o->verbose = true;
		break;
	case 's':
		free(o->send);
		if ((o->send = unescape(arg, &o->send_len, &why)) == NULL)
			hc_diex(HC_EXIT_USAGE, "invalid --send '%s': %s", arg, why);
		if (o->send_len == 0)
			hc_diex(HC_EXIT_USAGE, "invalid --send '': empty");
		break;
	case 'e':
		free(o->expect);
		if ((o->expect = unescape(arg, &o->expect_len, &why)) == NULL)
			hc_diex(HC_EXIT_USAGE, "invalid --expect '%s': %s", arg, why);
		if (o->expect_len == 0)
			hc_diex(HC_EXIT_USAGE, "invalid --expect '': empty");
		break;
	case ARGP_KEY_ARG:
		if (state->arg_num == 0)
			o->host = arg;
		else if (state->arg_num == 1)
			o->port_arg = arg;
		else
			hc_diex(HC_EXIT_USAGE, "unexpected argument '%s' (usage: %s [options] HOST PORT)",
			    arg, hc_progname);
		break;
	case ARGP_KEY_END:
		if (state->arg_num < 2)
			hc_diex(HC_EXIT_USAGE, "missing %s (usage: %s [options] HOST PORT)",
			    state->arg_num == 0 ? "HOST and PORT" : "PORT", hc_progname);
		if ((why = hc_parse_port(o->port_arg, &o->port)) != NULL)
			hc_diex(HC_EXIT_USAGE, "invalid port '%s': %s", o->port_arg, why);
		if (o->host[0] == '\0')
			hc_diex(HC_EXIT_USAGE, "invalid host '': empty");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/*
 * Connects to one address before `deadline`.  Returns the connected socket,
 * or -1 with the reason in v.
 */
static int
connect_one(const struct hc_sockaddr *a, hc_deadline deadline, struct hc_verdict *v)
{
	int fd = socket(a->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd == -1) {
		hc_reason(v->reason, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (const struct sockaddr *)&a->sa, a->len) == 0)
		return fd;
	if (errno != EINPROGRESS) {
		hc_reason(v->reason, "%s", strerror(errno));
		close(fd);
		return -1;
	}
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	int r;
	while ((r = hc_poll(&pfd, 1, deadline)) < 0 && errno == EINTR)
		;
	if (r == 0) {
		hc_reason(v->reason, "%s", "no answer before the deadline");
		close(fd);
		return -1;
	}
	int err = 0;
	socklen_t len = sizeof err;
	if (r < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	if (err != 0) {
		hc_reason(v->reason, "%s", strerror(err));
		close(fd);
		return -1;
	}
	return fd;
}

/* Sends the whole payload before the deadline.  false with the reason in v. */
static bool
send_payload(int fd, const char *buf, size_t len, hc_deadline deadline, struct hc_verdict *v)
{
	while (len > 0) {
		ssize_t w = send(fd, buf, len, MSG_NOSIGNAL);
		if (w > 0) {
			buf += w;
			len -= (size_t)w;
			continue;
		}
		if (w < 0 && errno != EAGAIN && errno != EINTR) {
			hc_reason(v->reason, "send: %s", strerror(errno));
			return false;
		}
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };
		if (hc_poll(&pfd, 1, deadline) == 0) {
			hc_reason(v->reason, "%s", "send did not complete before the deadline");
			return false;
		}
	}
	return true;
}

/*
 * Reads the reply until it contains `expect`, the peer closes, EXPECT_READ_MAX
 * bytes were read, or the deadline.  false with the reason in v.
 */
static bool
read_expect(int fd, const char *expect, size_t elen, hc_deadline deadline, struct hc_verdict *v)
{
	char *buf = hc_xmalloc(EXPECT_READ_MAX);
	size_t got = 0;
	bool found = false;
	for (;;) {
		ssize_t r = recv(fd, buf + got, EXPECT_READ_MAX - got, 0);
		if (r > 0) {
			size_t from = got >= elen ? got - elen + 1 : 0;
			got += (size_t)r;
			if (memmem(buf + from, got - from, expect, elen) != NULL) {
				found = true;
				break;
			}
			if (got == EXPECT_READ_MAX) {
				hc_reason(v->reason, "%s", "expected string not in the first 64 KiB of the reply");
				break;
			}
			continue;
		}
		if (r == 0) {
			hc_reason(v->reason, "%s", got == 0 ? "connection closed without a reply"
			    : "reply does not contain the expected string");
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			hc_reason(v->reason, "%s", strerror(errno));
			break;
		}
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		if (hc_poll(&pfd, 1, deadline) == 0) {
			hc_reason(v->reason, "%s", got == 0 ? "no reply before the deadline"
			    : "expected string not received before the deadline");
			break;
		}
	}
	free(buf);
	return found;
}

/* "127.0.0.1:80", or "name:port (address)" when HOST is a name. */
static void
name_target(const struct options *o, const char *peer, struct hc_verdict *v)
{
	struct hc_prefix literal;
	if (peer[0] != '\0' && hc_parse_addr(o->host, &literal) == NULL)
		snprintf(v->where, sizeof v->where, "%s", peer);
	else if (peer[0] != '\0')
		snprintf(v->where, sizeof v->where, "%s:%s (%s)", o->host, o->port_arg, peer);
	else
		snprintf(v->where, sizeof v->where, "%s:%s", o->host, o->port_arg);
}

/*
 * One run: resolve, then each address in turn, on a new connection, before
 * one deadline.  An address gets an equal share of the time left, the last
 * one all of it, so one silent address cannot starve the others.
 */
static void
run_check(void *ctx, struct hc_verdict *v)
{
	const struct options *o = ctx;
	hc_deadline deadline = hc_deadline_in(o->timeout);
	struct hc_sockaddr addrs[HC_RESOLVE_MAX];
	char peer[INET6_ADDRSTRLEN + 16] = "";
	const char *why = NULL;
	size_t n = hc_resolve(o->host, o->port, o->family, deadline, addrs, HC_RESOLVE_MAX, &why);
	if (n == 0)
		hc_reason(v->reason, "%s", why);
	for (size_t i = 0; i < n; i++) {
		hc_format_sockaddr(&addrs[i], peer, sizeof peer);
		int64_t share = hc_deadline_left(deadline) / (int64_t)(n - i);
		hc_deadline attempt = i + 1 < n ? hc_deadline_in(share) : deadline;
		int fd = connect_one(&addrs[i], attempt, v);
		if (fd == -1)
			continue;
		bool ok = true;
		if (o->send != NULL)
			ok = send_payload(fd, o->send, o->send_len, deadline, v);
		if (ok && o->expect != NULL)
			ok = read_expect(fd, o->expect, o->expect_len, deadline, v);
		close(fd);
		v->status = ok ? HC_EXIT_UP : HC_EXIT_DOWN;
		break;
	}
	name_target(o, peer, v);
}

int
main(int argc, char **argv)
{
	static const struct argp argp = {
		option_table, parse_option, "HOST PORT",
		"Check that a TCP service accepts connections and, optionally, answers as expected."
		"\vExit status: 0 up, 1 down, 2 usage error, 3 internal failure.", NULL, NULL, NULL
	};
	struct options o = { .family = AF_UNSPEC, .timeout = 2 * HC_NS_PER_S };

	hc_init(argv[0]);
	argv[0] = (char *)hc_progname;
	argp_parse(&argp, argc, argv, 0, NULL, &o);

	int status = hc_check_main(&(struct hc_check){
	    .run = run_check, .ctx = &o, .verbose = o.verbose });
	free(o.send);
	free(o.expect);
	return status;
}

#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include "child.h"
#include "hc.h"
#include "io.h"
#include "resolve.h"

/* What the lookup child sends back: its getaddrinfo result, then addresses. */
struct lookup_reply {
	int gai_error;
	int sys_errno;
	size_t count;
	struct hc_sockaddr addrs[HC_RESOLVE_MAX];
};

static size_t
copy_results(const struct addrinfo *res, struct hc_sockaddr *out, size_t max)
{
	size_t n = 0;
	for (const struct addrinfo *ai = res; ai != NULL && n < max; ai = ai->ai_next) {
		if (ai->ai_addrlen > sizeof out[n].sa)
			continue;
		memset(&out[n], 0, sizeof out[n]);
		memcpy(&out[n].sa, ai->ai_addr, ai->ai_addrlen);
		out[n].len = ai->ai_addrlen;
		n++;
	}
	return n;
}

static void
fill_hints(struct addrinfo *hints, int family, int flags)
{
	memset(hints, 0, sizeof *hints);
	hints->ai_family = family;
	hints->ai_socktype = SOCK_STREAM;
	hints->ai_protocol = IPPROTO_TCP;
	hints->ai_flags = flags | AI_NUMERICSERV;
}

static const char *
gai_reason(int gai_error, int sys_errno)
{
	switch (gai_error) {
	case EAI_NONAME:
		return "name not found";
	case EAI_AGAIN:
		return "name lookup failed temporarily";
	case EAI_FAMILY:
	case EAI_ADDRFAMILY:
	case EAI_NODATA:
		return "no address of the requested family";
	case EAI_SYSTEM:
		return sys_errno != 0 ? strerror(sys_errno) : "name lookup failed";
	default:
		return gai_strerror(gai_error);
	}
}

/* What the lookup child is asked. */
struct lookup {
	const char *host;
	const char *port;
	int family;
};

/* The lookup child (hc_call_bounded): resolves, writes one lookup_reply. */
static int
lookup_child(void *ctx, int fd)
{
	const struct lookup *q = ctx;
	struct lookup_reply reply;
	struct addrinfo hints, *res = NULL;
	memset(&reply, 0, sizeof reply);
	fill_hints(&hints, q->family, 0);
	reply.gai_error = getaddrinfo(q->host, q->port, &hints, &res);
	reply.sys_errno = errno;
	if (reply.gai_error == 0) {
		reply.count = copy_results(res, reply.addrs, HC_RESOLVE_MAX);
		freeaddrinfo(res);
	}
	return hc_write_all(fd, &reply, sizeof reply) == 0 ? 0 : 1;
}

/* Looks host up in a child killed at the deadline.  The addresses, or 0 and *why. */
static size_t
lookup_bounded(const struct lookup *q, hc_deadline deadline, struct hc_sockaddr *out,
    size_t max, const char **why)
{
	struct lookup_reply reply;
	size_t got;
	switch (hc_call_bounded(lookup_child, (void *)q, &reply, sizeof reply, &got, deadline)) {
	case HC_CALL_FAILED:
		*why = "cannot fork for the name lookup";
		return 0;
	case HC_CALL_LATE:
		*why = "name lookup timed out";
		return 0;
	case HC_CALL_DIED:
		*why = "name lookup failed";
		return 0;
	case HC_CALL_REPLIED:
		break;
	}
	if (got < sizeof reply) {
		*why = "name lookup failed";
		return 0;
	}
	if (reply.gai_error != 0) {
		*why = gai_reason(reply.gai_error, reply.sys_errno);
		return 0;
	}
	if (reply.count == 0) {
		*why = "name has no usable address";
		return 0;
	}
	size_t n = reply.count < max ? reply.count : max;
	memcpy(out, reply.addrs, n * sizeof out[0]);
	return n;
}

size_t
hc_resolve(const char *host, uint16_t port, int family, hc_deadline deadline,
    struct hc_sockaddr *out, size_t max, const char **why)
{
	char portstr[8];
	struct addrinfo hints, *res = NULL;
	snprintf(portstr, sizeof portstr, "%u", (unsigned)port);
	if (max > HC_RESOLVE_MAX)
		max = HC_RESOLVE_MAX;

	fill_hints(&hints, family, AI_NUMERICHOST);
	if (getaddrinfo(host, portstr, &hints, &res) == 0) {
		size_t n = copy_results(res, out, max);
		freeaddrinfo(res);
		return n;
	}
	struct in6_addr any;
	if (inet_pton(AF_INET, host, &any) == 1 || inet_pton(AF_INET6, host, &any) == 1) {
		*why = "address of the wrong family";
		return 0;
	}
	return lookup_bounded(&(struct lookup){ host, portstr, family }, deadline, out, max, why);
}

void
hc_format_sockaddr(const struct hc_sockaddr *a, char *buf, size_t size)
{
	char addr[INET6_ADDRSTRLEN] = "?";
	if (a->sa.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&a->sa;
		inet_ntop(AF_INET, &in->sin_addr, addr, sizeof addr);
		snprintf(buf, size, "%s:%u", addr, (unsigned)ntohs(in->sin_port));
	} else {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&a->sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, addr, sizeof addr);
		snprintf(buf, size, "[%s]:%u", addr, (unsigned)ntohs(in6->sin6_port));
	}
}

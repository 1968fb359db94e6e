/* Name resolution that honours a deadline. */
#ifndef HC_RESOLVE_H
#define HC_RESOLVE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "clock.h"

struct hc_sockaddr {
	socklen_t len;
	struct sockaddr_storage sa;
};

#define HC_RESOLVE_MAX 16

/*
 * Resolves host (a name or an IPv4/IPv6 literal) for TCP to `port`, limited
 * to `family` (AF_UNSPEC, AF_INET or AF_INET6), in the order getaddrinfo(3)
 * gives.  A literal is converted in-process; a name is looked up in a child
 * process that is killed at the deadline, because getaddrinfo cannot be
 * interrupted.  Returns the number of addresses (at most max) or 0 with *why
 * set to a static reason.
 */
size_t hc_resolve(const char *host, uint16_t port, int family, hc_deadline deadline,
    struct hc_sockaddr *out, size_t max, const char **why);

/* "192.0.2.1:80" or "[2001:db8::1]:80". */
void hc_format_sockaddr(const struct hc_sockaddr *a, char *buf, size_t size);

#endif

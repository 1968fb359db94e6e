#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "parse.h"
#include "resolve.h"
#include "tap.h"

/* hc_resolve of host into one formatted string "a b c", or "" and why. */
static size_t
resolve_text(const char *host, int family, char *text, size_t size, const char **why)
{
	struct hc_sockaddr addrs[HC_RESOLVE_MAX];
	*why = NULL;
	size_t n = hc_resolve(host, 80, family, hc_deadline_in(5 * HC_NS_PER_S), addrs,
	    HC_RESOLVE_MAX, why);
	text[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		char one[64];
		hc_format_sockaddr(&addrs[i], one, sizeof one);
		snprintf(text + strlen(text), size - strlen(text), "%s%s", i > 0 ? " " : "", one);
	}
	return n;
}

/* Brings lo up in this network namespace. */
static bool
loopback_up(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
	bool up = fd != -1 && ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 &&
	    (ifr.ifr_flags |= IFF_UP, ioctl(fd, SIOCSIFFLAGS, &ifr) == 0);
	if (fd != -1)
		close(fd);
	return up;
}

/*
 * In private network and mount namespaces: a resolv.conf that names
 * 127.0.0.1, where a UDP socket takes queries and never answers.  NULL once
 * set up, else why not (the test is then skipped).  The socket stays open.
 */
static const char *
silent_resolver(void)
{
	if (geteuid() != 0)
		return "not root";
	if (unshare(CLONE_NEWNS | CLONE_NEWNET) == -1)
		return "unshare failed";
	if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		return "cannot make / private";
	if (!loopback_up())
		return "cannot bring lo up";
	char conf[] = "/tmp/hc-test-resolve.XXXXXX";
	int fd = mkstemp(conf);
	if (fd == -1)
		return "mkstemp failed";
	static const char text[] = "nameserver 127.0.0.1\noptions timeout:5 attempts:2\n";
	bool written = write(fd, text, sizeof text - 1) == (ssize_t)(sizeof text - 1);
	close(fd);
	bool mounted = written && mount(conf, "/etc/resolv.conf", NULL, MS_BIND, NULL) == 0;
	unlink(conf);  /* the mount keeps it */
	if (!mounted)
		return "cannot bind-mount resolv.conf";
	int dns = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(53),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (dns == -1 || bind(dns, (struct sockaddr *)&sin, sizeof sin) == -1)
		return "cannot bind 127.0.0.1:53";
	return NULL;
}

int
main(void)
{
	char text[512];
	const char *why;
	size_t n;

	n = resolve_text("127.0.0.1", AF_UNSPEC, text, sizeof text, &why);
	ok(n == 1 && strcmp(text, "127.0.0.1:80") == 0, "an IPv4 literal is itself (%s)", text);
	n = resolve_text("::1", AF_UNSPEC, text, sizeof text, &why);
	ok(n == 1 && strcmp(text, "[::1]:80") == 0, "an IPv6 literal is itself (%s)", text);
	n = resolve_text("127.0.0.1", AF_INET6, text, sizeof text, &why);
	ok(n == 0 && why != NULL && strcmp(why, "address of the wrong family") == 0,
	    "a literal of the other family is refused (%s)", why ? why : "no reason");
	n = resolve_text("localhost", AF_INET, text, sizeof text, &why);
	ok(n >= 1 && strncmp(text, "127.", 4) == 0, "localhost is looked up in /etc/hosts (%s)", text);
	n = resolve_text("no-such-host.invalid", AF_UNSPEC, text, sizeof text, &why);
	ok(n == 0 && why != NULL, "an unknown name has no address (%s)", why ? why : "no reason");
	ok(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD, "every lookup child is reaped");

	const char *skip = silent_resolver();
	if (skip != NULL) {
		ok(1, "a lookup that cannot finish ends at the deadline # SKIP %s", skip);
		return tap_done();
	}
	struct hc_sockaddr addrs[HC_RESOLVE_MAX];
	int64_t t0 = hc_now();
	why = NULL;
	n = hc_resolve("slow.hc.test", 80, AF_UNSPEC, hc_deadline_in(300 * HC_NS_PER_MS), addrs,
	    HC_RESOLVE_MAX, &why);
	int64_t took = hc_now() - t0;
	ok(n == 0 && why != NULL && strcmp(why, "name lookup timed out") == 0,
	    "a lookup whose DNS server never answers times out (%s)", why ? why : "no reason");
	ok(took >= 300 * HC_NS_PER_MS && took < 5 * HC_NS_PER_S,
	    "at the deadline, not at the resolver's 5 s timeout (%lld ms)",
	    (long long)(took / HC_NS_PER_MS));
	ok(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD, "the killed lookup child is reaped");
	return tap_done();
}

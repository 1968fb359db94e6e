/*
 * hc-load: counting established TCP sockets, over netlink sock_diag or from
 * /proc/net/tcp and /proc/net/tcp6.
 *
 * sock_diag lets the kernel filter by state, so only established sockets
 * cross into user space (88 bytes each); /proc/net/tcp formats every socket,
 * listening and TIME_WAIT included, as text.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "load.h"
#include "hc.h"
#include "io.h"

#define NETLINK_BUF   (64 * 1024)   /* one recv of a dump: the kernel fills up to this */
#define PROC_READ_MAX (256 * 1024)  /* bytes per read(2) of /proc/net/tcp */

enum diag_result {
	DIAG_OK,
	DIAG_UNAVAILABLE,  /* no sock_diag here (module, seccomp, kernel): use /proc */
	DIAG_DEADLINE,
};

/* Asks for a dump of the TCP sockets of one family in state ESTABLISHED. */
static bool
diag_request(int fd, int family)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} msg = {
		.nlh = {
			.nlmsg_len = sizeof msg,
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			.nlmsg_seq = (unsigned)family,
		},
		.req = {
			.sdiag_family = (unsigned char)family,
			.sdiag_protocol = IPPROTO_TCP,
			.idiag_states = 1u << TCP_ESTABLISHED,
		},
	};
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	ssize_t w;
	do
		w = sendto(fd, &msg, sizeof msg, 0, (struct sockaddr *)&kernel, sizeof kernel);
	while (w < 0 && errno == EINTR);
	return w == (ssize_t)sizeof msg;
}

/*
 * Adds the sockets of one family's dump to *count, reading until NLMSG_DONE
 * or the deadline.  A family the kernel cannot dump (IPv6 compiled out)
 * counts as none.
 */
static enum diag_result
diag_count_family(int fd, int family, char *buf, hc_deadline deadline, long long *count)
{
	if (!diag_request(fd, family))
		return DIAG_UNAVAILABLE;
	for (;;) {
		ssize_t r = recv(fd, buf, NETLINK_BUF, MSG_DONTWAIT);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN) {
			struct pollfd pfd = { .fd = fd, .events = POLLIN };
			int pr = hc_poll(&pfd, 1, deadline);
			if (pr == 0)
				return DIAG_DEADLINE;
			if (pr < 0 && errno != EINTR)
				return DIAG_UNAVAILABLE;
			continue;
		}
		if (r <= 0)
			return DIAG_UNAVAILABLE;
		size_t left = (size_t)r;
		for (struct nlmsghdr *h = (struct nlmsghdr *)(void *)buf; NLMSG_OK(h, left);
		    h = NLMSG_NEXT(h, left)) {
			if (h->nlmsg_seq != (unsigned)family)
				continue;
			if (h->nlmsg_type == NLMSG_DONE)
				return DIAG_OK;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);
				bool no_family = e->error == -ENOENT || e->error == -EAFNOSUPPORT;
				return family == AF_INET6 && no_family ? DIAG_OK : DIAG_UNAVAILABLE;
			}
			if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY)
				(*count)++;
		}
	}
}

/* Counts both families over sock_diag. */
static enum diag_result
diag_count(hc_deadline deadline, long long *out)
{
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd == -1)
		return DIAG_UNAVAILABLE;
	/* malloc's alignment suits the nlmsghdr casts. */
	char *buf = hc_xmalloc(NETLINK_BUF);
	long long count = 0;
	enum diag_result r = diag_count_family(fd, AF_INET, buf, deadline, &count);
	if (r == DIAG_OK)
		r = diag_count_family(fd, AF_INET6, buf, deadline, &count);
	free(buf);
	close(fd);
	if (r == DIAG_OK)
		*out = count;
	return r;
}

/*
 * true when a /proc/net/tcp line has state 01 (TCP_ESTABLISHED) in its
 * fourth column: "  12: 0100007F:1F90 0100007F:C350 01 ...".  Sets *ok to
 * false when the line has no such column.
 */
static bool
proc_line_established(const char *p, bool *ok)
{
	for (int col = 0; col < 3; col++) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		while (*p != ' ' && *p != '\0')
			p++;
	}
	while (*p == ' ')
		p++;
	bool hex2 = p[0] != '\0' && p[1] != '\0' && (p[2] == ' ' || p[2] == '\0');
	if (!hex2) {
		*ok = false;
		return false;
	}
	return p[0] == '0' && p[1] == '1';
}

/*
 * Adds the established sockets listed in one /proc/net/tcp{,6} file to
 * *count.  A missing tcp6 (IPv6 disabled) counts as none.
 */
static enum conns_result
proc_count_file(const char *root, const char *path, bool may_be_missing, hc_deadline deadline,
    long long *count)
{
	char *full = load_path(root, path);
	int fd = open(full, O_RDONLY | O_CLOEXEC);
	if (fd == -1 && errno == ENOENT && may_be_missing) {
		free(full);
		return CONNS_OK;
	}
	if (fd == -1)
		hc_die(HC_EXIT_FAILURE, "cannot read %s", full);
	struct hc_linebuf lb;
	hc_linebuf_init(&lb, PROC_READ_MAX);
	long long lineno = 0;
	enum conns_result result = CONNS_OK;
	while (!lb.eof) {
		if (hc_deadline_passed(deadline)) {
			result = CONNS_DEADLINE;
			break;
		}
		if (hc_linebuf_fill(&lb, fd) < 0)
			hc_die(HC_EXIT_FAILURE, "cannot read %s", full);
		char *line;
		size_t len;
		enum hc_line kind;
		while ((kind = hc_linebuf_next(&lb, &line, &len)) != HC_LINE_NONE) {
			bool ok = kind != HC_LINE_TOO_LONG;
			if (++lineno == 1) {
				if (strncmp(line, "  sl ", 5) != 0)
					hc_diex(HC_EXIT_FAILURE, "malformed %s: no header line", full);
				continue;
			}
			if (proc_line_established(line, &ok))
				(*count)++;
			if (!ok)
				hc_diex(HC_EXIT_FAILURE, "malformed %s: line %lld has no state column",
				    full, lineno);
		}
	}
	hc_linebuf_free(&lb);
	close(fd);
	free(full);
	return result;
}

enum conns_result
load_count_conns(const char *root, hc_deadline deadline, long long *out, const char **source)
{
	if (root == NULL) {
		enum diag_result r = diag_count(deadline, out);
		*source = "netlink";
		if (r == DIAG_OK)
			return CONNS_OK;
		if (r == DIAG_DEADLINE)
			return CONNS_DEADLINE;
	}
	*source = "/proc/net/tcp";
	long long count = 0;
	if (proc_count_file(root, "/proc/net/tcp", false, deadline, &count) == CONNS_DEADLINE
	    || proc_count_file(root, "/proc/net/tcp6", true, deadline, &count) == CONNS_DEADLINE)
		return CONNS_DEADLINE;
	*out = count;
	return CONNS_OK;
}

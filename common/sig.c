#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "hc.h"
#include "io.h"
#include "sig.h"

static int sig_pipe[2] = { -1, -1 };
static pid_t sig_owner;
/* Signals hc_sig_write_all took out of the pipe while it waited, put back when it ends. */
static unsigned char held[64];
static size_t nheld;

/*
 * Records sig for the poll loop.  A forked child that has not yet exec'd
 * still runs this handler: it must not speak for its parent, so it takes the
 * signal's default action instead (a check killed at its deadline dies).
 */
static void
on_signal(int sig)
{
	int saved = errno;
	if (getpid() != sig_owner) {
		signal(sig, SIG_DFL);
		raise(sig);
		errno = saved;
		return;
	}
	unsigned char b = (unsigned char)sig;
	(void)!write(sig_pipe[1], &b, 1);
	errno = saved;
}

int
hc_sig_catch(const int *sigs, size_t n)
{
	sig_owner = getpid();
	if (sig_pipe[0] == -1) {
		if (pipe(sig_pipe) == -1)
			hc_die(HC_EXIT_FAILURE, "pipe");
		for (int i = 0; i < 2; i++) {
			if (hc_set_nonblock(sig_pipe[i], true) == -1 ||
			    fcntl(sig_pipe[i], F_SETFD, FD_CLOEXEC) == -1)
				hc_die(HC_EXIT_FAILURE, "fcntl");
		}
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_signal;
	for (size_t i = 0; i < n; i++) {
		if (sigaction(sigs[i], &sa, NULL) == -1)
			hc_die(HC_EXIT_FAILURE, "sigaction %d", sigs[i]);
	}
	return sig_pipe[0];
}

void
hc_sig_ignore(int sig)
{
	struct sigaction ignore = { .sa_handler = SIG_IGN };
	sigemptyset(&ignore.sa_mask);
	if (sigaction(sig, &ignore, NULL) == -1)
		hc_die(HC_EXIT_FAILURE, "sigaction %d", sig);
}

int
hc_sig_next(void)
{
	unsigned char b;
	ssize_t r;
	do
		r = read(sig_pipe[0], &b, 1);
	while (r < 0 && errno == EINTR);
	return r == 1 ? b : 0;
}

/*
 * Moves what the self-pipe holds into held[] (beyond its room, a signal is
 * dropped, as the handler drops one when the pipe is full).  true when a
 * stop signal is among what it held.
 */
static bool
hold_pending(void)
{
	unsigned char b[sizeof held];
	ssize_t r;
	while ((r = read(sig_pipe[0], b, sizeof b)) > 0 || (r < 0 && errno == EINTR)) {
		for (ssize_t i = 0; i < r && nheld < sizeof held; i++)
			held[nheld++] = b[i];
	}
	for (size_t i = 0; i < nheld; i++) {
		if (held[i] != SIGCHLD)
			return true;
	}
	return false;
}

/* Puts the held signals back into the pipe, for the poll loop and hc_sig_next. */
static void
put_back_held(void)
{
	if (nheld > 0)
		(void)!write(sig_pipe[1], held, nheld);
	nheld = 0;
}

int
hc_sig_write_all(int fd, const void *buf, size_t n, hc_deadline until)
{
	const char *p = buf;
	int err = 0;
	while (n > 0 && err == 0) {
		struct pollfd pfd[2] = {
			{ .fd = fd, .events = POLLOUT },
			{ .fd = sig_pipe[0], .events = POLLIN },  /* ignored before hc_sig_catch */
		};
		if (hc_poll(pfd, 2, until) < 0 && errno != EINTR) {
			err = errno;
		} else if (pfd[1].revents != 0 && hold_pending()) {
			err = EINTR;
		} else if (pfd[0].revents != 0) {
			ssize_t w = write(fd, p, n);
			if (w > 0) {
				p += w;
				n -= (size_t)w;
			} else if (w < 0 && errno != EINTR && errno != EAGAIN) {
				err = errno;
			}
		} else if (hc_deadline_passed(until)) {
			err = ETIMEDOUT;
		}
	}
	put_back_held();
	errno = err;
	return err == 0 ? 0 : -1;
}

static int
write_all_sig(int fd, const void *buf, size_t n, void *ctx)
{
	return hc_sig_write_all(fd, buf, n, *(const hc_deadline *)ctx);
}

int
hc_sig_write_line(int fd, const char *line, hc_deadline until)
{
	return hc_write_line_by(write_all_sig, &until, fd, line);
}

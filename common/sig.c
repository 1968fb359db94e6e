#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "hc.h"
#include "io.h"
#include "sig.h"

static int sig_pipe[2] = { -1, -1 };
static pid_t sig_owner;

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

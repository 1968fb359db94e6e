#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "io.h"
#include "parse.h"
#include "sig.h"
#include "tap.h"

/* Fills the pipe whose write end is w (non-blocking for the filling only). */
static void
fill_pipe(int w)
{
	static const char page[4096];
	hc_set_nonblock(w, true);
	while (write(w, page, sizeof page) > 0 || write(w, page, 1) > 0)
		;
	hc_set_nonblock(w, false);
}

/* hc_sig_write_all on a pipe nobody reads: stop signals end it, SIGCHLD does not. */
static void
test_write_to_full_pipe(void)
{
	int p[2];
	ok(pipe(p) == 0, "a pipe for the writes");
	ok(hc_sig_write_line(p[1], "fits", hc_deadline_at(HC_NEVER)) == 0,
	    "a line goes into a pipe with room");
	char got[8] = "";
	ok(read(p[0], got, sizeof got) == 5 && memcmp(got, "fits\n", 5) == 0,
	    "and arrives whole, with its newline");

	fill_pipe(p[1]);
	raise(SIGCHLD);
	int r = hc_sig_write_line(p[1], "late", hc_deadline_in(50 * HC_NS_PER_MS));
	int err = errno;
	ok(r == -1 && err == ETIMEDOUT, "SIGCHLD does not end the wait; the deadline does "
	    "(%d, errno %d)", r, err);
	ok(hc_sig_next() == SIGCHLD, "SIGCHLD is still pending after the write");
	ok(hc_sig_next() == 0, "once");

	raise(SIGTERM);
	r = hc_sig_write_line(p[1], "blocked", hc_deadline_at(HC_NEVER));
	err = errno;
	ok(r == -1 && err == EINTR, "a pending SIGTERM ends a write that would wait for ever "
	    "(%d, errno %d)", r, err);
	ok(hc_sig_next() == SIGTERM, "SIGTERM is still pending for the caller");
	close(p[0]);
	close(p[1]);
}

int
main(void)
{
	static const int sigs[] = { SIGTERM, SIGHUP, SIGCHLD };
	int fd = hc_sig_catch(sigs, 3);
	ok(fd >= 0, "the signal pipe opens");

	raise(SIGHUP);
	ok(hc_sig_next() == SIGHUP, "a caught signal is read back from the pipe");
	ok(hc_sig_next() == 0, "then nothing is pending");

	/* A child signalled before it execs dies of it and says nothing to us. */
	pid_t pid = fork();
	if (pid == 0) {
		raise(SIGTERM);
		_exit(0);
	}
	int status = 0;
	ok(pid > 0 && waitpid(pid, &status, 0) == pid, "the child is reaped");
	ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM,
	    "the child took SIGTERM's default action (status %d)", status);
	/* The child's exit sends SIGCHLD, which is caught now. */
	int sig;
	while ((sig = hc_sig_next()) == SIGCHLD)
		;
	ok(sig == 0, "the child's signal did not reach the parent's pipe");

	test_write_to_full_pipe();
	return tap_done();
}

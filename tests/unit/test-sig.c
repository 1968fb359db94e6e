#include "config.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sig.h"
#include "tap.h"

int
main(void)
{
	static const int sigs[] = { SIGTERM, SIGHUP };
	int fd = hc_sig_catch(sigs, 2);
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
	ok(hc_sig_next() == 0, "the child's signal did not reach the parent's pipe");
	return tap_done();
}

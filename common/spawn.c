#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "io.h"
#include "sig.h"
#include "spawn.h"

static void
close_pair(int fds[2])
{
	close(fds[0]);
	close(fds[1]);
}

/*
 * In the child: only async-signal-safe calls until execvp.  Every signal goes
 * back to its default action, including those ignored by whoever started us.
 */
static _Noreturn void
exec_child(char *const argv[], int stdin_fd, int out_fd, int exec_fd)
{
	setpgid(0, 0);
	if (stdin_fd != STDIN_FILENO)
		dup2(stdin_fd, STDIN_FILENO);
	dup2(out_fd, STDOUT_FILENO);
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigemptyset(&dfl.sa_mask);
	for (int sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &dfl, NULL);  /* EINVAL for KILL, STOP and libc's own */
	hc_sig_reset_for_exec();
	execvp(argv[0], argv);
	int err = errno;
	(void)!write(exec_fd, &err, sizeof err);
	_exit(127);
}

int
hc_spawn(char *const argv[], int stdin_fd, struct hc_child *c)
{
	int out[2], exec_pipe[2];
	if (pipe2(out, O_CLOEXEC) == -1)
		return -1;
	if (pipe2(exec_pipe, O_CLOEXEC) == -1) {
		int saved = errno;
		close_pair(out);
		errno = saved;
		return -1;
	}
	pid_t pid = fork();
	if (pid == -1) {
		int saved = errno;
		close_pair(out);
		close_pair(exec_pipe);
		errno = saved;
		return -1;
	}
	if (pid == 0)
		exec_child(argv, stdin_fd, out[1], exec_pipe[1]);
	/* Both sides set the group, so it exists whichever runs first. */
	setpgid(pid, pid);
	close(out[1]);
	close(exec_pipe[1]);
	hc_set_nonblock(out[0], true);
	c->pid = pid;
	c->out_fd = out[0];
	c->exec_fd = exec_pipe[0];
	return 0;
}

int
hc_child_exec_error(struct hc_child *c)
{
	int err = 0;
	ssize_t r;
	do
		r = read(c->exec_fd, &err, sizeof err);
	while (r < 0 && errno == EINTR);
	close(c->exec_fd);
	c->exec_fd = -1;
	return r == (ssize_t)sizeof err ? (err != 0 ? err : ENOEXEC) : 0;
}

bool
hc_group_signal(pid_t pgid, int sig)
{
	return pgid > 0 && (kill(-pgid, sig) == 0 || errno != ESRCH);
}

void
hc_become_subreaper(void)
{
#if defined(__linux__) && defined(PR_SET_CHILD_SUBREAPER)
	(void)prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
#endif
}

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "child.h"
#include "io.h"
#include "parse.h"

extern char **environ;

/*
 * The attributes of every check: a process group of its own, every signal
 * at its default action (also those ignored by whoever started us: a check
 * must die of SIGPIPE and SIGTERM), and none blocked.
 */
static int
check_attributes(posix_spawnattr_t *attr)
{
	sigset_t all, none;
	sigfillset(&all);
	sigemptyset(&none);
	int err = posix_spawnattr_init(attr);
	if (err != 0)
		return err;
	if ((err = posix_spawnattr_setpgroup(attr, 0)) != 0 ||
	    (err = posix_spawnattr_setsigdefault(attr, &all)) != 0 ||
	    (err = posix_spawnattr_setsigmask(attr, &none)) != 0 ||
	    (err = posix_spawnattr_setflags(attr, POSIX_SPAWN_SETPGROUP |
	        POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)) != 0)
		posix_spawnattr_destroy(attr);
	return err;
}

/* Connects the check's stdin to stdin_fd and its stdout to out_fd. */
static int
check_file_actions(posix_spawn_file_actions_t *fa, int stdin_fd, int out_fd)
{
	int err = posix_spawn_file_actions_init(fa);
	if (err != 0)
		return err;
	if ((stdin_fd != STDIN_FILENO &&
	        (err = posix_spawn_file_actions_adddup2(fa, stdin_fd, STDIN_FILENO)) != 0) ||
	    (err = posix_spawn_file_actions_adddup2(fa, out_fd, STDOUT_FILENO)) != 0)
		posix_spawn_file_actions_destroy(fa);
	return err;
}

/*
 * posix_spawnp rather than fork and execvp: the C library starts the child
 * in our address space (vfork-like), which spares copying our page tables
 * and the copy-on-write faults that follow, a sizeable part of a short
 * check's cost; and it returns the exec's own error.
 */
int
hc_spawn(char *const argv[], int stdin_fd, struct hc_child *c)
{
	int out[2];
	if (pipe2(out, O_CLOEXEC) == -1)
		return -1;
	posix_spawnattr_t attr;
	posix_spawn_file_actions_t fa;
	pid_t pid = -1;
	int err = check_attributes(&attr);
	if (err == 0) {
		err = check_file_actions(&fa, stdin_fd, out[1]);
		if (err == 0) {
			err = posix_spawnp(&pid, argv[0], &fa, &attr, argv, environ);
			posix_spawn_file_actions_destroy(&fa);
		}
		posix_spawnattr_destroy(&attr);
	}
	close(out[1]);
	if (err != 0) {
		close(out[0]);
		errno = err;
		return -1;
	}
	hc_set_nonblock(out[0], true);
	c->pid = pid;
	c->out_fd = out[0];
	return 0;
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

/*
 * Reads the child's reply into buf (size bytes at most; more is read and
 * dropped) until its end.  1 at the end of the reply, 0 at the deadline,
 * -1 on a read error.
 */
static int
read_reply(int fd, char *buf, size_t size, size_t *got, hc_deadline deadline)
{
	char excess[256];
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int r = hc_poll(&pfd, 1, deadline);
		if (r == 0)
			return 0;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		ssize_t n = *got < size ? read(fd, buf + *got, size - *got)
		    : read(fd, excess, sizeof excess);
		if (n == 0)
			return 1;
		if (n < 0 && errno != EINTR && errno != EAGAIN)
			return -1;
		if (n > 0 && *got < size)
			*got += (size_t)n;
	}
}

/*
 * Waits for pid to exit until the deadline.  true with its wait status
 * (0 when something else reaped it), false when it still runs.  It closed
 * its reply, so this is the time between closing its files and exiting.
 */
static bool
wait_exit(pid_t pid, hc_deadline deadline, int *wstatus)
{
	for (;;) {
		pid_t r = waitpid(pid, wstatus, WNOHANG);
		if (r == pid)
			return true;
		if (r == -1 && errno == ECHILD) {
			*wstatus = 0;
			return true;
		}
		if (r == -1 && errno != EINTR)
			return false;
		if (hc_deadline_passed(deadline))
			return false;
		(void)hc_poll(NULL, 0, hc_deadline_min(deadline, hc_deadline_in(HC_NS_PER_MS)));
	}
}

/* Kills pid and reaps it, through signals. */
static void
kill_and_reap(pid_t pid)
{
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
		;
}

enum hc_call_end
hc_call_bounded(int (*fn)(void *ctx, int reply_fd), void *ctx, void *reply, size_t size,
    size_t *got, hc_deadline deadline)
{
	*got = 0;
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) == -1)
		return HC_CALL_FAILED;
	pid_t pid = fork();
	if (pid == -1) {
		int err = errno;
		close(fds[0]);
		close(fds[1]);
		errno = err;
		return HC_CALL_FAILED;
	}
	if (pid == 0) {
		close(fds[0]);
		_exit(fn(ctx, fds[1]));
	}
	close(fds[1]);
	int ended = read_reply(fds[0], reply, size, got, deadline);
	close(fds[0]);
	int wstatus = 0;
	if (ended != 1 || !wait_exit(pid, deadline, &wstatus)) {
		kill_and_reap(pid);
		return ended == -1 ? HC_CALL_DIED : HC_CALL_LATE;
	}
	return WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0 ? HC_CALL_REPLIED : HC_CALL_DIED;
}

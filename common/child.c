#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "io.h"
#include "child.h"

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

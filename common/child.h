/* Child processes without a shell: each in its own process group, reaped by the caller. */
#ifndef HC_CHILD_H
#define HC_CHILD_H

#include <stdbool.h>
#include <sys/types.h>

struct hc_child {
	pid_t pid;    /* also its process group id */
	int out_fd;   /* read end of its stdout: non-blocking, close-on-exec */
};

/*
 * Starts argv with posix_spawnp (PATH search, no shell: a script needs its
 * #! line) as the leader of a new process group, stdin from stdin_fd, stdout
 * into a new pipe (c->out_fd), stderr inherited, every signal at its default
 * action and none blocked.  0 once the command runs, or -1 with errno: the
 * pipe's, or the exec's (ENOENT, EACCES, ENOEXEC...), in which case there is
 * no child to reap.  The caller reaps a started child with waitpid().
 */
int hc_spawn(char *const argv[], int stdin_fd, struct hc_child *c);

/*
 * Sends sig to every process of group pgid.  true while the group has a
 * member (a zombie counts), false once it is empty.  sig 0 only asks.
 */
bool hc_group_signal(pid_t pgid, int sig);

/*
 * Makes this process the reaper of its orphaned descendants (Linux
 * PR_SET_CHILD_SUBREAPER), so a check's grandchildren come back to it to be
 * reaped instead of piling up under a pid 1 that may not reap.  No-op elsewhere.
 */
void hc_become_subreaper(void);

#endif

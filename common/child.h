/* Child processes without a shell: each in its own process group, reaped by the caller. */
#ifndef HC_CHILD_H
#define HC_CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "clock.h"

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

/* How a bounded call ended (hc_call_bounded). */
enum hc_call_end {
	HC_CALL_REPLIED,  /* the child closed its reply and exited 0 */
	HC_CALL_LATE,     /* the deadline came first: the child was killed */
	HC_CALL_DIED,     /* the child exited non-zero or was killed by a signal */
	HC_CALL_FAILED,   /* no child: pipe or fork failed (errno says why) */
};

/*
 * Runs fn in a forked child, for work that cannot be interrupted or bounded
 * in-process (getaddrinfo, PQcancel).  The child calls fn(ctx, reply_fd),
 * writes its reply on reply_fd and _exits with fn's return value.  The
 * parent reads the reply into reply (at most size bytes; the rest is
 * discarded) until the child closes it, waits for its exit, and kills it
 * (SIGKILL) when the deadline comes first; the child is always reaped, and
 * signals that interrupt the wait are waited through.  *got is the number of
 * bytes read, which may be a partial reply unless the call ends
 * HC_CALL_REPLIED.
 */
enum hc_call_end hc_call_bounded(int (*fn)(void *ctx, int reply_fd), void *ctx, void *reply,
    size_t size, size_t *got, hc_deadline deadline);

#endif

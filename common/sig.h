/* Signals for poll loops: handlers only record; the loop reads them from a pipe. */
#ifndef HC_SIG_H
#define HC_SIG_H

#include <stddef.h>

#include "clock.h"

/*
 * Catches each signal in sigs (a self-pipe: the handler writes the signal
 * number, nothing else).  Returns the pipe's read end, non-blocking and
 * close-on-exec, for poll(); exits HC_EXIT_FAILURE if that cannot be set up.
 */
int hc_sig_catch(const int *sigs, size_t n);

/*
 * Ignores sig (SIGHUP for the filters: a pipeline outlives the terminal
 * that started it).  Checks started by hc-loop get its default action back.
 */
void hc_sig_ignore(int sig);

/* The next caught signal, or 0 when none is pending. */
int hc_sig_next(void);

/*
 * Writes all n bytes to fd, waiting for fd in poll() until the deadline and
 * never past a stop signal: every signal hc_sig_catch caught but SIGCHLD.
 * Gives up with -1 and errno EINTR once a stop signal is pending (it stays
 * pending for hc_sig_next, and so does every other signal), or ETIMEDOUT at
 * the deadline; EPIPE and other errors as write(2).  A blocked write can thus
 * always be stopped: on a pipe, a write of at most PIPE_BUF bytes is whole or
 * not at all, so a line given up leaves nothing of itself behind.
 */
int hc_sig_write_all(int fd, const void *buf, size_t n, hc_deadline until);

/* hc_write_line through hc_sig_write_all. */
int hc_sig_write_line(int fd, const char *line, hc_deadline until);

#endif

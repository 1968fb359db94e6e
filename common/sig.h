/* Signals for poll loops: handlers only record; the loop reads them from a pipe. */
#ifndef HC_SIG_H
#define HC_SIG_H

#include <stddef.h>

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

#endif

/* Monotonic time and deadlines: every wait in hc is a deadline handed to poll(). */
#ifndef HC_CLOCK_H
#define HC_CLOCK_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>

#define HC_NEVER INT64_MAX

/* Nanoseconds on CLOCK_MONOTONIC. */
int64_t hc_now(void);

/* Nanoseconds since the epoch on CLOCK_REALTIME, for timestamps shown to people. */
int64_t hc_wall_now(void);

/* A deadline: an absolute hc_now() value, or HC_NEVER. */
typedef struct {
	int64_t at;
} hc_deadline;

/* The deadline at `at` on the hc_now() clock (HC_NEVER: none). */
hc_deadline hc_deadline_at(int64_t at);

/* The deadline `ns` from now (HC_NEVER when ns is HC_NEVER). */
hc_deadline hc_deadline_in(int64_t ns);

/* Nanoseconds left, never negative; HC_NEVER for a deadline that never comes. */
int64_t hc_deadline_left(hc_deadline d);

bool hc_deadline_passed(hc_deadline d);

/* The earlier of two deadlines. */
hc_deadline hc_deadline_min(hc_deadline a, hc_deadline b);

/*
 * A poll() timeout for the time left: rounded up to whole milliseconds so a
 * wait never wakes early, -1 for HC_NEVER.
 */
int hc_deadline_poll_ms(hc_deadline d);

/*
 * poll() until an event or the deadline.  Returns poll's result (0 when the
 * deadline passed); -1 with EINTR when a signal came, so callers can act on it.
 */
int hc_poll(struct pollfd *fds, nfds_t nfds, hc_deadline d);

#endif

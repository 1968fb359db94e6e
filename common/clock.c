#include "config.h"

#include <limits.h>
#include <time.h>

#include "clock.h"

static int64_t
read_clock(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * INT64_C(1000000000) + ts.tv_nsec;
}

int64_t
hc_now(void)
{
	return read_clock(CLOCK_MONOTONIC);
}

int64_t
hc_wall_now(void)
{
	return read_clock(CLOCK_REALTIME);
}

hc_deadline
hc_deadline_at(int64_t at)
{
	return (hc_deadline){ at };
}

hc_deadline
hc_deadline_in(int64_t ns)
{
	int64_t now = hc_now();
	if (ns == HC_NEVER || ns > HC_NEVER - now)
		return (hc_deadline){ HC_NEVER };
	return (hc_deadline){ now + (ns > 0 ? ns : 0) };
}

int64_t
hc_deadline_left(hc_deadline d)
{
	if (d.at == HC_NEVER)
		return HC_NEVER;
	int64_t left = d.at - hc_now();
	return left > 0 ? left : 0;
}

bool
hc_deadline_passed(hc_deadline d)
{
	return d.at != HC_NEVER && hc_now() >= d.at;
}

hc_deadline
hc_deadline_min(hc_deadline a, hc_deadline b)
{
	return a.at <= b.at ? a : b;
}

int
hc_deadline_poll_ms(hc_deadline d)
{
	int64_t left = hc_deadline_left(d);
	if (left == HC_NEVER)
		return -1;
	int64_t ms = (left + 999999) / 1000000;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

int
hc_poll(struct pollfd *fds, nfds_t nfds, hc_deadline d)
{
	for (;;) {
		int r = poll(fds, nfds, hc_deadline_poll_ms(d));
		if (r != 0 || hc_deadline_passed(d))
			return r;
		/* Woken before the deadline with nothing ready: wait the rest. */
	}
}

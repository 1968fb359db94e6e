#include "config.h"

#include <limits.h>

#include "clock.h"
#include "tap.h"

#define MS INT64_C(1000000)

int
main(void)
{
	int64_t t0 = hc_now();
	ok(hc_now() >= t0, "the monotonic clock does not go back");
	ok(hc_wall_now() > INT64_C(1700000000) * 1000 * MS, "the wall clock is past 2023");

	ok(hc_deadline_in(HC_NEVER).at == HC_NEVER, "a deadline in HC_NEVER never comes");
	ok(hc_deadline_in(HC_NEVER - 1).at == HC_NEVER, "nor does one that would overflow");
	ok(hc_deadline_left(hc_deadline_at(HC_NEVER)) == HC_NEVER, "its time left is HC_NEVER");
	ok(!hc_deadline_passed(hc_deadline_at(HC_NEVER)), "and it has not passed");
	ok(hc_deadline_poll_ms(hc_deadline_at(HC_NEVER)) == -1, "poll waits without a timeout");

	hc_deadline past = hc_deadline_in(-5 * MS);
	ok(hc_deadline_passed(past), "a deadline in a negative time has passed");
	ok(hc_deadline_left(past) == 0, "its time left is 0, never negative");
	ok(hc_deadline_poll_ms(past) == 0, "poll does not wait for it");

	hc_deadline soon = hc_deadline_at(hc_now() + 1);
	ok(hc_deadline_poll_ms(soon) <= 1, "1 ns left rounds to at most 1 ms");
	hc_deadline later = hc_deadline_in(1500 * MS);
	int ms = hc_deadline_poll_ms(later);
	ok(ms >= 1499 && ms <= 1500, "1.5 s left is 1500 ms, rounded up (%d)", ms);
	ok(hc_deadline_poll_ms(hc_deadline_in(INT64_C(30) * 24 * 3600 * 1000 * MS)) == INT_MAX,
	    "a wait longer than poll can take is capped");
	ok(hc_deadline_min(past, later).at == past.at && hc_deadline_min(later, past).at == past.at,
	    "the earlier of two deadlines, either way round");
	ok(hc_deadline_min(later, hc_deadline_at(HC_NEVER)).at == later.at,
	    "any deadline is earlier than none");

	/* hc_poll with nothing to watch returns at the deadline, never before. */
	hc_deadline d = hc_deadline_in(30 * MS);
	int r = hc_poll(NULL, 0, d);
	ok(r == 0 && hc_now() >= d.at, "hc_poll returns 0 at the deadline, not before");
	return tap_done();
}

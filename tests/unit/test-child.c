#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdnoreturn.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "clock.h"
#include "io.h"
#include "parse.h"
#include "tap.h"

/* Sleeps ms milliseconds in the child, through any signal. */
static void
nap(long ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000L };
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static int
say(void *ctx, int fd)
{
	const char *text = ctx;
	return hc_write_all(fd, text, strlen(text)) == 0 ? 0 : 1;
}

static noreturn int
hang(void *ctx, int fd)
{
	(void)ctx;
	(void)fd;
	for (;;)
		pause();
}

static int
fail(void *ctx, int fd)
{
	(void)ctx;
	(void)fd;
	return 7;
}

static int
crash(void *ctx, int fd)
{
	(void)ctx;
	(void)fd;
	raise(SIGKILL);
	return 0;
}

static int
part_then_exit(void *ctx, int fd)
{
	(void)ctx;
	(void)!write(fd, "par", 3);
	return 1;
}

static int
part_then_hang(void *ctx, int fd)
{
	(void)!write(fd, "par", 3);
	return hang(ctx, fd);
}

static int
close_then_hang(void *ctx, int fd)
{
	close(fd);
	return hang(ctx, fd);
}

static int
nap_then_say(void *ctx, int fd)
{
	nap(150);
	return say(ctx, fd);
}

/* True when this process has no child left to reap: every call reaped its own. */
static bool
no_child_left(void)
{
	return waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD;
}

static volatile sig_atomic_t alarms;

static void
on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

int
main(void)
{
	char reply[64];
	size_t got = 99;
	enum hc_call_end end;

	end = hc_call_bounded(say, "hello", reply, sizeof reply, &got, hc_deadline_in(5 * HC_NS_PER_S));
	ok(end == HC_CALL_REPLIED && got == 5 && memcmp(reply, "hello", 5) == 0,
	    "a reply is read whole (end %d, got %zu)", end, got);
	ok(no_child_left(), "and the child is reaped");

	end = hc_call_bounded(say, "0123456789", reply, 4, &got, hc_deadline_in(5 * HC_NS_PER_S));
	ok(end == HC_CALL_REPLIED && got == 4 && memcmp(reply, "0123", 4) == 0,
	    "a reply longer than the buffer is cut at its size (end %d, got %zu)", end, got);

	int64_t t0 = hc_now();
	end = hc_call_bounded(hang, NULL, reply, sizeof reply, &got, hc_deadline_in(200 * HC_NS_PER_MS));
	int64_t took = hc_now() - t0;
	ok(end == HC_CALL_LATE && got == 0, "a child that hangs is late (end %d)", end);
	ok(took >= 200 * HC_NS_PER_MS && took < 10 * HC_NS_PER_S,
	    "it is killed at the deadline, not before (%lld ms)", (long long)(took / HC_NS_PER_MS));
	ok(no_child_left(), "and reaped");

	t0 = hc_now();
	end = hc_call_bounded(close_then_hang, NULL, reply, sizeof reply, &got,
	    hc_deadline_in(200 * HC_NS_PER_MS));
	took = hc_now() - t0;
	ok(end == HC_CALL_LATE && took >= 200 * HC_NS_PER_MS && no_child_left(),
	    "a child that closes its reply but does not exit is killed at the deadline (end %d)", end);

	end = hc_call_bounded(fail, NULL, reply, sizeof reply, &got, hc_deadline_in(5 * HC_NS_PER_S));
	ok(end == HC_CALL_DIED && got == 0, "a child that exits non-zero died (end %d)", end);
	end = hc_call_bounded(crash, NULL, reply, sizeof reply, &got, hc_deadline_in(5 * HC_NS_PER_S));
	ok(end == HC_CALL_DIED && got == 0, "a child killed by a signal died (end %d)", end);
	ok(no_child_left(), "both are reaped");

	end = hc_call_bounded(part_then_exit, NULL, reply, sizeof reply, &got,
	    hc_deadline_in(5 * HC_NS_PER_S));
	ok(end == HC_CALL_DIED && got == 3 && memcmp(reply, "par", 3) == 0,
	    "a partial reply then a failed exit: died, with the part read (end %d, got %zu)", end, got);
	end = hc_call_bounded(part_then_hang, NULL, reply, sizeof reply, &got,
	    hc_deadline_in(200 * HC_NS_PER_MS));
	ok(end == HC_CALL_LATE && got == 3, "a partial reply then a hang: late, with the part read "
	    "(end %d, got %zu)", end, got);

	/* Signals every 5 ms, without SA_RESTART, while the child takes 150 ms. */
	struct sigaction sa = { .sa_handler = on_alarm };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval every = { { 0, 5000 }, { 0, 5000 } };
	setitimer(ITIMER_REAL, &every, NULL);
	end = hc_call_bounded(nap_then_say, "late hello", reply, sizeof reply, &got,
	    hc_deadline_in(10 * HC_NS_PER_S));
	setitimer(ITIMER_REAL, &(struct itimerval){ { 0, 0 }, { 0, 0 } }, NULL);
	ok(alarms > 3, "signals came during the wait (%d)", (int)alarms);
	ok(end == HC_CALL_REPLIED && got == 10 && memcmp(reply, "late hello", 10) == 0,
	    "the wait goes on through them and takes the reply (end %d, got %zu)", end, got);
	ok(no_child_left(), "and the child is reaped");
	return tap_done();
}

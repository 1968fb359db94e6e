#include "config.h"

#include <unistd.h>

#include "clock.h"
#include "io.h"
#include "tap.h"

/* Feeds data through a pipe into a linebuf of max_len and collects the results. */
static void
feed(const char *data, size_t n, size_t max_len, char *log, size_t logsize)
{
	int fds[2];
	struct hc_linebuf lb;
	if (pipe(fds) != 0)
		return;
	(void)!write(fds[1], data, n);
	close(fds[1]);
	hc_linebuf_init(&lb, max_len);
	log[0] = '\0';
	while (!lb.eof) {
		if (hc_linebuf_fill(&lb, fds[0]) < 0)
			break;
		char *line;
		size_t len;
		enum hc_line r;
		while ((r = hc_linebuf_next(&lb, &line, &len)) != HC_LINE_NONE) {
			const char *tag = r == HC_LINE_OK ? "ok" : r == HC_LINE_TOO_LONG ? "long" : "unterm";
			snprintf(log + strlen(log), logsize - strlen(log), "%s:%s|", tag, line);
		}
	}
	hc_linebuf_free(&lb);
	close(fds[0]);
}

int
main(void)
{
	char log[4096];

	feed("a\nbb\n", 5, 16, log, sizeof log);
	ok(strcmp(log, "ok:a|ok:bb|") == 0, "two lines (%s)", log);
	feed("a\n\nc", 4, 16, log, sizeof log);
	ok(strcmp(log, "ok:a|ok:|unterm:c|") == 0, "empty line and unterminated tail (%s)", log);
	feed("0123456789\nok\n", 14, 4, log, sizeof log);
	ok(strcmp(log, "long:0123|ok:ok|") == 0, "over-long line is cut and its rest dropped (%s)", log);
	feed("0123\n", 5, 4, log, sizeof log);
	ok(strcmp(log, "ok:0123|") == 0, "a line of exactly max_len fits (%s)", log);
	feed("01234", 5, 4, log, sizeof log);
	ok(strcmp(log, "long:0123|") == 0, "over-long unterminated tail (%s)", log);
	feed("", 0, 4, log, sizeof log);
	ok(strcmp(log, "") == 0, "empty input gives nothing");

	int fds[2];
	ok(pipe(fds) == 0 && hc_write_line(fds[1], "hello") == 0, "write_line");
	char buf[16] = "";
	ok(read(fds[0], buf, sizeof buf) == 6 && memcmp(buf, "hello\n", 6) == 0, "line has its newline");
	close(fds[0]);
	close(fds[1]);

	hc_deadline d = hc_deadline_in(50 * 1000000);
	int64_t t0 = hc_now();
	int ms = hc_deadline_poll_ms(d);
	/* At most the 50 ms asked for, rounded up; less only by the time this took. */
	ok(ms >= 1 && ms <= 50, "poll timeout is within the deadline (%d)", ms);
	ok(hc_poll(NULL, 0, d) == 0 && hc_now() - t0 >= 50 * 1000000, "hc_poll waits out the deadline");
	ok(hc_deadline_passed(d) && hc_deadline_left(d) == 0, "deadline has passed");
	ok(hc_deadline_poll_ms((hc_deadline){ HC_NEVER }) == -1, "never means -1");
	return tap_done();
}

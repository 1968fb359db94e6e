#include "config.h"

#include "stream.h"
#include "tap.h"

/* Parses a copy of s; returns the reason or NULL. */
static const char *
parse(const char *s, struct hc_status *st, char *buf, size_t size)
{
	snprintf(buf, size, "%s", s);
	return hc_stream_parse(buf, strlen(buf), st);
}

int
main(void)
{
	char buf[2048], out[2048];
	struct hc_status st;

	ok(parse("up rc=0 ms=0.41 t=1764090000.123", &st, buf, sizeof buf) == NULL &&
	    st.state == HC_STATE_UP && st.nfields == 3, "a full up line parses");
	ok(strcmp(hc_status_get(&st, "ms"), "0.41") == 0, "fields are found by key");
	ok(hc_status_get(&st, "nope") == NULL, "an absent key is NULL");
	ok(hc_status_format(&st, out, sizeof out) > 0 &&
	    strcmp(out, "up rc=0 ms=0.41 t=1764090000.123") == 0, "format round-trips");

	ok(parse("down", &st, buf, sizeof buf) == NULL && st.state == HC_STATE_DOWN &&
	    st.nfields == 0, "a bare state parses");

	static const char *bad[] = {
		"", "UP", "up\r", "maybe rc=0", "up rc", "up =1", "up rc=", "up Rc=0",
		"up 1rc=0", "up rc=0 rc=1", "up  rc=0", " up", "up ", "up\trc=0",
		"up rc=\x01", "up rc=\xc3\xa9",
		"up aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=1",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ok(parse(bad[i], &st, buf, sizeof buf) != NULL, "bad line %zu rejected", i);

	char nul[] = "up a\0b";
	ok(hc_stream_parse(nul, sizeof nul - 1, &st) != NULL, "a NUL byte is rejected");

	char longline[HC_STREAM_LINE_MAX + 10];
	memset(longline, 'x', sizeof longline);
	memcpy(longline, "up k=", 5);
	ok(hc_stream_parse(longline, sizeof longline, &st) != NULL, "an over-long line is rejected");

	char many[2048] = "up";
	for (int i = 0; i < HC_STREAM_FIELDS_MAX + 1; i++)
		snprintf(many + strlen(many), sizeof many - strlen(many), " k%d=1", i);
	ok(parse(many, &st, buf, sizeof buf) != NULL, "more than %d fields are rejected",
	    HC_STREAM_FIELDS_MAX);

	ok(parse("down rc=1", &st, buf, sizeof buf) == NULL, "down line parses");
	ok(hc_status_set(&st, "raw", "up") && hc_status_set(&st, "rc", "0"), "set appends and replaces");
	st.state = HC_STATE_UP;
	ok(hc_status_format(&st, out, sizeof out) > 0 && strcmp(out, "up rc=0 raw=up") == 0,
	    "set fields are formatted in order (%s)", out);
	hc_status_del(&st, "rc");
	ok(hc_status_format(&st, out, sizeof out) > 0 && strcmp(out, "up raw=up") == 0, "del removes");
	ok(hc_status_format(&st, out, 5) == 0, "format refuses a short buffer");

	char unterminated[] = "up rc=0Z";
	ok(hc_stream_parse(unterminated, 7, &st) == NULL &&
	    strcmp(hc_status_get(&st, "rc"), "0") == 0 && unterminated[7] == '\0',
	    "the byte after the line becomes the NUL ending its last value");

	/* What ExaBGP writes when it stops (4.2.21 and 5.0.13: "shutdown PID PPID"). */
	static const char *shutdown_lines[] = { "shutdown 22851 22839", "shutdown", "shutdown 1 1" };
	for (size_t i = 0; i < sizeof shutdown_lines / sizeof shutdown_lines[0]; i++)
		ok(hc_exabgp_shutdown_line(shutdown_lines[i], strlen(shutdown_lines[i])),
		    "'%s' is ExaBGP's shutdown line", shutdown_lines[i]);
	static const char *not_shutdown[] = {
		"", "done", "error", "shutdow", "shutdown ", "shutdown 22851", "shutdown 22851 ",
		"shutdown 22851 22839 ", "shutdown  22851 22839", "shutdown 22851 x", "shutdownx",
		"shutdown 22851 22839 1", "Shutdown 1 2", "shutdown\t1 2",
	};
	for (size_t i = 0; i < sizeof not_shutdown / sizeof not_shutdown[0]; i++)
		ok(!hc_exabgp_shutdown_line(not_shutdown[i], strlen(not_shutdown[i])),
		    "'%s' is not a shutdown line", not_shutdown[i]);
	ok(!hc_exabgp_shutdown_line("shutdown 22851 22839", 14), "a line cut short is not one");
	return tap_done();
}

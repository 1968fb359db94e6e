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

	/* Acks: "done" and "error"; main (4460078e) writes "error: REASON" before its "error". */
	static const struct {
		const char *line;
		enum hc_exabgp_line kind;
	} kinds[] = {
		{ "done", HC_EXABGP_DONE }, { "error", HC_EXABGP_ERROR },
		{ "error: Could not parse route", HC_EXABGP_REASON }, { "error: x", HC_EXABGP_REASON },
		{ "shutdown 22851 22839", HC_EXABGP_SHUTDOWN }, { "", HC_EXABGP_OTHER },
		{ "error:", HC_EXABGP_OTHER }, { "error: ", HC_EXABGP_OTHER },
		{ "errors", HC_EXABGP_OTHER }, { "Error", HC_EXABGP_OTHER },
		{ "error:x", HC_EXABGP_OTHER }, { "done ", HC_EXABGP_OTHER },
		{ "neighbor 192.0.2.1 up", HC_EXABGP_OTHER }, { "{\"error\": \"x\"}", HC_EXABGP_OTHER },
	};
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		ok(hc_exabgp_line_kind(kinds[i].line, strlen(kinds[i].line)) == kinds[i].kind,
		    "'%s' is of kind %d", kinds[i].line, (int)kinds[i].kind);
	ok(hc_exabgp_line_kind("errorX", 5) == HC_EXABGP_ERROR, "the length, not a NUL, ends a line");

	struct hc_exabgp_acks acks = { 0 };
	const char *reason = "unset";
	ok(hc_exabgp_ack(&acks, "error", 5, &reason) == HC_EXABGP_ERROR && reason == NULL,
	    "an error without a reason line has none (4.2, 5.0)");
	/* As main at 4460078e answers an as-path number above 65535 in API 4. */
	const char *why = "error: Unexpected error: error: 'H' format requires 0 <= number <= 65535";
	ok(hc_exabgp_ack(&acks, why, strlen(why), &reason) == HC_EXABGP_REASON && reason == NULL,
	    "a reason line is no ack of its own");
	ok(hc_exabgp_ack(&acks, "neighbor 192.0.2.1 up", 21, &reason) == HC_EXABGP_OTHER,
	    "an event between them is passed over");
	ok(hc_exabgp_ack(&acks, "error", 5, &reason) == HC_EXABGP_ERROR && reason != NULL &&
	    strcmp(reason, why + 7) == 0, "the error after it takes its reason");
	ok(hc_exabgp_ack(&acks, "error", 5, &reason) == HC_EXABGP_ERROR && reason == NULL,
	    "a reason serves one error only");
	ok(hc_exabgp_ack(&acks, "error: stale", 12, &reason) == HC_EXABGP_REASON &&
	    hc_exabgp_ack(&acks, "done", 4, &reason) == HC_EXABGP_DONE &&
	    hc_exabgp_ack(&acks, "error", 5, &reason) == HC_EXABGP_ERROR && reason == NULL,
	    "a done between them drops the reason");
	ok(hc_exabgp_ack(&acks, "error: first", 12, &reason) == HC_EXABGP_REASON &&
	    hc_exabgp_ack(&acks, "error: second", 13, &reason) == HC_EXABGP_REASON &&
	    hc_exabgp_ack(&acks, "error", 5, &reason) == HC_EXABGP_ERROR && reason != NULL &&
	    strcmp(reason, "second") == 0, "of two reason lines, the last is the reason");
	char ctl[] = "error: a\tb\x1b[31mc\xc3\xa9";
	ok(hc_exabgp_ack(&acks, ctl, sizeof ctl - 1, &reason) == HC_EXABGP_REASON &&
	    hc_exabgp_ack(&acks, "error", 5, &reason) == HC_EXABGP_ERROR && reason != NULL &&
	    strcmp(reason, "a?b?[31mc??") == 0, "a reason is made printable");
	char lng[HC_EXABGP_REASON_MAX + 100] = "error: ";
	memset(lng + 7, 'r', sizeof lng - 8);
	lng[sizeof lng - 1] = '\0';
	ok(hc_exabgp_ack(&acks, lng, strlen(lng), &reason) == HC_EXABGP_REASON &&
	    hc_exabgp_ack(&acks, "error", 5, &reason) == HC_EXABGP_ERROR && reason != NULL &&
	    strlen(reason) == HC_EXABGP_REASON_MAX - 1 &&
	    strcmp(reason + HC_EXABGP_REASON_MAX - 4, "...") == 0 && reason[0] == 'r',
	    "a long reason is cut to fit, with '...'");
	char fits[HC_EXABGP_REASON_MAX + 7] = "error: ";
	memset(fits + 7, 'f', HC_EXABGP_REASON_MAX - 1);
	fits[7 + HC_EXABGP_REASON_MAX - 1] = '\0';
	ok(hc_exabgp_ack(&acks, fits, strlen(fits), &reason) == HC_EXABGP_REASON &&
	    hc_exabgp_ack(&acks, "error", 5, &reason) == HC_EXABGP_ERROR && reason != NULL &&
	    strlen(reason) == HC_EXABGP_REASON_MAX - 1 && strchr(reason, '.') == NULL,
	    "a reason that just fits is whole");
	return tap_done();
}

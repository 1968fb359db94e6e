#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "clock.h"
#include "hc.h"
#include "io.h"

#define REQUEST_LINE_MAX 64

int64_t
hc_parse_timeout(const char *arg)
{
	int64_t ns;
	const char *why = hc_parse_duration(arg, HC_TIMEOUT_MIN, HC_TIMEOUT_MAX, &ns);
	if (why != NULL)
		hc_diex(HC_EXIT_USAGE, "invalid --timeout '%s': %s", arg, why);
	return ns;
}

void
hc_reasonf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	if (size == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (isupper((unsigned char)buf[0]) && islower((unsigned char)buf[1]))
		buf[0] = (char)tolower((unsigned char)buf[0]);
}

void
hc_report(const struct hc_check *c, const struct hc_verdict *v, int64_t took)
{
	if (c->fields && v->fields[0] != '\0')
		(void)hc_write_line(STDOUT_FILENO, v->fields);
	if (!c->verbose)
		return;
	char elapsed[32];
	hc_format_ms(took, elapsed, sizeof elapsed);
	const char *sp = v->where[0] != '\0' ? " " : "";
	if (v->status == HC_EXIT_UP)
		hc_warnx("%s%sup in %s%s%s", v->where, sp, elapsed, v->reason[0] != '\0' ? ": " : "",
		    v->reason);
	else
		hc_warnx("%s%sdown: %s (after %s)", v->where, sp,
		    v->reason[0] != '\0' ? v->reason : "unknown reason", elapsed);
}

/* One run, timed, with a fresh verdict. */
static void
run_once(const struct hc_check *c, struct hc_verdict *v, int64_t *took)
{
	*v = (struct hc_verdict){ .status = HC_EXIT_DOWN };
	int64_t start = hc_now();
	c->run(c->ctx, v);
	*took = hc_now() - start;
}

/*
 * True when hc-loop --resident started this process: HC_RESIDENT=1, and
 * this process leads its process group as hc-loop starts checks, so that a
 * command run by a resident script does not take the script's requests.
 * The variable is removed either way: nothing this check starts sees it.
 */
static bool
started_resident(void)
{
	const char *v = getenv(HC_RESIDENT_ENV);
	bool resident = v != NULL && strcmp(v, "1") == 0 && getpid() == getpgrp();
	unsetenv(HC_RESIDENT_ENV);
	return resident;
}

/*
 * The resident loop: a "check" line on stdin runs the check and answers
 * "STATUS[ FIELDS]" on stdout.  Ends at the end of stdin, or when hc-loop
 * no longer reads the answers.
 */
static int
serve(const struct hc_check *c)
{
	struct hc_linebuf in;
	hc_linebuf_init(&in, REQUEST_LINE_MAX);
	int status = HC_EXIT_UP;
	for (;;) {
		char *line;
		size_t len;
		enum hc_line kind = hc_linebuf_next(&in, &line, &len);
		if (kind == HC_LINE_NONE) {
			if (in.eof)
				break;
			ssize_t n = hc_linebuf_fill(&in, STDIN_FILENO);
			if (n < 0 && errno == EAGAIN) {
				struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
				(void)hc_poll(&pfd, 1, hc_deadline_at(HC_NEVER));
			} else if (n < 0 && errno != EINTR) {
				hc_warn("read requests");
				status = HC_EXIT_FAILURE;
				break;
			}
			continue;
		}
		if (kind != HC_LINE_OK || strcmp(line, "check") != 0) {
			hc_warnx("invalid request '%.*s' (hc-resident(7))", (int)(len < 40 ? len : 40),
			    line);
			status = HC_EXIT_USAGE;
			break;
		}
		struct hc_verdict v;
		int64_t took;
		run_once(c, &v, &took);
		char answer[16 + HC_VERDICT_FIELDS_MAX];
		snprintf(answer, sizeof answer, "%d%s%s", v.status, c->fields && v.fields[0] ? " " : "",
		    c->fields ? v.fields : "");
		hc_report(&(struct hc_check){ .verbose = c->verbose }, &v, took);
		if (hc_write_line(STDOUT_FILENO, answer) == -1) {
			if (errno != EPIPE) {
				hc_warn("write answer");
				status = HC_EXIT_FAILURE;
			}
			break;
		}
	}
	hc_linebuf_free(&in);
	return status;
}

int
hc_check_main(const struct hc_check *c)
{
	if (started_resident())
		return serve(c);
	struct hc_verdict v;
	int64_t took;
	run_once(c, &v, &took);
	hc_report(c, &v, took);
	return v.status;
}

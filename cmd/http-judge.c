/*
 * hc-http's judge: from what a transfer observed (struct http_seen), up or
 * down and why.  Status sets, body rules, certificate days and the reason
 * for a deadline; no CURL handle, no I/O.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "http.h"
#include "parse.h"

/* One item of a status list into r: NULL, or why it is not one. */
static const char *
parse_status_item(char *item, struct status_range *r, char *why, size_t why_size)
{
	long long lo, hi;
	size_t len = strlen(item);
	char *dash = strchr(item, '-');
	if (len == 3 && item[0] >= '1' && item[0] <= '5' && strcmp(item + 1, "xx") == 0) {
		lo = (item[0] - '0') * 100;
		hi = lo + 99;
	} else if (dash != NULL && dash != item) {
		*dash = '\0';
		bool numbers = hc_parse_int(item, 100, 599, &lo) == NULL
		    && hc_parse_int(dash + 1, 100, 599, &hi) == NULL;
		*dash = '-';
		if (!numbers) {
			snprintf(why, why_size, "'%s' is not a range of status codes 100-599", item);
			return why;
		}
		if (lo > hi) {
			snprintf(why, why_size, "'%s' is an empty range", item);
			return why;
		}
	} else if (hc_parse_int(item, 100, 599, &lo) == NULL) {
		hi = lo;
	} else {
		snprintf(why, why_size, "'%s' is not a status code 100-599", item);
		return why;
	}
	r->lo = (long)lo;
	r->hi = (long)hi;
	return NULL;
}

const char *
http_parse_status_list(const char *arg, struct status_set *set, char *why, size_t why_size)
{
	set->n = 0;
	set->arg = arg;
	for (const char *p = arg;;) {
		const char *end = strchr(p, ',');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
		char item[16];
		if (len == 0)
			return "empty item";
		if (len >= sizeof item)
			return "item too long";
		if (set->n == STATUS_RANGES_MAX)
			return "too many items";
		memcpy(item, p, len);
		item[len] = '\0';
		const char *bad = parse_status_item(item, &set->range[set->n++], why, why_size);
		if (bad != NULL || end == NULL)
			return bad;
		p = end + 1;
	}
}

static bool
status_accepted(const struct status_set *set, long code)
{
	for (size_t i = 0; i < set->n; i++) {
		if (code >= set->range[i].lo && code <= set->range[i].hi)
			return true;
	}
	return false;
}

time_t
http_cert_time(const char *s)
{
	/* OpenSSL: "Nov 26 18:45:00 2026 GMT"; libcurl's own ASN.1 code: "2026-11-26 18:45:00 GMT". */
	static const char *const formats[] = { "%b %d %H:%M:%S %Y GMT", "%Y-%m-%d %H:%M:%S GMT" };
	for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
		struct tm tm;
		memset(&tm, 0, sizeof tm);
		const char *end = strptime(s, formats[i], &tm);
		if (end != NULL && *end == '\0')
			return timegm(&tm);
	}
	return -1;
}

/* The certificate's days left against --cert-days; fills j's days either way it can. */
static bool
cert_days_ok(const struct options *o, const struct http_seen *seen, time_t now,
    struct http_judgement *j)
{
	if (!seen->cert_info) {
		hc_reason(j->reason, "%s", "no certificate information from the TLS library");
		return false;
	}
	const char *expire = seen->cert_expire;
	time_t at = expire != NULL ? http_cert_time(expire) : -1;
	if (at == -1) {
		hc_reason(j->reason, "cannot read the certificate's expiry date '%s'",
		    expire != NULL ? expire : "");
		return false;
	}
	int64_t left = (int64_t)at - (int64_t)now;
	j->have_cert_days = true;
	j->cert_days = left >= 0 ? left / 86400 : -((-left + 86399) / 86400);
	if (left >= o->cert_days * 86400)
		return true;
	if (left < 0)
		hc_reason(j->reason, "certificate expired %.1f days ago (%s)", -(double)left / 86400,
		    expire);
	else
		hc_reason(j->reason, "certificate expires in %.1f days (%s), within --cert-days %lld",
		    (double)left / 86400, expire, o->cert_days);
	return false;
}

/* Every body rule against the prefix read: true, or false with the reason in j. */
static bool
body_ok(const struct options *o, const struct body *b, struct http_judgement *j)
{
	char within[48] = "";
	if (b->full)
		snprintf(within, sizeof within, " in its first %zu bytes", b->len);
	const char *text = b->buf != NULL ? b->buf : "";
	for (size_t i = 0; i < o->nrules; i++) {
		const struct body_rule *r = &o->rules[i];
		bool found;
		if (r->kind == RULE_MATCHES) {
			regmatch_t whole = { .rm_so = 0, .rm_eo = (regoff_t)b->len };
			found = regexec(&r->re, text, 1, &whole, REG_STARTEND) == 0;
		} else {
			found = memmem(text, b->len, r->text, strlen(r->text)) != NULL;
		}
		if (r->kind == RULE_LACKS && found) {
			hc_reason(j->reason, "body contains '%s'", r->text);
			return false;
		}
		if (r->kind != RULE_LACKS && !found) {
			hc_reason(j->reason, "body does not %s '%s'%s",
			    r->kind == RULE_MATCHES ? "match" : "contain", r->text, within);
			return false;
		}
	}
	return true;
}

/* Which step the deadline interrupted, from what the transfer had reached. */
static void
explain_deadline(const struct options *o, const struct http_seen *seen, struct http_judgement *j)
{
	if (seen->first_byte)
		hc_reason(j->reason, "body incomplete at the deadline (%zu bytes received)",
		    seen->body->seen);
	else if (seen->connected && seen->tls && !seen->handshake_done)
		hc_reason(j->reason, "%s", "TLS handshake incomplete at the deadline");
	else if (seen->connected)
		hc_reason(j->reason, "%s", "no response before the deadline");
	else if (o->target.host_is_literal || seen->name_looked_up)
		hc_reason(j->reason, "%s", "no connection before the deadline");
	else
		hc_reason(j->reason, "%s", "name lookup incomplete at the deadline");
}

void
http_judge(const struct options *o, const struct http_seen *seen, time_t now,
    struct http_judgement *j)
{
	*j = (struct http_judgement){ .up = false };
	if (seen->end == TRANSFER_DEADLINE) {
		explain_deadline(o, seen, j);
		return;
	}
	if (seen->end == TRANSFER_FAILED) {
		hc_reason(j->reason, "%s", seen->error);
		return;
	}
	/* Read before the status is judged, so that --fields reports cert_days either way. */
	bool cert_ok = o->cert_days < 0 || cert_days_ok(o, seen, now, j);
	if (!status_accepted(&o->status, seen->code)) {
		if (seen->redirect_url != NULL && !o->follow)
			hc_reason(j->reason, "HTTP %ld, expected %s (redirect to %s not followed: see --follow)",
			    seen->code, o->status.arg, seen->redirect_url);
		else
			hc_reason(j->reason, "HTTP %ld, expected %s", seen->code, o->status.arg);
		return;
	}
	if (cert_ok && body_ok(o, seen->body, j))
		j->up = true;
}

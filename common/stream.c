#include "config.h"

#include <string.h>

#include "stream.h"

const char *
hc_state_name(enum hc_state s)
{
	return s == HC_STATE_UP ? "up" : "down";
}

bool
hc_stream_key_ok(const char *key, size_t len)
{
	if (len == 0 || len > HC_STREAM_KEY_MAX || key[0] < 'a' || key[0] > 'z')
		return false;
	for (size_t i = 1; i < len; i++) {
		char c = key[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

bool
hc_stream_value_ok(const char *value, size_t len)
{
	if (len == 0 || len > HC_STREAM_VALUE_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)value[i];
		if (c <= 0x20 || c >= 0x7f)
			return false;
	}
	return true;
}

const char *
hc_stream_parse(char *line, size_t len, struct hc_status *st)
{
	if (len == 0)
		return "empty line";
	if (len > HC_STREAM_LINE_MAX)
		return "line too long";
	if (memchr(line, '\0', len) != NULL)
		return "NUL byte";
	if (line[len - 1] == '\r')
		return "carriage return (CRLF line end)";
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];
		if (c != ' ' && (c < 0x21 || c >= 0x7f))
			return "control or non-ASCII byte";
	}
	st->nfields = 0;
	char *word = line;
	char *end = line + len;
	bool first = true;
	while (word < end) {
		char *sp = memchr(word, ' ', (size_t)(end - word));
		char *wend = sp != NULL ? sp : end;
		if (wend == word)
			return "extra space";
		*wend = '\0';
		size_t wlen = (size_t)(wend - word);
		if (first) {
			if (strcmp(word, "up") == 0)
				st->state = HC_STATE_UP;
			else if (strcmp(word, "down") == 0)
				st->state = HC_STATE_DOWN;
			else
				return "unknown state";
			first = false;
		} else {
			char *eq = memchr(word, '=', wlen);
			if (eq == NULL)
				return "field without '='";
			size_t klen = (size_t)(eq - word);
			if (!hc_stream_key_ok(word, klen))
				return "invalid key";
			if (!hc_stream_value_ok(eq + 1, wlen - klen - 1))
				return "invalid value";
			*eq = '\0';
			if (hc_status_get(st, word) != NULL)
				return "repeated key";
			if (st->nfields == HC_STREAM_FIELDS_MAX)
				return "too many fields";
			st->fields[st->nfields].key = word;
			st->fields[st->nfields].value = eq + 1;
			st->nfields++;
		}
		if (sp == NULL)
			break;
		word = sp + 1;
		if (word == end)
			return "trailing space";
	}
	return NULL;
}

const char *
hc_status_get(const struct hc_status *st, const char *key)
{
	for (size_t i = 0; i < st->nfields; i++) {
		if (strcmp(st->fields[i].key, key) == 0)
			return st->fields[i].value;
	}
	return NULL;
}

bool
hc_status_set(struct hc_status *st, const char *key, const char *value)
{
	for (size_t i = 0; i < st->nfields; i++) {
		if (strcmp(st->fields[i].key, key) == 0) {
			st->fields[i].value = value;
			return true;
		}
	}
	if (st->nfields == HC_STREAM_FIELDS_MAX)
		return false;
	st->fields[st->nfields].key = key;
	st->fields[st->nfields].value = value;
	st->nfields++;
	return true;
}

void
hc_status_del(struct hc_status *st, const char *key)
{
	for (size_t i = 0; i < st->nfields; i++) {
		if (strcmp(st->fields[i].key, key) == 0) {
			memmove(&st->fields[i], &st->fields[i + 1],
			    (st->nfields - i - 1) * sizeof st->fields[0]);
			st->nfields--;
			return;
		}
	}
}

size_t
hc_status_format(const struct hc_status *st, char *buf, size_t size)
{
	if (size == 0)
		return 0;
	size_t limit = size - 1 < HC_STREAM_LINE_MAX ? size - 1 : HC_STREAM_LINE_MAX;
	const char *name = hc_state_name(st->state);
	size_t n = strlen(name);
	if (n > limit)
		return 0;
	memcpy(buf, name, n);
	for (size_t i = 0; i < st->nfields; i++) {
		size_t kl = strlen(st->fields[i].key), vl = strlen(st->fields[i].value);
		if (n + 1 + kl + 1 + vl > limit)
			return 0;
		buf[n++] = ' ';
		memcpy(buf + n, st->fields[i].key, kl);
		n += kl;
		buf[n++] = '=';
		memcpy(buf + n, st->fields[i].value, vl);
		n += vl;
	}
	buf[n] = '\0';
	return n;
}

/* Skips " DIGITS" at *p (before end); false when it is not there. */
static bool
skip_space_number(const char **p, const char *end)
{
	if (*p >= end || **p != ' ')
		return false;
	const char *q = *p + 1;
	while (q < end && *q >= '0' && *q <= '9')
		q++;
	if (q == *p + 1)
		return false;
	*p = q;
	return true;
}

bool
hc_exabgp_shutdown_line(const char *line, size_t len)
{
	static const char word[] = "shutdown";
	size_t n = sizeof word - 1;
	if (len < n || memcmp(line, word, n) != 0)
		return false;
	if (len == n)
		return true;
	const char *p = line + n, *end = line + len;
	return skip_space_number(&p, end) && skip_space_number(&p, end) && p == end;
}

enum hc_exabgp_line
hc_exabgp_line_kind(const char *line, size_t len)
{
	static const char reason[] = "error: ";
	size_t n = sizeof reason - 1;
	if (len == 4 && memcmp(line, "done", 4) == 0)
		return HC_EXABGP_DONE;
	if (len == 5 && memcmp(line, "error", 5) == 0)
		return HC_EXABGP_ERROR;
	if (len > n && memcmp(line, reason, n) == 0)
		return HC_EXABGP_REASON;
	if (hc_exabgp_shutdown_line(line, len))
		return HC_EXABGP_SHUTDOWN;
	return HC_EXABGP_OTHER;
}

/* Copies text (len bytes) into reason as a printable string, cut with "..." to fit. */
static void
keep_reason(char reason[HC_EXABGP_REASON_MAX], const char *text, size_t len)
{
	static const char cut[] = "...";
	size_t room = HC_EXABGP_REASON_MAX - 1, n = len;
	if (n > room)
		n = room - (sizeof cut - 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)text[i];
		reason[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (n < len) {
		memcpy(reason + n, cut, sizeof cut - 1);
		n += sizeof cut - 1;
	}
	reason[n] = '\0';
}

enum hc_exabgp_line
hc_exabgp_ack(struct hc_exabgp_acks *acks, const char *line, size_t len, const char **reason)
{
	static const size_t prefix = sizeof "error: " - 1;
	enum hc_exabgp_line kind = hc_exabgp_line_kind(line, len);
	*reason = NULL;
	switch (kind) {
	case HC_EXABGP_REASON:
		keep_reason(acks->reason, line + prefix, len - prefix);
		acks->have_reason = true;
		break;
	case HC_EXABGP_ERROR:
		if (acks->have_reason)
			*reason = acks->reason;
		acks->have_reason = false;
		break;
	case HC_EXABGP_DONE:
		acks->have_reason = false;
		break;
	default:
		break;
	}
	return kind;
}

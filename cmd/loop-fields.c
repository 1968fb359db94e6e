#include "config.h"

#include <string.h>

#include "loop-fields.h"

/* Keys that hc-loop and the stages after it write: a check cannot set them. */
static bool
reserved_key(const char *key)
{
	static const char *const reserved[] = {
		"rc", "ms", "t", "raw", "why", "dropped", "penalty", "hold",
	};
	for (size_t k = 0; k < sizeof reserved / sizeof reserved[0]; k++) {
		if (strcmp(key, reserved[k]) == 0)
			return true;
	}
	return false;
}

unsigned
loop_take_fields(char *line, size_t len, bool partial, struct hc_status *st)
{
	unsigned taken = 0, dropped = 0;
	size_t bytes = 0;
	if (!partial && len > 0 && line[len - 1] == '\r')
		len--;
	size_t i = 0;
	while (i < len) {
		if (line[i] == ' ' || line[i] == '\t') {
			i++;
			continue;
		}
		size_t start = i;
		while (i < len && line[i] != ' ' && line[i] != '\t')
			i++;
		char *tok = line + start;
		size_t tlen = i - start;
		char *eq = memchr(tok, '=', tlen);
		size_t klen = eq != NULL ? (size_t)(eq - tok) : 0;
		bool ok = eq != NULL && !(partial && i == len) && hc_stream_key_ok(tok, klen) &&
		    hc_stream_value_ok(eq + 1, tlen - klen - 1) &&
		    taken < LOOP_FIELDS_MAX && bytes + 1 + tlen <= LOOP_FIELDS_BYTES;
		if (ok) {
			tok[klen] = '\0';
			tok[tlen] = '\0';  /* the separator, or the spare byte after the line */
			ok = !reserved_key(tok) && hc_status_get(st, tok) == NULL &&
			    hc_status_set(st, tok, eq + 1);
		}
		if (ok) {
			taken++;
			bytes += 1 + tlen;
		} else {
			dropped++;
		}
		i++;
	}
	return dropped;
}

bool
loop_take_answer(const char *line, size_t len, int *status, size_t *fields_at)
{
	size_t digits = 0;
	int value = 0;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	while (digits < len && digits < 4 && line[digits] >= '0' && line[digits] <= '9')
		value = value * 10 + (line[digits++] - '0');
	if (digits == 0 || digits > 3 || value > 255)
		return false;
	if (digits < len && line[digits] != ' ' && line[digits] != '\t')
		return false;
	*status = value;
	*fields_at = digits;
	return true;
}

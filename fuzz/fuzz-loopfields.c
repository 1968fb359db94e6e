/*
 * What hc-loop takes from a check's output (cmd/loop-fields.h), against a
 * reference reading of hc-stream(7) and hc-resident(7):
 *  - the fields taken from a first line are exactly the tokens the rules let
 *    through, in order (key=value, a valid key and value, no reserved key,
 *    no key twice, at most 8 and 256 bytes, a token cut by a partial line
 *    dropped, a final carriage return ignored), and the dropped count is the
 *    number of the other tokens;
 *  - with hc-loop's own fields before them the line formats and parses back
 *    as a stream line;
 *  - an answer is accepted exactly when it is a number from 0 to 255 followed
 *    by the end or a blank, with that status and its fields after it.
 * The first byte picks the mode and the partial flag.
 */
/* scripts/fuzz: cmd/loop-fields.c */
#include "config.h"

#include <stdbool.h>

#include "fuzz.h"
#include "loop-fields.h"
#include "stream.h"

static bool
ref_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool
ref_key(const char *k, size_t n)
{
	if (n == 0 || n > 32 || !(k[0] >= 'a' && k[0] <= 'z'))
		return false;
	for (size_t i = 1; i < n; i++) {
		char c = k[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

static bool
ref_value(const char *v, size_t n)
{
	if (n == 0 || n > 255)
		return false;
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)v[i] < 0x21 || (unsigned char)v[i] > 0x7e)
			return false;
	}
	return true;
}

static bool
ref_reserved(const char *k, size_t n)
{
	static const char *const words[] = { "rc", "ms", "t", "raw", "why", "dropped", "penalty",
	    "hold" };
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
		if (strlen(words[i]) == n && memcmp(words[i], k, n) == 0)
			return true;
	}
	return false;
}

struct ref_field {
	const char *key, *value;
	size_t klen, vlen;
};

/* The reference: the fields of line as hc-stream(7) describes them. */
static unsigned
ref_take(const char *line, size_t len, bool partial, struct ref_field *out, size_t *nout)
{
	unsigned dropped = 0;
	size_t bytes = 0, n = 0;
	if (!partial && len > 0 && line[len - 1] == '\r')
		len--;
	for (size_t i = 0; i < len;) {
		if (ref_blank(line[i])) {
			i++;
			continue;
		}
		size_t start = i;
		while (i < len && !ref_blank(line[i]))
			i++;
		const char *tok = line + start;
		size_t tlen = i - start, klen = 0;
		while (klen < tlen && tok[klen] != '=')
			klen++;
		bool ok = klen < tlen && !(partial && i == len) && ref_key(tok, klen) &&
		    ref_value(tok + klen + 1, tlen - klen - 1) && !ref_reserved(tok, klen) &&
		    n < 8 && bytes + 1 + tlen <= 256;
		for (size_t k = 0; ok && k < n; k++)
			ok = !(out[k].klen == klen && memcmp(out[k].key, tok, klen) == 0);
		if (ok) {
			out[n++] = (struct ref_field){ tok, tok + klen + 1, klen, tlen - klen - 1 };
			bytes += 1 + tlen;
		} else {
			dropped++;
		}
	}
	*nout = n;
	return dropped;
}

static void
check_fields(const char *input, size_t len, bool partial)
{
	struct ref_field want[HC_STREAM_FIELDS_MAX];
	size_t nwant;
	unsigned want_dropped = ref_take(input, len, partial, want, &nwant);

	char *line = malloc(len + 1);
	FUZZ_CHECK(line != NULL);
	memcpy(line, input, len);
	line[len] = '\0';
	struct hc_status st = { .state = HC_STATE_UP };
	hc_status_set(&st, "rc", "0");
	hc_status_set(&st, "ms", "0.41");
	hc_status_set(&st, "t", "1764090000.123");
	unsigned dropped = loop_take_fields(line, len, partial, &st);
	FUZZ_CHECK(dropped == want_dropped);
	FUZZ_CHECK(st.nfields == 3 + nwant);
	for (size_t i = 0; i < nwant; i++) {
		const struct hc_field *f = &st.fields[3 + i];
		FUZZ_CHECK(strlen(f->key) == want[i].klen && memcmp(f->key, want[i].key, want[i].klen) == 0);
		FUZZ_CHECK(strlen(f->value) == want[i].vlen &&
		    memcmp(f->value, want[i].value, want[i].vlen) == 0);
	}
	char out[HC_STREAM_LINE_MAX + 1];
	size_t n = hc_status_format(&st, out, sizeof out);
	FUZZ_CHECK(n > 0);
	struct hc_status back;
	FUZZ_CHECK(hc_stream_parse(out, n, &back) == NULL);
	FUZZ_CHECK(back.nfields == st.nfields);
	free(line);
}

static void
check_answer(const char *line, size_t len)
{
	size_t end = len > 0 && line[len - 1] == '\r' ? len - 1 : len;
	size_t digits = 0;
	while (digits < end && line[digits] >= '0' && line[digits] <= '9')
		digits++;
	long value = -1;
	if (digits >= 1 && digits <= 3) {
		value = 0;
		for (size_t i = 0; i < digits; i++)
			value = value * 10 + (line[i] - '0');
	}
	bool want = value >= 0 && value <= 255 && (digits == end || ref_blank(line[digits]));
	int status = -1;
	size_t at = 0;
	bool got = loop_take_answer(line, len, &status, &at);
	FUZZ_CHECK(got == want);
	if (got) {
		FUZZ_CHECK(status == value);
		FUZZ_CHECK(at == digits);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	uint8_t mode = (uint8_t)fuzz_take(&data, &size, 1);
	if (size > HC_STREAM_LINE_MAX)
		size = HC_STREAM_LINE_MAX;
	if (memchr(data, '\n', size) != NULL)
		return 0;  /* a line: hc-loop splits at newlines */
	if (mode & 1)
		check_answer((const char *)data, size);
	else
		check_fields((const char *)data, size, (mode & 2) != 0);
	return 0;
}

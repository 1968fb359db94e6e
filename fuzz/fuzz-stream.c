/*
 * The status-stream parser (stream.h).  A line is accepted exactly when a
 * slow reference reading of hc-stream(7) accepts it; an accepted line
 * formats back to the same bytes and re-parses to the same fields, and
 * hc_status_set / hc_status_del keep that round trip.
 */
#include "config.h"

#include <stdbool.h>

#include "fuzz.h"
#include "stream.h"

static bool
ref_key_char(unsigned char c, bool first)
{
	if (c >= 'a' && c <= 'z')
		return true;
	return !first && ((c >= '0' && c <= '9') || c == '_');
}

/* The grammar of hc-stream(7), read word by word with no shortcuts. */
static bool
ref_line_ok(const uint8_t *s, size_t n)
{
	if (n == 0 || n > HC_STREAM_LINE_MAX)
		return false;
	size_t words = 0, i = 0;
	const uint8_t *keys[HC_STREAM_FIELDS_MAX + 1];
	size_t klens[HC_STREAM_FIELDS_MAX + 1];
	for (;;) {
		size_t start = i;
		while (i < n && s[i] != ' ')
			i++;
		size_t wlen = i - start;
		const uint8_t *w = s + start;
		if (wlen == 0)
			return false;
		for (size_t j = 0; j < wlen; j++) {
			if (w[j] < 0x21 || w[j] > 0x7e)
				return false;
		}
		if (words == 0) {
			if (!(wlen == 2 && memcmp(w, "up", 2) == 0) &&
			    !(wlen == 4 && memcmp(w, "down", 4) == 0))
				return false;
		} else {
			if (words > HC_STREAM_FIELDS_MAX)
				return false;
			size_t klen = 0;
			while (klen < wlen && w[klen] != '=')
				klen++;
			if (klen == wlen || klen == 0 || klen > HC_STREAM_KEY_MAX)
				return false;
			for (size_t j = 0; j < klen; j++) {
				if (!ref_key_char(w[j], j == 0))
					return false;
			}
			size_t vlen = wlen - klen - 1;
			if (vlen == 0 || vlen > HC_STREAM_VALUE_MAX)
				return false;
			for (size_t k = 0; k + 1 < words; k++) {
				if (klens[k] == klen && memcmp(keys[k], w, klen) == 0)
					return false;
			}
			keys[words - 1] = w;
			klens[words - 1] = klen;
		}
		words++;
		if (i == n)
			return true;
		i++; /* the single space */
	}
}

/* The length hc_status_format needs for st, without the NUL. */
static size_t
formatted_len(const struct hc_status *st)
{
	size_t n = strlen(hc_state_name(st->state));
	for (size_t i = 0; i < st->nfields; i++)
		n += 2 + strlen(st->fields[i].key) + strlen(st->fields[i].value);
	return n;
}

/* Formats st into an exact-size heap buffer, re-parses it and compares with st. */
static void
check_round_trip(const struct hc_status *st)
{
	size_t want = formatted_len(st);
	char *out = malloc(want + 1);
	if (out == NULL)
		abort();
	size_t n = hc_status_format(st, out, want + 1);
	if (want > HC_STREAM_LINE_MAX) {
		FUZZ_CHECK(n == 0);
		free(out);
		return;
	}
	FUZZ_CHECK(n == want && out[n] == '\0');
	FUZZ_CHECK(hc_status_format(st, out, want) == 0);

	struct hc_status again;
	FUZZ_CHECK(hc_stream_parse(out, n, &again) == NULL);
	FUZZ_CHECK(again.state == st->state && again.nfields == st->nfields);
	for (size_t i = 0; i < st->nfields; i++) {
		FUZZ_CHECK(strcmp(again.fields[i].key, st->fields[i].key) == 0);
		FUZZ_CHECK(strcmp(again.fields[i].value, st->fields[i].value) == 0);
	}
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The parser writes a NUL at line[size]: give it that byte, and no other. */
	char *line = malloc(size + 1);
	if (line == NULL)
		abort();
	memcpy(line, data, size);
	line[size] = 'Z';

	struct hc_status st;
	const char *err = hc_stream_parse(line, size, &st);
	FUZZ_CHECK((err == NULL) == ref_line_ok(data, size));
	if (err != NULL) {
		FUZZ_CHECK(*err != '\0');
		free(line);
		return 0;
	}

	FUZZ_CHECK(st.nfields <= HC_STREAM_FIELDS_MAX);
	for (size_t i = 0; i < st.nfields; i++) {
		const char *k = st.fields[i].key, *v = st.fields[i].value;
		FUZZ_CHECK(hc_stream_key_ok(k, strlen(k)) && hc_stream_value_ok(v, strlen(v)));
		FUZZ_CHECK(hc_status_get(&st, k) == v);
	}
	char *out = malloc(size + 1);
	if (out == NULL)
		abort();
	FUZZ_CHECK(hc_status_format(&st, out, size + 1) == size);
	FUZZ_CHECK(memcmp(out, data, size) == 0);
	free(out);
	check_round_trip(&st);

	/* Edits keep the line well formed, or formatting refuses it. */
	size_t nfields = st.nfields;
	if (nfields > 0) {
		const char *last = st.fields[nfields - 1].key;
		hc_status_del(&st, st.fields[0].key);
		FUZZ_CHECK(st.nfields == nfields - 1);
		FUZZ_CHECK(nfields == 1 || strcmp(st.fields[st.nfields - 1].key, last) == 0);
		check_round_trip(&st);
	}
	if (hc_status_set(&st, "fuzz_key", "x=1")) {
		FUZZ_CHECK(strcmp(hc_status_get(&st, "fuzz_key"), "x=1") == 0);
		check_round_trip(&st);
		hc_status_del(&st, "fuzz_key");
		FUZZ_CHECK(hc_status_get(&st, "fuzz_key") == NULL);
	} else {
		FUZZ_CHECK(st.nfields == HC_STREAM_FIELDS_MAX);
	}
	st.state = st.state == HC_STATE_UP ? HC_STATE_DOWN : HC_STATE_UP;
	check_round_trip(&st);
	free(line);
	return 0;
}

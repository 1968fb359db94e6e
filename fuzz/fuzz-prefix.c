/*
 * The address and prefix parsers (parse.h).  An accepted prefix has no host
 * bits, formats to at most HC_PREFIX_STRLEN bytes and re-parses to itself;
 * its length is written the canonical way; an IPv4 address is accepted only
 * in its canonical dotted-quad text.
 */
#include "config.h"

#include <stdbool.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "parse.h"

static bool
same_prefix(const struct hc_prefix *a, const struct hc_prefix *b)
{
	size_t bytes = a->family == AF_INET ? 4 : 16;
	return a->family == b->family && a->len == b->len && memcmp(a->addr, b->addr, bytes) == 0;
}

/* Formats p, checks the text re-parses to p and formats to the same text. */
static void
check_prefix_round_trip(const struct hc_prefix *p)
{
	char text[HC_PREFIX_STRLEN], again_text[HC_PREFIX_STRLEN];
	struct hc_prefix again;
	hc_format_prefix(p, text, sizeof text);
	FUZZ_CHECK(strlen(text) + 1 < sizeof text);
	FUZZ_CHECK(hc_parse_prefix(text, &again) == NULL && same_prefix(p, &again));
	hc_format_prefix(&again, again_text, sizeof again_text);
	FUZZ_CHECK(strcmp(text, again_text) == 0);
}

static void
check_addr(const char *s)
{
	struct hc_prefix p, again;
	char text[HC_PREFIX_STRLEN];
	if (hc_parse_addr(s, &p) != NULL)
		return;
	FUZZ_CHECK((p.family == AF_INET && p.len == 32) || (p.family == AF_INET6 && p.len == 128));
	FUZZ_CHECK(strchr(s, '/') == NULL);
	hc_format_addr(&p, text, sizeof text);
	FUZZ_CHECK(hc_parse_addr(text, &again) == NULL && same_prefix(&p, &again));
	if (p.family == AF_INET)
		FUZZ_CHECK(strcmp(text, s) == 0);
	check_prefix_round_trip(&p);
}

static void
check_prefix(const char *s)
{
	struct hc_prefix p, addr;
	if (hc_parse_prefix(s, &p) != NULL)
		return;
	unsigned bits = p.family == AF_INET ? 32 : 128;
	FUZZ_CHECK(p.family == AF_INET || p.family == AF_INET6);
	FUZZ_CHECK(p.len <= bits);
	for (unsigned bit = p.len; bit < bits; bit++)
		FUZZ_CHECK((p.addr[bit / 8] & (0x80u >> (bit % 8))) == 0);

	/* "ADDR" or "ADDR/LEN", where ADDR parses alone and LEN is canonical. */
	const char *slash = strchr(s, '/');
	if (slash == NULL) {
		FUZZ_CHECK(hc_parse_addr(s, &addr) == NULL && same_prefix(&p, &addr));
	} else {
		char len_text[8];
		snprintf(len_text, sizeof len_text, "%u", p.len);
		FUZZ_CHECK(strcmp(slash + 1, len_text) == 0);
		char *a = strndup(s, (size_t)(slash - s));
		if (a == NULL)
			abort();
		FUZZ_CHECK(hc_parse_addr(a, &addr) == NULL && addr.family == p.family);
		FUZZ_CHECK(memcmp(addr.addr, p.addr, bits / 8) == 0);
		free(a);
	}
	check_prefix_round_trip(&p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstring(data, size);
	if (s == NULL)
		return 0;
	check_addr(s);
	check_prefix(s);
	free(s);
	return 0;
}

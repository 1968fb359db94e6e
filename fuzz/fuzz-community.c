/*
 * hc-announce's attribute validators (cmd/announce.h).  A word is
 * accepted exactly when a reference reading of ExaBGP 4.2's syntax accepts
 * it: a well-known name, or ':'-separated parts of plain digits (no sign, no
 * fraction) in range, the whole under hc-announce's length limit (63 bytes,
 * 79 for an extended community).  An accepted word then appears in route_command's line
 * as "NAME [ ... WORD ]", on one line that fits COMMAND_MAX.
 *
 * Input: one byte picking the validator, then the word.
 */
/* scripts/fuzz: cmd/announce-route.c */
#include "config.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "announce.h"

/* len bytes of s: digits only, worth at most max. */
static bool
ref_number(const char *s, size_t len, uint64_t max)
{
	uint64_t v = 0;
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v > max)
			return false;
	}
	return true;
}

/* Splits word at every ':'; true when that gives exactly n parts. */
static bool
ref_split(const char *word, size_t n, const char **part, size_t *len)
{
	const char *p = word;
	for (size_t k = 0; k < n; k++) {
		part[k] = p;
		len[k] = strcspn(p, ":");
		p += len[k];
		if (*p == '\0')
			return k + 1 == n;
		p++;
	}
	return false;
}

static bool
ref_community(const char *w)
{
	static const char *const names[] = {
		"no-export", "no-advertise", "no-export-subconfed", "nopeer", "blackhole",
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (strcmp(w, names[i]) == 0)
			return true;
	}
	const char *p[2];
	size_t l[2];
	return strlen(w) < 64 && ref_split(w, 2, p, l) && ref_number(p[0], l[0], 65535) &&
	    ref_number(p[1], l[1], 65535);
}

static bool
ref_large_community(const char *w)
{
	const char *p[3];
	size_t l[3];
	return strlen(w) < 64 && ref_split(w, 3, p, l) && ref_number(p[0], l[0], UINT32_MAX) &&
	    ref_number(p[1], l[1], UINT32_MAX) && ref_number(p[2], l[2], UINT32_MAX);
}

/* target|origin : IPv4 or ASN : value, the value 16 bits after an IPv4 or 4-byte ASN. */
static bool
ref_extended_community(const char *w)
{
	const char *p[3];
	size_t l[3];
	if (strlen(w) >= 80 || !ref_split(w, 3, p, l) || l[0] != 6 ||
	    (memcmp(p[0], "target", 6) != 0 && memcmp(p[0], "origin", 6) != 0))
		return false;
	char admin[INET_ADDRSTRLEN];
	unsigned char addr[4];
	if (l[1] < sizeof admin) {
		memcpy(admin, p[1], l[1]);
		admin[l[1]] = '\0';
		if (inet_pton(AF_INET, admin, addr) == 1)
			return ref_number(p[2], l[2], 65535);
	}
	if (ref_number(p[1], l[1], 65535))
		return ref_number(p[2], l[2], UINT32_MAX);
	return ref_number(p[1], l[1], UINT32_MAX) && ref_number(p[2], l[2], 65535);
}

static bool
ref_asn(const char *w)
{
	size_t len = strlen(w);
	return ref_number(w, len, UINT32_MAX) && strspn(w, "0") != len;
}

/* Announces 203.0.113.10/32 with word in list; checks the one command line. */
static void
check_command(const char *word, size_t which)
{
	struct route_config *c = calloc(1, sizeof *c);
	if (c == NULL)
		abort();
	c->nprefixes = 1;
	FUZZ_CHECK(hc_parse_prefix("203.0.113.10/32", &c->prefixes[0]) == NULL);
	struct words *lists[] = {
		&c->communities, &c->large_communities, &c->extended_communities, &c->as_path,
	};
	static const char *const names[] = {
		"community", "large-community", "extended-community", "as-path",
	};
	words_add(lists[which], word);
	struct route_view up = { .announce = true, .set = SET_UP, .med = 100 };
	char line[COMMAND_MAX], want[COMMAND_MAX];
	FUZZ_CHECK(route_command(c, 0, &up, line, sizeof line));
	FUZZ_CHECK(strchr(line, '\n') == NULL && strlen(line) < sizeof line);
	snprintf(want, sizeof want, " %s [ %s ]", names[which], word);
	FUZZ_CHECK(strstr(line, want) != NULL);
	route_config_free(c);
	free(c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct {
		const char *(*check)(const char *);
		bool (*ref)(const char *);
	} validators[] = {
		{ check_community, ref_community },
		{ check_large_community, ref_large_community },
		{ check_extended_community, ref_extended_community },
		{ check_asn, ref_asn },
	};
	size_t which = (size_t)(fuzz_take(&data, &size, 1) % 4);
	char *word = fuzz_cstring(data, size);
	if (word == NULL)
		return 0;
	const char *why = validators[which].check(word);
	FUZZ_CHECK((why == NULL) == validators[which].ref(word));
	if (why == NULL) {
		FUZZ_CHECK(strpbrk(word, " ,[]\t") == NULL);
		check_command(word, which);
	} else {
		FUZZ_CHECK(*why != '\0');
	}
	free(word);
	return 0;
}

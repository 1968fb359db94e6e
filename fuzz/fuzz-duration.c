/*
 * hc_parse_duration (parse.h) against the exact reference in ref-number.h:
 * the same strings are accepted with the same number of nanoseconds, within
 * [min, max]; a rejected call leaves *out alone; an accepted value written in
 * ns, in s with nine decimals and in its largest whole unit parses back to
 * itself.
 *
 * Input: one byte picking the bounds (or 16 more bytes giving them), then
 * the string.
 */
#include "config.h"

#include <inttypes.h>

#include "fuzz.h"
#include "parse.h"
#include "ref-number.h"

static const int64_t sentinel = 0x5eed5eed;

static const struct {
	const char *name;
	uint64_t ns;
} units[] = {
	{ "h", 3600 * UINT64_C(1000000000) }, { "m", 60 * UINT64_C(1000000000) },
	{ "s", UINT64_C(1000000000) }, { "ms", UINT64_C(1000000) }, { "us", UINT64_C(1000) },
	{ "ns", 1 },
};

static bool
ref_duration(const char *s, int64_t min, int64_t max, int64_t *out)
{
	struct ref_number n;
	uint64_t mult = 0, v;
	if (!ref_number_read(s, &n) || n.neg)
		return false;
	if (*n.unit == '\0')
		mult = UINT64_C(1000000000);
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (strcmp(n.unit, units[i].name) == 0)
			mult = units[i].ns;
	}
	if (mult == 0 || !ref_number_scale(&n, mult, &v) || v > INT64_MAX)
		return false;
	if ((int64_t)v < min || (int64_t)v > max)
		return false;
	*out = (int64_t)v;
	return true;
}

static void
check_reparses(const char *text, int64_t min, int64_t max, int64_t want)
{
	int64_t again = sentinel;
	FUZZ_CHECK(hc_parse_duration(text, min, max, &again) == NULL && again == want);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t min, max;
	switch (fuzz_take(&data, &size, 1) % 4) {
	case 0: min = 0; max = INT64_MAX; break;
	case 1: min = HC_NS_PER_MS; max = 3600 * HC_NS_PER_S; break;
	case 2: min = 0; max = 0; break;
	default:
		min = (int64_t)fuzz_take(&data, &size, 8);
		max = (int64_t)fuzz_take(&data, &size, 8);
		break;
	}
	char *s = fuzz_cstring(data, size);
	if (s == NULL)
		return 0;

	int64_t got = sentinel, want = 0;
	const char *err = hc_parse_duration(s, min, max, &got);
	bool ref_ok = ref_duration(s, min, max, &want);
	if (err != NULL) {
		FUZZ_CHECK(!ref_ok && *err != '\0' && got == sentinel);
	} else {
		FUZZ_CHECK(ref_ok && got == want && got >= min && got <= max && got >= 0);
		char text[64];
		snprintf(text, sizeof text, "%" PRId64 "ns", got);
		check_reparses(text, min, max, got);
		snprintf(text, sizeof text, "%" PRId64 ".%09" PRId64 "s", got / HC_NS_PER_S,
		    got % HC_NS_PER_S);
		check_reparses(text, min, max, got);
		for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
			if ((uint64_t)got % units[i].ns == 0) {
				snprintf(text, sizeof text, "%" PRIu64 "%s",
				    (uint64_t)got / units[i].ns, units[i].name);
				check_reparses(text, min, max, got);
				break;
			}
		}
	}
	free(s);
	return 0;
}

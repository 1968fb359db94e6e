/*
 * hc_parse_size (parse.h) against the exact reference in ref-number.h: the
 * same strings are accepted with the same number of bytes, within [min, max];
 * a rejected call leaves *out alone; an accepted value written bare, in B and
 * in its largest whole binary unit parses back to itself.
 *
 * Input: one byte picking the bounds (or 16 more bytes giving them), then
 * the string.
 */
#include "config.h"

#include <inttypes.h>

#include "fuzz.h"
#include "parse.h"
#include "ref-number.h"

static const uint64_t sentinel = 0x5eed5eed;

static const struct {
	const char *name;
	int shift;
} units[] = {
	{ "TiB", 40 }, { "TB", 40 }, { "T", 40 },
	{ "GiB", 30 }, { "GB", 30 }, { "G", 30 },
	{ "MiB", 20 }, { "MB", 20 }, { "M", 20 },
	{ "KiB", 10 }, { "KB", 10 }, { "kB", 10 }, { "K", 10 }, { "k", 10 },
	{ "B", 0 },
};

static bool
ref_size(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	struct ref_number n;
	uint64_t mult = 0, v;
	if (!ref_number_read(s, &n) || n.neg)
		return false;
	if (*n.unit == '\0')
		mult = 1;
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (strcmp(n.unit, units[i].name) == 0)
			mult = UINT64_C(1) << units[i].shift;
	}
	if (mult == 0 || !ref_number_scale(&n, mult, &v) || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static void
check_reparses(const char *text, uint64_t min, uint64_t max, uint64_t want)
{
	uint64_t again = sentinel;
	FUZZ_CHECK(hc_parse_size(text, min, max, &again) == NULL && again == want);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t min, max;
	switch (fuzz_take(&data, &size, 1) % 4) {
	case 0: min = 0; max = UINT64_MAX; break;
	case 1: min = 1; max = UINT64_C(1) << 30; break;
	case 2: min = 0; max = 0; break;
	default:
		min = fuzz_take(&data, &size, 8);
		max = fuzz_take(&data, &size, 8);
		break;
	}
	char *s = fuzz_cstring(data, size);
	if (s == NULL)
		return 0;

	uint64_t got = sentinel, want = 0;
	const char *err = hc_parse_size(s, min, max, &got);
	bool ref_ok = ref_size(s, min, max, &want);
	if (err != NULL) {
		FUZZ_CHECK(!ref_ok && *err != '\0' && got == sentinel);
	} else {
		FUZZ_CHECK(ref_ok && got == want && got >= min && got <= max);
		char text[64];
		snprintf(text, sizeof text, "%" PRIu64, got);
		check_reparses(text, min, max, got);
		snprintf(text, sizeof text, "%" PRIu64 "B", got);
		check_reparses(text, min, max, got);
		for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
			uint64_t unit = UINT64_C(1) << units[i].shift;
			if (got % unit == 0) {
				snprintf(text, sizeof text, "%" PRIu64 "%s", got / unit, units[i].name);
				check_reparses(text, min, max, got);
				break;
			}
		}
	}
	free(s);
	return 0;
}

/*
 * hc_parse_int and hc_parse_fixed (parse.h) against the exact reference in
 * ref-number.h: the same strings are accepted with the same values (for
 * hc_parse_int, only those without a fraction), values
 * stay in [min, max], a rejected call leaves *out alone, and the canonical
 * text of an accepted value parses back to it.
 *
 * Input: one byte picking decimals (0-19; 19 is out of range), one byte
 * picking the bounds (or 16 more bytes giving them), then the string.
 */
#include "config.h"

#include <inttypes.h>
#include <limits.h>

#include "fuzz.h"
#include "parse.h"
#include "ref-number.h"

static const long long sentinel = 0x5eed5eed;

/* The reference's verdict: true and *out when hc_parse_fixed must accept s. */
static bool
ref_fixed(const char *s, int decimals, long long min, long long max, long long *out)
{
	struct ref_number n;
	uint64_t mult = 1, v;
	if (decimals < 0 || decimals > 18 || !ref_number_read(s, &n) || *n.unit != '\0')
		return false;
	if (n.neg && min >= 0)
		return false;
	for (int i = 0; i < decimals; i++)
		mult *= 10;
	if (!ref_number_scale(&n, mult, &v))
		return false;
	__int128 sv = n.neg ? -(__int128)v : (__int128)v;
	if (sv < min || sv > max)
		return false;
	*out = (long long)sv;
	return true;
}

/* "[-]I[.FFF]" with exactly decimals fraction digits. */
static void
format_fixed(long long v, int decimals, char *buf, size_t size)
{
	unsigned long long mag = v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v;
	unsigned long long scale = 1;
	for (int i = 0; i < decimals; i++)
		scale *= 10;
	if (decimals == 0)
		snprintf(buf, size, "%s%llu", v < 0 ? "-" : "", mag);
	else
		snprintf(buf, size, "%s%llu.%0*llu", v < 0 ? "-" : "", mag / scale, decimals,
		    mag % scale);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int decimals = (int)(fuzz_take(&data, &size, 1) % 20);
	long long min, max;
	switch (fuzz_take(&data, &size, 1) % 5) {
	case 0: min = 0; max = LLONG_MAX; break;
	case 1: min = LLONG_MIN; max = LLONG_MAX; break;
	case 2: min = 1; max = 65535; break;
	case 3: min = -1000; max = 1000; break;
	default:
		min = (long long)fuzz_take(&data, &size, 8);
		max = (long long)fuzz_take(&data, &size, 8);
		break;
	}
	char *s = fuzz_cstring(data, size);
	if (s == NULL)
		return 0;

	long long got = sentinel, want = 0;
	const char *err = hc_parse_fixed(s, decimals, min, max, &got);
	bool ref_ok = ref_fixed(s, decimals, min, max, &want);
	if (err != NULL) {
		FUZZ_CHECK(!ref_ok && *err != '\0' && got == sentinel);
	} else {
		FUZZ_CHECK(ref_ok && got == want && got >= min && got <= max);
		char text[64];
		long long again = sentinel;
		format_fixed(got, decimals, text, sizeof text);
		FUZZ_CHECK(hc_parse_fixed(text, decimals, min, max, &again) == NULL && again == got);
	}

	if (decimals == 0) {
		/* hc_parse_int is hc_parse_fixed at 0 decimals without any fraction. */
		long long as_int = sentinel;
		const char *int_err = hc_parse_int(s, min, max, &as_int);
		bool int_ok = err == NULL && strchr(s, '.') == NULL;
		FUZZ_CHECK((int_err == NULL) == int_ok && as_int == (int_ok ? got : sentinel));
	}
	free(s);
	return 0;
}

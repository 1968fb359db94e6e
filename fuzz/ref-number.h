/*
 * A slow reference reading of the numbers parse.h accepts, for the number
 * harnesses: "[-]DIGITS[.DIGITS]UNIT", valued exactly in 128-bit arithmetic.
 */
#ifndef HC_FUZZ_REF_NUMBER_H
#define HC_FUZZ_REF_NUMBER_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

typedef unsigned __int128 ref_u128;

struct ref_number {
	bool neg;
	bool huge;          /* the integer part is 2^64 or more */
	bool too_precise;   /* more than 18 significant fraction digits */
	uint64_t integer;
	uint64_t fraction;  /* the fraction's digits without trailing zeros */
	int fraction_digits;
	const char *unit;   /* what follows the number ("" when nothing) */
};

/* Reads s; false when it does not start with a number. */
static inline bool
ref_number_read(const char *s, struct ref_number *n)
{
	memset(n, 0, sizeof *n);
	if (*s == '-') {
		n->neg = true;
		s++;
	}
	if (*s < '0' || *s > '9')
		return false;
	ref_u128 v = 0;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v <= UINT64_MAX)
			v = v * 10 + (unsigned)(*s - '0');
	}
	n->huge = v > UINT64_MAX;
	n->integer = (uint64_t)v;
	if (*s == '.') {
		s++;
		if (*s < '0' || *s > '9')
			return false;
		const char *digits = s;
		while (*s >= '0' && *s <= '9')
			s++;
		const char *end = s;
		while (end > digits && end[-1] == '0')
			end--;
		n->too_precise = end - digits > 18;
		for (const char *d = digits; d < end && !n->too_precise; d++) {
			n->fraction = n->fraction * 10 + (unsigned)(*d - '0');
			n->fraction_digits++;
		}
	}
	n->unit = s;
	return true;
}

/*
 * The value of n times mult (at most 2^60) in *out; false when it is not a
 * whole number or does not fit in 64 bits.
 */
static inline bool
ref_number_scale(const struct ref_number *n, uint64_t mult, uint64_t *out)
{
	if (n->huge || n->too_precise)
		return false;
	ref_u128 pow = 1;
	for (int i = 0; i < n->fraction_digits; i++)
		pow *= 10;
	ref_u128 frac = (ref_u128)n->fraction * mult;
	if (frac % pow != 0)
		return false;
	ref_u128 v = (ref_u128)n->integer * mult + frac / pow;
	if (v > UINT64_MAX)
		return false;
	*out = (uint64_t)v;
	return true;
}

#endif

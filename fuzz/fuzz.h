/*
 * Shared by the fuzz harnesses (fuzz/fuzz-*.c).  Each harness defines the
 * libFuzzer entry point; scripts/fuzz links it with libFuzzer, and the test
 * suite links it with fuzz/replay.c to replay the corpus in fuzz/corpus/.
 */
#ifndef HC_FUZZ_H
#define HC_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Runs one input; returns 0.  A broken invariant aborts (a crash to libFuzzer). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond) \
	((cond) ? (void)0 : fuzz_fail(__FILE__, __LINE__, #cond))

static inline _Noreturn void
fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, what);
	abort();
}

/*
 * A NUL-terminated copy of data in a buffer of exactly size + 1 bytes (so
 * ASan sees any read past it), or NULL when data holds a NUL: parsers take
 * C strings, and a string with a NUL inside cannot come from argv.
 */
static inline char *
fuzz_cstring(const uint8_t *data, size_t size)
{
	if (memchr(data, '\0', size) != NULL)
		return NULL;
	char *s = malloc(size + 1);
	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Takes n bytes off the front of the input as an unsigned number (little endian). */
static inline uint64_t
fuzz_take(const uint8_t **data, size_t *size, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n && *size > 0; i++) {
		v |= (uint64_t)**data << (8 * i);
		(*data)++;
		(*size)--;
	}
	return v;
}

#endif

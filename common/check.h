/* What every check program shares: its deadline option and its -v reason. */
#ifndef HC_CHECK_H
#define HC_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "parse.h"

#define HC_TIMEOUT_MIN HC_NS_PER_MS
#define HC_TIMEOUT_MAX (3600 * HC_NS_PER_S)

/*
 * Parses a check's -t/--timeout (1ms to 1h).  On a bad value, exits
 * HC_EXIT_USAGE with one line: "prog: invalid timeout '5x': unknown unit".
 */
int64_t hc_parse_timeout(const char *arg);

/*
 * Formats why a check is up or down into buf.  A leading capital followed
 * by a lower-case letter, as in strerror()'s "Connection refused", is
 * lowered so the reason reads well after "down: "; "SSL ..." stays.
 */
void hc_reasonf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* hc_reasonf into a char array. */
#define hc_reason(array, ...) hc_reasonf((array), sizeof(array), __VA_ARGS__)

#endif

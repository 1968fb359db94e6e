/* Strict parsers for every number, duration, size, port and address a user gives. */
#ifndef HC_PARSE_H
#define HC_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Every parser takes the whole string or nothing.  It returns NULL on success
 * and stores the value; otherwise it returns a short reason ("invalid",
 * "too small", "too large", ...) and leaves *out alone.  Callers report
 *   hc_diex(HC_EXIT_USAGE, "invalid timeout '%s': %s", arg, reason);
 */

#define HC_NS_PER_MS INT64_C(1000000)
#define HC_NS_PER_S  INT64_C(1000000000)

/* A decimal integer: digits, optional '-' only; no spaces, '+', fraction or base prefix. */
const char *hc_parse_int(const char *s, long long min, long long max, long long *out);

/*
 * A decimal number with up to `decimals` fraction digits, returned scaled by
 * 10^decimals: hc_parse_fixed("95.5", 1, ...) gives 955.
 */
const char *hc_parse_fixed(const char *s, int decimals, long long min, long long max,
    long long *out);

/*
 * A duration: a number with an optional fraction and a unit ns, us, ms, s, m
 * or h ("250ms", "1.5s", "2m"); a bare number is seconds.  Nanoseconds out.
 */
const char *hc_parse_duration(const char *s, int64_t min_ns, int64_t max_ns, int64_t *out_ns);

/*
 * A size: a number with an optional fraction and a unit B, k/K/kB/KB/KiB,
 * M/MB/MiB, G/GB/GiB, T/TB/TiB.  Units are binary (1 kB = 1024 B, as in
 * PostgreSQL); a bare number is bytes; the result must be whole bytes.
 */
const char *hc_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* A TCP port: a number 1-65535, else a service name from services(5). */
const char *hc_parse_port(const char *s, uint16_t *out);

struct hc_prefix {
	int family;              /* AF_INET or AF_INET6 */
	unsigned char addr[16];  /* network byte order; 4 bytes used for AF_INET */
	unsigned len;            /* prefix length in bits */
};

/* An IPv4 or IPv6 address literal (no brackets, no scope); len is 32 or 128. */
const char *hc_parse_addr(const char *s, struct hc_prefix *out);

/*
 * An address with an optional "/len"; a bare address is a host route (/32 or
 * /128).  Host bits beyond len must be zero.
 */
const char *hc_parse_prefix(const char *s, struct hc_prefix *out);

/* Canonical text of a prefix ("203.0.113.10/32", "2001:db8::/64"). */
void hc_format_prefix(const struct hc_prefix *p, char *buf, size_t size);
#define HC_PREFIX_STRLEN 50

/* Canonical text of a prefix's address alone ("203.0.113.10", "2001:db8::1"). */
void hc_format_addr(const struct hc_prefix *p, char *buf, size_t size);

/* Human text of a duration in nanoseconds: "0.41 ms", "2.00 s". */
void hc_format_ms(int64_t ns, char *buf, size_t size);

#endif

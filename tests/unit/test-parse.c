#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <sys/socket.h>

#include "parse.h"
#include "tap.h"

static void
int_case(const char *s, long long min, long long max, const char *want_err, long long want)
{
	long long v = -12345;
	const char *e = hc_parse_int(s, min, max, &v);
	if (want_err == NULL)
		ok(e == NULL && v == want, "int '%s' -> %lld (got %lld, %s)", s, want, v, e ? e : "ok");
	else
		ok(e != NULL && strcmp(e, want_err) == 0, "int '%s' rejected: %s (got %s)", s,
		    want_err, e ? e : "accepted");
}

static void
dur_case(const char *s, const char *want_err, int64_t want)
{
	int64_t v = -1;
	const char *e = hc_parse_duration(s, 0, INT64_MAX, &v);
	if (want_err == NULL)
		ok(e == NULL && v == want, "duration '%s' -> %lld ns (got %lld, %s)", s,
		    (long long)want, (long long)v, e ? e : "ok");
	else
		ok(e != NULL && strcmp(e, want_err) == 0, "duration '%s' rejected: %s (got %s)", s,
		    want_err, e ? e : "accepted");
}

static void
size_case(const char *s, const char *want_err, uint64_t want)
{
	uint64_t v = 0;
	const char *e = hc_parse_size(s, 0, UINT64_MAX, &v);
	if (want_err == NULL)
		ok(e == NULL && v == want, "size '%s' -> %llu (got %llu, %s)", s,
		    (unsigned long long)want, (unsigned long long)v, e ? e : "ok");
	else
		ok(e != NULL && strcmp(e, want_err) == 0, "size '%s' rejected: %s (got %s)", s,
		    want_err, e ? e : "accepted");
}

static void
prefix_case(const char *s, const char *want)
{
	struct hc_prefix p;
	char buf[HC_PREFIX_STRLEN] = "";
	const char *e = hc_parse_prefix(s, &p);
	if (e == NULL)
		hc_format_prefix(&p, buf, sizeof buf);
	if (want != NULL)
		ok(e == NULL && strcmp(buf, want) == 0, "prefix '%s' -> %s (got %s)", s, want,
		    e ? e : buf);
	else
		ok(e != NULL, "prefix '%s' rejected (%s)", s, e ? e : buf);
}

int
main(void)
{
	int_case("0", 0, 10, NULL, 0);
	int_case("10", 0, 10, NULL, 10);
	int_case("11", 0, 10, "too large", 0);
	int_case("-1", 0, 10, "must not be negative", 0);
	int_case("-5", -10, 10, NULL, -5);
	int_case("-11", -10, 10, "too small", 0);
	int_case("", 0, 10, "not a number", 0);
	int_case(" 1", 0, 10, "not a number", 0);
	int_case("1 ", 0, 10, "not a number", 0);
	int_case("+1", 0, 10, "not a number", 0);
	int_case("0x10", 0, 100, "not a number", 0);
	int_case("1e3", 0, 10000, "not a number", 0);
	int_case("1.0", 0, 10, "not a whole number", 0);
	int_case("1.5", 0, 10, "not a whole number", 0);
	int_case("99999999999999999999999", 0, LLONG_MAX, "too large", 0);
	int_case("9223372036854775807", 0, LLONG_MAX, NULL, LLONG_MAX);
	int_case("9223372036854775808", 0, LLONG_MAX, "too large", 0);
	int_case("-9223372036854775808", LLONG_MIN, 0, NULL, LLONG_MIN);

	long long fx = 0;
	ok(hc_parse_fixed("95.5", 1, 0, 1000, &fx) == NULL && fx == 955, "fixed 95.5 -> 955");
	ok(hc_parse_fixed("1.25", 2, 0, 1000, &fx) == NULL && fx == 125, "fixed 1.25 -> 125");
	ok(hc_parse_fixed("1.255", 2, 0, 1000, &fx) != NULL, "fixed 1.255 at 2 decimals rejected");
	ok(hc_parse_fixed("7", 3, 0, 10000, &fx) == NULL && fx == 7000, "fixed 7 -> 7000");

	dur_case("2s", NULL, 2000000000);
	dur_case("2", NULL, 2000000000);
	dur_case("250ms", NULL, 250000000);
	dur_case("1.5s", NULL, 1500000000);
	dur_case("0.1", NULL, 100000000);
	dur_case("1m", NULL, 60000000000);
	dur_case("1h", NULL, 3600000000000);
	dur_case("10us", NULL, 10000);
	dur_case("7ns", NULL, 7);
	dur_case("1.5ns", "too precise", 0);
	dur_case("5x", "unknown unit", 0);
	dur_case("s", "not a duration (like 500ms, 2s, 1.5s, 1m)", 0);
	dur_case("-1s", "must not be negative", 0);
	dur_case("1.s", "not a duration (like 500ms, 2s, 1.5s, 1m)", 0);
	dur_case(".5s", "not a duration (like 500ms, 2s, 1.5s, 1m)", 0);
	dur_case("1 s", "unknown unit", 0);
	dur_case("", "not a duration (like 500ms, 2s, 1.5s, 1m)", 0);
	dur_case("99999999999h", "too large", 0);
	int64_t d;
	ok(hc_parse_duration("0", HC_NS_PER_MS, INT64_MAX, &d) != NULL, "duration below min rejected");
	ok(hc_parse_duration("2h", 0, 3600 * HC_NS_PER_S, &d) != NULL, "duration above max rejected");

	size_case("16MB", NULL, 16ULL << 20);
	size_case("64KiB", NULL, 64ULL << 10);
	size_case("100", NULL, 100);
	size_case("1.5k", NULL, 1536);
	size_case("2G", NULL, 2ULL << 30);
	size_case("1.3B", "not a whole number of bytes", 0);
	size_case("5XB", "unknown unit", 0);
	size_case("-1", "must not be negative", 0);
	size_case("99999999999999999999", "too large", 0);
	size_case("17179869184GiB", "too large", 0);

	uint16_t port;
	ok(hc_parse_port("5432", &port) == NULL && port == 5432, "port 5432");
	ok(hc_parse_port("0", &port) != NULL, "port 0 rejected");
	ok(hc_parse_port("70000", &port) != NULL, "port 70000 rejected");
	ok(hc_parse_port("-1", &port) != NULL, "port -1 rejected");
	ok(hc_parse_port("80x", &port) != NULL, "port 80x rejected");
	ok(hc_parse_port("", &port) != NULL, "empty port rejected");
	ok(hc_parse_port("no-such-service-name", &port) != NULL, "unknown service rejected");

	prefix_case("203.0.113.10", "203.0.113.10/32");
	prefix_case("203.0.113.10/32", "203.0.113.10/32");
	prefix_case("203.0.113.0/24", "203.0.113.0/24");
	prefix_case("0.0.0.0/0", "0.0.0.0/0");
	prefix_case("2001:db8::1", "2001:db8::1/128");
	prefix_case("2001:DB8:0::/32", "2001:db8::/32");
	prefix_case("203.0.113.10/24", NULL);
	prefix_case("203.0.113.10/33", NULL);
	prefix_case("203.0.113.10/", NULL);
	prefix_case("203.0.113.10/032", NULL);
	prefix_case("203.0.113.0/24.0", NULL);
	prefix_case("::0/3.0", NULL);
	prefix_case("0.0.0.0/0.000", NULL);
	prefix_case("203.0.113.10/-1", NULL);
	prefix_case("203.0.113", NULL);
	prefix_case("203.0.113.256", NULL);
	prefix_case("2001:db8::/129", NULL);
	prefix_case("host.example", NULL);
	prefix_case("", NULL);
	prefix_case("/32", NULL);

	struct hc_prefix p;
	ok(hc_parse_addr("192.0.2.1", &p) == NULL && p.family == AF_INET && p.len == 32, "addr v4");
	ok(hc_parse_addr("2001:db8::2", &p) == NULL && p.family == AF_INET6, "addr v6");
	ok(hc_parse_addr("192.0.2.1/32", &p) != NULL, "addr with length rejected");
	return tap_done();
}

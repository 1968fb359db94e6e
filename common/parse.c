#include "config.h"

#include <arpa/inet.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "parse.h"

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

const char *
hc_parse_int(const char *s, long long min, long long max, long long *out)
{
	long long v;
	/* An integer is digits only: "80.0" as a port or an AS number is a typo. */
	if (s != NULL && strchr(s, '.') != NULL)
		return "not a whole number";
	const char *e = hc_parse_fixed(s, 0, min, max, &v);
	if (e == NULL)
		*out = v;
	return e;
}

/*
 * Reads "[-]digits[.digits]" from *sp, advancing it past what was read.
 * Sets *ip to the integer part and *fp, *fdigits to the fraction's digits (at
 * most 18 kept; the rest must be zeros).  Returns NULL or a reason.
 */
static const char *
scan_decimal(const char **sp, bool allow_sign, bool *neg, unsigned long long *ip,
    unsigned long long *fp, int *fdigits)
{
	const char *s = *sp;
	*neg = false;
	if (*s == '-') {
		if (!allow_sign)
			return "must not be negative";
		*neg = true;
		s++;
	}
	if (!is_digit(*s))
		return "not a number";
	unsigned long long v = 0;
	for (; is_digit(*s); s++) {
		unsigned d = (unsigned)(*s - '0');
		if (v > (ULLONG_MAX - d) / 10)
			return "too large";
		v = v * 10 + d;
	}
	unsigned long long f = 0;
	int nd = 0;
	if (*s == '.') {
		s++;
		if (!is_digit(*s))
			return "not a number";
		for (; is_digit(*s); s++) {
			if (nd < 18) {
				f = f * 10 + (unsigned)(*s - '0');
				nd++;
			} else if (*s != '0') {
				return "too precise";
			}
		}
	}
	*ip = v;
	*fp = f;
	*fdigits = nd;
	*sp = s;
	return NULL;
}

static unsigned long long
pow10u(int n)
{
	unsigned long long p = 1;
	while (n-- > 0)
		p *= 10;
	return p;
}

/*
 * Multiplies integer.fraction (fraction with fdigits digits) by unit, which
 * must give a whole number.  Returns NULL or a reason.
 */
static const char *
scale_exact(unsigned long long ip, unsigned long long fp, int fdigits,
    unsigned long long unit, unsigned long long *out)
{
	if (unit != 0 && ip > ULLONG_MAX / unit)
		return "too large";
	unsigned long long whole = ip * unit;
	unsigned long long div = pow10u(fdigits);
	/* fp < 10^18 and unit <= 3600e9, so split to avoid overflow. */
	unsigned long long q = unit / div, r = unit % div;
	unsigned long long frac_whole = fp * q;
	if (q != 0 && frac_whole / q != fp)
		return "too large";
	unsigned __int128 rest = (unsigned __int128)fp * r;
	if (rest % div != 0)
		return "too precise";
	frac_whole += (unsigned long long)(rest / div);
	if (whole > ULLONG_MAX - frac_whole)
		return "too large";
	*out = whole + frac_whole;
	return NULL;
}

const char *
hc_parse_fixed(const char *s, int decimals, long long min, long long max, long long *out)
{
	bool neg;
	unsigned long long ip, fp, v;
	int nd;
	if (s == NULL || decimals < 0 || decimals > 18)
		return "invalid";
	const char *e = scan_decimal(&s, min < 0, &neg, &ip, &fp, &nd);
	if (e != NULL)
		return e;
	if (*s != '\0')
		return "not a number";
	if (nd > decimals) {
		/* Extra fraction digits are accepted only when they are zeros. */
		unsigned long long cut = pow10u(nd - decimals);
		if (fp % cut != 0)
			return decimals == 0 ? "not a whole number" : "too precise";
		fp /= cut;
		nd = decimals;
	}
	e = scale_exact(ip, fp * pow10u(decimals - nd), decimals, pow10u(decimals), &v);
	if (e != NULL)
		return neg ? "too small" : e;
	if (!neg && v > (unsigned long long)LLONG_MAX)
		return "too large";
	if (neg && v > (unsigned long long)LLONG_MAX + 1)
		return "too small";
	long long sv = neg ? (long long)(0 - v) : (long long)v;
	if (sv < min)
		return "too small";
	if (sv > max)
		return "too large";
	*out = sv;
	return NULL;
}

struct unit {
	const char *name;
	unsigned long long mult;
};

/* Parses number+unit from the table; a bare number uses bare_mult. */
static const char *
parse_with_units(const char *s, const struct unit *units, unsigned long long bare_mult,
    unsigned long long *out)
{
	bool neg;
	unsigned long long ip, fp;
	int nd;
	if (s == NULL)
		return "invalid";
	const char *e = scan_decimal(&s, false, &neg, &ip, &fp, &nd);
	if (e != NULL)
		return e;
	unsigned long long mult = 0;
	if (*s == '\0') {
		mult = bare_mult;
	} else {
		for (const struct unit *u = units; u->name != NULL; u++) {
			if (strcmp(s, u->name) == 0) {
				mult = u->mult;
				break;
			}
		}
		if (mult == 0)
			return "unknown unit";
	}
	return scale_exact(ip, fp, nd, mult, out);
}

const char *
hc_parse_duration(const char *s, int64_t min_ns, int64_t max_ns, int64_t *out_ns)
{
	static const struct unit units[] = {
		{ "ns", 1ULL },
		{ "us", 1000ULL },
		{ "ms", 1000000ULL },
		{ "s", 1000000000ULL },
		{ "m", 60ULL * 1000000000ULL },
		{ "h", 3600ULL * 1000000000ULL },
		{ NULL, 0 },
	};
	unsigned long long v;
	const char *e = parse_with_units(s, units, 1000000000ULL, &v);
	if (e != NULL)
		return strcmp(e, "not a number") == 0 ? "not a duration (like 500ms, 2s, 1.5s, 1m)" : e;
	if (v > (unsigned long long)INT64_MAX || (int64_t)v > max_ns)
		return "too large";
	if ((int64_t)v < min_ns)
		return "too small";
	*out_ns = (int64_t)v;
	return NULL;
}

const char *
hc_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	static const struct unit units[] = {
		{ "B", 1ULL },
		{ "k", 1ULL << 10 }, { "K", 1ULL << 10 }, { "kB", 1ULL << 10 },
		{ "KB", 1ULL << 10 }, { "KiB", 1ULL << 10 },
		{ "M", 1ULL << 20 }, { "MB", 1ULL << 20 }, { "MiB", 1ULL << 20 },
		{ "G", 1ULL << 30 }, { "GB", 1ULL << 30 }, { "GiB", 1ULL << 30 },
		{ "T", 1ULL << 40 }, { "TB", 1ULL << 40 }, { "TiB", 1ULL << 40 },
		{ NULL, 0 },
	};
	unsigned long long v;
	const char *e = parse_with_units(s, units, 1ULL, &v);
	if (e != NULL && strcmp(e, "too precise") == 0)
		return "not a whole number of bytes";
	if (e != NULL)
		return strcmp(e, "not a number") == 0 ? "not a size (like 512, 64KiB, 16MB)" : e;
	if (v > max)
		return "too large";
	if (v < min)
		return "too small";
	*out = v;
	return NULL;
}

const char *
hc_parse_port(const char *s, uint16_t *out)
{
	if (s == NULL || *s == '\0')
		return "empty";
	if (is_digit(*s) || *s == '-') {
		long long v;
		const char *e = hc_parse_int(s, 1, 65535, &v);
		if (e != NULL)
			return strcmp(e, "not a number") == 0 ? "not a port number or service name" : e;
		*out = (uint16_t)v;
		return NULL;
	}
	struct servent *se = getservbyname(s, "tcp");
	if (se == NULL)
		return "unknown service";
	*out = ntohs((uint16_t)se->s_port);
	return NULL;
}

const char *
hc_parse_addr(const char *s, struct hc_prefix *out)
{
	struct hc_prefix p;
	memset(&p, 0, sizeof p);
	if (s == NULL || *s == '\0')
		return "invalid";
	if (inet_pton(AF_INET, s, p.addr) == 1) {
		p.family = AF_INET;
		p.len = 32;
	} else if (inet_pton(AF_INET6, s, p.addr) == 1) {
		p.family = AF_INET6;
		p.len = 128;
	} else {
		return "not an IPv4 or IPv6 address";
	}
	*out = p;
	return NULL;
}

const char *
hc_parse_prefix(const char *s, struct hc_prefix *out)
{
	char addr[INET6_ADDRSTRLEN];
	struct hc_prefix p;
	if (s == NULL)
		return "invalid";
	const char *slash = strchr(s, '/');
	size_t alen = slash != NULL ? (size_t)(slash - s) : strlen(s);
	if (alen == 0 || alen >= sizeof addr)
		return "not an IPv4 or IPv6 prefix";
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	const char *e = hc_parse_addr(addr, &p);
	if (e != NULL)
		return "not an IPv4 or IPv6 prefix";
	if (slash != NULL) {
		long long len;
		const char *digits = slash + 1;
		/* Digits only, no leading zeros: "/032" and "/24.0" are typos, not lengths. */
		if (digits[strspn(digits, "0123456789")] != '\0' ||
		    (digits[0] == '0' && digits[1] != '\0'))
			return "invalid prefix length";
		if (hc_parse_int(digits, 0, p.len, &len) != NULL)
			return "invalid prefix length";
		p.len = (unsigned)len;
	}
	unsigned bytes = p.family == AF_INET ? 4 : 16;
	for (unsigned bit = p.len; bit < bytes * 8; bit++) {
		if (p.addr[bit / 8] & (0x80u >> (bit % 8)))
			return "host bits set beyond the prefix length";
	}
	*out = p;
	return NULL;
}

void
hc_format_addr(const struct hc_prefix *p, char *buf, size_t size)
{
	if (inet_ntop(p->family, p->addr, buf, (socklen_t)size) == NULL && size > 0)
		buf[0] = '\0';
}

void
hc_format_prefix(const struct hc_prefix *p, char *buf, size_t size)
{
	char addr[INET6_ADDRSTRLEN];
	hc_format_addr(p, addr, sizeof addr);
	snprintf(buf, size, "%s/%u", addr, p->len);
}

void
hc_format_ms(int64_t ns, char *buf, size_t size)
{
	if (ns < 10 * HC_NS_PER_S)
		snprintf(buf, size, "%.2f ms", (double)ns / 1e6);
	else
		snprintf(buf, size, "%.2f s", (double)ns / 1e9);
}

/*
 * hc-announce: attribute validation and ExaBGP 4.2.21 command text.
 *
 * Every word that reaches a command was checked here against what ExaBGP's
 * parser (exabgp/configuration/static/parser.py) accepts, and is written in
 * canonical form: numbers without leading zeros, lists as "[ a b ]".
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "announce.h"
#include "hc.h"
#include "parse.h"

void
words_add(struct words *w, const char *word)
{
	char **v = realloc(w->v, (w->n + 1) * sizeof *v);
	if (v == NULL)
		hc_diex(HC_EXIT_FAILURE, "out of memory");
	w->v = v;
	w->v[w->n++] = hc_xstrdup(word);
}

static void
words_free(struct words *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->v[i]);
	free(w->v);
	*w = (struct words){ NULL, 0 };
}

void
route_config_free(struct route_config *c)
{
	words_free(&c->communities);
	words_free(&c->as_path);
	words_free(&c->large_communities);
	words_free(&c->extended_communities);
	for (int s = 0; s < SET_COUNT; s++) {
		words_free(&c->state_communities[s]);
		words_free(&c->state_as_path[s]);
	}
}

/* Splits s at ':' into at most max parts, in place.  Returns the count. */
static size_t
split_colons(char *s, char **parts, size_t max)
{
	size_t n = 0;
	parts[n++] = s;
	for (char *p = s; *p != '\0'; p++) {
		if (*p != ':')
			continue;
		if (n == max)
			return max + 1;
		*p = '\0';
		parts[n++] = p + 1;
	}
	return n;
}

/* Digits only, as ExaBGP's isdigit() reads a number. */
static bool
is_digits(const char *s)
{
	return s[0] != '\0' && s[strspn(s, "0123456789")] == '\0';
}

/* A plain unsigned decimal within [0, max]: digits only, as ExaBGP's isdigit(). */
static const char *
check_number(const char *s, long long max)
{
	long long v;
	if (!is_digits(s))
		return "not a number";
	return hc_parse_int(s, 0, max, &v);
}

static const char *const well_known_communities[] = {
	"no-export", "no-advertise", "no-export-subconfed", "nopeer", "blackhole", NULL
};

const char *
check_community(const char *word)
{
	for (size_t i = 0; well_known_communities[i] != NULL; i++) {
		if (strcmp(word, well_known_communities[i]) == 0)
			return NULL;
	}
	char buf[64], *parts[2];
	if (strlen(word) >= sizeof buf)
		return "too long";
	strcpy(buf, word);
	if (split_colons(buf, parts, 2) != 2)
		return "not ASN:VALUE or a well-known name (no-export, no-advertise, "
		       "no-export-subconfed, nopeer, blackhole)";
	for (size_t i = 0; i < 2; i++) {
		const char *why = check_number(parts[i], 65535);
		if (why != NULL)
			return strcmp(why, "too large") == 0 ? "a part is larger than 65535" : why;
	}
	return NULL;
}

const char *
check_large_community(const char *word)
{
	char buf[64], *parts[3];
	if (strlen(word) >= sizeof buf)
		return "too long";
	strcpy(buf, word);
	if (split_colons(buf, parts, 3) != 3)
		return "not GLOBAL:DATA1:DATA2";
	for (size_t i = 0; i < 3; i++) {
		const char *why = check_number(parts[i], MED_MAX);
		if (why != NULL)
			return strcmp(why, "too large") == 0 ? "a part is larger than 4294967295" : why;
	}
	return NULL;
}

/* An IPv4 dotted quad, as ExaBGP's extended-community parser reads one. */
static bool
is_ipv4(const char *s)
{
	struct hc_prefix p;
	return strchr(s, ':') == NULL && hc_parse_addr(s, &p) == NULL && p.family == AF_INET;
}

const char *
check_extended_community(const char *word)
{
	char buf[80], *parts[3];
	if (strlen(word) >= sizeof buf)
		return "too long";
	strcpy(buf, word);
	const char *form = "not target:ADMIN:VALUE or origin:ADMIN:VALUE";
	if (split_colons(buf, parts, 3) != 3)
		return form;
	if (strcmp(parts[0], "target") != 0 && strcmp(parts[0], "origin") != 0)
		return form;
	const char *admin = parts[1], *value = parts[2];
	if (is_ipv4(admin))
		return check_number(value, 65535) ? "after an IPv4 address, the value is 0-65535"
		    : NULL;
	long long asn;
	if (!is_digits(admin) || hc_parse_int(admin, 0, MED_MAX, &asn) != NULL)
		return "the administrator is not an AS number (0-4294967295) or an IPv4 address";
	if (asn > 65535)
		return check_number(value, 65535) ? "after a 4-byte AS number, the value is 0-65535"
		    : NULL;
	return check_number(value, MED_MAX) ? "after a 2-byte AS number, the value is 0-4294967295"
	    : NULL;
}

const char *
extended_community_hex(const char *word, char *out)
{
	char buf[80], *parts[3];
	snprintf(buf, sizeof buf, "%s", word);
	split_colons(buf, parts, 3);
	unsigned subtype = strcmp(parts[0], "target") == 0 ? 0x02 : 0x03;
	/* Validated: each number fits its field. */
	uint32_t value = (uint32_t)strtoul(parts[2], NULL, 10);
	struct hc_prefix a;
	if (is_ipv4(parts[1]) && hc_parse_addr(parts[1], &a) == NULL) {
		snprintf(out, EXTENDED_HEX_SIZE, "0x01%02x%02x%02x%02x%02x%04x", subtype, a.addr[0],
		    a.addr[1], a.addr[2], a.addr[3], (unsigned)(uint16_t)value);
		return out;
	}
	uint32_t asn = (uint32_t)strtoul(parts[1], NULL, 10);
	if (asn > 65535)
		snprintf(out, EXTENDED_HEX_SIZE, "0x02%02x%08x%04x", subtype, (unsigned)asn,
		    (unsigned)(uint16_t)value);
	else
		snprintf(out, EXTENDED_HEX_SIZE, "0x00%02x%04x%08x", subtype, (unsigned)(uint16_t)asn,
		    (unsigned)value);
	return out;
}

const char *
check_asn(const char *word)
{
	long long v;
	if (!is_digits(word))
		return "not a number";
	const char *why = hc_parse_int(word, 1, MED_MAX, &v);
	return why != NULL && strcmp(why, "too small") == 0 ? "AS 0 is reserved" : why;
}

/* Appends formatted text to buf at *n; false once it does not fit. */
__attribute__((format(printf, 4, 5)))
static bool
append(char *buf, size_t size, size_t *n, const char *fmt, ...)
{
	if (*n >= size)
		return false;
	va_list ap;
	va_start(ap, fmt);
	int r = vsnprintf(buf + *n, size - *n, fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= size - *n) {
		*n = size;
		return false;
	}
	*n += (size_t)r;
	return true;
}

/* Appends " NAME [ w1 w2 ]" for the non-empty lists given, in order. */
static bool
append_list(char *buf, size_t size, size_t *n, const char *name, const struct words *a,
    const struct words *b, const char *extra)
{
	size_t count = (a ? a->n : 0) + (b ? b->n : 0) + (extra ? 1 : 0);
	if (count == 0)
		return true;
	bool ok = append(buf, size, n, " %s [", name);
	const struct words *lists[] = { a, b };
	for (size_t l = 0; l < 2; l++) {
		for (size_t i = 0; lists[l] != NULL && i < lists[l]->n; i++)
			ok = ok && append(buf, size, n, " %s", lists[l]->v[i]);
	}
	if (extra != NULL)
		ok = ok && append(buf, size, n, " %s", extra);
	return ok && append(buf, size, n, " ]");
}

bool
route_command(const struct route_config *c, size_t i, const struct route_view *v,
    char *buf, size_t size)
{
	const struct hc_prefix *p = &c->prefixes[i];
	char prefix[HC_PREFIX_STRLEN], nh[HC_PREFIX_STRLEN] = "self";
	hc_format_prefix(p, prefix, sizeof prefix);
	if (p->family == AF_INET6)
		hc_format_addr(&c->nh6, nh, sizeof nh);
	else if (c->have_nh4)
		hc_format_addr(&c->nh4, nh, sizeof nh);

	size_t n = 0;
	bool ok = true;
	if (c->peer_syntax)
		ok = append(buf, size, &n, "peer %s ", c->neighbor[0] ? c->neighbor : "*");
	else if (c->neighbor[0] != '\0')
		ok = append(buf, size, &n, "neighbor %s ", c->neighbor);
	ok = ok && append(buf, size, &n, "%s route %s next-hop %s",
	    v->announce ? "announce" : "withdraw", prefix, nh);
	if (v->announce) {
		uint64_t med = v->graceful ? v->med : (uint64_t)v->med + (uint64_t)c->med_step * i;
		if (med > MED_MAX)
			med = MED_MAX;
		if (c->origin != NULL)
			ok = ok && append(buf, size, &n, " origin %s", c->origin);
		ok = ok && append(buf, size, &n, " med %llu", (unsigned long long)med);
		if (c->have_local_pref)
			ok = ok && append(buf, size, &n, " local-preference %lu",
			    (unsigned long)c->local_pref);
		const struct words *path = c->state_as_path[v->set].n > 0 ? &c->state_as_path[v->set]
		    : &c->as_path;
		ok = ok && append_list(buf, size, &n, "as-path", path, NULL, NULL);
		ok = ok && append_list(buf, size, &n, "community", &c->communities,
		    &c->state_communities[v->set], v->graceful ? "65535:0" : NULL);
		ok = ok && append_list(buf, size, &n, "large-community", &c->large_communities,
		    NULL, NULL);
		ok = ok && append_list(buf, size, &n, "extended-community",
		    &c->extended_communities, NULL, NULL);
	}
	if (c->have_path_id)
		ok = ok && append(buf, size, &n, " path-information %lu", (unsigned long)c->path_id);
	return ok;
}

/*
 * hc-announce: the route model shared by its files.  announce-route.c
 * validates every attribute a user gives and writes ExaBGP 4.2 commands;
 * hc-announce.c reads the stream and decides what the routers should see.
 */
#ifndef HC_ANNOUNCE_H
#define HC_ANNOUNCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parse.h"

#define MED_MAX UINT32_C(4294967295)
#define PREFIXES_MAX 256
#define COMMAND_MAX 2048  /* bytes of one command line; checked at start */

/* The attribute sets a route can be announced with. */
enum attr_set { SET_UP, SET_DOWN, SET_MAINT, SET_COUNT };

/* A growing list of validated words, written as "[ a b c ]". */
struct words {
	char **v;
	size_t n;
};

void words_add(struct words *w, const char *word);

/* Everything that shapes the command lines; filled once from the options. */
struct route_config {
	struct hc_prefix prefixes[PREFIXES_MAX];
	size_t nprefixes;
	bool have_nh4, have_nh6;
	struct hc_prefix nh4, nh6;       /* explicit next hops; IPv4 default is "self" */
	char neighbor[HC_PREFIX_STRLEN]; /* "" for every neighbor */
	bool peer_syntax;                /* "peer * announce route ..." (ExaBGP 6) */
	uint32_t med[SET_COUNT];
	uint32_t med_step;               /* added per extra prefix */
	uint32_t drain_med;
	bool have_local_pref;
	uint32_t local_pref;
	const char *origin;              /* NULL, "igp", "egp" or "incomplete" */
	struct words communities;        /* every state */
	struct words state_communities[SET_COUNT];
	struct words as_path;            /* every state, unless the state has its own */
	struct words state_as_path[SET_COUNT];
	struct words large_communities;
	struct words extended_communities;
	bool have_path_id;
	uint32_t path_id;
};

/* What the router should see for one prefix. */
struct route_view {
	bool announce;
	enum attr_set set;   /* attributes, when announced */
	uint32_t med;        /* MED of the first prefix; extra prefixes add med_step */
	bool graceful;       /* RFC 8326 drain: GRACEFUL_SHUTDOWN community added */
};

/* Frees the lists of c. */
void route_config_free(struct route_config *c);

/*
 * Validators: NULL when word is valid (and stored canonically by the caller),
 * else a short reason for "invalid community 'x': reason".
 */
const char *check_community(const char *word);
const char *check_large_community(const char *word);
const char *check_extended_community(const char *word);
const char *check_asn(const char *word);

/*
 * The valid extended community word ("target:ADMIN:VALUE", "origin:...") as
 * the 8 bytes ExaBGP should send, "0x" and 16 hex digits, in out (at least
 * EXTENDED_HEX_SIZE bytes): type 0x00 (2-byte AS), 0x01 (IPv4) or 0x02
 * (4-byte AS), subtype 0x02 (target) or 0x03 (origin).  ExaBGP 4.2.21 encodes
 * an IPv4 administrator with the 2-byte AS type, 5.0.13 and main a 4-byte AS
 * with the IPv4 type; all three send the hex form as it is.  Returns out.
 */
#define EXTENDED_HEX_SIZE 19
const char *extended_community_hex(const char *word, char *out);

/*
 * Writes into buf the command that makes the routers see prefix i as v says.
 * Returns false when it does not fit (never a truncated command).
 */
bool route_command(const struct route_config *c, size_t i, const struct route_view *v,
    char *buf, size_t size);

#endif

/*
 * hc-neighbors: what ExaBGP's neighbor events say, read from one line of
 * its text or JSON encoder (neighbors-event.c; fuzzed by fuzz/fuzz-neighbors.c).
 */
#ifndef HC_NEIGHBORS_H
#define HC_NEIGHBORS_H

#include <stdbool.h>
#include <stddef.h>

#include "parse.h"

#define EVENT_REASON_MAX 256  /* bytes of a down reason kept, with its NUL */

enum session { SESSION_DOWN, SESSION_CONNECTED, SESSION_UP };

/* One thing ExaBGP said. */
struct event {
	enum { EV_NONE, EV_STATE, EV_SHUTDOWN } kind;
	char addr[HC_PREFIX_STRLEN];  /* EV_STATE: the peer, canonical */
	enum session state;           /* EV_STATE */
	char reason[EVENT_REASON_MAX]; /* EV_STATE down: ExaBGP's reason, or "" */
};

/* "down", "connected" or "up". */
const char *session_name(enum session s);

/* Canonical text of an address in out; false if s is not an address. */
bool neighbors_canonical_addr(const char *s, char *out, size_t size);

/*
 * Reads one line from ExaBGP (without its newline).  Text encoder:
 * "neighbor ADDR up", "neighbor ADDR connected", "neighbor ADDR down -
 * REASON", "shutdown PID PPID".  JSON encoder (a line starting with '{'):
 * { ..., "type": "state", "neighbor": { "address": { "peer": ADDR }, ...,
 * "state": "up" } } and { ..., "type": "notification", "notification":
 * "shutdown" }.  Anything else (updates, acks, malformed JSON) is EV_NONE.
 */
struct event neighbors_parse_event(const char *line);

#endif

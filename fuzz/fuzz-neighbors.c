/*
 * hc-neighbors' reading of ExaBGP's events (cmd/neighbors.h).  Any line:
 * no read past it; an EV_STATE has a known state, a canonical address
 * (it re-parses to itself) and a terminated reason.  A text line is a state
 * exactly when a word-by-word reference reading of the text encoder's
 * grammar says so.  Every state event formats back, in the text encoder's
 * form and in the JSON encoder's (ExaBGP 4.2's layout), to the same event.
 */
/* scripts/fuzz: cmd/neighbors-event.c */
#include "config.h"

#include <stdbool.h>

#include "fuzz.h"
#include "neighbors.h"

/* The text encoder's grammar read word by word: is line a state event? */
static bool
ref_text_state(const char *line)
{
	static const char prefix[] = "neighbor ";
	if (strncmp(line, prefix, sizeof prefix - 1) != 0)
		return false;
	const char *addr = line + sizeof prefix - 1;
	const char *space = strchr(addr, ' ');
	if (space == NULL || space == addr || (size_t)(space - addr) >= HC_PREFIX_STRLEN)
		return false;
	char a[HC_PREFIX_STRLEN], canon[HC_PREFIX_STRLEN];
	memcpy(a, addr, (size_t)(space - addr));
	a[space - addr] = '\0';
	if (!neighbors_canonical_addr(a, canon, sizeof canon))
		return false;
	const char *word = space + 1;
	return strcmp(word, "up") == 0 || strcmp(word, "connected") == 0
	    || strcmp(word, "down") == 0 || strncmp(word, "down - ", 7) == 0;
}

static void
check_same(const struct event *a, const struct event *b, bool reason_too)
{
	FUZZ_CHECK(b->kind == EV_STATE);
	FUZZ_CHECK(strcmp(a->addr, b->addr) == 0);
	FUZZ_CHECK(a->state == b->state);
	if (reason_too)
		FUZZ_CHECK(strcmp(a->reason, b->reason) == 0);
}

/* Whether s survives a JSON string unchanged: printable ASCII. */
static bool
json_plain(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	}
	return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = fuzz_cstring(data, size);
	if (line == NULL)
		return 0;
	struct event ev = neighbors_parse_event(line);
	FUZZ_CHECK(ev.kind == EV_NONE || ev.kind == EV_STATE || ev.kind == EV_SHUTDOWN);
	if (line[0] != '{')
		FUZZ_CHECK((ev.kind == EV_STATE) == ref_text_state(line));
	if (ev.kind == EV_STATE) {
		FUZZ_CHECK(ev.state == SESSION_DOWN || ev.state == SESSION_CONNECTED
		    || ev.state == SESSION_UP);
		FUZZ_CHECK(memchr(ev.addr, '\0', sizeof ev.addr) != NULL);
		FUZZ_CHECK(memchr(ev.reason, '\0', sizeof ev.reason) != NULL);
		FUZZ_CHECK(ev.state == SESSION_DOWN || ev.reason[0] == '\0');
		char canon[HC_PREFIX_STRLEN];
		FUZZ_CHECK(neighbors_canonical_addr(ev.addr, canon, sizeof canon));
		FUZZ_CHECK(strcmp(canon, ev.addr) == 0);

		static char text[EVENT_REASON_MAX + 128], json[2 * EVENT_REASON_MAX + 512];
		if (ev.reason[0] != '\0')
			snprintf(text, sizeof text, "neighbor %s %s - %s", ev.addr,
			    session_name(ev.state), ev.reason);
		else
			snprintf(text, sizeof text, "neighbor %s %s", ev.addr, session_name(ev.state));
		struct event back = neighbors_parse_event(text);
		check_same(&ev, &back, strlen(ev.reason) + 1 < sizeof ev.reason);

		/* ExaBGP 4.2's JSON layout; the reason's '"' and '\\' escaped, control bytes raw. */
		char reason[2 * EVENT_REASON_MAX];
		size_t n = 0;
		for (const char *r = ev.reason; *r != '\0'; r++) {
			if (*r == '"' || *r == '\\')
				reason[n++] = '\\';
			reason[n++] = *r;
		}
		reason[n] = '\0';
		snprintf(json, sizeof json, "{ \"exabgp\": \"4.0.1\", \"time\": 1796170676.9084399, "
		    "\"host\" : \"vm\", \"pid\" : 7913, \"ppid\" : 7603, \"counter\": 2, "
		    "\"type\": \"state\", \"neighbor\": { \"address\": { \"local\": \"192.0.2.11\", "
		    "\"peer\": \"%s\" }, \"asn\": { \"local\": 65001, \"peer\": 65000 } , "
		    "\"state\": \"%s\"%s%s%s } }", ev.addr, session_name(ev.state),
		    ev.reason[0] != '\0' ? ", \"reason\": \"" : "", reason,
		    ev.reason[0] != '\0' ? "\"" : "");
		back = neighbors_parse_event(json);
		check_same(&ev, &back, json_plain(ev.reason)
		    && strlen(ev.reason) + 1 < sizeof ev.reason);
	}
	free(line);
	return 0;
}

/*
 * hc-neighbors' reading of ExaBGP's neighbor events (neighbors.h): the text
 * encoder's lines word by word, the JSON encoder's through a small parser
 * that keeps the few strings an event needs.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "neighbors.h"
#include "parse.h"

#define JSON_DEPTH_MAX 16

static const char *const session_names[] = { "down", "connected", "up" };

const char *
session_name(enum session s)
{
	return session_names[s];
}

bool
neighbors_canonical_addr(const char *s, char *out, size_t size)
{
	struct hc_prefix a;
	if (hc_parse_addr(s, &a) != NULL)
		return false;
	hc_format_addr(&a, out, size);
	return true;
}

/* The session state named by word ("up", "connected", "down"); false for another word. */
static bool
session_from_word(const char *word, size_t len, enum session *out)
{
	for (int s = SESSION_DOWN; s <= SESSION_UP; s++) {
		if (strlen(session_names[s]) == len && memcmp(session_names[s], word, len) == 0) {
			*out = (enum session)s;
			return true;
		}
	}
	return false;
}

/* A text-encoder line (neighbors.h). */
static struct event
parse_text(const char *line)
{
	struct event ev = { .kind = EV_NONE };
	if (strcmp(line, "shutdown") == 0 || strncmp(line, "shutdown ", 9) == 0) {
		ev.kind = EV_SHUTDOWN;
		return ev;
	}
	if (strncmp(line, "neighbor ", 9) != 0)
		return ev;
	const char *a = line + 9;
	size_t alen = strcspn(a, " ");
	const char *w = a + alen;
	if (alen == 0 || alen >= sizeof ev.addr || *w != ' ')
		return ev;
	w++;
	size_t wlen = strcspn(w, " ");
	enum session s;
	if (!session_from_word(w, wlen, &s))
		return ev;
	const char *rest = w + wlen;
	if (s == SESSION_DOWN ? *rest != '\0' && strncmp(rest, " - ", 3) != 0 : *rest != '\0')
		return ev;
	char addr[HC_PREFIX_STRLEN];
	memcpy(addr, a, alen);
	addr[alen] = '\0';
	if (!neighbors_canonical_addr(addr, ev.addr, sizeof ev.addr))
		return ev;
	if (s == SESSION_DOWN && *rest != '\0')
		snprintf(ev.reason, sizeof ev.reason, "%s", rest + 3);
	ev.state = s;
	ev.kind = EV_STATE;
	return ev;
}

/* A JSON reader that keeps the few string values a state event needs. */
struct json {
	const char *p;
	char type[32], state[32], peer[HC_PREFIX_STRLEN], notification[32];
	char reason[EVENT_REASON_MAX];
};

static void
json_space(struct json *j)
{
	while (*j->p == ' ' || *j->p == '\t' || *j->p == '\r' || *j->p == '\n')
		j->p++;
}

/*
 * Reads a JSON string at j->p into out (size bytes, the rest truncated).
 * Lenient where ExaBGP 4.2 is sloppy (it escapes only '"' in a down
 * reason): a raw control byte reads as a space, an unknown escape "\x" as
 * x; \uXXXX reads as '?', and \n \t \r \b \f as a space.  false if it
 * is not a string (no closing quote).
 */
static bool
json_string(struct json *j, char *out, size_t size)
{
	size_t n = 0;
	if (*j->p != '"')
		return false;
	for (j->p++; *j->p != '"'; j->p++) {
		char c = *j->p;
		if (c == '\0')
			return false;
		if ((unsigned char)c < 0x20)
			c = ' ';
		if (c == '\\') {
			c = *++j->p;
			if (c == '\0')
				return false;
			if (c == 'u') {
				for (int k = 0; k < 4; k++) {
					if (j->p[1] == '\0' || strchr("0123456789abcdefABCDEF", j->p[1]) == NULL)
						return false;
					j->p++;
				}
				c = '?';
			} else if (c == 'n' || c == 't' || c == 'r' || c == 'b' || c == 'f'
			    || (unsigned char)c < 0x20) {
				c = ' ';
			}
		}
		if (out != NULL && n + 1 < size)
			out[n++] = c;
	}
	j->p++;
	if (out != NULL && size > 0)
		out[n] = '\0';
	return true;
}

static bool json_value(struct json *j, const char *path, int depth);

/* The buffer that keeps the string at path, or NULL. */
static char *
json_slot(struct json *j, const char *path, size_t *size)
{
	static const struct { const char *path; size_t off, size; } slots[] = {
		{ ".type", offsetof(struct json, type), sizeof ((struct json *)0)->type },
		{ ".notification", offsetof(struct json, notification),
		  sizeof ((struct json *)0)->notification },
		{ ".neighbor.state", offsetof(struct json, state), sizeof ((struct json *)0)->state },
		{ ".neighbor.reason", offsetof(struct json, reason),
		  sizeof ((struct json *)0)->reason },
		{ ".neighbor.address.peer", offsetof(struct json, peer),
		  sizeof ((struct json *)0)->peer },
	};
	for (size_t i = 0; i < sizeof slots / sizeof slots[0]; i++) {
		if (strcmp(slots[i].path, path) == 0) {
			*size = slots[i].size;
			return (char *)j + slots[i].off;
		}
	}
	return NULL;
}

/* Reads an object's members; path is the object's own path. */
static bool
json_object(struct json *j, const char *path, int depth)
{
	j->p++;
	json_space(j);
	if (*j->p == '}') {
		j->p++;
		return true;
	}
	for (;;) {
		char key[64], child[192];
		json_space(j);
		if (!json_string(j, key, sizeof key))
			return false;
		json_space(j);
		if (*j->p++ != ':')
			return false;
		snprintf(child, sizeof child, "%s.%s", path, key);
		if (!json_value(j, child, depth + 1))
			return false;
		json_space(j);
		if (*j->p == ',') {
			j->p++;
			continue;
		}
		if (*j->p != '}')
			return false;
		j->p++;
		return true;
	}
}

/* Reads any JSON value at path, keeping the strings json_slot names. */
static bool
json_value(struct json *j, const char *path, int depth)
{
	if (depth > JSON_DEPTH_MAX)
		return false;
	json_space(j);
	char c = *j->p;
	if (c == '{')
		return json_object(j, path, depth);
	if (c == '[') {
		j->p++;
		json_space(j);
		if (*j->p == ']') {
			j->p++;
			return true;
		}
		for (;;) {
			if (!json_value(j, "[]", depth + 1))
				return false;
			json_space(j);
			if (*j->p == ']') {
				j->p++;
				return true;
			}
			if (*j->p++ != ',')
				return false;
		}
	}
	if (c == '"') {
		size_t size = 0;
		char *slot = json_slot(j, path, &size);
		return json_string(j, slot, size);
	}
	/* A number, true, false or null: its characters, checked loosely. */
	size_t len = strspn(j->p, "0123456789+-.eEtrufalsn");
	if (len == 0)
		return false;
	j->p += len;
	return true;
}

/* A JSON-encoder line (neighbors.h). */
static struct event
parse_json(const char *line)
{
	struct event ev = { .kind = EV_NONE };
	struct json j = { .p = line };
	if (!json_value(&j, "", 0))
		return ev;
	json_space(&j);
	if (*j.p != '\0')
		return ev;
	if (strcmp(j.type, "notification") == 0 && strcmp(j.notification, "shutdown") == 0) {
		ev.kind = EV_SHUTDOWN;
		return ev;
	}
	if (strcmp(j.type, "state") != 0 || !session_from_word(j.state, strlen(j.state), &ev.state)
	    || !neighbors_canonical_addr(j.peer, ev.addr, sizeof ev.addr))
		return ev;
	snprintf(ev.reason, sizeof ev.reason, "%s", j.reason);
	ev.kind = EV_STATE;
	return ev;
}

struct event
neighbors_parse_event(const char *line)
{
	return line[0] == '{' ? parse_json(line) : parse_text(line);
}

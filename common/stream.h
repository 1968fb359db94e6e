/*
 * The status stream (hc-stream(7)): one line per event,
 *   STATE [KEY=VALUE]...
 * STATE is "up" or "down"; fields are separated by single spaces.
 */
#ifndef HC_STREAM_H
#define HC_STREAM_H

#include <stdbool.h>
#include <stddef.h>

#define HC_STREAM_LINE_MAX   1024  /* bytes, without the newline */
#define HC_STREAM_FIELDS_MAX 32
#define HC_STREAM_KEY_MAX    32
#define HC_STREAM_VALUE_MAX  255

enum hc_state { HC_STATE_DOWN, HC_STATE_UP };

struct hc_field {
	const char *key;
	const char *value;
};

struct hc_status {
	enum hc_state state;
	size_t nfields;
	struct hc_field fields[HC_STREAM_FIELDS_MAX];
};

/* "up" or "down". */
const char *hc_state_name(enum hc_state s);

/* A key: a lowercase letter, then lowercase letters, digits or '_', 32 at most. */
bool hc_stream_key_ok(const char *key, size_t len);

/* A value: 1 to 255 printable ASCII bytes other than space. */
bool hc_stream_value_ok(const char *value, size_t len);

/*
 * Parses one line (without its newline), splitting it in place: the fields
 * point into line, and line[len] must be writable (it becomes the NUL ending
 * the last value; hc_linebuf_next's lines have that byte).  Returns NULL, or
 * the reason the line is not a stream line ("empty line", "unknown state 'x'",
 * "carriage return", ...).
 */
const char *hc_stream_parse(char *line, size_t len, struct hc_status *st);

/* The value of key, or NULL. */
const char *hc_status_get(const struct hc_status *st, const char *key);

/*
 * Sets key to value (both must be valid and must outlive st), replacing an
 * existing field or appending one.  false when the field table is full.
 */
bool hc_status_set(struct hc_status *st, const char *key, const char *value);

/* Removes key if present. */
void hc_status_del(struct hc_status *st, const char *key);

/*
 * Writes the line (without newline) into buf.  Returns its length, or 0 when
 * it would not fit in size or in HC_STREAM_LINE_MAX.
 */
size_t hc_status_format(const struct hc_status *st, char *buf, size_t size);

/*
 * Whether line (len bytes, no newline) is ExaBGP telling a process that it
 * stops.  ExaBGP 4.2 and 5.0 write "shutdown PID PPID" (their own PID and
 * parent's) and then an empty line; a bare "shutdown" is taken too.  ExaBGP
 * main writes nothing before its SIGTERM.
 */
bool hc_exabgp_shutdown_line(const char *line, size_t len);

/* What a line ExaBGP writes to a process is. */
enum hc_exabgp_line {
	HC_EXABGP_OTHER,        /* an event, an empty line, anything else */
	HC_EXABGP_DONE,         /* "done": the command was taken */
	HC_EXABGP_ERROR,        /* "error": the command was refused */
	HC_EXABGP_REASON,       /* "error: REASON" (main): why, before its "error" */
	HC_EXABGP_SHUTDOWN,     /* hc_exabgp_shutdown_line */
};

/* The kind of line (len bytes, no newline). */
enum hc_exabgp_line hc_exabgp_line_kind(const char *line, size_t len);

#define HC_EXABGP_REASON_MAX 256   /* bytes kept of a reason, with its NUL */

/* The acks read so far from ExaBGP: the reason waiting for its "error". */
struct hc_exabgp_acks {
	char reason[HC_EXABGP_REASON_MAX];
	bool have_reason;
};

/*
 * Reads one line ExaBGP wrote (len bytes, no newline; a zeroed acks to
 * start) and returns its kind.  On HC_EXABGP_ERROR, *reason is the REASON of
 * the last "error: REASON" line read since the previous done or error, made
 * printable (other bytes become '?') and cut to fit with "...", or NULL when
 * there was none, as from ExaBGP 4.2 and 5.0; it stays valid until the next
 * call.  A reason line is not an ack of its own: the "error" after it is.
 */
enum hc_exabgp_line hc_exabgp_ack(struct hc_exabgp_acks *acks, const char *line, size_t len,
    const char **reason);

#endif

/*
 * hc_linebuf (io.h) fed through a pipe in random chunks.  Whatever the
 * chunking, the lines that come out are exactly those of a reference split
 * of the whole stream: each line up to max_len bytes as it is, an over-long
 * one cut to its first max_len bytes and the rest of it dropped, an
 * unterminated tail last.
 *
 * Input: one byte for max_len, one byte seeding the chunk sizes, then the
 * byte stream.
 */
#include "config.h"

#include <errno.h>
#include <unistd.h>

#include "fuzz.h"
#include "io.h"

struct expect {
	const uint8_t *data;  /* the whole stream */
	size_t size;
	size_t pos;           /* start of the next line the reference expects */
	size_t max_len;
};

/* The reference: the next line of the stream from e->pos, its kind and bytes. */
static bool
expect_next(struct expect *e, enum hc_line *kind, const uint8_t **line, size_t *len)
{
	if (e->pos >= e->size)
		return false;
	const uint8_t *p = e->data + e->pos;
	size_t rest = e->size - e->pos;
	const uint8_t *nl = memchr(p, '\n', rest);
	size_t n = nl != NULL ? (size_t)(nl - p) : rest;
	*line = p;
	if (n > e->max_len) {
		*kind = HC_LINE_TOO_LONG;
		*len = e->max_len;
	} else {
		*kind = nl != NULL ? HC_LINE_OK : HC_LINE_UNTERMINATED;
		*len = n;
	}
	e->pos += nl != NULL ? n + 1 : n;
	return true;
}

/* Takes every line lb holds and checks each against the reference. */
static void
drain(struct hc_linebuf *lb, struct expect *e)
{
	char *line;
	size_t len;
	enum hc_line kind;
	while ((kind = hc_linebuf_next(lb, &line, &len)) != HC_LINE_NONE) {
		enum hc_line want_kind;
		const uint8_t *want;
		size_t want_len;
		FUZZ_CHECK(expect_next(e, &want_kind, &want, &want_len));
		FUZZ_CHECK(kind == want_kind && len == want_len && len <= lb->max_len);
		FUZZ_CHECK(line[len] == '\0' && memcmp(line, want, len) == 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t max_len = 1 + fuzz_take(&data, &size, 1) % 80;
	uint32_t rng = (uint32_t)fuzz_take(&data, &size, 1) * 2654435761u + 1;
	int fds[2];
	if (pipe(fds) != 0 || hc_set_nonblock(fds[0], true) != 0)
		abort();

	struct hc_linebuf lb;
	struct expect e = { .data = data, .size = size, .max_len = max_len };
	hc_linebuf_init(&lb, max_len);
	size_t sent = 0;
	while (sent < size) {
		rng ^= rng << 13;
		rng ^= rng >> 17;
		rng ^= rng << 5;
		size_t chunk = 1 + rng % (2 * max_len + 3);
		if (chunk > size - sent)
			chunk = size - sent;
		FUZZ_CHECK(write(fds[1], data + sent, chunk) == (ssize_t)chunk);
		sent += chunk;
		size_t pending = chunk;
		while (pending > 0) {
			ssize_t r = hc_linebuf_fill(&lb, fds[0]);
			FUZZ_CHECK(r > 0 && (size_t)r <= pending);
			pending -= (size_t)r;
			drain(&lb, &e);
		}
	}
	close(fds[1]);
	ssize_t r;
	while ((r = hc_linebuf_fill(&lb, fds[0])) < 0 && errno == EINTR)
		continue;
	FUZZ_CHECK(r == 0 && lb.eof);
	drain(&lb, &e);
	enum hc_line kind;
	const uint8_t *line;
	size_t len;
	FUZZ_CHECK(!expect_next(&e, &kind, &line, &len));

	hc_linebuf_free(&lb);
	close(fds[0]);
	return 0;
}

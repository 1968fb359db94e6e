/* Byte and line I/O for filters: complete writes, bounded line reading. */
#ifndef HC_IO_H
#define HC_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Writes all n bytes, retrying on EINTR.  0, or -1 with errno (EPIPE...). */
int hc_write_all(int fd, const void *buf, size_t n);

/*
 * Writes line and a newline with one write(2), so the line leaves at once
 * (no stdio buffer to flush).  0, or -1 with errno.
 */
int hc_write_line(int fd, const char *line);

/* A writer of n whole bytes to fd, with ctx for what it needs: 0, or -1 with errno. */
typedef int hc_write_fn(int fd, const void *buf, size_t n, void *ctx);

/* hc_write_line through write_all: the line and its newline in one call of it. */
int hc_write_line_by(hc_write_fn *write_all, void *ctx, int fd, const char *line);

/*
 * Replaces the file at path with n bytes of buf, atomically: writes
 * path.tmp, then rename(2)s it over path (a reader sees the old file or the
 * new one, never half of one).  0, or -1 with errno; path.tmp is removed on
 * failure.
 */
int hc_replace_file(const char *path, const void *buf, size_t n);

/* Sets or clears O_NONBLOCK.  0, or -1 with errno. */
int hc_set_nonblock(int fd, bool on);

/*
 * Reads the whole of path, at most max bytes, into a new buffer of
 * max + 2 bytes, NUL-terminated after the *len bytes read.  0, or -1 with
 * errno (EFBIG when the file is larger than max) and nothing allocated.
 */
int hc_read_file(const char *path, size_t max, char **out, size_t *len);

/* A reader that splits a byte stream into lines of bounded length. */
struct hc_linebuf {
	char *buf;         /* max_len + 2 bytes: a line, its '\n', a NUL */
	size_t max_len;
	size_t start;      /* first unread byte */
	size_t len;        /* bytes held from start */
	bool discarding;   /* inside an over-long line, dropping bytes to its end */
	bool eof;          /* the fd reached end of file */
};

enum hc_line {
	HC_LINE_NONE,          /* no complete line buffered */
	HC_LINE_OK,            /* a line, without its '\n' */
	HC_LINE_TOO_LONG,      /* the first max_len bytes of an over-long line; the rest is dropped */
	HC_LINE_UNTERMINATED,  /* bytes left at end of file without a final '\n' */
};

/* Prepares lb for lines of at most max_len bytes. */
void hc_linebuf_init(struct hc_linebuf *lb, size_t max_len);
void hc_linebuf_free(struct hc_linebuf *lb);

/*
 * One read(2) from fd into lb.  Returns bytes read, 0 at end of file (and
 * sets lb->eof), or -1 with errno (EAGAIN on an empty non-blocking fd).
 */
ssize_t hc_linebuf_fill(struct hc_linebuf *lb, int fd);

/*
 * Takes the next line out of lb.  *line points into lb, NUL-terminated, and
 * stays valid until the next fill.  A NUL byte inside the line shows as
 * strlen(*line) < *len.  Call it until it returns HC_LINE_NONE.
 */
enum hc_line hc_linebuf_next(struct hc_linebuf *lb, char **line, size_t *len);

#endif

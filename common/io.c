#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hc.h"
#include "io.h"

int
hc_write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
hc_replace_file(const char *path, const void *buf, size_t n)
{
	size_t len = strlen(path);
	char *tmp = hc_xmalloc(len + sizeof ".tmp");
	memcpy(tmp, path, len);
	memcpy(tmp + len, ".tmp", sizeof ".tmp");
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int r = fd == -1 ? -1 : hc_write_all(fd, buf, n);
	if (fd != -1 && close(fd) == -1)
		r = -1;
	if (r == 0 && rename(tmp, path) == -1)
		r = -1;
	if (r == -1 && fd != -1) {
		int saved = errno;
		unlink(tmp);
		errno = saved;
	}
	free(tmp);
	return r;
}

static int
write_all_plain(int fd, const void *buf, size_t n, void *ctx)
{
	(void)ctx;
	return hc_write_all(fd, buf, n);
}

int
hc_write_line(int fd, const char *line)
{
	return hc_write_line_by(write_all_plain, NULL, fd, line);
}

int
hc_write_line_by(hc_write_fn *write_all, void *ctx, int fd, const char *line)
{
	char small[1024];
	size_t n = strlen(line);
	char *out = n + 1 <= sizeof small ? small : hc_xmalloc(n + 1);
	memcpy(out, line, n);
	out[n] = '\n';
	int r = write_all(fd, out, n + 1, ctx);
	if (out != small) {
		int saved = errno;
		free(out);
		errno = saved;
	}
	return r;
}

int
hc_set_nonblock(int fd, bool on)
{
	int flags = fcntl(fd, F_GETFL);
	if (flags == -1)
		return -1;
	int want = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
	return want == flags ? 0 : fcntl(fd, F_SETFL, want);
}

void
hc_linebuf_init(struct hc_linebuf *lb, size_t max_len)
{
	memset(lb, 0, sizeof *lb);
	lb->max_len = max_len;
	lb->buf = hc_xmalloc(max_len + 2);
}

void
hc_linebuf_free(struct hc_linebuf *lb)
{
	free(lb->buf);
	lb->buf = NULL;
}

ssize_t
hc_linebuf_fill(struct hc_linebuf *lb, int fd)
{
	if (lb->start > 0) {
		memmove(lb->buf, lb->buf + lb->start, lb->len);
		lb->start = 0;
	}
	/* Room for a whole line and its newline; the last byte is for the NUL. */
	size_t room = lb->max_len + 1 - lb->len;
	if (room == 0) {
		errno = ENOBUFS;
		return -1;
	}
	ssize_t r;
	do
		r = read(fd, lb->buf + lb->len, room);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		lb->eof = true;
	if (r > 0)
		lb->len += (size_t)r;
	return r;
}

enum hc_line
hc_linebuf_next(struct hc_linebuf *lb, char **line, size_t *len)
{
	for (;;) {
		char *p = lb->buf + lb->start;
		char *nl = memchr(p, '\n', lb->len);
		if (lb->discarding) {
			if (nl == NULL) {
				lb->start = 0;
				lb->len = 0;
				return HC_LINE_NONE;
			}
			lb->len -= (size_t)(nl + 1 - p);
			lb->start += (size_t)(nl + 1 - p);
			lb->discarding = false;
			continue;
		}
		if (nl != NULL) {
			size_t n = (size_t)(nl - p);
			*nl = '\0';
			lb->start += n + 1;
			lb->len -= n + 1;
			*line = p;
			*len = n;
			return HC_LINE_OK;
		}
		if (lb->len > lb->max_len) {
			/* Full with no newline: hand out the prefix, drop the rest. */
			size_t n = lb->max_len;
			p[n] = '\0';
			lb->start = 0;
			lb->len = 0;
			lb->discarding = true;
			*line = p;
			*len = n;
			return HC_LINE_TOO_LONG;
		}
		if (lb->eof && lb->len > 0) {
			/* start + len <= max_len + 1 always holds, so p[len] is in bounds. */
			size_t n = lb->len;
			p[n] = '\0';
			lb->start = 0;
			lb->len = 0;
			*line = p;
			*len = n;
			return HC_LINE_UNTERMINATED;
		}
		return HC_LINE_NONE;
	}
}

int
hc_read_file(const char *path, size_t max, char **out, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	char *buf = hc_xmalloc(max + 2);
	size_t n = 0;
	int err = 0;
	while (err == 0) {
		ssize_t r = read(fd, buf + n, max + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			err = errno;
		else if (r == 0)
			break;
		else if ((n += (size_t)r) > max)
			err = EFBIG;
	}
	close(fd);
	if (err != 0) {
		explicit_bzero(buf, max + 2);  /* it may hold part of a secret */
		free(buf);
		errno = err;
		return -1;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

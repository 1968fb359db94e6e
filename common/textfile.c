#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "clock.h"
#include "io.h"
#include "parse.h"
#include "textfile.h"

void
hc_textfile_start(struct hc_textfile *t, char *buf, size_t size)
{
	*t = (struct hc_textfile){ .buf = buf, .size = size };
}

void
hc_textfile_put(struct hc_textfile *t, const char *fmt, ...)
{
	if (t->overflow)
		return;
	va_list ap;
	va_start(ap, fmt);
	int len = vsnprintf(t->buf + t->n, t->size - t->n, fmt, ap);
	va_end(ap);
	if (len < 0 || (size_t)len >= t->size - t->n)
		t->overflow = true;
	else
		t->n += (size_t)len;
}

void
hc_textfile_family(struct hc_textfile *t, const char *name, const char *type, const char *help)
{
	hc_textfile_put(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void
hc_textfile_wall(struct hc_textfile *t, int64_t wall)
{
	hc_textfile_put(t, "%lld.%03lld\n", (long long)(wall / HC_NS_PER_S),
	    (long long)(wall % HC_NS_PER_S / HC_NS_PER_MS));
}

void
hc_textfile_us(struct hc_textfile *t, long long us)
{
	hc_textfile_put(t, "%lld.%06lld\n", us / 1000000, us % 1000000);
}

int
hc_textfile_write(const struct hc_textfile *t, const char *path)
{
	if (t->overflow) {
		errno = EFBIG;
		return -1;
	}
	return hc_replace_file(path, t->buf, t->n);
}

/*
 * A Prometheus textfile (node_exporter's textfile collector), built in a
 * buffer of the caller's and then written in one piece: the collector never
 * reads half a file, and a file that did not fit is not written at all.
 */
#ifndef HC_TEXTFILE_H
#define HC_TEXTFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hc_textfile {
	char *buf;
	size_t size;
	size_t n;
	bool overflow;     /* something did not fit: the file is not written */
};

/* Starts an empty file in buf (size bytes). */
void hc_textfile_start(struct hc_textfile *t, char *buf, size_t size);

/* Appends printf text. */
void hc_textfile_put(struct hc_textfile *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The HELP and TYPE lines of one metric family. */
void hc_textfile_family(struct hc_textfile *t, const char *name, const char *type,
    const char *help);

/* A sample's value that is a timestamp: seconds with 3 decimals, from wall-clock ns; then '\n'. */
void hc_textfile_wall(struct hc_textfile *t, int64_t wall);

/* A sample's value in seconds with 6 decimals, from microseconds; then '\n'. */
void hc_textfile_us(struct hc_textfile *t, long long us);

/*
 * Replaces the file at path with t (hc_replace_file: atomically).  0, or -1
 * with errno (EFBIG when t overflowed).
 */
int hc_textfile_write(const struct hc_textfile *t, const char *path);

#endif

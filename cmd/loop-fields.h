/*
 * What hc-loop takes from a check's output, which it does not trust: the
 * fields of a check's first line (hc-stream(7)), and the answers of a
 * resident check (hc-resident(7)).
 */
#ifndef HC_LOOP_FIELDS_H
#define HC_LOOP_FIELDS_H

#include <stdbool.h>
#include <stddef.h>

#include "stream.h"

#define LOOP_FIELDS_MAX   8    /* fields a check may pass */
#define LOOP_FIELDS_BYTES 256  /* their size, each with its leading space */

/*
 * Adds to st the key=value tokens of line that hc-stream(7) lets through, in
 * order; tokens point into line, which is split in place (line[len] must be
 * writable).  When partial, the line may end inside a token: that one is
 * dropped too.  A final carriage return is ignored.  Returns how many tokens
 * were dropped.
 */
unsigned loop_take_fields(char *line, size_t len, bool partial, struct hc_status *st);

/*
 * Reads a resident check's answer, "STATUS[ FIELDS]" with STATUS a number
 * from 0 to 255: sets *status and *fields_at (where FIELDS start in line,
 * len when there are none).  false when the line is not an answer.
 */
bool loop_take_answer(const char *line, size_t len, int *status, size_t *fields_at);

#endif

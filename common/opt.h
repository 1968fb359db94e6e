/*
 * Option values for argp parsers: each parses its argument strictly (parse.h)
 * or exits HC_EXIT_USAGE with one line that names the flag,
 *   prog: invalid --interval '5x': unknown unit
 * flag is written as the user types it: "--interval".
 */
#ifndef HC_OPT_H
#define HC_OPT_H

#include <argp.h>
#include <stddef.h>
#include <stdint.h>

/* A decimal integer from min to max. */
long long hc_opt_int(const char *flag, const char *arg, long long min, long long max);

/* A duration (500ms, 2s) from min to max nanoseconds. */
int64_t hc_opt_duration(const char *flag, const char *arg, int64_t min, int64_t max);

/* A size (16MB, 512kB) from min to max bytes. */
uint64_t hc_opt_size(const char *flag, const char *arg, uint64_t min, uint64_t max);

/*
 * A percentage from 0 to max, with or without a final '%' and with up to
 * decimals fraction digits, scaled by 10^decimals ("95.5" with 2 gives 9550).
 */
long long hc_opt_percent(const char *flag, const char *arg, int decimals, long long max);

/*
 * Records a usage error in first (size bytes) unless it holds one already:
 * for a parser that goes on after an error (hc-announce still withdraws
 * every prefix it can name).  The caller reports first once parsing ends.
 */
void hc_opt_error(char *first, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * --help and --usage, exiting 0, for a parser run with ARGP_NO_HELP (which
 * also leaves out argp's --version): add it as an argp child,
 *   { &hc_opt_help, 0, NULL, -1 }.
 */
extern const struct argp hc_opt_help;

#endif

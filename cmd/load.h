/*
 * hc-load: the measurements, each read from the kernel's own files.
 *
 * Every reader takes `root`: NULL for the live system, or a fixture
 * directory that stands for "/" (ROOT/proc/stat instead of /proc/stat).
 * A file that cannot be read or does not parse ends the program with
 * HC_EXIT_FAILURE and one line naming the file.
 */
#ifndef HC_LOAD_H
#define HC_LOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "clock.h"

/* Cumulative CPU time of all CPUs from the first line of /proc/stat, in ticks. */
struct cpu_times {
	uint64_t busy;
	uint64_t total;
};

/* The first line of /proc/loadavg. */
struct loadavg {
	long long load1_x100;  /* 1-minute load average, in hundredths */
	long long tasks;       /* processes and threads that exist */
};

/* MemTotal, MemAvailable, SwapTotal and SwapFree of /proc/meminfo, in kB. */
struct meminfo {
	uint64_t mem_total;
	uint64_t mem_available;
	uint64_t swap_total;
	uint64_t swap_free;
};

/* "/proc/stat" itself, or ROOT/proc/stat; the caller frees it. */
char *load_path(const char *root, const char *path);

/*
 * Reads CPU times from `path` under root (path is "/proc/stat", or
 * "/proc/stat.end" for a fixture's reading at the end of the window).
 */
void load_read_cpu(const char *root, const char *path, struct cpu_times *out);

void load_read_loadavg(const char *root, struct loadavg *out);

void load_read_meminfo(const char *root, struct meminfo *out);

/*
 * Online CPUs, from /sys/devices/system/cpu/online ("0-3,8-11"); when that
 * file does not exist, the cpuN lines of /proc/stat.
 */
long long load_count_cpus(const char *root);

enum conns_result {
	CONNS_OK,
	CONNS_DEADLINE,  /* the deadline passed before the count was complete */
};

/*
 * Counts established TCP sockets, IPv4 and IPv6, of this network namespace
 * into *out.  Live, it asks the kernel over netlink sock_diag and reads
 * /proc/net/tcp and tcp6 only when netlink is not available; with a root,
 * it reads ROOT/proc/net/tcp and ROOT/proc/net/tcp6.  *source says which
 * ("netlink" or "/proc/net/tcp").
 */
enum conns_result load_count_conns(const char *root, hc_deadline deadline, long long *out,
    const char **source);

#endif

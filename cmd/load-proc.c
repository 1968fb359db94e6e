/*
 * hc-load: reading /proc/stat, /proc/loadavg, /proc/meminfo and the online
 * CPUs, live or from a fixture directory.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "load.h"
#include "hc.h"
#include "io.h"
#include "parse.h"

#define SLURP_MAX (4u << 20)  /* /proc/stat of 8192 CPUs is some 1 MB */

char *
load_path(const char *root, const char *path)
{
	if (root == NULL)
		return hc_xstrdup(path);
	size_t rn = strlen(root), pn = strlen(path);
	while (rn > 1 && root[rn - 1] == '/')
		rn--;
	if (rn == 1 && root[0] == '/')
		rn = 0;
	char *full = hc_xmalloc(rn + pn + 1);
	memcpy(full, root, rn);
	memcpy(full + rn, path, pn + 1);
	return full;
}

/*
 * Reads the whole file into a NUL-terminated heap buffer.  Returns NULL with
 * errno set when it cannot be opened or read, or is over SLURP_MAX (EFBIG).
 */
static char *
slurp(const char *path)
{
	char *text;
	size_t len;
	return hc_read_file(path, SLURP_MAX, &text, &len) == 0 ? text : NULL;
}

/* slurp() of path under root, or the end of the program with the reason. */
static char *
slurp_or_die(const char *root, const char *path, char **full)
{
	*full = load_path(root, path);
	char *text = slurp(*full);
	if (text == NULL)
		hc_die(HC_EXIT_FAILURE, "cannot read %s", *full);
	return text;
}

/*
 * Reads an unsigned decimal at *p after any spaces, advancing *p past it.
 * false when there is none or it overflows.
 */
static bool
scan_u64(const char **p, uint64_t *out)
{
	const char *s = *p;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s < '0' || *s > '9')
		return false;
	uint64_t v = 0;
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*p = s;
	*out = v;
	return true;
}

/* The end of the token at p: the next space, tab, newline or NUL. */
static const char *
token_end(const char *p)
{
	while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\n')
		p++;
	return p;
}

void
load_read_cpu(const char *root, const char *path, struct cpu_times *out)
{
	char *full;
	char *text = slurp_or_die(root, path, &full);
	/* cpu  user nice system idle iowait irq softirq steal guest guest_nice */
	uint64_t f[10] = { 0 };
	size_t n = 0;
	const char *p = text;
	if (strncmp(p, "cpu ", 4) == 0) {
		p += 4;
		while (n < 10 && scan_u64(&p, &f[n]))
			n++;
	}
	if (n < 4 || (*p != '\n' && *p != '\0'))
		hc_diex(HC_EXIT_FAILURE, "malformed %s: no 'cpu' totals on its first line", full);
	/* guest time is already counted in user time; iowait is idle. */
	uint64_t idle = f[3] + f[4];
	uint64_t total = 0;
	for (size_t i = 0; i < 8; i++)
		total += f[i];
	out->total = total;
	out->busy = total - idle;
	free(text);
	free(full);
}

void
load_read_loadavg(const char *root, struct loadavg *out)
{
	char *full;
	char *text = slurp_or_die(root, "/proc/loadavg", &full);
	/* "0.34 0.20 0.11 2/93 22904" */
	const char *end = token_end(text);
	char load1[32];
	size_t len = (size_t)(end - text);
	bool ok = len > 0 && len < sizeof load1;
	if (ok) {
		memcpy(load1, text, len);
		load1[len] = '\0';
		ok = hc_parse_fixed(load1, 2, 0, LLONG_MAX, &out->load1_x100) == NULL;
	}
	const char *p = end;
	uint64_t ignored, running, tasks;
	ok = ok && scan_u64(&p, &ignored) && *p++ == '.' && scan_u64(&p, &ignored);
	ok = ok && scan_u64(&p, &ignored) && *p++ == '.' && scan_u64(&p, &ignored);
	ok = ok && scan_u64(&p, &running) && *p++ == '/' && scan_u64(&p, &tasks);
	if (!ok || tasks > LLONG_MAX)
		hc_diex(HC_EXIT_FAILURE, "malformed %s: expected '1.00 1.00 1.00 R/N PID'", full);
	out->tasks = (long long)tasks;
	free(text);
	free(full);
}

void
load_read_meminfo(const char *root, struct meminfo *out)
{
	const struct {
		const char *key;
		uint64_t *value;
	} keys[] = {
		{ "MemTotal:", &out->mem_total },
		{ "MemAvailable:", &out->mem_available },
		{ "SwapTotal:", &out->swap_total },
		{ "SwapFree:", &out->swap_free },
	};
	enum { NKEYS = sizeof keys / sizeof keys[0] };
	char *full;
	char *text = slurp_or_die(root, "/proc/meminfo", &full);
	bool found[NKEYS] = { false };
	for (const char *line = text; *line != '\0';) {
		for (size_t i = 0; i < NKEYS; i++) {
			size_t kl = strlen(keys[i].key);
			if (strncmp(line, keys[i].key, kl) != 0)
				continue;
			const char *p = line + kl;
			if (!scan_u64(&p, keys[i].value) || strncmp(p, " kB", 3) != 0
			    || (p[3] != '\n' && p[3] != '\0'))
				hc_diex(HC_EXIT_FAILURE, "malformed %s: bad %s line", full, keys[i].key);
			found[i] = true;
		}
		const char *nl = strchr(line, '\n');
		line = nl != NULL ? nl + 1 : line + strlen(line);
	}
	for (size_t i = 0; i < NKEYS; i++) {
		if (!found[i])
			hc_diex(HC_EXIT_FAILURE, "malformed %s: no %s line%s", full, keys[i].key,
			    i == 1 ? " (Linux 3.14 or later has it)" : "");
	}
	if (out->mem_total == 0 || out->mem_available > out->mem_total
	    || out->swap_free > out->swap_total)
		hc_diex(HC_EXIT_FAILURE, "malformed %s: inconsistent totals", full);
	free(text);
	free(full);
}

/* Counts the CPUs of a list such as "0-3,8-11"; -1 when it does not parse. */
static long long
count_cpu_list(const char *p)
{
	long long n = 0;
	for (;;) {
		uint64_t first, last;
		if (!scan_u64(&p, &first))
			return -1;
		last = first;
		if (*p == '-' && (p++, !scan_u64(&p, &last)))
			return -1;
		if (last < first || last - first > 1u << 20)
			return -1;
		n += (long long)(last - first + 1);
		if (*p != ',')
			break;
		p++;
	}
	return *p == '\n' || *p == '\0' ? n : -1;
}

long long
load_count_cpus(const char *root)
{
	char *full = load_path(root, "/sys/devices/system/cpu/online");
	char *text = slurp(full);
	if (text != NULL) {
		long long n = count_cpu_list(text);
		if (n <= 0)
			hc_diex(HC_EXIT_FAILURE, "malformed %s: expected a list like '0-3,8-11'", full);
		free(text);
		free(full);
		return n;
	}
	if (errno != ENOENT)
		hc_die(HC_EXIT_FAILURE, "cannot read %s", full);
	free(full);

	text = slurp_or_die(root, "/proc/stat", &full);
	long long n = 0;
	for (const char *line = text; *line != '\0';) {
		if (strncmp(line, "cpu", 3) == 0 && line[3] >= '0' && line[3] <= '9')
			n++;
		const char *nl = strchr(line, '\n');
		line = nl != NULL ? nl + 1 : line + strlen(line);
	}
	if (n == 0)
		hc_diex(HC_EXIT_FAILURE, "malformed %s: no cpuN lines", full);
	free(text);
	free(full);
	return n;
}

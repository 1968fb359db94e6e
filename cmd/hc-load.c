/*
 * hc-load: is this host too loaded to take traffic, and how loaded?
 *
 * Exit 0 unless a measured value is past its limit.  The limits are meant
 * as emergency brakes: withdrawing a route moves every flow of this host to
 * the others at once, so they should be set high.  With --metric, the first
 * line of stdout carries a MED that grows with the load.
 */
#include "config.h"

#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "check.h"
#include "clock.h"
#include "load.h"
#include "hc.h"
#include "io.h"
#include "opt.h"
#include "parse.h"

#define DISKS_MAX     16
#define PCT_MAX       10000                  /* 100%, in hundredths */
#define METRIC_SPAN   100                    /* the metric adds at most this to BASE */
#define METRIC_MAX    (UINT32_MAX - METRIC_SPAN)  /* so BASE + span is still a MED */
#define COUNT_MAX     1000000000LL
#define LOAD_MAX      (1000000LL * 100)      /* in hundredths */

struct disk_limit {
	char *path;
	long long min_free;  /* hundredths of a percent */
};

/* A limit given on the command line; values in hundredths except counts. */
struct limit {
	bool set;
	long long max;
};

struct options {
	int64_t timeout;
	int64_t sample;
	bool verbose;
	const char *root;
	bool metric;
	long long metric_base;
	struct limit cpu, load, mem, swap, conns, threads;
	bool load_per_cpu;
	struct disk_limit disks[DISKS_MAX];
	size_t ndisks;
};

enum {
	OPT_CONNS = 256, OPT_CPU, OPT_DISK, OPT_LOAD, OPT_MEM, OPT_METRIC, OPT_ROOT, OPT_SAMPLE,
	OPT_SWAP, OPT_THREADS,
};

static const struct argp_option option_table[] = {
	{ "conns", OPT_CONNS, "N", 0, "Down above N established TCP connections", 0 },
	{ "cpu", OPT_CPU, "PCT", 0, "Down above PCT percent busy CPU over the sample window", 0 },
	{ "disk", OPT_DISK, "PATH:PCT", 0,
	  "Down below PCT percent free space on PATH's filesystem (repeatable)", 0 },
	{ "load", OPT_LOAD, "N[/cpu]", 0,
	  "Down above a 1-minute load average of N (N/cpu: N per online CPU)", 0 },
	{ "mem", OPT_MEM, "PCT", 0, "Down above PCT percent of memory in use", 0 },
	{ "metric", OPT_METRIC, "BASE", 0,
	  "Print metric=BASE+(0 to 100, how close to its limit the nearest value is)", 0 },
	{ "root", OPT_ROOT, "DIR", 0,
	  "Read /proc and /sys files under DIR (recorded fixtures)", 0 },
	{ "sample", OPT_SAMPLE, "DURATION", 0, "CPU sample window (default 200ms)", 0 },
	{ "swap", OPT_SWAP, "PCT", 0, "Down above PCT percent of swap in use", 0 },
	{ "threads", OPT_THREADS, "N", 0, "Down above N processes and threads in all", 0 },
	{ "timeout", 't', "DURATION", 0, "Deadline for the whole check (default 2s)", 0 },
	{ "verbose", 'v', NULL, 0, "Say on stderr which limit failed, with every value", 0 },
	{ 0 }
};

static const char usage_limits[] = "--cpu, --load, --mem, --swap, --conns, --threads or --disk";

/* A percentage 0-100 with up to two decimals, in hundredths; dies on a bad one. */
static long long
parse_percent(const char *opt, const char *arg)
{
	long long v;
	const char *why = hc_parse_fixed(arg, 2, 0, PCT_MAX, &v);
	if (why != NULL)
		hc_diex(HC_EXIT_USAGE, "invalid %s '%s': %s (a percentage from 0 to 100)", opt, arg, why);
	return v;
}

/* "N" or "N/cpu". */
static void
parse_load(struct options *o, const char *arg)
{
	char number[32];
	const char *slash = strchr(arg, '/');
	size_t len = slash != NULL ? (size_t)(slash - arg) : strlen(arg);
	if (slash != NULL && strcmp(slash, "/cpu") != 0)
		hc_diex(HC_EXIT_USAGE, "invalid --load '%s': only '/cpu' may follow the number", arg);
	if (len >= sizeof number)
		hc_diex(HC_EXIT_USAGE, "invalid --load '%s': too long", arg);
	memcpy(number, arg, len);
	number[len] = '\0';
	const char *why = hc_parse_fixed(number, 2, 0, LOAD_MAX, &o->load.max);
	if (why != NULL)
		hc_diex(HC_EXIT_USAGE, "invalid --load '%s': %s", arg, why);
	o->load.set = true;
	o->load_per_cpu = slash != NULL;
}

/* "PATH:PCT", split at the last colon; PATH must be on a filesystem with blocks. */
static void
parse_disk(struct options *o, const char *arg)
{
	const char *colon = strrchr(arg, ':');
	if (colon == NULL || colon == arg)
		hc_diex(HC_EXIT_USAGE, "invalid --disk '%s': expected PATH:PCT, like /var:10", arg);
	if (o->ndisks == DISKS_MAX)
		hc_diex(HC_EXIT_USAGE, "invalid --disk '%s': more than %d paths", arg, DISKS_MAX);
	long long v;
	const char *why = hc_parse_fixed(colon + 1, 2, 0, PCT_MAX, &v);
	if (why != NULL)
		hc_diex(HC_EXIT_USAGE, "invalid --disk '%s': free space %s (a percentage from 0 to 100)",
		    arg, why);
	char *path = hc_xmalloc((size_t)(colon - arg) + 1);
	memcpy(path, arg, (size_t)(colon - arg));
	path[colon - arg] = '\0';
	struct statvfs vfs;
	if (statvfs(path, &vfs) == -1)
		hc_diex(HC_EXIT_USAGE, "invalid --disk '%s': %s: %s", arg, path, strerror(errno));
	if (vfs.f_blocks == 0)
		hc_diex(HC_EXIT_USAGE, "invalid --disk '%s': %s is on a filesystem without blocks",
		    arg, path);
	o->disks[o->ndisks++] = (struct disk_limit){ .path = path, .min_free = v };
}

/* Checks a fixture directory given by --root or HC_LOAD_ROOT. */
static void
check_root(const char *what, const char *dir)
{
	struct stat st;
	if (stat(dir, &st) == -1)
		hc_diex(HC_EXIT_USAGE, "invalid %s '%s': %s", what, dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		hc_diex(HC_EXIT_USAGE, "invalid %s '%s': not a directory", what, dir);
}

static bool
any_limit(const struct options *o)
{
	return o->cpu.set || o->load.set || o->mem.set || o->swap.set || o->conns.set
	    || o->threads.set || o->ndisks > 0;
}

static error_t
parse_option(int key, char *arg, struct argp_state *state)
{
	struct options *o = state->input;
	const char *why;
	long long v;
	switch (key) {
	case OPT_CONNS:
		o->conns = (struct limit){ true, hc_opt_int("--conns", arg, 0, COUNT_MAX) };
		break;
	case OPT_CPU:
		o->cpu = (struct limit){ true, parse_percent("--cpu", arg) };
		break;
	case OPT_DISK:
		parse_disk(o, arg);
		break;
	case OPT_LOAD:
		parse_load(o, arg);
		break;
	case OPT_MEM:
		o->mem = (struct limit){ true, parse_percent("--mem", arg) };
		break;
	case OPT_METRIC:
		if ((why = hc_parse_int(arg, 0, METRIC_MAX, &v)))
			hc_diex(HC_EXIT_USAGE, "invalid --metric '%s': %s (0 to %lu)", arg, why,
			    (unsigned long)METRIC_MAX);
		o->metric = true;
		o->metric_base = v;
		break;
	case OPT_ROOT:
		check_root("--root", arg);
		o->root = arg;
		break;
	case OPT_SAMPLE:
		if ((why = hc_parse_duration(arg, 10 * HC_NS_PER_MS, 60 * HC_NS_PER_S, &o->sample)))
			hc_diex(HC_EXIT_USAGE, "invalid --sample '%s': %s (10ms to 60s)", arg, why);
		break;
	case OPT_SWAP:
		o->swap = (struct limit){ true, parse_percent("--swap", arg) };
		break;
	case OPT_THREADS:
		o->threads = (struct limit){ true, hc_opt_int("--threads", arg, 0, COUNT_MAX) };
		break;
	case 't':
		o->timeout = hc_parse_timeout(arg);
		break;
	case 'v':
		o->verbose = true;
		break;
	case ARGP_KEY_ARG:
		hc_diex(HC_EXIT_USAGE, "unexpected argument '%s' (usage: %s [options], with %s)", arg,
		    hc_progname, usage_limits);
	case ARGP_KEY_END:
		if (!any_limit(o))
			hc_diex(HC_EXIT_USAGE, "no limit given: use %s", usage_limits);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* One measured value against its limit. */
struct reading {
	char name[256];      /* "cpu", "free on /var" */
	const char *field;   /* key of the stdout field */
	long long value;     /* hundredths, or a count when decimals is 0 */
	long long limit;     /* same scale */
	int decimals;        /* 2 or 0 */
	const char *unit;    /* "%" or "" */
	bool minimum;        /* the value must stay at or above the limit (free space) */
	char detail[64];     /* " (over 200 ms)", " (2/cpu on 4 CPUs)" */
};

struct result {
	struct reading r[7 + DISKS_MAX];
	size_t n;
	const char *incomplete;  /* why the check stopped at its deadline, or NULL */
};

static bool
exceeded(const struct reading *r)
{
	return r->minimum ? r->value < r->limit : r->value > r->limit;
}

/* n/d in hundredths, rounded half up; 0 when d is 0. */
static long long
hundredths(uint64_t n, uint64_t d)
{
	if (d == 0)
		return 0;
	return (long long)(((unsigned __int128)n * 10000 + d / 2) / d);
}

/* "12.50" for hundredths, "12" for a count. */
static void
format_value(long long v, int decimals, char *buf, size_t size)
{
	if (decimals == 0)
		snprintf(buf, size, "%lld", v);
	else
		snprintf(buf, size, "%lld.%02lld", v / 100, v % 100);
}

/* A limit as the user would write it: "95", "95.5", "0.75". */
static void
format_limit(long long v, int decimals, char *buf, size_t size)
{
	format_value(v, decimals, buf, size);
	if (decimals > 0) {
		size_t n = strlen(buf);
		while (buf[n - 1] == '0')
			buf[--n] = '\0';
		if (buf[n - 1] == '.')
			buf[n - 1] = '\0';
	}
}

/* Where a field's readings go in the -v line and the fields: the manual's order. */
static size_t
field_rank(const char *field)
{
	static const char *const order[] = { "cpu", "load", "mem", "swap", "conns", "threads",
	    "disk_free" };
	size_t rank = 0;
	while (rank < sizeof order / sizeof order[0] && strcmp(order[rank], field) != 0)
		rank++;
	return rank;
}

/*
 * Adds a reading after those of its field and of the fields before it, so
 * the readings stay in the manual's order and the --disk paths in theirs.
 */
static struct reading *
add_reading(struct result *res, const char *name, const char *field, long long value,
    long long limit, int decimals, const char *unit)
{
	size_t at = res->n;
	while (at > 0 && field_rank(res->r[at - 1].field) > field_rank(field)) {
		res->r[at] = res->r[at - 1];
		at--;
	}
	res->n++;
	struct reading *r = &res->r[at];
	*r = (struct reading){
		.field = field, .value = value, .limit = limit, .decimals = decimals, .unit = unit,
	};
	snprintf(r->name, sizeof r->name, "%s", name);
	return r;
}

/* The 1-minute load average and the number of tasks, from /proc/loadavg. */
static void
measure_loadavg(const struct options *o, struct result *res)
{
	struct loadavg la;
	load_read_loadavg(o->root, &la);
	if (o->load.set) {
		long long limit = o->load.max;
		long long cpus = o->load_per_cpu ? load_count_cpus(o->root) : 1;
		struct reading *r = add_reading(res, "load", "load", la.load1_x100, limit * cpus, 2, "");
		if (o->load_per_cpu) {
			char per_cpu[32];
			format_limit(limit, 2, per_cpu, sizeof per_cpu);
			snprintf(r->detail, sizeof r->detail, " (%s/cpu on %lld CPU%s)", per_cpu, cpus,
			    cpus == 1 ? "" : "s");
		}
	}
	if (o->threads.set)
		add_reading(res, "threads", "threads", la.tasks, o->threads.max, 0, "");
}

/* Memory and swap in use, from /proc/meminfo. */
static void
measure_memory(const struct options *o, struct result *res)
{
	struct meminfo mi;
	load_read_meminfo(o->root, &mi);
	if (o->mem.set)
		add_reading(res, "mem", "mem", hundredths(mi.mem_total - mi.mem_available, mi.mem_total),
		    o->mem.max, 2, "%");
	if (o->swap.set) {
		struct reading *r = add_reading(res, "swap", "swap",
		    hundredths(mi.swap_total - mi.swap_free, mi.swap_total), o->swap.max, 2, "%");
		if (mi.swap_total == 0)
			snprintf(r->detail, sizeof r->detail, " (no swap)");
	}
}

/* Free space of each --disk path, as df(1) counts it: available of used + available. */
static void
measure_disks(const struct options *o, struct result *res)
{
	for (size_t i = 0; i < o->ndisks; i++) {
		struct statvfs vfs;
		if (statvfs(o->disks[i].path, &vfs) == -1)
			hc_die(HC_EXIT_FAILURE, "cannot statvfs %s", o->disks[i].path);
		uint64_t used = vfs.f_blocks - vfs.f_bfree;
		char name[256];
		snprintf(name, sizeof name, "free on %s", o->disks[i].path);
		struct reading *r = add_reading(res, name, "disk_free",
		    hundredths(vfs.f_bavail, used + vfs.f_bavail), o->disks[i].min_free, 2, "%");
		r->minimum = true;
	}
}

/* Established TCP sockets; false when the deadline passed first. */
static bool
measure_conns(const struct options *o, hc_deadline deadline, struct result *res)
{
	long long n;
	const char *source;
	if (load_count_conns(o->root, deadline, &n, &source) == CONNS_DEADLINE) {
		res->incomplete = "the deadline passed while counting connections";
		return false;
	}
	struct reading *r = add_reading(res, "conns", "conns", n, o->conns.max, 0, "");
	if (o->root == NULL && strcmp(source, "netlink") != 0)
		snprintf(r->detail, sizeof r->detail, " (no netlink sock_diag: from %s)", source);
	return true;
}

/*
 * Busy CPU between `start` (read at t0) and a second reading at window_end,
 * kept in *end.  A fixture may record that second reading as proc/stat.end.
 */
static void
measure_cpu(const struct options *o, const struct cpu_times *start, int64_t t0,
    hc_deadline window_end, struct cpu_times *end_out, struct result *res)
{
	while (!hc_deadline_passed(window_end))
		(void)hc_poll(NULL, 0, window_end);
	char *end_path = load_path(o->root, "/proc/stat.end");
	bool recorded = o->root != NULL && access(end_path, F_OK) == 0;
	free(end_path);
	struct cpu_times end;
	load_read_cpu(o->root, recorded ? "/proc/stat.end" : "/proc/stat", &end);
	*end_out = end;
	double took_ms = (double)(hc_now() - t0) / 1e6;
	if (end.total <= start->total || end.busy < start->busy) {
		if (o->root != NULL)
			hc_diex(HC_EXIT_FAILURE, "no CPU time counted between two readings of "
			    "%s/proc/stat: record the window's end as proc/stat.end", o->root);
		hc_diex(HC_EXIT_FAILURE, "no CPU time counted in a %.0f ms window: use a longer "
		    "--sample or --timeout", took_ms);
	}
	struct reading *r = add_reading(res, "cpu", "cpu",
	    hundredths(end.busy - start->busy, end.total - start->total), o->cpu.max, 2, "%");
	snprintf(r->detail, sizeof r->detail, " (over %.0f ms)", took_ms);
}

/*
 * What a resident hc-load keeps from one run to the next: the CPU reading
 * at the end of the previous run, where the next CPU window starts.
 */
struct load_check {
	const struct options *o;
	struct cpu_times cpu_prev;
	int64_t cpu_prev_at;  /* 0: no previous reading */
};

/*
 * Takes every measurement the options ask for, all before the deadline.
 * The CPU sample window runs while the others are read; on the live system
 * it starts at the previous run's reading, if any, so a resident check
 * counts the whole time since then and waits only while that is shorter
 * than --sample.
 */
static void
measure(struct load_check *lc, hc_deadline deadline, struct result *res)
{
	const struct options *o = lc->o;
	struct cpu_times cpu_start = lc->cpu_prev;
	int64_t t0 = lc->cpu_prev_at;
	if (o->cpu.set && (t0 == 0 || o->root != NULL)) {
		t0 = hc_now();
		load_read_cpu(o->root, "/proc/stat", &cpu_start);
	}
	hc_deadline window_end = hc_deadline_min(hc_deadline_at(t0 + o->sample), deadline);
	if (o->load.set || o->threads.set)
		measure_loadavg(o, res);
	if (o->mem.set || o->swap.set)
		measure_memory(o, res);
	measure_disks(o, res);
	if (o->conns.set && !measure_conns(o, deadline, res))
		return;
	if (o->cpu.set) {
		measure_cpu(o, &cpu_start, t0, window_end, &lc->cpu_prev, res);
		lc->cpu_prev_at = hc_now();
	}
}

/*
 * How close a reading is to its limit, 0 to 100: the value as a percentage
 * of the limit (for free space, the space used as a percentage of the space
 * that may be used), rounded, at most 100.
 */
static long long
pressure(const struct reading *r)
{
	unsigned long long used = (unsigned long long)r->value;
	unsigned long long allowed = (unsigned long long)r->limit;
	if (r->minimum) {
		used = PCT_MAX - (unsigned long long)r->value;
		allowed = PCT_MAX - (unsigned long long)r->limit;
	}
	if (allowed == 0)
		return used == 0 ? 0 : METRIC_SPAN;
	unsigned long long p = (used * METRIC_SPAN + allowed / 2) / allowed;
	return p > METRIC_SPAN ? METRIC_SPAN : (long long)p;
}

/* Appends "mem 96.21% > 95%" (or "<=", ">=", "<") and the reading's detail. */
static void
describe(const struct reading *r, char *buf, size_t size)
{
	char value[32], limit[32];
	format_value(r->value, r->decimals, value, sizeof value);
	format_limit(r->limit, r->decimals, limit, sizeof limit);
	const char *op = r->minimum ? (exceeded(r) ? "<" : ">=") : (exceeded(r) ? ">" : "<=");
	size_t n = strlen(buf);
	snprintf(buf + n, size - n, "%s%s %s%s %s %s%s%s", n > 0 ? ", " : "", r->name, value,
	    r->unit, op, limit, r->unit, r->detail);
}

/* The -v reason: the values past their limits first, then the others. */
static void
explain(const struct result *res, bool up, bool metric, long long metric_value, char *buf,
    size_t size)
{
	char failed[1024] = "", passed[1024] = "";
	for (size_t i = 0; i < res->n; i++) {
		if (exceeded(&res->r[i]))
			describe(&res->r[i], failed, sizeof failed);
		else
			describe(&res->r[i], passed, sizeof passed);
	}
	char tail[48] = "";
	if (metric && res->incomplete == NULL)
		snprintf(tail, sizeof tail, "; metric %lld", metric_value);
	if (res->incomplete != NULL) {
		size_t n = strlen(failed);
		snprintf(failed + n, sizeof failed - n, "%s%s", n > 0 ? ", " : "", res->incomplete);
	}
	if (up)
		snprintf(buf, size, "%s%s", passed, tail);
	else
		snprintf(buf, size, "%s%s%s%s", failed, passed[0] != '\0' ? "; " : "", passed, tail);
}

/*
 * The fields for hc-loop: "metric=N" and one field per kind of value
 * ("disk_free" is the lowest of the --disk paths).
 */
static void
format_fields(const struct result *res, long long metric_value, char *line, size_t size)
{
	int n = snprintf(line, size, "metric=%lld", metric_value);
	long long disk_free = -1;
	for (size_t i = 0; i < res->n; i++) {
		const struct reading *r = &res->r[i];
		if (r->minimum) {
			if (disk_free < 0 || r->value < disk_free)
				disk_free = r->value;
			continue;
		}
		char value[32];
		format_value(r->value, r->decimals, value, sizeof value);
		n += snprintf(line + n, size - (size_t)n, " %s=%s", r->field, value);
	}
	if (disk_free >= 0) {
		char value[32];
		format_value(disk_free, 2, value, sizeof value);
		snprintf(line + n, size - (size_t)n, " disk_free=%s", value);
	}
}

/* One run: every reading against its limit, and the metric. */
static void
run_check(void *ctx, struct hc_verdict *v)
{
	struct load_check *lc = ctx;
	const struct options *o = lc->o;
	struct result res = { .n = 0 };
	measure(lc, hc_deadline_in(o->timeout), &res);

	bool up = res.incomplete == NULL;
	long long worst = 0;
	for (size_t i = 0; i < res.n; i++) {
		if (exceeded(&res.r[i]))
			up = false;
		long long p = pressure(&res.r[i]);
		worst = p > worst ? p : worst;
	}
	long long metric_value = o->metric_base + worst;
	if (o->metric && res.incomplete == NULL)
		format_fields(&res, metric_value, v->fields, sizeof v->fields);
	explain(&res, up, o->metric, metric_value, v->reason, sizeof v->reason);
	v->status = up ? HC_EXIT_UP : HC_EXIT_DOWN;
}

int
main(int argc, char **argv)
{
	static const struct argp argp = {
		option_table, parse_option, NULL,
		"Check that this host is not past an emergency limit of CPU, load, memory, swap, "
		"TCP connections, threads or free disk space."
		"\vExit status: 0 up, 1 down, 2 usage error, 3 internal failure.", NULL, NULL, NULL
	};
	struct options o = {
		.timeout = 2 * HC_NS_PER_S,
		.sample = 200 * HC_NS_PER_MS,
	};

	hc_init(argv[0]);
	argv[0] = (char *)hc_progname;
	argp_parse(&argp, argc, argv, 0, NULL, &o);
	if (o.root == NULL) {
		const char *env = getenv("HC_LOAD_ROOT");
		if (env != NULL && env[0] != '\0') {
			check_root("HC_LOAD_ROOT", env);
			o.root = env;
		}
	}

	struct load_check lc = { .o = &o };
	int status = hc_check_main(&(struct hc_check){
	    .run = run_check, .ctx = &lc, .verbose = o.verbose, .fields = o.metric });
	for (size_t i = 0; i < o.ndisks; i++)
		free(o.disks[i].path);
	return status;
}

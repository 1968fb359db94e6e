/* The CPU time this process has used, in nanoseconds, for the floor programs. */
#ifndef HC_BENCH_CPU_NS_H
#define HC_BENCH_CPU_NS_H

#include <time.h>

static inline long long
cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

#endif

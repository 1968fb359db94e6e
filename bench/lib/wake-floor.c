/*
 * The floor of one wake-up: the CPU a process pays to wake from poll()
 * after sleeping, doing nothing else, as each stage of a resident hc
 * pipeline wakes once or twice a check.
 *
 * usage: wake-floor SLEEP_MS COUNT
 * Sleeps SLEEP_MS in poll() COUNT times and prints "COUNT CPU_NS_PER_WAKE":
 * the CPU time of this process (CLOCK_PROCESS_CPUTIME_ID) over the wake-ups.
 * A longer sleep wakes colder (caches, TLB, on a VM the guest's page
 * tables), so SLEEP_MS should be the interval the figure stands for.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cpu-ns.h"

int
main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	int sleep_ms = atoi(argv[1]);
	int count = atoi(argv[2]);
	if (sleep_ms < 1 || count < 1)
		return 2;
	long long start = cpu_ns();
	for (int i = 0; i < count; i++)
		poll(NULL, 0, sleep_ms);
	printf("%d %lld\n", count, (cpu_ns() - start) / count);
	return 0;
}

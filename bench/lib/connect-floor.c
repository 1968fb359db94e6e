/*
 * The floor of a TCP check: the CPU one connect and close on loopback costs
 * inside a process that is already running, as a resident hc-tcp pays it.
 *
 * usage: connect-floor PORT COUNT
 * Connects to 127.0.0.1:PORT COUNT times (a blocking connect, then close)
 * and prints "OK CPU_NS_PER_CONNECT": the CPU time of this process
 * (CLOCK_PROCESS_CPUTIME_ID) over the successful connects.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cpu-ns.h"

int
main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[1])) };
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	long count = atol(argv[2]), ok = 0;
	long long t0 = cpu_ns();
	for (long i = 0; i < count; i++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return 1;
		if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
			ok++;
		close(fd);
	}
	long long used = cpu_ns() - t0;
	printf("%ld %lld\n", ok, ok ? used / ok : 0);
	return ok ? 0 : 1;
}

# Bounded waits, shared by the bats suites, the benchmarks and the demo.

# now_us: microseconds on bash's clock, for bounded waits and timings.
now_us() {
	echo "${EPOCHREALTIME/./}"
}

# passed_us T0 US: at least US microseconds have passed since T0 (now_us).
passed_us() {
	(($(now_us) - $1 >= $2))
}

# wait_until SECONDS COMMAND...: polls COMMAND every 20 ms until it succeeds;
# fails once SECONDS (a decimal number is fine) have passed.
wait_until() {
	local limit_us
	limit_us=$(awk -v s="$1" 'BEGIN { printf "%d", s * 1000000 }')
	shift
	local deadline=$(($(now_us) + limit_us))
	until "$@"; do
		if (($(now_us) >= deadline)); then
			echo "wait_until: '$*' still false after ${limit_us}us" >&2
			return 1
		fi
		sleep 0.02
	done
}

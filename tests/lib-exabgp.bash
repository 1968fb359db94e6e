# Which ExaBGP the end-to-end tests run, and a two-namespace lab (ExaBGP on a
# host, BIRD 2 on a router) for the tests of what differs between versions.
# Versions: "4.2" is Debian's exabgp package; "5.0" (5.0.13) and "6" (main at
# 4460078e) are what scripts/exabgp-versions installs under $HC_EXABGP_DIR
# (default _exabgp/ in the source tree); a path names any exabgp executable.
# shellcheck shell=bash
# shellcheck disable=SC2154 # $output and $lines are set by bats's run

# exabgp_version_of EXE: the version EXE reports ("4.2.21", "5.0.13", "6.0.0-..."),
# remembered per executable for the whole run.
exabgp_version_of() {
	local cache
	cache="${BATS_RUN_TMPDIR:-/tmp}/exabgp-version.$(printf '%s' "$1" | md5sum | cut -c1-16)"
	if [[ ! -s $cache ]]; then
		{ "$1" version 2>/dev/null || "$1" --version 2>/dev/null; } |
			awk '$1 == "ExaBGP" && $2 == ":" { print $3; exit }' >"$cache.$$"
		mv "$cache.$$" "$cache"
	fi
	cat "$cache"
}

# exabgp_find VERSION: prints the executable of VERSION (4.2, 5.0, 6 or a
# path); false, with the reason on stdout, when it cannot run here.
exabgp_find() {
	local want=$1 dir=${HC_EXABGP_DIR:-}
	[[ -n $dir ]] || dir=${HC_SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}/_exabgp
	case $want in
	4.2)
		command -v exabgp || { echo "needs Debian's exabgp package"; return 1; } ;;
	5.0 | 6)
		if [[ -s $dir/$want/UNAVAILABLE ]]; then
			cat "$dir/$want/UNAVAILABLE"
			return 1
		fi
		[[ -x $dir/$want/bin/exabgp ]] ||
			{ echo "not installed in $dir (run scripts/exabgp-versions)"; return 1; }
		echo "$dir/$want/bin/exabgp" ;;
	*/*)
		[[ -x $want ]] || { echo "$want is not an executable"; return 1; }
		echo "$want" ;;
	*)
		echo "'$want' is not 4.2, 5.0, 6 or the path of an exabgp"
		return 1 ;;
	esac
}

# exabgp_resolve [VERSION]: sets EXABGP (the executable), EXABGP_V (its
# series: 4.2, 5.0 or 6) and EXABGP_VERSION for VERSION, by default
# $HC_EXABGP, else 4.2; false, with the reason in EXABGP_WHY, when that
# ExaBGP cannot run here.
exabgp_resolve() {
	local want=${1:-${HC_EXABGP:-4.2}} found version
	EXABGP_WHY=""
	if ! found=$(exabgp_find "$want"); then
		EXABGP_WHY="ExaBGP $want: $found"
		return 1
	fi
	version=$(exabgp_version_of "$found")
	case $version in
	4.*) EXABGP_V=4.2 ;;
	5.*) EXABGP_V=5.0 ;;
	6.*) EXABGP_V=6 ;;
	*)
		EXABGP_WHY="ExaBGP $want: $found reports no version I know ('$version')"
		return 1 ;;
	esac
	if [[ $want != */* && $want != "$EXABGP_V" ]]; then
		EXABGP_WHY="ExaBGP $want: $found is $version"
		return 1
	fi
	EXABGP=$found
	# shellcheck disable=SC2034 # read by the tests and bench/failover
	EXABGP_VERSION=$version
}

# exabgp_select [VERSION]: exabgp_resolve, or skip the test saying why.
exabgp_select() {
	exabgp_resolve "$@" || skip "$EXABGP_WHY"
}

# exabgp_env: the environment every test ExaBGP gets, whatever its version:
# no CLI pipes or socket (shared by every namespace), no privilege drop (the
# test files are root's), in the foreground, and on main the API version
# named, so that hc-announce, reading it, writes what that API accepts
# ($EXABGP_API, default 6).
exabgp_env() {
	echo exabgp_api_cli=false exabgp_daemon_user=root exabgp_daemon_drop=false \
		exabgp_daemon_daemonize=false
	[[ ${EXABGP_V:-} != 6 ]] || echo "exabgp_api_version=${EXABGP_API:-6}"
}

# exabgp_bird_needs: what BIRD's protocol bgp towards $EXABGP needs for the
# session to hold.  main at 4460078e resets the session on every End-of-RIB
# it receives (AttributeError: 'EOR' object has no attribute 'data'), and
# BIRD sends one after its initial feed unless "graceful restart off;" (its
# default is "aware").  Nothing for 4.2 and 5.0, nor with
# EXABGP_BIRD_DEFAULTS=1 (the test that shows the defect).
exabgp_bird_needs() {
	if [[ ${EXABGP_V:-} == 6 && ${EXABGP_BIRD_DEFAULTS:-0} != 1 ]]; then
		echo "graceful restart off;"
	fi
}

# pair_up: namespaces $R (router, BIRD 2, AS 65001, 192.0.2.1 and 2001:db8::1)
# and $H (host, 192.0.2.2 and 2001:db8::2, AS 65002), one veth between them.
# Files go to $LAB: $PAIR_DIR, by default $BATS_TEST_TMPDIR.
pair_up() {
	LAB=${PAIR_DIR:-$BATS_TEST_TMPDIR}
	mkdir -p "$LAB"
	R="hca-$$-$BATS_TEST_NUMBER-r"
	H="hca-$$-$BATS_TEST_NUMBER-h"
	ip netns add "$R"
	ip netns add "$H"
	ip link add hca-r netns "$R" type veth peer name hca-h netns "$H"
	ip -n "$R" addr add 192.0.2.1/24 dev hca-r
	ip -n "$R" addr add 2001:db8::1/64 dev hca-r nodad
	ip -n "$H" addr add 192.0.2.2/24 dev hca-h
	ip -n "$H" addr add 2001:db8::2/64 dev hca-h nodad
	local ns
	for ns in "$R" "$H"; do
		ip -n "$ns" link set lo up
	done
	ip -n "$R" link set hca-r up
	ip -n "$H" link set hca-h up

	cat >"$LAB/bird.conf" <<-EOF
		router id 192.0.2.1;
		protocol device {}
		protocol bgp host {
			local 192.0.2.1 as 65001;
			neighbor 192.0.2.2 as 65002;
			passive on;
			$(exabgp_bird_needs)
			ipv4 { import all; export none; add paths rx; };
			ipv6 { import all; export none; add paths rx; };
		}
	EOF
	start_bg bird ip netns exec "$R" bird -f -c "$LAB/bird.conf" -s "$LAB/bird.sock" -P "$LAB/bird.pid"
	wait_until 10 test -S "$LAB/bird.sock"
}

# pair_down: stops what start_bg started, then anything left in the
# namespaces (helpers ExaBGP spawned), and deletes them.
pair_down() {
	stop_bg_all
	local ns pid
	for ns in "${H:-}" "${R:-}"; do
		[[ -n $ns ]] || continue
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null || true
		done
		ip netns del "$ns" 2>/dev/null || true
	done
}

# exabgp_with RUN [ENV=VALUE...]: starts $EXABGP in $H, its output in
# $LAB/exabgp.out and .err, with one process "hc" running RUN (with
# "encoder text;" unless PAIR_NO_ENCODER=1) and a session to BIRD.
exabgp_with() {
	local run=$1 encoder="encoder text;"
	shift
	[[ ${PAIR_NO_ENCODER:-0} != 1 ]] || encoder=""
	cat >"$LAB/exabgp.conf" <<-EOF
		process hc {
			run $run;
			$encoder
		}
		neighbor 192.0.2.1 {
			router-id 192.0.2.2;
			local-address 192.0.2.2;
			local-as 65002;
			peer-as 65001;
			family { ipv4 unicast; ipv6 unicast; }
			capability { add-path send/receive; }
			api { processes [ hc ]; }
		}
	EOF
	# shellcheck disable=SC2046 # exabgp_env's words are NAME=VALUE pairs
	start_bg exabgp env $(exabgp_env) exabgp_log_destination=stdout "$@" \
		ip netns exec "$H" "$EXABGP" "$LAB/exabgp.conf"
}

bird_established() {
	birdc -s "$LAB/bird.sock" show protocols host | grep -q Established
}

# bird_route PREFIX: BIRD's full view of PREFIX (empty when absent).
bird_route() {
	birdc -s "$LAB/bird.sock" show route "$1" all | sed -e 1d -e '/^Network not found$/d'
}

bird_has() {
	bird_route "$1" | grep -qF -- "$2"
}

bird_lacks() {
	! bird_route "$1" | grep -q "$1"
}

# write_feeder: $LAB/feeder CMDS ACKS, a process that writes each line of
# CMDS as a command and records in ACKS every line ExaBGP answers it with
# ("ACK<TAB>COMMAND"), up to its "done" or "error"; then "end".
write_feeder() {
	cat >"$LAB/feeder" <<-'EOF'
		#!/bin/sh
		while IFS= read -r cmd <&3; do
			printf '%s\n' "$cmd"
			while IFS= read -r ack || exit 1; do
				printf '%s\t%s\n' "$ack" "$cmd" >>"$2"
				case $ack in done | error) break ;; esac
			done
		done 3<"$1"
		printf 'end\n' >>"$2"
		while IFS= read -r _; do :; done
	EOF
	chmod +x "$LAB/feeder"
}

# announce_forms ARGS...: what hc-announce ARGS writes for an up, a down and
# an up line, in the API of $EXABGP (API 6 on main unless EXABGP_API=4).
announce_forms() {
	local api=4
	[[ $EXABGP_V != 6 || ${EXABGP_API:-6} != 6 ]] || api=6
	printf 'up metric=70\ndown\nup metric=90\n' |
		hc-announce --min-lifetime 0 --api "$api" "$@" 2>/dev/null
}

# acks_every_form: every command form hc-announce can write, fed to $EXABGP
# one by one (write_feeder); each must be acked "done", and the controls
# after them "error" (on main, "error: REASON" first where it gives one).
acks_every_form() {
	local cmds=$LAB/cmds
	{
		announce_forms 203.0.113.10
		announce_forms 203.0.113.10 198.51.100.0/24 --med 10 --med-step 5 --announce-down --med-down 900
		announce_forms 203.0.113.10 -n 192.0.2.2 --origin igp --local-preference 200 \
			--as-path 65002 --as-path 65002 --community 65000:1 --community no-export \
			--community no-advertise --community no-export-subconfed --community nopeer \
			--community blackhole --large-community 65000:1:2 --large-community 4294967295:0:0 \
			--extended-community target:65000:4294967295 --extended-community origin:192.0.2.2:7 \
			--extended-community target:4200000000:1
		announce_forms 203.0.113.11 --origin egp --path-id 7 --neighbor 192.0.2.1
		announce_forms 203.0.113.12 --origin incomplete --announce-down --up-community 65000:100 \
			--down-community 65000:200 --down-as-path 65002 --down-as-path 65002 --up-as-path 65002
		announce_forms 203.0.113.13 --med-from metric --med-min 50 --med-max 80
		announce_forms 2001:db8:1::/64 2001:db8:2::1 -n 2001:db8::2 --community 65000:6 --med 0
		announce_forms 203.0.113.14 -n 2001:db8::2 --neighbor 192.0.2.1 --path-id 4294967295
		touch "$LAB/maint"
		announce_forms 203.0.113.16 --maintenance "$LAB/maint" --announce-maint --med-maint 0 \
			--maint-community 65000:9 --maint-as-path 65002 --local-preference 0
		announce_forms 203.0.113.17 --med 4294967295 --local-preference 4294967295 \
			--extended-community origin:65000:0 --extended-community target:192.0.2.2:65535
		# The drain form (end of input drains too): 65535:0 and the worst MED.
		announce_forms --drain 10ms 203.0.113.15
	} >"$cmds"
	grep -q 'community \[ 65535:0 \]' "$cmds"
	grep -q 'med 0 local-preference 0 as-path \[ 65002 \] community \[ 65000:9 \]' "$cmds"
	local n prefix=""
	n=$(wc -l <"$cmds")
	((n >= 50))
	grep -q '^peer \* ' "$cmds" && prefix="peer * "
	# Controls: a comma inside [ ] must come back "error", or this proves nothing.
	local control="${prefix}announce route 203.0.113.99/32 next-hop self community [ 65000:1, 65000:2 ]"
	echo "$control" >>"$cmds"
	# On main, an AS number above 65535 in as-path: its "error: REASON" line.
	local wide="${prefix}announce route 203.0.113.98/32 next-hop self as-path [ 4200000000 ]"
	[[ $EXABGP_V != 6 ]] || echo "$wide" >>"$cmds"

	write_feeder
	exabgp_with "$LAB/feeder $cmds $LAB/acks"
	wait_until 30 grep -qx end "$LAB/acks"
	wait_until 10 bird_established

	run grep -c $'^done\t' "$LAB/acks"
	[[ $output == "$n" ]] || { grep -v $'^done\t' "$LAB/acks" >&2; false; }
	run grep -F -- "$control" "$LAB/acks"
	if [[ $EXABGP_V == 6 ]]; then
		[[ ${#lines[@]} == 2 && ${lines[0]} == "error: Could not parse route"*$'\t'"$control" &&
			${lines[1]} == $'error\t'"$control" ]] || { echo "$output" >&2; false; }
		run grep -F -- "$wide" "$LAB/acks"
		[[ ${#lines[@]} == 2 && ${lines[0]} == "error: "*"65535"*$'\t'"$wide" &&
			${lines[1]} == $'error\t'"$wide" ]] || { echo "$output" >&2; false; }
	else
		assert_output $'error\t'"$control"
	fi
}

# failing_pipeline MIN_LIFETIME: ExaBGP (exabgp_with) running a process whose
# upstream fails at once, hc-announce with --min-lifetime MIN_LIFETIME.
failing_pipeline() {
	cat >"$LAB/pipeline" <<-EOF
		#!/bin/sh
		false | exec "$HC_BIN/hc-announce" --min-lifetime $1 203.0.113.10
	EOF
	chmod +x "$LAB/pipeline"
	exabgp_with "$LAB/pipeline"
}

exabgp_exited() {
	! kill -0 "$(<"$BATS_TEST_TMPDIR/exabgp.pid")" 2>/dev/null
}

# respawn_held NOTICE_S: a failing_pipeline with a minimum lifetime says
# within NOTICE_S seconds that it will exit (ExaBGP's processes inherit its
# standard error); 4 s later, time enough for ExaBGP to have respawned it six
# times without the rule, ExaBGP still runs and the pipeline started once.
respawn_held() {
	wait_until "$1" grep -q "routes withdrawn; exiting in" "$LAB/exabgp.err"
	local t0
	t0=$(now_us)
	wait_until 10 passed_us "$t0" 4000000
	run ! exabgp_exited
	run grep -c "start: withdraw 1 prefix" "$LAB/exabgp.err"
	assert_output 1
}

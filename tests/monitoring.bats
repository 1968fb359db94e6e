#!/usr/bin/env bats
# examples/monitoring: the alerting rules are valid and their unit tests pass
# (promtool), and node_exporter's textfile collector reads the files that
# hc-announce and hc-neighbors write.
# shellcheck disable=SC2154 # $output, $status are set by bats

load test_helper

MON="$HC_SRCDIR/examples/monitoring"

setup() {
	command -v promtool >/dev/null || skip "needs promtool (Debian package prometheus)"
}

teardown() {
	stop_bg_all
}

@test "monitoring: promtool check rules accepts hc.rules.yml" {
	run promtool check rules "$MON/hc.rules.yml"
	assert_success
	assert_output --partial "SUCCESS: 8 rules found"
}

@test "monitoring: the alerting rules pass their unit tests (promtool test rules)" {
	cd "$MON"
	run promtool test rules hc.rules.test.yml
	assert_success
	assert_output --partial SUCCESS
}

@test "monitoring: every alert of hc.rules.yml has a unit test" {
	local alert
	for alert in $(awk '$1 == "-" && $2 == "alert:" { print $3 }' "$MON/hc.rules.yml"); do
		grep -q "alertname: $alert\$" "$MON/hc.rules.test.yml" || fail "no test for $alert"
	done
}

# node_metrics PORT: node_exporter's /metrics on 127.0.0.1:PORT.
node_metrics() {
	python3 -c 'import sys, urllib.request
print(urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=2).read().decode())' "$1"
}

@test "monitoring: node_exporter's textfile collector reads hc-announce's and hc-neighbors' files" {
	command -v prometheus-node-exporter >/dev/null || skip "needs prometheus-node-exporter"
	local dir=$BATS_TEST_TMPDIR/textfile
	mkdir "$dir"
	printf '%s\n' 'up rc=0 ms=4.2 raw=up' 'up rc=1 ms=1000.1 raw=down' 'down rc=1 ms=2 raw=down' |
		hc-announce --min-lifetime 0 --name web --metrics "$dir/hc-web.prom" 203.0.113.10 2>/dev/null
	hc-neighbors --metrics "$dir/hc-neighbors.prom" 192.0.2.1 </dev/null 2>/dev/null
	local port log=$BATS_TEST_TMPDIR/node.err
	# Port 0: it binds a port of the kernel's choice and logs which.
	start_bg node prometheus-node-exporter --collector.disable-defaults --collector.textfile \
		--collector.textfile.directory="$dir" --web.listen-address=127.0.0.1:0
	wait_until 30 grep -q 'msg="Listening on" address=127.0.0.1:[0-9]' "$log"
	port=$(sed -n 's/.*msg="Listening on" address=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -n 1)
	wait_until 10 node_metrics "$port" >/dev/null 2>&1
	run node_metrics "$port"
	assert_success
	assert_line 'node_textfile_scrape_error 0'
	assert_line 'hc_announce_failovers_total{service="web"} 1'
	assert_line 'hc_announce_checks_total{result="down",service="web"} 2'
	assert_line 'hc_announce_check_duration_seconds_bucket{service="web",le="2.5"} 3'
	assert_line 'hc_exabgp_up 0'
	assert_line 'hc_bgp_session_up{neighbor="192.0.2.1"} 0'
	# HcMetricsStale matches the file label as this node_exporter writes it.
	local files
	files=$(grep -o '^node_textfile_mtime_seconds{file="[^"]*"}' <<<"$output" | sed 's/.*file="//; s/"}//')
	[[ $(wc -l <<<"$files") == 2 ]]
	grep -qF 'node_textfile_mtime_seconds{file=~"(.*/)?hc-[^/]*[.]prom"}' "$MON/hc.rules.yml"
	while read -r f; do
		grep -Eqx '(.*/)?hc-[^/]*[.]prom' <<<"$f" || fail "HcMetricsStale's regex misses '$f'"
	done <<<"$files"
}

#!/usr/bin/env bats
# hc-http against tests/servers/httpserver.py on loopback: plain HTTP, TLS
# with a CA and certificates made here with openssl, a unix-domain socket,
# and (as root) private /etc/hosts and resolv.conf in their own namespaces.
# shellcheck disable=SC2154 # $port, $status, $output, $stderr, $elapsed, $ms, $found are set by helpers and bats

load test_helper

# leaf_cert NAME DAYS SUBJECT_ALT_NAMES: a key and a certificate signed by the test CA.
leaf_cert() {
	local d=$BATS_FILE_TMPDIR
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$d/$1.key" -out "$d/$1.csr" -subj "/CN=$1" 2>/dev/null
	printf 'subjectAltName=%s\n' "$3" >"$d/$1.ext"
	openssl x509 -req -in "$d/$1.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
		-days "$2" -extfile "$d/$1.ext" -out "$d/$1.pem" 2>/dev/null
}

setup_file() {
	local d=$BATS_FILE_TMPDIR
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$d/ca.key" -out "$d/ca.pem" -days 30 -subj /CN=hc-test-ca 2>/dev/null
	leaf_cert server 30 'DNS:www.hc.test,DNS:localhost,IP:127.0.0.1'
	leaf_cert soon 1 'DNS:www.hc.test,IP:127.0.0.1'
	leaf_cert hc-client 30 'DNS:hc-client'
	mkdir "$d/capath"
	cp "$d/ca.pem" "$d/capath/"
	openssl rehash "$d/capath" 2>/dev/null
}

teardown() {
	stop_bg_all
}

# hc-http ARGS...: the program with a 30 s deadline unless ARGS give one (a
# later -t wins).  Only the deadline tests are about the deadline; for the
# others the 2 s default is too short on a busy machine.
hc-http() {
	command hc-http -t 30s "$@"
}

# http_server NAME [httpserver.py options...]: starts the test server with its
# request log in $BATS_TEST_TMPDIR/NAME.log and sets $port.
http_server() {
	local name=$1
	shift
	start_bg "$name" "$HC_PYTHON" "$HC_SRCDIR/tests/servers/httpserver.py" \
		--log "$BATS_TEST_TMPDIR/$name.log" "$@" "$BATS_TEST_TMPDIR/$name.port"
	server_port "$name"
}

# tls_server NAME CERT [options...]: an HTTPS test server with certificate CERT.
tls_server() {
	local name=$1 cert=$2
	shift 2
	http_server "$name" --tls "$BATS_FILE_TMPDIR/$cert.pem" "$BATS_FILE_TMPDIR/$cert.key" "$@"
}

# sent NAME: what the clients sent to server NAME.
sent() {
	cat "$BATS_TEST_TMPDIR/$1.log"
}

# ---- status ----

@test "hc-http: up and silent on a 200" {
	http_server srv
	run --separate-stderr hc-http "http://127.0.0.1:$port/"
	assert_success
	assert_output ""
	[[ -z $stderr ]]
}

@test "hc-http: -v says up with the time it took and the status" {
	http_server srv
	run --separate-stderr hc-http -v "http://127.0.0.1:$port/"
	assert_success
	[[ $stderr =~ ^hc-http:\ http://127\.0\.0\.1:$port/\ up\ in\ [0-9.]+\ ms:\ HTTP\ 200$ ]]
}

@test "hc-http: any 2xx is up by default, 4xx and 5xx are down" {
	http_server srv
	run hc-http "http://127.0.0.1:$port/status/204"
	assert_success
	run hc-http "http://127.0.0.1:$port/status/299"
	assert_success
	run --separate-stderr hc-http -v "http://127.0.0.1:$port/status/503"
	assert_failure 1
	[[ $stderr == "hc-http: http://127.0.0.1:$port/status/503 down: HTTP 503, expected 2xx (after "*" ms)" ]]
	run hc-http "http://127.0.0.1:$port/status/404"
	assert_failure 1
}

@test "hc-http: --status takes a list of codes, matched exactly" {
	http_server srv
	run hc-http --status 200,204 "http://127.0.0.1:$port/status/204"
	assert_success
	run --separate-stderr hc-http -v --status 200,204 "http://127.0.0.1:$port/status/201"
	assert_failure 1
	[[ $stderr == *"down: HTTP 201, expected 200,204 (after "* ]]
	run hc-http --status 404 "http://127.0.0.1:$port/status/404"
	assert_success
	run hc-http --status 404 "http://127.0.0.1:$port/status/200"
	assert_failure 1
	run hc-http --status 404 "http://127.0.0.1:$port/status/400"
	assert_failure 1
}

@test "hc-http: --status takes ranges and classes" {
	http_server srv
	run hc-http --status 500-503 "http://127.0.0.1:$port/status/503"
	assert_success
	run hc-http --status 500-503 "http://127.0.0.1:$port/status/500"
	assert_success
	run hc-http --status 500-503 "http://127.0.0.1:$port/status/504"
	assert_failure 1
	run hc-http --status 4xx "http://127.0.0.1:$port/status/418"
	assert_success
	run hc-http --status 200,4xx,300-302 "http://127.0.0.1:$port/status/301"
	assert_success
	run hc-http --status 4xx "http://127.0.0.1:$port/status/200"
	assert_failure 1
}

@test "hc-http: bad status lists are usage errors with one line" {
	for s in '' '2xx,' ,200 200,,204 200- -200 300-200 99 600 abc '200 ' 2XX 6xx 20 2000 1e3; do
		run --separate-stderr hc-http --status "$s" http://127.0.0.1:1/
		assert_failure 2
		[[ $stderr == "hc-http: invalid status list '$s': "* ]]
		[[ $(wc -l <<<"$stderr") == 1 ]]
	done
}

# ---- redirects ----

@test "hc-http: a redirect is down and not followed by default" {
	http_server srv
	run --separate-stderr hc-http -v "http://127.0.0.1:$port/redirect?to=/status/200"
	assert_failure 1
	[[ $stderr == *"down: HTTP 302, expected 2xx (redirect to http://127.0.0.1:$port/status/200 not followed: see --follow)"* ]]
	[[ $(grep -c '^GET ' "$BATS_TEST_TMPDIR/srv.log") == 1 ]]
}

@test "hc-http: a redirect is up when --status allows it" {
	http_server srv
	run hc-http --status 301 "http://127.0.0.1:$port/redirect?to=/status/500&code=301"
	assert_success
	run hc-http --status 3xx "http://127.0.0.1:$port/redirect?to=/status/500&code=308"
	assert_success
}

@test "hc-http: --follow judges the final response" {
	http_server srv
	run hc-http --follow "http://127.0.0.1:$port/redirect?to=/status/200"
	assert_success
	grep -q '^GET /status/200 ' "$BATS_TEST_TMPDIR/srv.log"
	run hc-http -L "http://127.0.0.1:$port/redirect?to=/status/503"
	assert_failure 1
}

@test "hc-http: --follow stops after 5 redirects" {
	http_server srv
	run --separate-stderr hc-http -v -L "http://127.0.0.1:$port/loop"
	assert_failure 1
	[[ $stderr == *"down: "*"(5) redirects followed"* ]]
	[[ $(grep -c '^GET /loop ' "$BATS_TEST_TMPDIR/srv.log") == 6 ]]
}

@test "hc-http: --follow never leaves http and https" {
	http_server srv
	run --separate-stderr hc-http -v -L "http://127.0.0.1:$port/redirect?to=ftp://127.0.0.1:$port/"
	assert_failure 1
	[[ $stderr == *"down: "*ftp* ]]
	run --separate-stderr hc-http -v -L "http://127.0.0.1:$port/redirect?to=file:///etc/passwd"
	assert_failure 1
}

# ---- body ----

@test "hc-http: --expect requires a string in the body" {
	http_server srv
	run hc-http --expect 'status: ok' "http://127.0.0.1:$port/body?text=db%3A+up%0Astatus%3A+ok%0A"
	assert_success
	run --separate-stderr hc-http -v --expect 'status: ok' "http://127.0.0.1:$port/body?text=status%3A+degraded"
	assert_failure 1
	[[ $stderr == *"down: body does not contain 'status: ok' (after "* ]]
}

@test "hc-http: --expect-regex matches a POSIX extended regex line by line" {
	http_server srv
	url="http://127.0.0.1:$port/body?text=db%3A+up%0Astatus%3A+degraded%0A"
	run hc-http --expect-regex '^status: (ok|degraded)$' "$url"
	assert_success
	run hc-http -E '^db: up$' "$url"
	assert_success
	run --separate-stderr hc-http -v -E '^status: ok$' "$url"
	assert_failure 1
	[[ $stderr == *"down: body does not match '^status: ok\$' (after "* ]]
	run hc-http -E '^up$' "$url"
	assert_failure 1
}

@test "hc-http: --reject requires a string to be absent" {
	http_server srv
	run hc-http --reject maintenance "http://127.0.0.1:$port/body?text=serving"
	assert_success
	run --separate-stderr hc-http -v --reject maintenance "http://127.0.0.1:$port/body?text=in+maintenance"
	assert_failure 1
	[[ $stderr == *"down: body contains 'maintenance' (after "* ]]
}

@test "hc-http: every body condition must hold" {
	http_server srv
	url="http://127.0.0.1:$port/body?text=ok+v2"
	run hc-http -e ok -E 'v[0-9]' --reject error "$url"
	assert_success
	run hc-http -e ok -E 'v[0-9]' --reject v2 "$url"
	assert_failure 1
	run hc-http -e ok -e missing "$url"
	assert_failure 1
}

@test "hc-http: body conditions are checked on the status they come with" {
	http_server srv
	run hc-http --expect OK "http://127.0.0.1:$port/body?text=OK&status=500"
	assert_failure 1
	run hc-http --status 500 --expect OK "http://127.0.0.1:$port/body?text=OK&status=500"
	assert_success
}

@test "hc-http: only the first --max-body bytes of a large body are read" {
	http_server srv
	url="http://127.0.0.1:$port/large?size=4000000&head=HEAD&tail=TAIL"
	run hc-http --expect HEAD "$url"
	assert_success
	run --separate-stderr hc-http -v --expect TAIL "$url"
	assert_failure 1
	[[ $stderr == *"down: body does not contain 'TAIL' in its first 1048576 bytes"* ]]
	run hc-http --max-body 4MB --expect TAIL "$url"
	assert_success
	run --separate-stderr hc-http -v --max-body 64KiB --expect HEAD --reject TAIL "$url"
	assert_success
}

@test "hc-http: reading stops at --max-body, long before a slow body ends" {
	http_server srv
	# The whole body would take 20 s: 1000 bytes, one every 20 ms.
	elapsed_ms hc-http -t 30s --max-body 5 --expect ttttt "http://127.0.0.1:$port/trickle?n=1000&every=20"
	[[ $status == 0 ]]
	ends_before 30000
}

# max_rss_kb COMMAND...: runs COMMAND, sets $status and $rss (peak resident KiB).
max_rss_kb() {
	local out
	out=$(/usr/bin/time -f 'maxrss=%M' "$@" 2>&1 >/dev/null) && status=0 || status=$?
	rss=$(grep -o 'maxrss=[0-9]*' <<<"$out" | cut -d= -f2)
}

@test "hc-http: memory stays bounded on a 200 MB body" {
	[[ -x /usr/bin/time ]] || skip "needs /usr/bin/time"
	http_server srv
	max_rss_kb hc-http --expect OK "http://127.0.0.1:$port/"
	[[ $status == 0 ]]
	small=$rss
	max_rss_kb hc-http -t 10s --expect HEAD "http://127.0.0.1:$port/large?size=200000000&head=HEAD"
	[[ $status == 0 ]]
	# The default --max-body is 1 MiB: allow that and libcurl's buffers, not 200 MB.
	((rss - small < 8192))
}

# ---- request ----

@test "hc-http: GET by default, with its user agent" {
	http_server srv
	run hc-http "http://127.0.0.1:$port/"
	assert_success
	run sent srv
	assert_line "GET / HTTP/1.1"
	assert_line "User-Agent: hc-http/0.1.0"
	assert_line "Host: 127.0.0.1:$port"
	refute_line --partial "Authorization"
}

@test "hc-http: -X HEAD sends a HEAD" {
	http_server srv
	run hc-http -X HEAD "http://127.0.0.1:$port/status/204"
	assert_success
	run hc-http --method HEAD "http://127.0.0.1:$port/"
	assert_success
	run sent srv
	assert_line "HEAD /status/204 HTTP/1.1"
	assert_line "HEAD / HTTP/1.1"
}

@test "hc-http: --data sends a POST with that body" {
	http_server srv
	run hc-http --data 'check=1' "http://127.0.0.1:$port/echo"
	assert_success
	run hc-http -X POST "http://127.0.0.1:$port/status/201"
	assert_success
	run sent srv
	assert_line "POST /echo HTTP/1.1"
	assert_line "Content-Length: 7"
	assert_line "check=1"
	assert_line "POST /status/201 HTTP/1.1"
	assert_line "Content-Length: 0"
}

@test "hc-http: --data-file sends a file, without waiting for 100 Continue" {
	http_server srv
	head -c 300000 /dev/zero | tr '\0' 'a' >"$BATS_TEST_TMPDIR/body"
	run hc-http --data-file "$BATS_TEST_TMPDIR/body" "http://127.0.0.1:$port/echo"
	assert_success
	run sent srv
	assert_line "POST /echo HTTP/1.1"
	assert_line "Content-Length: 300000"
	refute_line --partial "Expect:"
}

@test "hc-http: -H adds headers and --host overrides Host" {
	http_server srv
	run hc-http -H 'X-Check: yes' -H 'Accept: text/plain' --host www.hc.test "http://127.0.0.1:$port/"
	assert_success
	run sent srv
	assert_line "X-Check: yes"
	assert_line "Accept: text/plain"
	assert_line "Host: www.hc.test"
	refute_line "Host: 127.0.0.1:$port"
	refute_line "Accept: */*"
}

@test "hc-http: -A sets the user agent" {
	http_server srv
	run hc-http -A 'probe/1 (lb)' "http://127.0.0.1:$port/"
	assert_success
	run sent srv
	assert_line "User-Agent: probe/1 (lb)"
}

@test "hc-http: --resolve pins a name to one backend address" {
	http_server srv
	run --separate-stderr hc-http -v --resolve "www.hc.test:$port:127.0.0.1" "http://www.hc.test:$port/"
	assert_success
	[[ $stderr == "hc-http: http://www.hc.test:$port/ (127.0.0.1:$port) up in "*": HTTP 200" ]]
	run sent srv
	assert_line "Host: www.hc.test:$port"
}

@test "hc-http: --resolve takes IPv6 addresses with or without brackets" {
	http_server srv6 --addr ::1
	run hc-http --resolve "www.hc.test:$port:::1" "http://www.hc.test:$port/"
	assert_success
	run --separate-stderr hc-http -v --resolve "www.hc.test:$port:[::1]" "http://www.hc.test:$port/"
	assert_success
	[[ $stderr == *"([::1]:$port) up in "* ]]
}

@test "hc-http: --connect-to sends a name's requests to another address and port" {
	http_server srv
	run hc-http --connect-to "www.hc.test:80:127.0.0.1:$port" "http://www.hc.test/"
	assert_success
	run hc-http --connect-to "::127.0.0.1:$port" "http://www.hc.test/"
	assert_success
	run sent srv
	assert_line "Host: www.hc.test"
}

@test "hc-http: bad --resolve and --connect-to are usage errors" {
	for r in www.hc.test:80 www.hc.test:x:127.0.0.1 www.hc.test:80:no-ip :80:127.0.0.1 \
		www.hc.test:80: 'www hc:80:127.0.0.1' www.hc.test:0:127.0.0.1; do
		run --separate-stderr hc-http --resolve "$r" http://www.hc.test/
		assert_failure 2
		[[ $stderr == "hc-http: invalid --resolve '$r': "* ]]
	done
	for c in a:80:b www.hc.test:80:: www.hc.test:x:b:80 a:80:b:99999; do
		run --separate-stderr hc-http --connect-to "$c" http://www.hc.test/
		assert_failure 2
		[[ $stderr == "hc-http: invalid --connect-to '$c': "* ]]
	done
}

@test "hc-http: --unix-socket talks HTTP over a unix-domain socket" {
	http_server srv --unix "$BATS_TEST_TMPDIR/http.sock"
	run --separate-stderr hc-http -v --unix-socket "$BATS_TEST_TMPDIR/http.sock" http://localhost/family
	assert_success
	[[ $stderr == "hc-http: http://localhost/family ($BATS_TEST_TMPDIR/http.sock) up in "*": HTTP 200" ]]
	run hc-http --unix-socket "$BATS_TEST_TMPDIR/http.sock" --expect family=unix http://localhost/family
	assert_success
	run --separate-stderr hc-http -v --unix-socket "$BATS_TEST_TMPDIR/none.sock" http://localhost/
	assert_failure 1
	[[ $stderr == *"down: no such file or directory"* || $stderr == *"down: "*"connect"* ]]
}

@test "hc-http: -4 and -6 choose the address family of a name" {
	require_root_netns
	command -v unshare >/dev/null || skip "needs unshare"
	http_server v4 --addr 127.0.0.1
	http_server v6 --addr ::1 --port "$port"
	printf '127.0.0.1 dual.hc.test\n::1 dual.hc.test\n' >"$BATS_TEST_TMPDIR/hosts"
	in_hosts() {
		unshare -m sh -c 'mount --bind "$1" /etc/hosts && shift && exec "$@"' \
			sh "$BATS_TEST_TMPDIR/hosts" "$HC_BIN/hc-http" "$@"
	}
	run in_hosts -4 --expect family=4 "http://dual.hc.test:$port/family"
	assert_success
	run in_hosts -6 --expect family=6 "http://dual.hc.test:$port/family"
	assert_success
	run in_hosts -6 --expect family=4 "http://dual.hc.test:$port/family"
	assert_failure 1
}

@test "hc-http: -4 and -6 refuse a literal of the other family" {
	http_server srv
	run hc-http -4 "http://127.0.0.1:$port/"
	assert_success
	run --separate-stderr hc-http -v -6 "http://127.0.0.1:$port/"
	assert_failure 1
	[[ $stderr == *"down: address of the wrong family"* ]]
	run --separate-stderr hc-http -v -4 "http://[::1]:$port/"
	assert_failure 1
	[[ $stderr == *"down: address of the wrong family"* ]]
}

@test "hc-http: proxy variables in the environment are ignored" {
	tcp_server proxy 127.0.0.1 closed
	p=$port
	http_server srv
	run env http_proxy="http://127.0.0.1:$p" HTTP_PROXY="http://127.0.0.1:$p" \
		all_proxy="http://127.0.0.1:$p" hc-http "http://127.0.0.1:$port/"
	assert_success
}

# ---- authentication ----

@test "hc-http: --auth-file sends basic credentials read from a file" {
	http_server srv
	printf 'monitor:s3cret:with-colon\n' >"$BATS_TEST_TMPDIR/auth"
	run hc-http --auth-file "$BATS_TEST_TMPDIR/auth" "http://127.0.0.1:$port/auth?user=monitor&pass=s3cret:with-colon"
	assert_success
	run sent srv
	assert_line "Authorization: Basic $(printf 'monitor:s3cret:with-colon' | base64 -w0)"
	run --separate-stderr hc-http -v --auth-file "$BATS_TEST_TMPDIR/auth" "http://127.0.0.1:$port/auth?user=monitor&pass=other"
	assert_failure 1
	[[ $stderr == *"down: HTTP 401, expected 2xx"* ]]
	run hc-http "http://127.0.0.1:$port/auth?user=monitor&pass=s3cret:with-colon"
	assert_failure 1
}

@test "hc-http: --netrc-file and --netrc send credentials from a netrc file" {
	http_server srv
	printf 'machine 127.0.0.1\nlogin monitor\npassword pw1\n' >"$BATS_TEST_TMPDIR/netrc"
	run hc-http --netrc-file "$BATS_TEST_TMPDIR/netrc" "http://127.0.0.1:$port/auth?user=monitor&pass=pw1"
	assert_success
	cp "$BATS_TEST_TMPDIR/netrc" "$BATS_TEST_TMPDIR/.netrc"
	run env HOME="$BATS_TEST_TMPDIR" hc-http --netrc "http://127.0.0.1:$port/auth?user=monitor&pass=pw1"
	assert_success
	run hc-http --netrc-file "$BATS_TEST_TMPDIR/netrc" "http://127.0.0.1:$port/auth?user=monitor&pass=pw2"
	assert_failure 1
}

@test "hc-http: credentials are never taken from argv" {
	run --separate-stderr hc-http http://monitor:pw@127.0.0.1/
	assert_failure 2
	[[ $stderr == "hc-http: invalid URL 'http://monitor:pw@127.0.0.1/': credentials in the URL (use --auth-file or --netrc)" ]]
	printf 'no colon here\n' >"$BATS_TEST_TMPDIR/auth"
	run --separate-stderr hc-http --auth-file "$BATS_TEST_TMPDIR/auth" http://127.0.0.1/
	assert_failure 2
	[[ $stderr == "hc-http: invalid auth file '$BATS_TEST_TMPDIR/auth': its first line is not USER:PASSWORD" ]]
	run --separate-stderr hc-http --auth-file "$BATS_TEST_TMPDIR/none" http://127.0.0.1/
	assert_failure 2
	[[ $stderr == "hc-http: cannot read auth file '$BATS_TEST_TMPDIR/none': No such file or directory" ]]
}

# ---- TLS ----

@test "hc-http: https is verified against --cacert" {
	tls_server srv server
	run --separate-stderr hc-http -v --cacert "$BATS_FILE_TMPDIR/ca.pem" "https://127.0.0.1:$port/"
	assert_success
	[[ $stderr == "hc-http: https://127.0.0.1:$port/ up in "*": HTTP 200" ]]
}

@test "hc-http: an untrusted certificate is down unless --insecure" {
	tls_server srv server
	run --separate-stderr hc-http -v "https://127.0.0.1:$port/"
	assert_failure 1
	[[ $stderr == *"down: SSL certificate problem: unable to get local issuer certificate"* ]]
	run hc-http --insecure "https://127.0.0.1:$port/"
	assert_success
	run hc-http -k "https://127.0.0.1:$port/"
	assert_success
}

@test "hc-http: --capath trusts a directory of hashed CA certificates" {
	tls_server srv server
	run hc-http --capath "$BATS_FILE_TMPDIR/capath" "https://127.0.0.1:$port/"
	assert_success
}

@test "hc-http: a certificate for another name is down" {
	tls_server srv server
	run --separate-stderr hc-http -v --cacert "$BATS_FILE_TMPDIR/ca.pem" \
		--resolve "other.hc.test:$port:127.0.0.1" "https://other.hc.test:$port/"
	assert_failure 1
	[[ $stderr == *"down: "*"other.hc.test"* ]]
	run hc-http --cacert "$BATS_FILE_TMPDIR/ca.pem" \
		--resolve "www.hc.test:$port:127.0.0.1" "https://www.hc.test:$port/"
	assert_success
}

@test "hc-http: the URL's name is sent as SNI to a pinned address" {
	tls_server srv server
	run hc-http --cacert "$BATS_FILE_TMPDIR/ca.pem" --resolve "www.hc.test:$port:127.0.0.1" \
		--expect sni=www.hc.test "https://www.hc.test:$port/sni"
	assert_success
	run hc-http --cacert "$BATS_FILE_TMPDIR/ca.pem" --connect-to "www.hc.test:443:127.0.0.1:$port" \
		--expect sni=www.hc.test "https://www.hc.test/sni"
	assert_success
}

@test "hc-http: --cert and --key present a client certificate" {
	tls_server srv server --client-ca "$BATS_FILE_TMPDIR/ca.pem"
	run --separate-stderr hc-http -v --cacert "$BATS_FILE_TMPDIR/ca.pem" "https://127.0.0.1:$port/client"
	assert_failure 1
	run hc-http --cacert "$BATS_FILE_TMPDIR/ca.pem" --cert "$BATS_FILE_TMPDIR/hc-client.pem" \
		--key "$BATS_FILE_TMPDIR/hc-client.key" --expect client=hc-client "https://127.0.0.1:$port/client"
	assert_success
}

@test "hc-http: --cert-days is down when the certificate expires tomorrow" {
	tls_server srv soon
	ca=$BATS_FILE_TMPDIR/ca.pem
	run hc-http --cacert "$ca" "https://127.0.0.1:$port/"
	assert_success
	run hc-http --cacert "$ca" --cert-days 0 "https://127.0.0.1:$port/"
	assert_success
	run --separate-stderr hc-http -v --cacert "$ca" --cert-days 2 "https://127.0.0.1:$port/"
	assert_failure 1
	[[ $stderr =~ down:\ certificate\ expires\ in\ (0\.9|1\.0)\ days\ \(.*GMT\),\ within\ --cert-days\ 2 ]]
	run --separate-stderr hc-http --cacert "$ca" --cert-days 1 -f "https://127.0.0.1:$port/"
	assert_failure 1
	[[ $output =~ ^http_code=200\ time_ms=[0-9]+\ cert_days=0$ ]]
}

@test "hc-http: --cert-days is up when the certificate lasts longer" {
	tls_server srv server
	ca=$BATS_FILE_TMPDIR/ca.pem
	run --separate-stderr hc-http --cacert "$ca" --cert-days 7 -f "https://127.0.0.1:$port/"
	assert_success
	[[ $output =~ ^http_code=200\ time_ms=[0-9]+\ cert_days=29$ ]]
	run hc-http --cacert "$ca" --cert-days 29 "https://127.0.0.1:$port/"
	assert_success
	run hc-http --cacert "$ca" --cert-days 31 "https://127.0.0.1:$port/"
	assert_failure 1
	run --separate-stderr hc-http -v --cacert "$ca" --cert-days 7 -f "https://127.0.0.1:$port/status/503"
	assert_failure 1
	[[ $output =~ ^http_code=503\ time_ms=[0-9]+\ cert_days=29$ ]]
	[[ $stderr == *"down: HTTP 503, expected 2xx"* ]]
}

@test "hc-http: --cert-days needs an https URL" {
	run --separate-stderr hc-http --cert-days 7 http://127.0.0.1/
	assert_failure 2
	[[ $stderr == "hc-http: --cert-days needs an https URL" ]]
}

# ---- the deadline ----

@test "hc-http: a server that accepts and never answers is down at the deadline" {
	http_server srv --hang
	# A deadline above the 2 s default: the lower bound shows that -t counts.
	elapsed_ms hc-http -t 2500ms "http://127.0.0.1:$port/"
	[[ $status == 1 ]]
	ends_at_deadline 2500
	run --separate-stderr hc-http -v -t 300ms "http://127.0.0.1:$port/"
	assert_failure 1
	# On a loaded machine libcurl may reach its deadline before it has noticed
	# that the connection completed, and then says so.
	[[ $stderr =~ down:\ no\ (response|connection)\ before\ the\ deadline\ \(after\ ([0-9]+)(\.[0-9]+)?\ (ms|s)\)$ ]]
	# Never before the deadline, not even by a fraction of a millisecond.
	[[ ${BASH_REMATCH[4]} == s ]] || ((BASH_REMATCH[2] >= 300)) || { echo "$stderr" >&2; false; }
}

@test "hc-http: the default deadline is 2 seconds" {
	http_server srv --hang
	elapsed_ms command hc-http "http://127.0.0.1:$port/"
	[[ $status == 1 ]]
	ends_at_deadline 2000
}

@test "hc-http: a TLS handshake that never ends is down at the deadline" {
	http_server srv --hang
	elapsed_ms hc-http -t 400ms "https://127.0.0.1:$port/"
	[[ $status == 1 ]]
	ends_at_deadline 400
	run --separate-stderr hc-http -v -t 300ms "https://127.0.0.1:$port/"
	[[ $stderr == *"down: TLS handshake incomplete at the deadline"* ||
		$stderr == *"down: no connection before the deadline"* ]]
}

@test "hc-http: a body that trickles is down at the deadline" {
	http_server srv
	elapsed_ms hc-http -t 500ms "http://127.0.0.1:$port/trickle?n=100&every=50"
	[[ $status == 1 ]]
	ends_at_deadline 500
	run --separate-stderr hc-http -v -t 300ms "http://127.0.0.1:$port/trickle?n=100&every=50"
	[[ $stderr =~ down:\ body\ incomplete\ at\ the\ deadline\ \([0-9]+\ bytes\ received\) ]]
}

@test "hc-http: a slow answer within the deadline is up, past it down" {
	http_server srv
	run hc-http -t 20s "http://127.0.0.1:$port/delay/300"
	assert_success
	# Down before the answer, which the server sends after 1 s, would have come.
	elapsed_ms hc-http --timeout 150ms "http://127.0.0.1:$port/delay/1000"
	[[ $status == 1 ]]
	ends_at_deadline 150
}

@test "hc-http: a name lookup that never ends is down at the deadline" {
	require_root_netns
	command -v unshare >/dev/null || skip "needs unshare"
	printf 'nameserver 127.0.0.1\noptions timeout:5 attempts:2\n' >"$BATS_TEST_TMPDIR/resolv.conf"
	# In its own network namespace, a DNS server on 127.0.0.1:53 that never answers.
	run --separate-stderr unshare -nm sh -c '
		ip link set lo up && mount --bind "$1/resolv.conf" /etc/resolv.conf || exit 9
		python3 -c "
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((\"127.0.0.1\", 53))
open(sys.argv[1], \"w\").close()
while True:
    s.recv(512)
" "$1/dns.ready" & dns=$!
		i=0
		while [ ! -e "$1/dns.ready" ] && [ $i -lt 500 ]; do sleep 0.02; i=$((i + 1)); done
		"$2" -v -f -t 500ms http://slow.hc.test/
		rc=$?
		kill $dns
		exit $rc' sh "$BATS_TEST_TMPDIR" "$HC_BIN/hc-http"
	assert_failure 1
	[[ $stderr == *"down: name lookup incomplete at the deadline (after "* ]]
	[[ $output =~ ^time_ms=([0-9]+)$ ]]
	# shellcheck disable=SC2034 # read by ends_at_deadline
	elapsed=${BASH_REMATCH[1]}
	ends_at_deadline 500
}

# ---- failures that are down at once ----

@test "hc-http: connection refused is down at once" {
	tcp_server closed 127.0.0.1 closed
	elapsed_ms hc-http -t 30s "http://127.0.0.1:$port/"
	[[ $status == 1 ]]
	ends_before 30000
	run --separate-stderr hc-http -v "http://127.0.0.1:$port/"
	[[ $stderr == "hc-http: http://127.0.0.1:$port/ down: connection refused (after "* ]]
}

@test "hc-http: a connection closed without a reply is down" {
	tcp_server srv 127.0.0.1 close
	run --separate-stderr hc-http -v "http://127.0.0.1:$port/"
	assert_failure 1
	[[ $stderr == *"down: empty reply from server"* || $stderr == *"down: "*"reset"* ]]
}

@test "hc-http: a server that does not speak HTTP is down" {
	tcp_server srv 127.0.0.1 banner 'SSH-2.0-OpenSSH_9.2\r\n'
	run --separate-stderr hc-http -v -t 1s "http://127.0.0.1:$port/"
	assert_failure 1
	[[ $stderr == *"down: "* ]]
}

@test "hc-http: an unresolvable name is down" {
	run --separate-stderr hc-http -v -t 1s http://no-such-host.invalid/
	assert_failure 1
	[[ $stderr == *"down: could not resolve host: no-such-host.invalid"* ||
		$stderr == *"down: name lookup incomplete at the deadline"* ]]
}

# ---- output ----

@test "hc-http: --fields writes http_code and time_ms on stdout" {
	http_server srv
	run --separate-stderr hc-http --fields "http://127.0.0.1:$port/"
	assert_success
	[[ $output =~ ^http_code=200\ time_ms=[0-9]+$ ]]
	run --separate-stderr hc-http -f "http://127.0.0.1:$port/status/503"
	assert_failure 1
	[[ $output =~ ^http_code=503\ time_ms=[0-9]+$ ]]
	[[ -z $stderr ]]
	tcp_server closed 127.0.0.1 closed
	run --separate-stderr hc-http -f "http://127.0.0.1:$port/"
	assert_failure 1
	[[ $output =~ ^time_ms=[0-9]+$ ]]
}

@test "hc-http: time_ms measures the whole check" {
	http_server srv
	run --separate-stderr hc-http -f "http://127.0.0.1:$port/delay/300"
	assert_success
	[[ $output =~ ^http_code=200\ time_ms=([0-9]+)$ ]]
	((BASH_REMATCH[1] >= 300 && BASH_REMATCH[1] < 300 + HC_TEST_SLACK_MS))
}

# ---- usage ----

@test "hc-http: malformed URLs are usage errors with one line" {
	for u in 'not a url' 127.0.0.1/health ftp://127.0.0.1/ file:///etc/passwd http:// 'http://[::1/' \
		'http://exa mple/' ''; do
		run --separate-stderr hc-http "$u"
		assert_failure 2
		[[ $stderr == "hc-http: invalid URL '$u': "* ]]
		[[ $(wc -l <<<"$stderr") == 1 ]]
	done
}

@test "hc-http: bad numbers are usage errors" {
	for t in 5x -1s 0 '' 2h; do
		run --separate-stderr hc-http --timeout="$t" http://127.0.0.1/
		assert_failure 2
		[[ $stderr == "hc-http: invalid --timeout '$t': "* ]]
	done
	for m in 0 100MB 1.5 -1 x; do
		run --separate-stderr hc-http --max-body="$m" http://127.0.0.1/
		assert_failure 2
		[[ $stderr == "hc-http: invalid --max-body '$m': "* ]]
	done
	for d in -1 3651 x 1.5 ''; do
		run --separate-stderr hc-http --cert-days="$d" https://127.0.0.1/
		assert_failure 2
		[[ $stderr == "hc-http: invalid --cert-days '$d': "* ]]
	done
}

@test "hc-http: a bad regex is a usage error" {
	run --separate-stderr hc-http --expect-regex '(unclosed' http://127.0.0.1/
	assert_failure 2
	[[ $stderr == "hc-http: invalid regex '(unclosed': "* ]]
	[[ $(wc -l <<<"$stderr") == 1 ]]
	run --separate-stderr hc-http -E 'a{2,1}' http://127.0.0.1/
	assert_failure 2
}

@test "hc-http: bad methods, headers and combinations are usage errors" {
	run --separate-stderr hc-http -X PUT http://127.0.0.1/
	assert_failure 2
	[[ $stderr == "hc-http: invalid method 'PUT': GET, HEAD or POST" ]]
	for hdr in NoColon ': empty' 'Bad Name: x' $'X-A: b\r\nX-B: c'; do
		run --separate-stderr hc-http -H "$hdr" http://127.0.0.1/
		assert_failure 2
		[[ $stderr == "hc-http: invalid header '$hdr': not NAME: VALUE" ]]
	done
	run --separate-stderr hc-http --host $'a\nb' http://127.0.0.1/
	assert_failure 2
	run --separate-stderr hc-http -X HEAD --expect x http://127.0.0.1/
	assert_failure 2
	[[ $stderr == "hc-http: a HEAD response has no body to check" ]]
	run --separate-stderr hc-http -X GET -d x http://127.0.0.1/
	assert_failure 2
	run --separate-stderr hc-http --netrc --auth-file /dev/null http://127.0.0.1/
	assert_failure 2
	run --separate-stderr hc-http --expect '' http://127.0.0.1/
	assert_failure 2
	run --separate-stderr hc-http --cacert /no/such/ca.pem https://127.0.0.1/
	assert_failure 2
	[[ $stderr == "hc-http: cannot read CA file '/no/such/ca.pem': No such file or directory" ]]
	run --separate-stderr hc-http --key "$BATS_FILE_TMPDIR/server.key" https://127.0.0.1/
	assert_failure 2
}

@test "hc-http: missing and extra arguments are usage errors" {
	run --separate-stderr hc-http
	assert_failure 2
	[[ $stderr == "hc-http: missing URL (usage: hc-http [options] URL)" ]]
	run --separate-stderr hc-http http://127.0.0.1/ http://127.0.0.2/
	assert_failure 2
	[[ $stderr == "hc-http: unexpected argument 'http://127.0.0.2/'"* ]]
	run --separate-stderr hc-http --no-such-option http://127.0.0.1/
	assert_failure 2
}

@test "hc-http: --help and --version exit 0" {
	run hc-http --help
	assert_success
	assert_output --partial "URL"
	run hc-http --version
	assert_success
}

# ---- resident (hc-loop --resident) ----

# reason_of LINE: the reason of a -v line, "HTTP 200" for an up.
reason_of() {
	local line=$1
	if [[ $line == *" up in "* ]]; then
		echo "${line#* up in *: }"
	else
		line=${line#* down: }
		echo "${line% (after *}"
	fi
}

# both_ways WANT_RC REASON_GLOB HC-HTTP-ARGS...: the check run by itself, then
# resident for three runs, has exit status WANT_RC and a reason matching
# REASON_GLOB every time.
both_ways() {
	local want=$1 glob=$2 line n=0
	shift 2
	run --separate-stderr hc-http -v "$@" </dev/null
	[[ $status == "$want" ]] || { echo "fresh: rc $status, want $want: $stderr"; return 1; }
	# shellcheck disable=SC2053 # the glob is the point
	[[ $(reason_of "$stderr") == $glob ]] || { echo "fresh: '$stderr' is not '$glob'"; return 1; }
	run --separate-stderr hc-loop --resident -n 3 -i 50ms -t 30s -- hc-http -v "$@" </dev/null
	[[ $(wc -l <<<"$output") == 3 ]] || { echo "resident: $output $stderr"; return 1; }
	while read -r line; do
		[[ $line == "$([[ $want == 0 ]] && echo up || echo down) rc=$want "* ]] ||
			{ echo "resident: '$line', want rc=$want"; return 1; }
	done <<<"$output"
	while read -r line; do
		[[ $line == "hc-http: "* ]] || continue
		n=$((n + 1))
		# shellcheck disable=SC2053
		[[ $(reason_of "$line") == $glob ]] || { echo "resident: '$line' is not '$glob'"; return 1; }
	done <<<"$stderr"
	[[ $n == 3 ]] || { echo "resident: $n -v lines: $stderr"; return 1; }
}

@test "hc-http: every scenario has the same verdict run by itself and resident" {
	local ca=$BATS_FILE_TMPDIR/ca.pem d=$BATS_TEST_TMPDIR f=$BATS_FILE_TMPDIR
	local http=$HC_SRCDIR/tests/servers/httpserver.py tcp=$HC_SRCDIR/tests/servers/tcpserver.py
	# Started together, then waited for: python's start-up is slow on a loaded machine.
	start_bg web python3 "$http" --log "$d/web.log" "$d/web.port"
	start_bg hung python3 "$http" --hang "$d/hung.port"
	start_bg tls python3 "$http" --tls "$f/server.pem" "$f/server.key" "$d/tls.port"
	start_bg soon python3 "$http" --tls "$f/soon.pem" "$f/soon.key" "$d/soon.port"
	start_bg closer python3 "$tcp" 127.0.0.1 "$d/closer.port" close
	start_bg resetter python3 "$tcp" 127.0.0.1 "$d/resetter.port" reset
	start_bg ssh python3 "$tcp" 127.0.0.1 "$d/ssh.port" banner 'SSH-2.0-OpenSSH_9.2\r\n'
	start_bg refused python3 "$tcp" 127.0.0.1 "$d/refused.port" closed
	local name
	for name in web hung tls soon closer resetter ssh refused; do
		wait_until 60 test -s "$d/$name.port"
	done
	local web hung tls soon closer resetter ssh
	web=$(<"$d/web.port") hung=$(<"$d/hung.port") tls=$(<"$d/tls.port") soon=$(<"$d/soon.port")
	closer=$(<"$d/closer.port") resetter=$(<"$d/resetter.port") ssh=$(<"$d/ssh.port")
	local refused
	refused=$(<"$d/refused.port")
	# rc	reason	arguments (tab-separated: the scenarios of the tests above)
	local table="
0	HTTP 200	http://127.0.0.1:$web/
1	HTTP 503, expected 2xx	http://127.0.0.1:$web/status/503
1	HTTP 201, expected 200,204	-s	200,204	http://127.0.0.1:$web/status/201
1	HTTP 302, expected 2xx (redirect to */status/200 not followed: see --follow)	http://127.0.0.1:$web/redirect?to=/status/200
0	HTTP 200	-L	http://127.0.0.1:$web/redirect?to=/status/200
1	*\(5\) redirects followed*	-L	http://127.0.0.1:$web/loop
0	HTTP 200	-e	status: ok	http://127.0.0.1:$web/body?text=status:%20ok
1	body does not contain 'status: ok'	-e	status: ok	http://127.0.0.1:$web/body?text=starting
1	body contains 'maintenance'	--reject	maintenance	http://127.0.0.1:$web/body?text=maintenance
1	body does not match '^ok\$'	-E	^ok\$	http://127.0.0.1:$web/body?text=not%20ok
1	connection refused	http://127.0.0.1:$refused/
1	@(empty reply from server|*reset*)	http://127.0.0.1:$closer/
1	*reset*	http://127.0.0.1:$resetter/
1	?*	-t	1s	http://127.0.0.1:$ssh/
1	no [rc]* before the deadline	-t	300ms	http://127.0.0.1:$hung/
1	body incomplete at the deadline (* bytes received)	-t	300ms	http://127.0.0.1:$web/trickle?n=100&every=50
0	HTTP 200	--cacert	$ca	https://127.0.0.1:$tls/
1	SSL certificate problem: unable to get local issuer certificate	https://127.0.0.1:$tls/
1	*other.hc.test*	--cacert	$ca	--resolve	other.hc.test:$tls:127.0.0.1	https://other.hc.test:$tls/
1	certificate expires in * days (*), within --cert-days 2	--cacert	$ca	--cert-days	2	https://127.0.0.1:$soon/
0	HTTP 200	--cacert	$ca	--cert-days	0	https://127.0.0.1:$soon/
1	@(TLS handshake incomplete|no connection) *	-t	300ms	https://127.0.0.1:$hung/
"
	shopt -s extglob
	local rc reason args
	while IFS=$'\t' read -r rc reason args; do
		[[ -n $rc ]] || continue
		local -a argv
		IFS=$'\t' read -r -a argv <<<"$args"
		both_ways "$rc" "$reason" "${argv[@]}" || { echo "case: $reason: $args"; return 1; }
	done <<<"$table"
}

@test "hc-http: a resident check reads cert_days afresh at every run" {
	tls_server soon soon
	# stdin /dev/null: at the end of a pipe (what make check may hand down)
	# hc-loop stops, as it must when ExaBGP goes.
	run --separate-stderr hc-loop --resident -n 3 -i 50ms -t 30s -- \
		hc-http -f -t 30s --cacert "$BATS_FILE_TMPDIR/ca.pem" --cert-days 0 "https://127.0.0.1:$port/" </dev/null
	[[ $(grep -c '^up rc=0 .* http_code=200 time_ms=[0-9]* cert_days=0$' <<<"$output") == 3 ]] ||
		{ echo "out: $output" "err: $stderr" >&2; false; }
	# On a kept connection there is no handshake: the days come from the one it was made with.
	run --separate-stderr hc-loop --resident -n 3 -i 50ms -t 30s -- hc-http -f -t 30s --keep-alive \
		--cacert "$BATS_FILE_TMPDIR/ca.pem" --cert-days 0 "https://127.0.0.1:$port/" </dev/null
	[[ $(grep -c '^up rc=0 .* http_code=200 time_ms=[0-9]* cert_days=0$' <<<"$output") == 3 ]] ||
		{ echo "out: $output" "err: $stderr" >&2; false; }
}

# stream_has N PATTERN [NAME]: the stream of the background hc-loop NAME (loop)
# has N lines matching PATTERN.
stream_has() {
	(($(grep -c -- "$2" "$BATS_TEST_TMPDIR/${3:-loop}.out") >= $1))
}

@test "hc-http: a resident check follows the server: up, down, up again" {
	http_server srv
	local p=$port
	start_bg loop hc-loop --resident -i 100ms -t 30s -- hc-http -v "http://127.0.0.1:$p/"
	wait_until 30 stream_has 2 '^up rc=0 '
	kill "$(<"$BATS_TEST_TMPDIR/srv.pid")"
	wait_until 30 stream_has 2 '^down rc=1 '
	grep -q "down: connection refused" "$BATS_TEST_TMPDIR/loop.err"
	# The same port again: the run after it is up, on a new connection.
	start_bg srv2 python3 "$HC_SRCDIR/tests/servers/httpserver.py" --port "$p" \
		--log "$BATS_TEST_TMPDIR/srv2.log" "$BATS_TEST_TMPDIR/srv2.port"
	wait_until 30 test -s "$BATS_TEST_TMPDIR/srv2.port"
	local ups
	ups=$(grep -c '^up rc=0 ' "$BATS_TEST_TMPDIR/loop.out")
	wait_until 30 stream_has $((ups + 2)) '^up rc=0 '
	# Up, then down, then up: in that order, one resident process throughout.
	[[ $(awk '{print $1}' "$BATS_TEST_TMPDIR/loop.out" | uniq | tr '\n' ' ') == "up down up "* ]]
	[[ $(grep -c "resident check" "$BATS_TEST_TMPDIR/loop.err") == 0 ]]
}

# tcp_sockets PID: the inodes of the TCP sockets PID has open, one per line
# (libcurl's own socketpair is not one).
tcp_sockets() {
	local inode
	find "/proc/$1/fd" -lname 'socket:*' -printf '%l\n' 2>/dev/null | tr -dc '0-9\n' | sort |
		while read -r inode; do
			awk -v i="$inode" '$10 == i { found = 1 } END { exit !found }' \
				"/proc/$1/net/tcp" "/proc/$1/net/tcp6" && echo "$inode"
		done
	return 0
}

# resident_pid NAME: the hc-http started by the background hc-loop NAME.
resident_pid() {
	local pid
	pid=$(pgrep -P "$(<"$BATS_TEST_TMPDIR/$1.pid")")
	[[ $(<"/proc/$pid/comm") == hc-http ]] && echo "$pid"
}

@test "hc-http: a resident check keeps no connection between runs unless --keep-alive" {
	# A server that keeps connections open: only the check closes them.
	http_server srv --keep-alive
	start_bg loop hc-loop --resident -i 200ms -t 30s -- hc-http "http://127.0.0.1:$port/"
	wait_until 30 stream_has 2 '^up rc=0 '
	local pid
	pid=$(resident_pid loop)
	[[ -z $(tcp_sockets "$pid") ]]
	stop_bg_all

	http_server srv2 --keep-alive
	start_bg kept hc-loop --resident -i 200ms -t 30s -- hc-http --keep-alive "http://127.0.0.1:$port/"
	wait_until 30 stream_has 2 '^up rc=0 ' kept
	pid=$(resident_pid kept)
	local kept
	kept=$(tcp_sockets "$pid")
	[[ $(wc -l <<<"$kept") == 1 && -n $kept ]]
	local runs
	runs=$(wc -l <"$BATS_TEST_TMPDIR/kept.out")
	wait_until 30 stream_has $((runs + 2)) '^up rc=0 ' kept
	# Two runs later, the same connection.
	[[ $(tcp_sockets "$pid") == "$kept" ]]
}

# find_program PID NAME: PID, or a child of it, runs NAME; sets $found to its PID.
find_program() {
	found=$1
	[[ $(cat "/proc/$1/comm" 2>/dev/null) == "$2" ]] || found=$(pgrep -P "$1" -x "$2")
}

# lines_at_least N FILE: FILE has N lines or more.
lines_at_least() {
	(($(wc -l <"$2") >= $1))
}

@test "hc-http: thousands of resident runs keep memory and fds flat and leak nothing" {
	http_server srv
	# The allocator's quarantine (AddressSanitizer) would grow memory by design.
	local -x ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=0:thread_local_quarantine_size_kb=0"
	local answers=$BATS_TEST_TMPDIR/answers
	mkfifo "$BATS_TEST_TMPDIR/requests"
	# Opened read-write first, so that the check's open for reading does not block.
	exec {req}<>"$BATS_TEST_TMPDIR/requests"
	# setsid: a process group leader, as hc-loop starts a resident check.
	HC_RESIDENT=1 setsid -w hc-http -f "http://127.0.0.1:$port/" \
		<"$BATS_TEST_TMPDIR/requests" >"$answers" 2>"$BATS_TEST_TMPDIR/err" {req}>&- &
	local leader=$!
	wait_until 30 find_program "$leader" hc-http
	local pid=$found
	local batch first_rss first_fds rss fds
	for batch in 1 2 3 4 5 6; do
		printf 'check\n%.0s' {1..500} >&"$req"
		wait_until 120 lines_at_least $((batch * 500)) "$answers"
		rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
		fds=$(find "/proc/$pid/fd" -mindepth 1 | wc -l)
		if ((batch == 1)); then
			first_rss=$rss first_fds=$fds
		fi
	done
	exec {req}>&-
	local rc=0
	wait "$leader" || rc=$?
	echo "# rss ${first_rss} -> ${rss} KiB, fds ${first_fds} -> ${fds}" >&3
	cat "$BATS_TEST_TMPDIR/err"
	[[ $rc == 0 ]]
	[[ $(wc -l <"$answers") == 3000 ]]
	[[ $(grep -cv '^0 http_code=200 time_ms=[0-9]*$' "$answers") == 0 ]]
	((fds == first_fds))
	((rss - first_rss < 2048))
}

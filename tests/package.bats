#!/usr/bin/env bats
# The Debian package: scripts/package builds it (lintian clean), apt installs
# it, the installed examples run under Debian's exabgp as the user exabgp in
# the lab, a maintenance file in the package's /run/hc drains a host, and
# purging leaves nothing behind.  Root only.  This installs into this
# machine's /usr: it waits for any other run of itself, refuses to run where
# hc is already installed, and purges in teardown_file whatever happened.
# (The other suites never run /usr/bin/hc-*: tests/test_helper.bash.)
# shellcheck disable=SC2154 # $status and $output are set by bats

# The installed programs, never the build tree's.
# shellcheck disable=SC2034 # read by test_helper
HC_BIN=/usr/bin
load test_helper
load lib-lab

PACKAGES=(hc hc-http hc-pglag)
LOCK=/run/lock/hc-package-test.lock

# installed PACKAGE: true if dpkg knows PACKAGE in any state but not-installed.
installed() {
	local state
	state=$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null) || return 1
	[[ -n $state && $state != not-installed ]]
}

# apt_get ARGS...: apt-get, waiting up to 2 minutes for another apt or dpkg
# run (another developer's scripts/deps) to let go of dpkg's lock.
apt_get() {
	DEBIAN_FRONTEND=noninteractive apt-get -y -q -o DPkg::Lock::Timeout=120 "$@"
}

purge_ours() {
	local p present=()
	for p in "${PACKAGES[@]}"; do
		installed "$p" && present+=("$p")
	done
	((${#present[@]} == 0)) || apt_get purge "${present[@]}" >&2
}

# package_unfit: why this machine cannot run the test ("" if it can).
package_unfit() {
	[[ ${HC_E2E:-1} != 0 ]] || { echo "end-to-end tests switched off (HC_E2E=0)" && return; }
	[[ $(id -u) == 0 ]] || { echo "needs root to install the package" && return; }
	local tool
	for tool in dpkg-buildpackage dh lintian apt-get exabgp bird ip man setpriv unshare; do
		command -v "$tool" >/dev/null || { echo "needs $tool (scripts/deps installs it)" && return; }
	done
	return 0
}

# (bats 1.8 cannot skip from setup_file: setup skips each test for the reason
# setup_file found.)
setup_file() {
	PKG_SKIP=$(package_unfit)
	export PKG_SKIP
	[[ -z $PKG_SKIP ]] || return 0
	exec {PACKAGE_LOCK_FD}>"$LOCK"
	export PACKAGE_LOCK_FD
	if ! flock -w 600 "$PACKAGE_LOCK_FD"; then
		PKG_SKIP="another package test held $LOCK for 10 minutes"
		return 0
	fi
	local p
	for p in "${PACKAGES[@]}"; do
		if installed "$p"; then
			PKG_SKIP="$p is installed on this machine; the test would replace and purge it"
			return 0
		fi
	done
	export PKG_OUT=$BATS_FILE_TMPDIR/package
	# The lab's files, readable by the user exabgp (bats's own are root's alone).
	PKG_LAB=$(mktemp -d /tmp/hc-package-lab.XXXXXX)
	chmod 755 "$PKG_LAB"
	export PKG_LAB
	# Ours to purge from here on, whatever happens.
	export PKG_OURS=1
}

teardown_file() {
	if [[ -n ${PKG_OURS:-} ]]; then
		purge_ours
		rm -f /run/hc/web.maint
		rm -rf "$PKG_LAB"
	fi
	[[ -z ${PACKAGE_LOCK_FD:-} ]] || exec {PACKAGE_LOCK_FD}>&-
}

setup() {
	[[ -z $PKG_SKIP ]] || skip "$PKG_SKIP"
}

teardown() {
	lab_down
}

# debs: the three packages' files that scripts/package made.
debs() {
	local p
	for p in "${PACKAGES[@]}"; do
		echo "$PKG_OUT/${p}_$(dpkg-parsechangelog -l "$HC_SRCDIR/debian/changelog" -S Version)_$(dpkg --print-architecture).deb"
	done
}

@test "package: scripts/package builds hc, hc-http and hc-pglag, and lintian finds nothing" {
	# shellcheck disable=SC2034 # read by bats: building takes 3 minutes on a quiet machine, over 10 at a load average of 12
	BATS_TEST_TIMEOUT=1800
	# (nocheck: the unit tests that the build would run are in this suite.)
	DEB_BUILD_OPTIONS=nocheck run "$HC_SRCDIR/scripts/package" -o "$PKG_OUT"
	assert_success
	assert_line "lintian: clean"
	local deb
	for deb in $(debs); do
		[[ -s $deb ]] || fail "no $deb"
	done
	# The package's version is the release's.
	local version
	version=$(sed -n 's/^AC_INIT(\[hc\], \[\([^]]*\)\].*/\1/p' "$HC_SRCDIR/configure.ac")
	[[ $(dpkg-deb -f "$PKG_OUT/hc_"*.deb Version) == "$version"-* ]]
}

@test "package: installs the programs, every man page, the examples and /run/hc" {
	# shellcheck disable=SC2034 # read by bats: apt_get may wait 2 minutes for dpkg's lock
	BATS_TEST_TIMEOUT=300
	local debs_
	mapfile -t debs_ < <(debs)
	run apt_get install --no-install-recommends "${debs_[@]}"
	assert_success
	local page name section
	for page in "$HC_SRCDIR"/man/*.[1-8]; do
		name=$(basename "$page")
		section=${name##*.}
		[[ -f /usr/share/man/man$section/$name.gz ]] || fail "no man page $name"
		if [[ $section == 1 ]]; then
			[[ -x /usr/bin/${name%.1} ]] || fail "no /usr/bin/${name%.1}"
		fi
	done
	run man -P cat hc-announce
	assert_success
	assert_output --partial "hc-announce"
	local f
	while IFS= read -r f; do
		cmp -s "$HC_SRCDIR/examples/$f" "/usr/share/doc/hc/examples/$f" ||
			fail "examples/$f is not installed as it is in the tree"
	done < <(cd "$HC_SRCDIR/examples" && find . -type f | sed 's|^\./||')
	# /run/hc, from the tmpfiles.d entry: root's, readable by the user exabgp.
	[[ $(stat -c '%U %G %a' /run/hc) == "root root 755" ]]
	run runuser -u exabgp -- test -r /run/hc -a -x /run/hc
	assert_success
}

# processes_of I PROGRAM: "user exe" of each PROGRAM process in host I.
processes_of() {
	local pid
	for pid in $(ip netns pids "$(lab_ns "h$1")"); do
		[[ $(ps -o comm= -p "$pid") == "$2" ]] || continue
		echo "$(ps -o user= -p "$pid") $(readlink "/proc/$pid/exe")"
	done
}

@test "package: the installed examples run under Debian's exabgp as exabgp; /run/hc/web.maint drains" {
	# shellcheck disable=SC2034 # read by bats: sessions and rise take seconds
	BATS_TEST_TIMEOUT=180
	lab_require
	installed hc || fail "hc is not installed (the previous test failed)"
	local examples=/usr/share/doc/hc/examples
	# shellcheck disable=SC2034 # read by lib-lab
	LAB_TMP=$PKG_LAB LAB_EXABGP_USER=exabgp
	lab_up 2
	lab_service_start 1
	lab_service_start 2
	lab_exabgp_start 1 "$examples/active-active/exabgp.conf"
	lab_exabgp_start 2 "$examples/maintenance/exabgp.conf"
	wait_until 60 lab_nexthops_are "$H1" "$H2"
	# ExaBGP runs as exabgp, and so does every stage, from /usr/bin.
	[[ $(ps -o user= -p "$(<"$LAB_DIR/exabgp-h1.pid")") == exabgp ]]
	local program
	for program in hc-loop hc-dampen hc-announce; do
		run processes_of 1 "$program"
		assert_output "exabgp /usr/bin/$program"
	done
	touch /run/hc/web.maint
	wait_until 10 lab_nexthops_are "$H1"
	rm /run/hc/web.maint
	wait_until 30 lab_nexthops_are "$H1" "$H2"
}

@test "package: the user exabgp writes metrics to /var/lib/prometheus/node-exporter as the README sets it" {
	installed hc || fail "hc is not installed (a previous test failed)"
	# In a mount namespace of its own, on a tmpfs over /var/lib: this
	# machine's /var/lib is not touched.  The mode is the README's
	# dpkg-statoverride; a file of another collector stays root's.
	run unshare -m --propagation private sh -c '
		set -e
		mount -t tmpfs tmpfs /var/lib
		dir=/var/lib/prometheus/node-exporter
		mkdir -p "$dir"
		chown root:exabgp "$dir"
		chmod 1775 "$dir"
		echo "other 1" >"$dir/other.prom"
		printf "up\n" | setpriv --reuid exabgp --regid exabgp --init-groups \
			hc-announce --min-lifetime 0 --name web --metrics "$dir/hc-web.prom" 203.0.113.10/32 >/dev/null
		stat -c "%U %n" "$dir/hc-web.prom"
		cat "$dir/hc-web.prom"
		if setpriv --reuid exabgp --regid exabgp --init-groups rm -f "$dir/other.prom" 2>/dev/null; then
			echo "exabgp removed root'"'"'s other.prom"
		fi'
	assert_success
	assert_line "exabgp /var/lib/prometheus/node-exporter/hc-web.prom"
	assert_line 'hc_announce_state{service="web",state="stopped"} 1'
	refute_line --partial "removed root's"
}

@test "package: purging removes every file it installed and /run/hc" {
	# shellcheck disable=SC2034 # read by bats: apt_get may wait 2 minutes for dpkg's lock
	BATS_TEST_TIMEOUT=300
	local files=() p
	for p in "${PACKAGES[@]}"; do
		installed "$p" || fail "$p is not installed (a previous test failed)"
		mapfile -t -O "${#files[@]}" files < <(dpkg-query -L "$p")
	done
	touch /run/hc/web.maint
	run apt_get purge "${PACKAGES[@]}"
	assert_success
	for p in "${PACKAGES[@]}"; do
		! installed "$p" || fail "$p is still known to dpkg: $(dpkg-query -W -f='${db:Status-Abbrev}' "$p")"
	done
	# What is still there and no other package owns (such as /usr/bin),
	# asked of dpkg-query once.
	local f existing=() left=()
	for f in "${files[@]}"; do
		[[ $f != /. ]] || continue
		[[ ! -e $f && ! -L $f ]] || existing+=("$f")
	done
	if ((${#existing[@]} > 0)); then
		mapfile -t left < <(dpkg-query -S "${existing[@]}" 2>&1 >/dev/null |
			sed -n 's/^dpkg-query: no path found matching pattern //p')
	fi
	[[ ! -e /run/hc ]] || left+=(/run/hc)
	((${#left[@]} == 0)) || fail "left behind: ${left[*]}"
}

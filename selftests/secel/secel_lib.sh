# SPDX-License-Identifier: GPL-2.0
#
# secel_lib.sh - what the shell selftests share; sourced, not run.
#
#   . "$here/secel_lib.sh"
#   secel_tmp NAME      a scratch directory in $tmp, removed at exit with
#                       every process listed in $pids
#   wait_for CMD...     up to 10 s (WAIT_TENTHS tenths) for CMD to succeed
#   start_vcard TAG ARGS...
#                       $VCARD ARGS in the background, its output in
#                       $tmp/TAG.out and .err; sets PID, IDX and NAME once
#                       its SE is listed; 1 when it does not come up
#   stop_vcard PID      kill it and reap it
#
# KTAP, one result line per name in $TESTS:
#   ktap_plan           the header and the plan; KTAP_TIMES=1 before it
#                       adds a "# NAME: N s" line before each result
#   ok NAME             ok_unless NAME MSG (fail when MSG is not empty)
#   fail NAME MSG...    the message on one comment line, then "not ok"
#   skip NAME REASON    skip_all REASON (every name, then exit 0)
#   $num results so far, $failed of them not ok
#
#   lane_short NAME...  under SECEL_LANE_SHORT (the debug lane's short pass
#                       of the mostly userspace suites): each NAME
#                       reported skipped, status 0 (the caller leaves
#                       them out); else status 1
#   lane_pick FULL SHORT
#                       prints SHORT under SECEL_LANE_SHORT, else FULL (a
#                       loop's list or count)
#
#   bounded CMD...      CMD under timeout ${BOUND:-60} s
#   await SECONDS CMD...
#                       CMD succeeds within SECONDS by the clock (under
#                       TCG one look at sysfs can take a good part of a
#                       second)

secel_cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null
	done
	for p in $pids; do
		wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}

secel_tmp() {
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX") || exit 1
	pids=""
	trap secel_cleanup EXIT
	trap 'exit 1' INT TERM
}

wait_for() {
	i=0
	while [ $i -lt "${WAIT_TENTHS:-100}" ]; do
		"$@" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# se_state_is INDEX STATE: secelINDEX is in STATE now (read at each call,
# so that wait_for can poll it)
se_state_is() {
	[ "$(cat /sys/class/secel/secel"$1"/state 2>/dev/null)" = "$2" ]
}

start_vcard() {
	tag=$1; shift
	rm -f "$tmp/$tag.out"
	"$VCARD" "$@" > "$tmp/$tag.out" 2> "$tmp/$tag.err" < /dev/null &
	PID=$!
	pids="$pids $PID"
	# a card's start and the core's verification: up to 30 s on a
	# loaded host under TCG (10 s was seen to run out at load 9)
	WAIT_TENTHS=300 wait_for test -s "$tmp/$tag.out" || {
		echo "# secel-vcard $*: did not start: $(cat "$tmp/$tag.err")"
		return 1
	}
	line=$(head -n 1 "$tmp/$tag.out")
	IDX=${line%% *}
	IDX=${IDX#secel}
	NAME=${line#* }
	WAIT_TENTHS=300 wait_for se_state_is "$IDX" listed || {
		echo "# secel-vcard $*: secel$IDX is $(cat /sys/class/secel/secel"$IDX"/state 2>&1), not listed: $(tail -n 3 "$tmp/$tag.err" | tr '\n' ' ')"
		return 1
	}
}

stop_vcard() {
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

ktap_plan() {
	num=0
	failed=0
	t_last=$(date +%s)
	echo "TAP version 13"
	# shellcheck disable=SC2086 # one word per test
	set -- $TESTS
	echo "1..$#"
}

ktap_took() {
	[ "${KTAP_TIMES:-0}" = 1 ] || return 0
	t_now=$(date +%s)
	echo "# $1: $((t_now - t_last)) s"
	t_last=$t_now
}

ok() {
	ktap_took "$1"
	num=$((num + 1))
	echo "ok $num $1"
}

fail() {
	num=$((num + 1))
	failed=$((failed + 1))
	ktap_name=$1
	shift
	# a message of several lines stays one KTAP comment
	echo "# $ktap_name: $*" | tr '\n' ' '
	echo
	ktap_took "$ktap_name"
	echo "not ok $num $ktap_name"
}

ok_unless() {
	if [ -n "$2" ]; then
		fail "$1" "$2"
	else
		ok "$1"
	fi
}

skip() {
	num=$((num + 1))
	echo "ok $num $1 # SKIP $2"
}

skip_all() {
	for ktap_t in $TESTS; do
		skip "$ktap_t" "$1"
	done
	exit 0
}

# The debug lane runs the mostly userspace suites (tools/testing/debug/
# check-debug's guest B) as a short pass: the cases that differ from
# others only in userspace (a TLS or HTTP variant, a reference host's
# vectors) are left to the fast suite, which runs every case on Debian's
# kernel, and loops run fewer rounds.  Every kernel path the suite reaches
# still runs on the debug kernel.
lane_short() {
	[ -n "${SECEL_LANE_SHORT:-}" ] || return 1
	for ktap_t in "$@"; do
		skip "$ktap_t" "debug lane's short pass (SECEL_LANE_SHORT): a userspace variant, run in the fast suite"
	done
	return 0
}

# lane_covered WHERE NAME...: as lane_short, for a case whose kernel
# paths another case of the lane (WHERE) already runs on the debug kernel
lane_covered() {
	[ -n "${SECEL_LANE_SHORT:-}" ] || return 1
	ktap_where=$1
	shift
	for ktap_t in "$@"; do
		skip "$ktap_t" "debug lane's short pass (SECEL_LANE_SHORT): its kernel paths run in $ktap_where there; the case runs in the fast suite"
	done
	return 0
}
lane_pick() {
	if [ -n "${SECEL_LANE_SHORT:-}" ]; then
		echo "$2"
	else
		echo "$1"
	fi
}

bounded() { timeout -k 2 "${BOUND:-60}" "$@"; }

await() {
	end=$(($(date +%s) + $1))
	shift
	while :; do
		"$@" && return 0
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.2
	done
}

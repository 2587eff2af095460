#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# secel selftests: secel-relay --daemon, the device's agent -- a session
# at start, on each secel uevent (an SE hot-plugged, unplugged,
# designated) and on the TSM's X-Secel-Poll interval; backoff while the
# TSM is down; SIGTERM ends it with 0.  secel-tsm keeps the device's SE
# list in its database (--db); secel-vcard plays the SEs
# (secel-relay(8), DAEMON; Documentation/secel/tsm.rst).  KTAP on stdout.
#
# The guest is slow (TCG): every bound is "within N s", N generous.
# Environment: SECEL_VCARD, SECELCTL, SECEL_TSM, SECEL_RELAY override the
# tool paths; SECEL_DAEMON_WAIT the bound in seconds (default 90).

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
VCARD=${SECEL_VCARD:-$root/tools/secel-vcard/secel-vcard}
CTL=${SECELCTL:-$root/tools/secelctl/secelctl}
TSM=${SECEL_TSM:-$root/tools/tsm/secel-tsm}
RELAY=${SECEL_RELAY:-$root/tools/relay/secel-relay}
LIMIT=${SECEL_DAEMON_WAIT:-90}

. "$here/secel_lib.sh"
secel_tmp secel-agent-daemon

TESTS="daemon_reports_at_start daemon_session_on_hotplug
daemon_rule_designates_new_se daemon_session_on_designation
daemon_session_on_unplug daemon_quiet_without_events
daemon_follows_tsm_poll_interval
daemon_backs_off_while_tsm_down daemon_resumes_when_tsm_is_back
daemon_sigterm_exits_0"

num=0
echo "TAP version 13"
# shellcheck disable=SC2086 # one word per test
set -- $TESTS
echo "1..$#"

ok() { num=$((num + 1)); echo "ok $num $1"; }
fail() {
	num=$((num + 1))
	name=$1; shift
	echo "# $name: $*" | tr '\n' ' '
	echo
	echo "not ok $num $name"
}
ok_unless() { if [ -n "$2" ]; then fail "$1" "$2"; else ok "$1"; fi; }

setup_failed() {
	for t in $TESTS; do
		fail "$t" "setup: $*"
	done
	exit 0
}

if [ ! -e /dev/secel-ctl ]; then
	for t in $TESTS; do
		num=$((num + 1))
		echo "ok $num $t # SKIP no /dev/secel-ctl (secel.ko not loaded)"
	done
	exit 0
fi

bounded() { timeout -k 2 120 "$@"; }
# within N CMD...: CMD succeeds within N seconds of the clock (a CMD
# may take a second in the guest: not counted in tries)
within() {
	end=$(($(date +%s) + $1)); shift
	while ! "$@"; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.2
	done
}

# start_tsm ARGS...: the TSM on $PORT (0: a free one), its URL in $URL
start_tsm() {
	rm -f "$tmp/tsm.url"
	"$TSM" -v --listen "127.0.0.1:${PORT:-0}" --ready-file "$tmp/tsm.url" \
		--keys "$tmp/keys" --service "$SVC" \
		--tls-cert "$tmp/tsm.crt" --tls-key "$tmp/tsm.key" \
		--tls-client-ca "$tmp/dev.crt" --db "$tmp/tsm.db" "$@" \
		> /dev/null 2>> "$tmp/tsm.log" < /dev/null &
	tsm_pid=$!
	pids="$pids $tsm_pid"
	WAIT_TENTHS=300 wait_for test -s "$tmp/tsm.url" || {
		echo "# secel-tsm did not start: $(tail -n 5 "$tmp/tsm.log")"
		return 1
	}
	URL=$(cat "$tmp/tsm.url")/backstage
	PORT=${URL##*:}
	PORT=${PORT%%/*}
}

# the TSM's database: the device's SEs, one "se ..." line each
devices() { bounded "$TSM" devices --db "$tmp/tsm.db" 2>&1; }
lists() { devices | grep -q "^se device=$DEV name=$1 .*state=$2"; }
lists_not() { ! devices | grep -q "^se device=$DEV name=$1 "; }
designated() { [ "$(cat "/sys/class/secel/secel$1/designated" 2>/dev/null)" = 1 ]; }
log_count() { grep -c -- "$1" "$tmp/daemon.err"; }
more_than() { [ "$(log_count "$1")" -gt "$2" ]; }
good_sessions() { grep -c '^ok; ' "$tmp/daemon.out"; }
good_more_than() { [ "$(good_sessions)" -gt "$1" ]; }
daemon_said() { echo "daemon: $(tail -n 12 "$tmp/daemon.err" | tr '\n' '|')"; }

echo 1000 > /sys/module/secel_vse/parameters/timeout_ms 2>/dev/null
start_vcard a --name DA || setup_failed "the card A did not start"
A=$NAME
ctl_out=$(bounded "$CTL" designate "$A" 2>&1) || setup_failed "designate $A: $ctl_out"
bounded "$CTL" gp mkload --type secel.purse --aid A000000553454301 \
	--module A00000055345430101 --code-size 300 "$tmp/purse.slf" \
	> /dev/null 2> "$tmp/ce" || setup_failed "mkload: $(cat "$tmp/ce")"
SVC=purse:$tmp/purse.slf:A00000055345430101:DF1204000003E8
K=404142434445464748494A4B4C4D4E4F
echo "* 30:$K:$K:$K" > "$tmp/keys"
for c in tsm dev; do
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -subj "/CN=127.0.0.1/O=secel $c" \
		-addext subjectAltName=IP:127.0.0.1 -days 1 \
		-keyout "$tmp/$c.key" -out "$tmp/$c.crt" 2>/dev/null ||
		setup_failed "openssl req did not make a certificate"
done
DEV=sha256:$(openssl x509 -noout -fingerprint -sha256 -in "$tmp/dev.crt" |
	     sed 's/.*=//; s/://g' | tr 'A-F' 'a-f')
printf 'allow any inquire\nallow any add,verify,delete,designate,clear kind=virtual name=D*\n' \
	> "$tmp/permit.conf"
# the rule: a new SE named DB* is designated
bounded "$TSM" rule --db "$tmp/tsm.db" new kind=virtual 'name=DB*' designate \
	2> "$tmp/ce" || setup_failed "secel-tsm rule: $(cat "$tmp/ce")"
start_tsm || setup_failed "the TSM did not start"

# the daemon: polling an hour unless the TSM says; retries 1, 2, 4, 4 s
"$RELAY" --daemon --retry 1 --retry-max 4 --timeout 20 \
	--cacert "$tmp/tsm.crt" --cert "$tmp/dev.crt" --key "$tmp/dev.key" \
	--policy "$tmp/permit.conf" "$URL" \
	> "$tmp/daemon.out" 2> "$tmp/daemon.err" < /dev/null &
daemon_pid=$!
pids="$pids $daemon_pid"

t=daemon_reports_at_start
if within "$LIMIT" lists "$A" listed; then
	ok $t
else
	fail $t "$A not in the TSM's list within $LIMIT s: $(devices | tr '\n' '|') $(daemon_said)"
fi

t=daemon_session_on_hotplug
sessions=$(log_count "session (")
start_vcard b --name DB || setup_failed "the card B did not start"
B=$NAME b_idx=$IDX b_pid=$PID
# listed by the device: a session that the add uevent started
if within "$LIMIT" lists "$B" ""; then
	if grep -q "SE event: add secel$b_idx" "$tmp/daemon.err"; then
		ok $t
	else
		fail $t "listed, but the daemon saw no add event: $(daemon_said)"
	fi
else
	fail $t "$B not in the list within $LIMIT s (sessions before: $sessions): $(devices | tr '\n' '|') $(daemon_said)"
fi

t=daemon_rule_designates_new_se
# the rule queued "designate B"; the next session (the change events
# of B's verification) carries it out
if within "$LIMIT" designated "$b_idx"; then
	if within "$LIMIT" lists "$B" "listed designated=1"; then
		ok $t
	else
		fail $t "designated, but the TSM's list does not say so: $(devices | tr '\n' '|')"
	fi
else
	fail $t "$B not designated within $LIMIT s: $(devices | tr '\n' '|') $(daemon_said)"
fi

t=daemon_session_on_designation
# the operator designates A again: the change event makes a session
ctl_out=$(bounded "$CTL" designate "$A" 2>&1)
if within "$LIMIT" lists "$A" "listed designated=1" &&
   within "$LIMIT" lists "$B" "listed designated=0"; then
	ok $t
else
	fail $t "designate $A ($ctl_out): the list within $LIMIT s: $(devices | tr '\n' '|') $(daemon_said)"
fi

t=daemon_session_on_unplug
stop_vcard "$b_pid"
if within "$LIMIT" lists_not "$B"; then
	if grep -q "SE event: remove secel$b_idx" "$tmp/daemon.err"; then
		ok $t
	else
		fail $t "gone, but the daemon saw no remove event: $(daemon_said)"
	fi
else
	fail $t "$B still listed after $LIMIT s: $(devices | tr '\n' '|') $(daemon_said)"
fi

t=daemon_quiet_without_events
# nothing happens and the interval is an hour: no session, not one made
# by the uevents of the daemon's own work on the SEs
sleep 5
n=$(log_count "session (")
sleep 10
m=$(log_count "session (")
if [ "$m" = "$n" ]; then
	ok $t
else
	fail $t "$((m - n)) sessions in 10 s without an event: $(daemon_said)"
fi

t=daemon_follows_tsm_poll_interval
# the TSM asks for a session every 2 s; the daemon's own is an hour
kill "$tsm_pid"
wait "$tsm_pid" 2>/dev/null
if start_tsm --poll 2; then
	kill -HUP "$daemon_pid"
	if within "$LIMIT" grep -q "the TSM asks for a session every 2 s" "$tmp/daemon.err"; then
		n=$(log_count "session (interval)")
		if within "$LIMIT" more_than "session (interval)" $((n + 1)); then
			ok $t
		else
			fail $t "no sessions on the 2 s interval within $LIMIT s: $(daemon_said)"
		fi
	else
		fail $t "the daemon did not take X-Secel-Poll: $(daemon_said)"
	fi
else
	fail $t "the TSM did not start again with --poll"
fi

t=daemon_backs_off_while_tsm_down
kill "$tsm_pid"
wait "$tsm_pid" 2>/dev/null
# retries after 1, 2, 4 s, then 4 s again: the cap; and it keeps running
if within "$LIMIT" more_than "session failed ([0-9]* in a row): next in 4 s" 1 &&
   grep -q "session failed (1 in a row): next in 1 s" "$tmp/daemon.err" &&
   grep -q "session failed (2 in a row): next in 2 s" "$tmp/daemon.err" &&
   ! grep -q "next in [5-9] s\|next in [1-9][0-9]" "$tmp/daemon.err" &&
   kill -0 "$daemon_pid" 2>/dev/null; then
	ok $t
else
	fail $t "$(daemon_said)"
fi

t=daemon_resumes_when_tsm_is_back
# the same port again; the next retry (4 s at most) reaches it
n=$(good_sessions)
if start_tsm; then
	if within "$LIMIT" good_more_than "$n"; then
		ok $t
	else
		fail $t "no good session after the TSM came back: $(daemon_said)"
	fi
else
	fail $t "the TSM did not start again on port $PORT"
fi

t=daemon_sigterm_exits_0
kill -TERM "$daemon_pid"
i=0
while kill -0 "$daemon_pid" 2>/dev/null && [ $i -lt $((LIMIT * 10)) ]; do
	sleep 0.1
	i=$((i + 1))
done
if kill -0 "$daemon_pid" 2>/dev/null; then
	fail $t "still running $LIMIT s after SIGTERM: $(daemon_said)"
	kill -KILL "$daemon_pid"
else
	wait "$daemon_pid"
	rc=$?
	if [ $rc = 0 ] && grep -q "SIGTERM, exiting" "$tmp/daemon.err"; then
		ok $t
	else
		fail $t "exit status $rc: $(daemon_said)"
	fi
fi

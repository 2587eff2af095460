#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# secel selftests: secel-relay --daemon, the device's agent -- a session
# at start, on each secel uevent (an SE hot-plugged, unplugged,
# designated) and on the TSM's X-Secel-Poll interval; backoff while the
# TSM is down; SIGTERM ends it with 0.  secel-tsm keeps the device's SE
# list in its database (--db), installs the purse on a new eSE by rule
# and shows it all on GET /devices (curl); the last case runs the host
# root's systemd-udevd with the tree's 60-secel-relay.rules in /run;
# secel-vcard plays the SEs
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
daemon_session_on_unplug daemon_rule_installs_on_new_ese
daemon_devices_view_behind_token daemon_quiet_without_events
daemon_follows_tsm_poll_interval
daemon_backs_off_while_tsm_down daemon_resumes_when_tsm_is_back
daemon_sigterm_exits_0 daemon_session_through_udevd"

ktap_plan

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
		--tls-client-ca "$tmp/dev.crt" --db "$tmp/tsm.db" \
		--cards-token "$tmp/token" "$@" \
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
more_than_in() { [ "$(grep -c -- "$2" "$1")" -gt "$3" ]; }
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
# the eSEs: the TSM sees their CIN and runs scripts on them
printf 'allow any inquire\nallow any add,verify,delete,designate,clear kind=virtual name=D*\nallow any identify,script name=eSE*\n' \
	> "$tmp/permit.conf"
echo "daemon-test-token-$$" > "$tmp/token"
# the rule: a new SE named DB* is designated
bounded "$TSM" rule --db "$tmp/tsm.db" new kind=virtual 'name=DB*' designate \
	2> "$tmp/ce" || setup_failed "secel-tsm rule: $(cat "$tmp/ce")"
# and the purse goes on every new eSE
bounded "$TSM" rule --db "$tmp/tsm.db" new 'name=eSE*' install:purse \
	2> "$tmp/ce" || setup_failed "secel-tsm rule install: $(cat "$tmp/ce")"
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

t=daemon_rule_installs_on_new_ese
# an eSE and a virtual SE hot-plugged: the rule's install runs on the
# eSE in the daemon's session (X-Secel-Targeted-SE), the other gets nothing
installed() { devices | grep -q "^install rule=2 device=$DEV se=$1 service=purse state=$2"; }
start_vcard e --name eSE || setup_failed "the eSE did not start"
E=$NAME
start_vcard v --name DV || setup_failed "the card V did not start"
V=$NAME
if ! within "$LIMIT" installed "$E" ok; then
	fail $t "no install on $E within $LIMIT s: $(devices | tr '\n' '|') $(daemon_said) tsm: $(grep -i install "$tmp/tsm.log" | tail -n 4 | tr '\n' '|')"
elif ! bounded "$CTL" apdu "$E" 00A4040009A0000005534543010100 > "$tmp/sel" 2>&1 ||
     ! tr -d ' :\n' < "$tmp/sel" | grep -q '9000$'; then
	fail $t "installed, but SELECT of the purse on $E: $(cat "$tmp/sel")"
elif ! grep -q "script [0-9]* on SE $E" "$tmp/daemon.err"; then
	fail $t "the daemon did not aim scripts at $E: $(daemon_said)"
elif devices | grep -q "^install .* se=$V " ||
     bounded "$CTL" gp "$V" list 2>&1 | grep -q A00000055345430101; then
	fail $t "$V ($(cat /sys/class/secel/secel*/kind 2>/dev/null | tr '\n' ' ')) got an install: $(devices | grep install | tr '\n' '|')"
elif ! within "$LIMIT" lists "$V" listed; then
	fail $t "$V not in the TSM's list: $(devices | tr '\n' '|')"
else
	ok $t
fi

t=daemon_devices_view_behind_token
# the operator's view over HTTPS: the device needs its certificate there
# too (--tls-client-ca), the operator the bearer token
get() {
	curl -sS -o "$tmp/get" -w '%{http_code}' --max-time 60 \
		--cacert "$tmp/tsm.crt" --cert "$tmp/dev.crt" --key "$tmp/dev.key" \
		"$@" "${URL%/backstage}/devices" 2>> "$tmp/curl.err"
}
if ! command -v curl > /dev/null; then
	echo "ok $((num + 1)) $t # SKIP no curl"
	num=$((num + 1))
else
	c1=$(get)
	c2=$(get -H "Authorization: Bearer wrong")
	c3=$(get -H "Authorization: Bearer $(cat "$tmp/token")")
	if [ "$c1" != 401 ] || [ "$c2" != 403 ] || [ "$c3" != 200 ]; then
		fail $t "HTTP $c1 without a token, $c2 with another, $c3 with it: $(cat "$tmp/get" "$tmp/curl.err")"
	elif ! grep -q "\"identity\": \"$DEV\"" "$tmp/get" ||
	     ! grep -q "{\"name\": \"$E\", \"index\": [0-9]*, \"kind\": \"virtual\"" "$tmp/get" ||
	     ! grep -q "\"se\": \"$E\", \"service\": \"purse\", \"state\": \"ok\"" "$tmp/get" ||
	     ! grep -q '"op": "install:purse"' "$tmp/get"; then
		fail $t "GET /devices: $(cat "$tmp/get")"
	else
		ok $t
	fi
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

t=daemon_session_through_udevd
# The real systemd-udevd of the host root, the tree's rule in /run (a
# tmpfs here); no systemd as PID 1 in the guest, so the rule's
# SYSTEMD_WANTS cannot start the unit: a guest-only rule after it, on
# the devices the tree's rule matched, sends the daemon SIGHUP instead
# (what "systemctl reload secel-relay" does).  The daemon runs with
# --no-uevents: the session can only come through udev.
UDEVD=
for u in /lib/systemd/systemd-udevd /usr/lib/systemd/systemd-udevd; do
	[ -x "$u" ] && UDEVD=$u && break
done
if [ -z "$UDEVD" ] || ! command -v udevadm > /dev/null ||
   [ -e /run/udev/control ] || ! mkdir -p /run/udev/rules.d 2>/dev/null; then
	num=$((num + 1))
	echo "ok $num $t # SKIP no systemd-udevd, a udevd running already, or no writable /run"
	exit 0
fi
cp "$root/tools/relay/60-secel-relay.rules" /run/udev/rules.d/
printf '%s\n' "SUBSYSTEM==\"secel\", KERNEL==\"secel[0-9]*\", ACTION==\"add\", ENV{SYSTEMD_WANTS}==\"*secel-relay.service*\", RUN+=\"/bin/sh -c 'kill -HUP \$\$(cat $tmp/udev-daemon.pid)'\"" \
	> /run/udev/rules.d/61-secel-relay-guest.rules
"$UDEVD" > "$tmp/udevd.log" 2>&1 < /dev/null &
udevd_pid=$!
pids="$pids $udevd_pid"
"$RELAY" --daemon --no-uevents --retry 1 --retry-max 4 --timeout 20 \
	--cacert "$tmp/tsm.crt" --cert "$tmp/dev.crt" --key "$tmp/dev.key" \
	--policy "$tmp/permit.conf" "$URL" \
	> "$tmp/udev-daemon.out" 2> "$tmp/udev-daemon.err" < /dev/null &
udaemon_pid=$!
pids="$pids $udaemon_pid"
echo "$udaemon_pid" > "$tmp/udev-daemon.pid"
# the tree's rule on secelN: udevd's database has its systemd tag (its
# SYSTEMD_WANTS is not kept there; the guest rule matched on it when the
# SIGHUP session comes)
udev_applied() {
	udevadm info "/sys/class/secel/secel$1" > "$tmp/uinfo" 2>&1 &&
		grep -q "^E: TAGS=.*:systemd:" "$tmp/uinfo"
}
udev_said() { echo "daemon: $(tail -n 8 "$tmp/udev-daemon.err" | tr '\n' '|') udevd: $(tail -n 5 "$tmp/udevd.log" | tr '\n' '|')"; }
if ! within "$LIMIT" test -e /run/udev/control ||
   ! within "$LIMIT" grep -q "session (" "$tmp/udev-daemon.err"; then
	fail $t "udevd or the daemon did not start: $(udev_said)"
else
	n=$(grep -c "session (SIGHUP)" "$tmp/udev-daemon.err")
	start_vcard u --name DU || setup_failed "the card U did not start"
	U=$NAME u_idx=$IDX
	if ! within "$LIMIT" udev_applied "$u_idx"; then
		fail $t "udevd did not apply the tree's rule to secel$u_idx: $(tr '\n' '|' < "$tmp/uinfo") $(udev_said)"
	elif ! within "$LIMIT" more_than_in "$tmp/udev-daemon.err" "session (SIGHUP)" "$n"; then
		fail $t "no session through udev within $LIMIT s: $(udev_said)"
	elif ! within "$LIMIT" lists "$U" listed; then
		fail $t "$U not in the TSM's list: $(devices | tr '\n' '|') $(udev_said)"
	else
		ok $t
	fi
fi
kill "$udaemon_pid" "$udevd_pid" 2>/dev/null
wait "$udaemon_pid" "$udevd_pid" 2>/dev/null
rm -f /run/udev/rules.d/60-secel-relay.rules /run/udev/rules.d/61-secel-relay-guest.rules
exit 0

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# secel selftests: tools/vpcd/secel-vpcd end to end -- vsmartcard's vicc
# (Debian's vsmartcard-vpicc, a card nobody here wrote) and an independent
# vpcd-protocol card in Python (vpcd_peer.py) become secel SEs, reached
# with tools/secelctl.  KTAP on stdout.
#
# Debian 12's vicc does not start as installed: its module sits in
# /usr/lib/python3/site-packages/virtualsmartcard, off Debian python's path,
# and it imports 'Crypto', which Debian ships as 'Cryptodome'
# (python3-pycryptodome).  start_vicc puts both on PYTHONPATH (the second
# through a symlink in $tmp) and runs it with /usr/bin/python3; the vicc
# tests are skipped, with the reason, when it still cannot start.
#
# Environment: SECEL_VPCD, SECELCTL, VICC override the tool paths.

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
VPCD=${SECEL_VPCD:-$root/tools/vpcd/secel-vpcd}
CTL=${SECELCTL:-$root/tools/secelctl/secelctl}
VICC=${VICC:-/usr/bin/vicc}
PY=/usr/bin/python3
PEER="$PY $here/vpcd_peer.py"
VICC_ATR=3b951381018073ff01000b

. "$here/secel_lib.sh"
secel_tmp secel-vpcd

TESTS="vpcd_bad_option_fails vpcd_listens_on_free_port
pycard_plugged_with_its_atr pycard_powered_on_before_atr
pycard_apdu_round_trip pycard_split_frames_reassembled
pycard_long_response pycard_reset_reaches_card
vicc_listed_and_verified vicc_atr_is_viccs vicc_select_mf_answers
vicc_verify_pin_answers vicc_get_challenge_answers vicc_read_binary_answers
two_vicc_cards_at_once vicc_kill_unplugs_with_uevent
malformed_bad_length_dropped malformed_short_atr_dropped
malformed_garbage_dropped malformed_unasked_data_unplugs
silent_card_times_out log_sinks_timestamps_journal_syslog
daemon_survives_malformed_peers
kind_option_names_se sigterm_unplugs_all"

ktap_plan

bounded() { timeout -k 2 30 "$@"; }
norm() { tr -d ' :\n\r\t' | tr 'a-f' 'A-F'; }
sysfs() { cat "/sys/class/secel/secel$1/$2" 2>/dev/null; }
state_is() { [ "$(sysfs "$1" state)" = "$2" ]; }
gone() { [ ! -e "/sys/class/secel/secel$1" ]; }
listed_by_ctl() { bounded "$CTL" list 2>/dev/null | grep -qw "$1"; }

# start_vpcd TAG ARGS...: secel-vpcd on a free port; sets VPID, PORT
start_vpcd() {
	tag=$1; shift
	"$VPCD" --port 0 "$@" > "$tmp/$tag.out" 2> "$tmp/$tag.err" < /dev/null &
	VPID=$!
	pids="$pids $VPID"
	wait_for grep -q '^listening on ' "$tmp/$tag.out" || {
		echo "# secel-vpcd $*: no 'listening on' line: $(cat "$tmp/$tag.err")"
		return 1
	}
	PORT=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$tmp/$tag.out" | head -n 1)
}

# plugged TAG N: the Nth 'plugged' line of daemon TAG -> IDX, NAME, PLUG
plug_count_ge() { [ "$(grep -c ' plugged, ATR ' "$tmp/$1.out")" -ge "$2" ]; }
plugged() {
	WAIT_TENTHS=${3:-300} wait_for plug_count_ge "$1" "$2" || return 1
	PLUG=$(grep ' plugged, ATR ' "$tmp/$1.out" | sed -n "$2p")
	set -- $PLUG
	IDX=${2#secel}
	NAME=$3
}

# apdu_is SE HEX REGEX: secelctl apdu SE HEX answers what REGEX matches
apdu_is() {
	bounded "$CTL" apdu "$1" "$2" > "$tmp/apdu.out" 2> "$tmp/apdu.err"
	rc=$?
	got=$(norm < "$tmp/apdu.out")
	if [ $rc != 0 ]; then
		echo "secelctl apdu $1 $2: exit $rc: $(cat "$tmp/apdu.err")"
		return 1
	fi
	if ! printf '%s\n' "$got" | grep -Eq "^($3)\$"; then
		echo "secelctl apdu $1 $2: '$got', wanted $3"
		return 1
	fi
}

# ---- vicc, helped to start ----
vicc_env=""
vicc_why=""
probe_vicc() {
	[ -x "$VICC" ] || { vicc_why="$VICC not installed (vsmartcard-vpicc)"; return 1; }
	pp=""
	for d in /usr/lib/python3/site-packages/virtualsmartcard \
		 /usr/lib/python3/dist-packages; do
		[ -d "$d/virtualsmartcard" ] && pp="$pp${pp:+:}$d"
	done
	if ! PYTHONPATH=$pp $PY -c 'import Crypto' 2>/dev/null; then
		cd_dir=$(PYTHONPATH=$pp $PY -c 'import Cryptodome, os; print(os.path.dirname(Cryptodome.__file__))' 2>/dev/null)
		if [ -n "$cd_dir" ]; then
			mkdir -p "$tmp/pyshim"
			ln -sfn "$cd_dir" "$tmp/pyshim/Crypto"
			pp="$pp${pp:+:}$tmp/pyshim"
		fi
	fi
	if ! PYTHONPATH=$pp $PY -c 'from virtualsmartcard.VirtualSmartcard import VirtualICC' \
		2> "$tmp/vicc-probe.err"; then
		vicc_why="vicc does not start: $(tail -n 1 "$tmp/vicc-probe.err")"
		return 1
	fi
	vicc_env=$pp
}
have_vicc=0
probe_vicc && have_vicc=1

# start_vicc TAG: vicc's ISO 7816 card connecting to $PORT; sets CPID
start_vicc() {
	PYTHONPATH=$vicc_env $PY "$VICC" -t iso7816 -H 127.0.0.1 -P "$PORT" \
		> "$tmp/$1.vicc" 2>&1 < /dev/null &
	CPID=$!
	pids="$pids $CPID"
}

have_vpcd=0
[ -x "$VPCD" ] && [ -x "$CTL" ] && [ -e /dev/secel-vse ] && have_vpcd=1

# ---- the daemon ----

t=vpcd_bad_option_fails
if [ ! -x "$VPCD" ]; then
	skip $t "$VPCD not built"
else
	bounded "$VPCD" --port 70000 > "$tmp/bad.out" 2> "$tmp/bad.err" < /dev/null
	rc=$?
	if [ $rc != 2 ]; then
		fail $t "--port 70000: exit status $rc, wanted 2"
	elif ! grep -q -- '--port' "$tmp/bad.err"; then
		fail $t "--port 70000: the message does not name the option: $(cat "$tmp/bad.err")"
	else
		ok $t
	fi
fi

t=vpcd_listens_on_free_port
if [ $have_vpcd = 0 ]; then
	skip $t "secel-vpcd, secelctl or /dev/secel-vse missing"
elif ! start_vpcd main; then
	fail $t "secel-vpcd did not start"
	have_vpcd=0
elif [ -z "$PORT" ] || [ "$PORT" = 0 ]; then
	fail $t "no port in '$(head -n 1 "$tmp/main.out")'"
	have_vpcd=0
else
	MAIN_PID=$VPID MAIN_PORT=$PORT
	ok $t
fi

# ---- the Python card: the framing pinned independently ----

PY_IDX=""
t=pycard_plugged_with_its_atr
if [ $have_vpcd = 0 ]; then
	skip $t "no secel-vpcd"
else
	$PEER card "$MAIN_PORT" "$tmp/py.log" --atr 3b021450 > "$tmp/py.out" 2>&1 &
	PY_PID=$!
	pids="$pids $PY_PID"
	if ! plugged main 1; then
		fail $t "no 'plugged' line: $(cat "$tmp/main.out" "$tmp/main.err" "$tmp/py.out")"
	else
		PY_IDX=$IDX PY_NAME=$NAME
		if [ "$(sysfs "$IDX" atr)" != 3b021450 ]; then
			fail $t "sysfs atr '$(sysfs "$IDX" atr)', wanted 3b021450"
		elif [ "$(sysfs "$IDX" kind)/$(sysfs "$IDX" transport)" != virtual/vse ]; then
			fail $t "kind/transport '$(sysfs "$IDX" kind)/$(sysfs "$IDX" transport)'"
		elif ! echo "$PLUG" | grep -q "^127.0.0.1:[0-9]*: secel$IDX $NAME plugged, ATR 3B021450\$"; then
			fail $t "plugged line '$PLUG' does not name the peer, SE and ATR"
		else
			ok $t
		fi
	fi
fi

t=pycard_powered_on_before_atr
if [ -z "$PY_IDX" ]; then
	skip $t "no Python card"
elif [ "$(sed -n '2,3p' "$tmp/py.log" | tr '\n' ' ')" != "ctrl 01 ctrl 04 " ]; then
	fail $t "the card got '$(head -n 3 "$tmp/py.log" | tr '\n' ' ')', wanted power on (01) then GET ATR (04)"
else
	ok $t
fi

t=pycard_apdu_round_trip
if [ -z "$PY_IDX" ]; then
	skip $t "no Python card"
elif ! WAIT_TENTHS=100 wait_for state_is "$PY_IDX" listed; then
	fail $t "state '$(sysfs "$PY_IDX" state)', not listed"
elif ! msg=$(apdu_is "$PY_NAME" 8010000003A1B2C3 A1B2C39000); then
	fail $t "$msg"
elif ! grep -q '^apdu 8010000003a1b2c3$' "$tmp/py.log"; then
	fail $t "the card did not get the APDU as sent: $(grep apdu "$tmp/py.log" | tail -n 3)"
else
	ok $t
fi

t=pycard_split_frames_reassembled
if [ $have_vpcd = 0 ]; then
	skip $t "no secel-vpcd"
else
	$PEER card "$MAIN_PORT" "$tmp/split.log" --atr 3b021451 --split > /dev/null 2>&1 &
	SPLIT_PID=$!
	pids="$pids $SPLIT_PID"
	if ! plugged main 2; then
		fail $t "the byte-at-a-time card was not plugged: $(tail -n 3 "$tmp/main.err")"
	elif [ "$(sysfs "$IDX" atr)" != 3b021451 ]; then
		fail $t "sysfs atr '$(sysfs "$IDX" atr)'"
	elif ! msg=$(apdu_is "$NAME" 80100000020102 01029000); then
		fail $t "$msg"
	else
		ok $t
	fi
	kill "$SPLIT_PID" 2>/dev/null
fi

t=pycard_long_response
if [ -z "$PY_IDX" ]; then
	skip $t "no Python card"
else
	want=$(printf 'A5%.0s' $(seq 255))9000
	if ! msg=$(apdu_is "$PY_NAME" 80120000FF "$want"); then
		fail $t "$msg"
	else
		ok $t
	fi
fi

t=pycard_reset_reaches_card
if [ -z "$PY_IDX" ]; then
	skip $t "no Python card"
else
	: > "$tmp/py.mark"
	before=$(wc -l < "$tmp/py.log")
	if ! bounded "$CTL" reset "$PY_NAME" --warm > "$tmp/reset.out" 2>&1; then
		fail $t "secelctl reset --warm: $(cat "$tmp/reset.out")"
	else
		sleep 0.3
		got=$(tail -n +$((before + 1)) "$tmp/py.log" | tr '\n' ' ')
		before=$(wc -l < "$tmp/py.log")
		if ! echo "$got" | grep -q 'ctrl 02 ctrl 04'; then
			fail $t "warm reset: the card got '$got', wanted reset (02) then GET ATR (04)"
		elif ! bounded "$CTL" reset "$PY_NAME" > "$tmp/reset.out" 2>&1; then
			fail $t "secelctl reset: $(cat "$tmp/reset.out")"
		else
			sleep 0.3
			got=$(tail -n +$((before + 1)) "$tmp/py.log" | tr '\n' ' ')
			if ! echo "$got" | grep -q 'ctrl 00 ctrl 01 ctrl 04'; then
				fail $t "cold reset: the card got '$got', wanted off, on, GET ATR (00 01 04)"
			else
				ok $t
			fi
		fi
	fi
fi

# ---- vicc's ISO 7816 card ----

VI_IDX=""
t=vicc_listed_and_verified
if [ $have_vpcd = 0 ]; then
	skip $t "no secel-vpcd"
elif [ $have_vicc = 0 ]; then
	skip $t "$vicc_why"
else
	n=$(grep -c ' plugged, ATR ' "$tmp/main.out")
	start_vicc v1
	VI_PID=$CPID
	if ! plugged main $((n + 1)); then
		fail $t "vicc was not plugged: $(tail -n 5 "$tmp/v1.vicc" "$tmp/main.err")"
	elif ! WAIT_TENTHS=300 wait_for state_is "$IDX" listed; then
		fail $t "state '$(sysfs "$IDX" state)', not listed"
	elif ! listed_by_ctl "$NAME"; then
		fail $t "secelctl list does not show $NAME: $("$CTL" list 2>&1)"
	else
		VI_IDX=$IDX VI_NAME=$NAME
		ok $t
	fi
fi

t=vicc_atr_is_viccs
if [ -z "$VI_IDX" ]; then
	skip $t "no vicc SE"
elif [ "$(sysfs "$VI_IDX" atr)" != $VICC_ATR ]; then
	fail $t "sysfs atr '$(sysfs "$VI_IDX" atr)', vicc's is $VICC_ATR"
else
	ok $t
fi

# vicc's iso7816 card: an empty MF and a PIN 1234 (CardGenerator.py)
t=vicc_select_mf_answers
if [ -z "$VI_IDX" ]; then
	skip $t "no vicc SE"
elif ! msg=$(apdu_is "$VI_NAME" 00A4000C023F00 9000); then
	fail $t "$msg"
else
	ok $t
fi

t=vicc_verify_pin_answers
if [ -z "$VI_IDX" ]; then
	skip $t "no vicc SE"
elif ! msg=$(apdu_is "$VI_NAME" 002000010431323334 9000); then
	fail $t "right PIN: $msg"
elif ! msg=$(apdu_is "$VI_NAME" 002000010439393939 '63..'); then
	fail $t "wrong PIN: $msg"
else
	ok $t
fi

t=vicc_get_challenge_answers
if [ -z "$VI_IDX" ]; then
	skip $t "no vicc SE"
elif ! msg=$(apdu_is "$VI_NAME" 0084000008 '[0-9A-F]{16}9000'); then
	fail $t "$msg"
else
	c1=$got
	apdu_is "$VI_NAME" 0084000008 '[0-9A-F]{16}9000' > /dev/null
	if [ "$got" = "$c1" ]; then
		fail $t "two challenges alike: $got"
	else
		ok $t
	fi
fi

t=vicc_read_binary_answers
if [ -z "$VI_IDX" ]; then
	skip $t "no vicc SE"
elif ! msg=$(apdu_is "$VI_NAME" 00B0000000 6986); then
	fail $t "READ BINARY with the MF (a DF) selected: $msg"
else
	ok $t
fi

t=two_vicc_cards_at_once
if [ -z "$VI_IDX" ]; then
	skip $t "no vicc SE"
else
	n=$(grep -c ' plugged, ATR ' "$tmp/main.out")
	start_vicc v2
	V2_PID=$CPID
	if ! plugged main $((n + 1)); then
		fail $t "the second vicc was not plugged: $(tail -n 5 "$tmp/v2.vicc")"
	elif [ "$NAME" = "$VI_NAME" ]; then
		fail $t "both named $NAME"
	elif ! WAIT_TENTHS=300 wait_for state_is "$IDX" listed; then
		fail $t "second: state '$(sysfs "$IDX" state)'"
	elif ! msg=$(apdu_is "$NAME" 00A4000C023F00 9000); then
		fail $t "second: $msg"
	elif ! msg=$(apdu_is "$VI_NAME" 00A4000C023F00 9000); then
		fail $t "first, with the second there: $msg"
	elif ! listed_by_ctl "$VI_NAME" || ! listed_by_ctl "$NAME"; then
		fail $t "secelctl list does not show both: $("$CTL" list 2>&1)"
	else
		ok $t
	fi
	V2_IDX=$IDX
fi

t=vicc_kill_unplugs_with_uevent
if [ -z "$VI_IDX" ]; then
	skip $t "no vicc SE"
else
	$PEER uevents 20 > "$tmp/uev.out" 2>&1 &
	UEV_PID=$!
	pids="$pids $UEV_PID"
	WAIT_TENTHS=600 wait_for grep -q ready "$tmp/uev.out"
	kill -9 "$VI_PID"
	if ! WAIT_TENTHS=100 wait_for gone "$VI_IDX"; then
		fail $t "secel$VI_IDX still there after vicc was killed"
	elif ! WAIT_TENTHS=50 wait_for grep -q "^remove $VI_NAME\$" "$tmp/uev.out"; then
		fail $t "no remove uevent for $VI_NAME: $(cat "$tmp/uev.out")"
	elif listed_by_ctl "$VI_NAME"; then
		fail $t "secelctl list still shows $VI_NAME"
	elif ! grep -q "secel$VI_IDX $VI_NAME unplugged: the card closed the connection" "$tmp/main.out"; then
		fail $t "no 'unplugged' line: $(tail -n 3 "$tmp/main.out")"
	else
		ok $t
	fi
	kill "$UEV_PID" 2>/dev/null
fi

# ---- broken peers ----

# malformed MODE REGEX: a raw peer in MODE is closed with an error line
malformed() {
	lines=$(wc -l < "$tmp/main.err")
	res=$(bounded $PEER raw "$MAIN_PORT" "$1" 2>&1)
	if [ "$res" != closed ]; then
		echo "the $1 peer's connection: '$res', wanted closed"
		return 1
	fi
	WAIT_TENTHS=30 wait_for sh -c "tail -n +$((lines + 1)) '$tmp/main.err' | grep -Eq '$2'" || {
		echo "no error line matching '$2': $(tail -n +$((lines + 1)) "$tmp/main.err")"
		return 1
	}
}

for m in "malformed_bad_length_dropped badlen ^secel-vpcd: 127\.0\.0\.1:[0-9]+: protocol error: bad length 65535 for an ATR \(2-33 bytes\); dropped\$" \
	 "malformed_short_atr_dropped short-atr ^secel-vpcd: 127\.0\.0\.1:[0-9]+: protocol error: bad length 1 for an ATR" \
	 "malformed_garbage_dropped garbage ^secel-vpcd: 127\.0\.0\.1:[0-9]+: protocol error: bad length [0-9]+ for an ATR"; do
	t=${m%% *}; r=${m#* }; mode=${r%% *}; re=${r#* }
	# the debug lane: one malformed peer (the daemon's parser, userspace)
	[ $t != malformed_bad_length_dropped ] && lane_short $t && continue
	if [ $have_vpcd = 0 ]; then
		skip $t "no secel-vpcd"
	elif ! msg=$(malformed "$mode" "$re"); then
		fail $t "$msg"
	else
		ok $t
	fi
done

t=malformed_unasked_data_unplugs
if [ $have_vpcd = 0 ]; then
	skip $t "no secel-vpcd"
else
	n=$(grep -c ' plugged, ATR ' "$tmp/main.out")
	if ! msg=$(malformed unasked '^secel-vpcd: 127\.0\.0\.1:[0-9]+ \(secel[0-9]+ [A-Za-z]+[0-9]+\): protocol error: 4 bytes unasked for; unplugged$'); then
		fail $t "$msg"
	elif ! plugged main $((n + 1)) 10; then
		fail $t "its SE was never plugged"
	elif ! WAIT_TENTHS=50 wait_for gone "$IDX"; then
		fail $t "secel$IDX still there"
	else
		ok $t
	fi
fi

t=silent_card_times_out
if [ $have_vpcd = 0 ]; then
	skip $t "no secel-vpcd"
elif ! start_vpcd quick --timeout 1; then
	fail $t "secel-vpcd --timeout 1 did not start"
else
	QUICK_PID=$VPID
	res=$(bounded $PEER raw "$PORT" silent 2>&1)
	if [ "$res" != closed ]; then
		fail $t "the silent peer's connection: '$res'"
	elif ! grep -Eq '^secel-vpcd: 127\.0\.0\.1:[0-9]+: no ATR in 1 s; dropped$' "$tmp/quick.err"; then
		fail $t "no timeout line: $(cat "$tmp/quick.err")"
	else
		ok $t
	fi
fi

# Where the daemon logs (tools/common/daemonlog.c): --timestamps on
# stderr, the journal's priority prefixes when stderr is the stream that
# JOURNAL_STREAM names, and syslog(3) through /dev/log with --syslog.
# One silent peer each: its "no ATR" warning is the line looked for.
log_line() { # TAG RE: a silent peer, then a line of FILE matching RE
	res=$(bounded $PEER raw "$PORT" silent 2>&1)
	[ "$res" = closed ] || { echo "$1: the silent peer's connection: '$res'"; return 1; }
	WAIT_TENTHS=30 wait_for grep -Eq "$2" "$3" ||
		{ echo "$1: no line matching '$2' in: $(cat "$3")"; return 1; }
}
t=log_sinks_timestamps_journal_syslog
if [ $have_vpcd = 0 ]; then
	skip $t "no secel-vpcd"
elif [ -e /dev/log ]; then
	skip $t "/dev/log exists: the test puts its own syslog socket there"
else
	msg=
	W='127\.0\.0\.1:[0-9]+: no ATR in 1 s; dropped$'
	if ! start_vpcd stamped --timeout 1 --timestamps; then
		msg="--timestamps: did not start"
	else
		out=$(log_line --timestamps "^20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]\.[0-9]{3}Z secel-vpcd: $W" "$tmp/stamped.err") ||
			msg=$out
		kill "$VPID"; wait "$VPID" 2>/dev/null
	fi
	: > "$tmp/journal.err"
	js=$(stat -c '%d:%i' "$tmp/journal.err")
	if [ -z "$msg" ]; then
		if ! JOURNAL_STREAM=$js start_vpcd journal --timeout 1; then
			msg="JOURNAL_STREAM: did not start"
		else
			# LOG_WARNING is 4; journald reads the prefix, stamps the time
			out=$(log_line "JOURNAL_STREAM=$js" "^<4>secel-vpcd: $W" "$tmp/journal.err") ||
				msg=$out
			kill "$VPID"; wait "$VPID" 2>/dev/null
		fi
	fi
	if [ -z "$msg" ]; then
		python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
open(sys.argv[1], "w").close()
with open(sys.argv[2], "ab", buffering=0) as f:
    while True:
        f.write(s.recv(4096) + b"\n")
' "$tmp/syslog.ready" "$tmp/syslog.txt" &
		SLPID=$!
		if ! wait_for test -e "$tmp/syslog.ready"; then
			msg="could not bind /dev/log"
		elif ! start_vpcd syslog --timeout 1 --syslog; then
			msg="--syslog: did not start"
		else
			# facility daemon (3 << 3) + warning (4) = <28>; then the
			# time stamp, the tag and the PID that syslog(3) adds
			out=$(log_line --syslog "^<28>[A-Z][a-z]{2} [ 0-9]{2} [0-9:]{8} secel-vpcd\\[$VPID\\]: $W" "$tmp/syslog.txt") ||
				msg="$out (stderr: $(cat "$tmp/syslog.err"))"
			[ -z "$msg" ] && [ -s "$tmp/syslog.err" ] &&
				msg="--syslog: stderr not empty: $(cat "$tmp/syslog.err")"
			kill "$VPID"; wait "$VPID" 2>/dev/null
		fi
		kill "$SLPID" 2>/dev/null; wait "$SLPID" 2>/dev/null
		rm -f /dev/log
	fi
	if [ -n "$msg" ]; then fail $t "$msg"; else ok $t; fi
fi

t=daemon_survives_malformed_peers
if [ $have_vpcd = 0 ]; then
	skip $t "no secel-vpcd"
elif ! kill -0 "$MAIN_PID" 2>/dev/null; then
	fail $t "secel-vpcd exited: $(tail -n 3 "$tmp/main.err")"
elif [ -n "$PY_IDX" ] && ! msg=$(apdu_is "$PY_NAME" 8010000001EE EE9000); then
	fail $t "the Python card, plugged before: $msg"
else
	n=$(grep -c ' plugged, ATR ' "$tmp/main.out")
	$PEER card "$MAIN_PORT" "$tmp/after.log" --atr 3b021452 > /dev/null 2>&1 &
	pids="$pids $!"
	if ! plugged main $((n + 1)); then
		fail $t "a new card after the broken ones was not plugged"
	elif ! WAIT_TENTHS=100 wait_for state_is "$IDX" listed ||
	     ! msg=$(apdu_is "$NAME" 8010000001EE EE9000); then
		fail $t "a new card after the broken ones: ${msg:-state $(sysfs "$IDX" state)}"
	else
		ok $t
	fi
fi

t=kind_option_names_se
if [ $have_vpcd = 0 ] || [ -z "$QUICK_PID" ]; then
	skip $t "no secel-vpcd"
else
	kill "$QUICK_PID"; wait "$QUICK_PID" 2>/dev/null
	if ! start_vpcd kind --kind eSE; then
		fail $t "secel-vpcd --kind eSE did not start"
	else
		KIND_PID=$VPID
		$PEER card "$PORT" "$tmp/kind.log" > /dev/null 2>&1 &
		pids="$pids $!"
		if ! plugged kind 1; then
			fail $t "no card plugged: $(cat "$tmp/kind.err")"
		elif [ "${NAME#eSE}" = "$NAME" ] || [ "$(sysfs "$IDX" name)" != "$NAME" ]; then
			fail $t "name '$NAME' (sysfs '$(sysfs "$IDX" name)'), wanted eSE<n>"
		else
			ok $t
		fi
		kill "$KIND_PID"; wait "$KIND_PID" 2>/dev/null
	fi
fi

t=sigterm_unplugs_all
if [ $have_vpcd = 0 ]; then
	skip $t "no secel-vpcd"
else
	# the SEs still plugged, by connection (indexes are reused)
	left=""
	grep ' plugged, ATR ' "$tmp/main.out" > "$tmp/plugged"
	while read -r peer dev name rest; do
		grep -q "^$peer $dev $name unplugged" "$tmp/main.out" ||
			left="$left ${dev#secel}"
	done < "$tmp/plugged"
	kill "$MAIN_PID"
	wait "$MAIN_PID"
	rc=$?
	still=""
	for i in $left; do
		WAIT_TENTHS=50 wait_for gone "$i" || still="$still secel$i"
	done
	if [ -z "$left" ]; then
		fail $t "no card was plugged when SIGTERM came"
	elif [ $rc != 0 ]; then
		fail $t "exit status $rc after SIGTERM"
	elif [ -n "$still" ]; then
		fail $t "still there:$still"
	elif [ "$(grep -c 'unplugged: secel-vpcd is stopping' "$tmp/main.out")" != "$(echo $left | wc -w)" ]; then
		fail $t "not every card reported unplugged: $(tail -n 5 "$tmp/main.out")"
	else
		ok $t
	fi
fi

echo "# Totals: $((num - failed)) ok, $failed not ok"
[ $failed = 0 ]

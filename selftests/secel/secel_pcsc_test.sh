#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# secel selftests: secel SEs as PC/SC readers -- Debian's pcscd with
# tools/pcsc/libifdsecel.so, reader.conf written by secel-pcsc-sync (what
# the udev rule runs), and real PC/SC clients: pcsc_scan, opensc-tool,
# pyscard.  KTAP on stdout.
#
# The last three cases reach SEs nobody here wrote or a host that shares
# no code with secel: the CCID converter's SE when the guest has QEMU's
# usb-ccid reader (tools/testing/ccid-nssdb), Debian's vicc plugged through
# secel-vpcd (secel both ways at once), and scp03_ref.py's GlobalPlatform
# checks over pyscard.
#
# Environment: SECEL_VCARD, SECELCTL, SECEL_VPCD, VICC override the tool
# paths.

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
VCARD=${SECEL_VCARD:-$root/tools/secel-vcard/secel-vcard}
CTL=${SECELCTL:-$root/tools/secelctl/secelctl}
LIB=$root/tools/pcsc/libifdsecel.so
SYNC=$root/tools/pcsc/secel-pcsc-sync
CLIENT=$here/pcsc_client.py
REF=$here/scp03_ref.py
VPCD=${SECEL_VPCD:-$root/tools/vpcd/secel-vpcd}
VICC=${VICC:-/usr/bin/vicc}
PY=/usr/bin/python3
ISD=A000000151000000

. "$here/secel_lib.sh"
secel_tmp secel-pcsc

TESTS="pcsc_reader_named_after_se pcsc_scan_lists_reader opensc_lists_reader
opensc_atr_is_the_se_atr opensc_apdu_selects_isd pyscard_select_get_data
pcsc_access_rules_respected
pcsc_extended_apdu pcsc_designated_reader pcsc_channels_isolated
pcsc_channels_freed_when_client_ends pcsc_reconnect_resets
pcsc_new_card_seen pcsc_unplug_seen_by_pcsc_scan
pcsc_unplug_seen_by_pyscard pcsc_deleted_se_card_absent
pcsc_prune_removes_reader pcsc_ccid_se_reader pcsc_vicc_both_ways
pcsc_independent_gp_host pcsc_gp_host_on_chosen_channel"

ktap_plan

bounded() { timeout -k 2 60 "$@"; }
has() { grep -q -- "$1" "$tmp/o"; }

if [ ! -x "$VCARD" ] || [ ! -x "$CTL" ] || [ ! -f "$LIB" ]; then
	skip_all "secel-vcard, secelctl or libifdsecel.so not built"
fi
for c in pcscd pcsc_scan opensc-tool; do
	command -v $c > /dev/null ||
		skip_all "$c missing (tools/testing/install-deps smartcard)"
done
"$PY" -c 'import smartcard' 2> /dev/null ||
	skip_all "python3-pyscard missing (tools/testing/install-deps smartcard)"
[ -d /run/systemd/system ] &&
	skip_all "runs its own pcscd: for the test guest, not a systemd host"

CONF_DIR=$tmp/reader.conf.d
mkdir -p "$CONF_DIR" /run/pcscd
CONF=$CONF_DIR/secel
sync_readers() { "$SYNC" --conf "$CONF" --lib "$LIB" "$@"; }

# pcscd in the foreground under a loop that starts it again when
# secel-pcsc-sync stops it (SIGTERM to /run/pcscd/pcscd.pid, its default
# without systemd): what socket activation does on a host
supervise_pcscd() {
	while [ ! -e "$tmp/stop" ]; do
		SECEL_IFD_STDERR=1 pcscd -f -c "$CONF_DIR" \
			>> "$tmp/pcscd.log" 2>&1 &
		echo $! > "$tmp/pcscd.pid"
		wait $!
		sleep 0.05
	done
}
stop_pcscd() {
	touch "$tmp/stop"
	[ -s "$tmp/pcscd.pid" ] && kill "$(cat "$tmp/pcscd.pid")" 2>/dev/null
	[ -n "${SUP:-}" ] && wait "$SUP" 2>/dev/null
}
trap 'stop_pcscd; secel_cleanup' EXIT

# readers: one line per reader; fails when pcscd does not answer
readers() { timeout -k 1 10 "$PY" "$CLIENT" readers 2>&1; }
reader_there() { readers | grep -q "^secel $1 "; }
reader_gone() { readers > "$tmp/r" && ! grep -q "^secel $1 " "$tmp/r"; }
# the PC/SC name: "secel NAME 0N 00"
full() { readers | grep "^secel $1 " | head -n 1; }
# full NAME, asked up to 5 times: one pyscard start can outlast readers'
# 10 s on the debug kernel under load, and an empty name must never
# reach opensc-tool -r, which then takes the first reader with a card
full_wait() {
	local i=0 f
	while [ $i -lt 5 ]; do
		f=$(full "$1")
		[ -n "$f" ] && { echo "$f"; return 0; }
		i=$((i + 1))
	done
	return 1
}

if ! start_vcard a --name eSE --extended --channels 3; then
	skip_all "the first card did not start"
fi
A_IDX=$IDX A=$NAME

sync_readers	# no pcscd yet: writes the file it reads at start
supervise_pcscd &
SUP=$!

t=pcsc_reader_named_after_se
if ! grep -q "FRIENDLYNAME \"secel $A\"" "$CONF" 2>/dev/null; then
	fail $t "secel-pcsc-sync wrote no reader for $A: $(cat "$CONF")"
elif ! WAIT_TENTHS=300 wait_for reader_there "$A"; then
	fail $t "no reader 'secel $A' in: $(readers); pcscd: $(tail -n 5 "$tmp/pcscd.log")"
else
	ok $t
fi
RA="secel $A"	# pcsc_client.py takes the name without its numbers

t=pcsc_scan_lists_reader
timeout -k 1 30 pcsc_scan -n -t 2 > "$tmp/o" 2>&1
if ! has "$RA" || ! has "Card state: Card inserted"; then
	fail $t "$(head -n 20 "$tmp/o")"
else
	ok $t
fi

t=opensc_lists_reader
bounded opensc-tool -l > "$tmp/o" 2>&1
if ! has "$RA"; then
	fail $t "$(cat "$tmp/o")"
else
	ok $t
fi

t=opensc_atr_is_the_se_atr
FA=$(full_wait "$A")
[ -n "$FA" ] && bounded opensc-tool -r "$FA" -a > "$tmp/o" 2>&1
want=$(tr -d ' :\n' < /sys/class/secel/secel"$A_IDX"/atr | tr a-f A-F)
got=$(tr -d ' :\n' < "$tmp/o" | tr a-f A-F)
if [ -z "$FA" ]; then
	fail $t "no PC/SC reader named 'secel $A ...' in 5 tries: $(readers | tr '\n' '/')"
elif [ -z "$want" ] || [ "$got" != "$want" ]; then
	fail $t "opensc-tool -a: '$got', sysfs atr: '$want'"
else
	ok $t
fi

t=opensc_apdu_selects_isd
: > "$tmp/o"
[ -n "$FA" ] && bounded opensc-tool -r "$FA" -s 00A4040008${ISD}00 > "$tmp/o" 2>&1
if [ -z "$FA" ]; then
	fail $t "no PC/SC reader named 'secel $A ...' (see opensc_atr_is_the_se_atr)"
elif ! has "SW1=0x90, SW2=0x00"; then
	fail $t "$(cat "$tmp/o")"
else
	ok $t
fi

t=pyscard_select_get_data
bounded "$PY" "$CLIENT" apdu "$RA" 00A4040008${ISD}00 00CA9F7F00 \
	> "$tmp/o" 2>&1
# CPLC: tag 9F7F, 42 bytes, then 9000
if [ "$(sed -n 1p "$tmp/o" | cut -d' ' -f2)" != 9000 ] ||
   ! sed -n 2p "$tmp/o" | grep -q '^9F7F2A.* 9000$'; then
	fail $t "$(cat "$tmp/o")"
else
	ok $t
fi

# The bridge goes through /dev/secelN: the kernel's access rules bind it
# (as pcscd's uid), and a refusal reaches the client as 6982, not as a
# broken reader; the rules gone, the same APDU goes through
t=pcsc_access_rules_respected
if [ ! -x "$CTL" ]; then
	skip $t "$CTL not built"
elif ! "$CTL" acl set "se=$A aid=$ISD deny" 'default allow' > "$tmp/acl" 2>&1; then
	fail $t "secelctl acl set: $(cat "$tmp/acl")"
else
	bounded "$PY" "$CLIENT" apdu "$RA" 00A4040008${ISD}00 > "$tmp/o" 2>&1
	sw1=$(sed -n 1p "$tmp/o" | cut -d' ' -f2)
	bounded "$PY" "$CLIENT" apdu "$RA" 00A4040007F0534543454C0100 \
		> "$tmp/o2" 2>&1
	sw2=$(sed -n 1p "$tmp/o2" | cut -d' ' -f2)
	"$CTL" acl clear > "$tmp/acl" 2>&1
	bounded "$PY" "$CLIENT" apdu "$RA" 00A4040008${ISD}00 > "$tmp/o3" 2>&1
	sw3=$(sed -n 1p "$tmp/o3" | cut -d' ' -f2)
	if [ "$sw1" != 6982 ]; then
		fail $t "SELECT of the ISD under a deny: $(cat "$tmp/o")"
	elif [ "$sw2" = 6982 ] || [ -z "$sw2" ]; then
		fail $t "SELECT of another applet refused too: $(cat "$tmp/o2")"
	elif [ "$sw3" != 9000 ]; then
		fail $t "SELECT of the ISD after acl clear: $(cat "$tmp/o3" "$tmp/acl")"
	else
		ok $t
	fi
fi

t=pcsc_extended_apdu
# SELECT with extended Lc and Le: 00 A4 04 00 00 0008 AID 0000
bounded "$PY" "$CLIENT" apdu "$RA" 00A40400000008${ISD}0000 > "$tmp/o" 2>&1
if ! grep -q ' 9000$' "$tmp/o"; then
	fail $t "$(cat "$tmp/o")"
else
	ok $t
fi

t=pcsc_designated_reader
if ! bounded "$CTL" designate "$A" > "$tmp/o" 2>&1; then
	fail $t "secelctl designate: $(cat "$tmp/o")"
else
	sync_readers
	if ! WAIT_TENTHS=300 wait_for reader_there designated; then
		fail $t "no 'secel designated' reader: $(readers)"
	else
		bounded opensc-tool -r "$(full designated)" -a > "$tmp/o" 2>&1
		got=$(tr -d ' :\n' < "$tmp/o" | tr a-f A-F)
		if [ "$got" != "$want" ]; then
			fail $t "designated reader's ATR '$got', $A's '$want'"
		else
			ok $t
		fi
	fi
fi

t=pcsc_channels_isolated
if ! bounded "$PY" "$CLIENT" isolation "$RA" > "$tmp/o" 2>&1; then
	fail $t "$(cat "$tmp/o")"
else
	ok $t
fi

t=pcsc_channels_freed_when_client_ends
# the card has channels 1-3: B gets all three only when A's are closed
if ! bounded "$PY" "$CLIENT" channels-freed "$RA" 3 > "$tmp/o" 2>&1; then
	fail $t "$(cat "$tmp/o")"
else
	ok $t
fi

t=pcsc_reconnect_resets
if ! bounded "$PY" "$CLIENT" reconnect "$RA" > "$tmp/o" 2>&1; then
	fail $t "$(cat "$tmp/o") pcscd: $(grep -i secel "$tmp/pcscd.log" | tail -n 3)"
else
	ok $t
fi

# the round trip, measured (no assertion)
bounded "$PY" "$CLIENT" rtt "$RA" /dev/secel"$A_IDX" 300 2>&1 | grep '^#'

t=pcsc_new_card_seen
# pcscd must be restarted for a name it does not have: the udev rule's
# work (secel-pcsc-sync) and the restart.  The aim is 2 s (the figure is
# printed); the test asserts only that the reader comes, since a loaded
# TCG guest has no bound on time (benchmarks measure, tests do not time)
# a client polling SCardListReaders notes when the reader shows
timeout -k 1 30 "$PY" "$CLIENT" wait-reader "secel SIM1" 25 > "$tmp/seen" 2>&1 &
WAITER=$!
sleep 1	# the waiter up before the card
if ! start_vcard b --name SIM; then
	fail $t "the second card did not start"
else
	B_PID=$PID B=$NAME
	t0=$(date +%s.%N)
	sync_readers	# what the udev rule runs
	t1=$(date +%s.%N)
	wait "$WAITER"
	ms=$(awk -v a="$t0" -v b="$(cat "$tmp/seen")" \
		'BEGIN { if (b ~ /^[0-9.]+$/) printf "%d", (b - a) * 1000; else print -1 }')
	echo "# reader 'secel $B' there $ms ms after its SE was listed" \
	     "(secel-pcsc-sync $(awk -v a="$t0" -v b="$t1" \
		'BEGIN { printf "%d", (b - a) * 1000 }') ms of it)"
	if [ "$B" != SIM1 ] || [ "$ms" -lt 0 ]; then
		fail $t "no reader 'secel $B': $(cat "$tmp/seen"); $(readers)"
	elif ! bounded "$PY" "$CLIENT" apdu "secel $B" 00A4040008${ISD}00 \
			> "$tmp/o" 2>&1 || ! grep -q ' 9000$' "$tmp/o"; then
		fail $t "SELECT through the new reader: $(cat "$tmp/o")"
	else
		ok $t
	fi
fi

t=pcsc_unplug_seen_by_pcsc_scan
# -n: no ATR analysis (it would try to download pcsc-tools' ATR list);
# bounds for a debug kernel under TCG on a loaded host
timeout -k 1 120 pcsc_scan -n > "$tmp/scan" 2>&1 &
SCAN=$!
pids="$pids $SCAN"
WAIT_TENTHS=300 wait_for grep -q "secel $B" "$tmp/scan"
sleep 0.5
stop_vcard "$B_PID"
if ! WAIT_TENTHS=300 wait_for grep -q "Card removed" "$tmp/scan"; then
	fail $t "pcsc_scan saw no removal: $(tail -n 15 "$tmp/scan")"
else
	ok $t
fi
kill "$SCAN" 2>/dev/null

t=pcsc_unplug_seen_by_pyscard
if ! start_vcard c --name SIM; then
	fail $t "the card did not come back"
else
	C_PID=$PID
	sync_readers
	WAIT_TENTHS=300 wait_for reader_there "$NAME"
	if ! bounded "$PY" "$CLIENT" wait-state "secel $NAME" present 30 \
		> "$tmp/o" 2>&1; then
		fail $t "the card did not show: $(cat "$tmp/o")"
	else
		( sleep 0.5; kill "$C_PID" ) &
		KILLER=$!
		if ! bounded "$PY" "$CLIENT" wait-state "secel $NAME" empty 30 \
			> "$tmp/o" 2>&1; then
			fail $t "$(cat "$tmp/o")"
		else
			ok $t
		fi
		wait "$KILLER"
		stop_vcard "$C_PID"
	fi
fi

t=pcsc_deleted_se_card_absent
if ! bounded "$CTL" delete "$A" > "$tmp/o" 2>&1; then
	fail $t "secelctl delete: $(cat "$tmp/o")"
else
	sync_readers
	if ! bounded "$PY" "$CLIENT" wait-state "$RA" empty 30 \
		> "$tmp/o" 2>&1; then
		fail $t "$(cat "$tmp/o")"
	elif ! reader_there "$A"; then
		fail $t "reader left without --prune (pcscd restarted?)"
	else
		ok $t
	fi
fi

t=pcsc_prune_removes_reader
sync_readers --prune
if ! WAIT_TENTHS=300 wait_for reader_gone "$A"; then
	fail $t "reader 'secel $A' still there: $(readers)"
else
	ok $t
fi

# reader_up NAME: secel-pcsc-sync (pcscd restarted for a new name) and
# the reader listed
reader_up() { sync_readers; WAIT_TENTHS=300 wait_for reader_there "$1"; }

# ---- the CCID converter's SE: QEMU's usb-ccid reader, libcacard's card
# (found as secel_ccid_test.sh finds it)
CAC_ID=A0000000790300
ccid_se() {
	for d in /sys/class/secel/secel*; do
		[ "$(cat "$d/transport" 2>/dev/null)" = ccid ] || continue
		[ "$(cat "$d/state" 2>/dev/null)" = listed ] || continue
		cat "$d/name"
		return 0
	done
	return 1
}
have_ccid_se() { ccid_se > /dev/null; }
ccid_reader_bound() { ls /sys/bus/usb/drivers/secel_ccid 2>/dev/null | grep -q ':'; }

t=pcsc_ccid_se_reader
if [ ! -d /sys/module/secel_ccid ]; then
	skip $t "secel_ccid not loaded"
elif ! WAIT_TENTHS=300 wait_for ccid_reader_bound; then
	skip $t "no CCID reader in this guest (tools/testing/ccid-nssdb prints QEMU's arguments for one)"
elif ! WAIT_TENTHS=300 wait_for have_ccid_se; then
	fail $t "a CCID reader is bound but no ccid SE is listed"
else
	CC=$(ccid_se)
	if ! reader_up "$CC"; then
		fail $t "no reader 'secel $CC': $(readers)"
	elif ! bounded "$PY" "$CLIENT" apdu "secel $CC" 00A4040007${CAC_ID}00 \
			> "$tmp/o" 2>&1; then
		fail $t "SELECT $CAC_ID through 'secel $CC': $(cat "$tmp/o")"
	elif ! grep -Eq "^6F[0-9A-F]*84..$CAC_ID[0-9A-F]* 9000\$" "$tmp/o"; then
		fail $t "SELECT $CAC_ID answered '$(cat "$tmp/o")', not an FCI with 9000"
	else
		echo "# $CC (transport ccid) answers through PC/SC: $(cat "$tmp/o")"
		ok $t
	fi
fi

# ---- Debian's vicc through secel-vpcd, then through PC/SC: its ISO 7816
# card as a secel SE and as a PC/SC reader.  vicc needs help to start on
# Debian 12 (secel_vpcd_test.sh says why): its module path and 'Crypto'
# as a symlink to Cryptodome.
vicc_why=""
vicc_env=""
probe_vicc() {
	[ -x "$VICC" ] || { vicc_why="$VICC not installed (vsmartcard-vpicc)"; return 1; }
	[ -x "$VPCD" ] && [ -e /dev/secel-vse ] ||
		{ vicc_why="secel-vpcd not built or no /dev/secel-vse"; return 1; }
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
plugged_line() { grep -q ' plugged, ATR ' "$tmp/vpcd.out"; }

t=pcsc_vicc_both_ways
if lane_covered "the vpcd suite's vicc cases and pcsc_new_card_seen" $t; then
	:
elif ! probe_vicc; then
	skip $t "$vicc_why"
else
	"$VPCD" --port 0 > "$tmp/vpcd.out" 2> "$tmp/vpcd.err" < /dev/null &
	pids="$pids $!"
	if ! wait_for grep -q '^listening on ' "$tmp/vpcd.out"; then
		fail $t "secel-vpcd did not listen: $(cat "$tmp/vpcd.err")"
	else
		port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$tmp/vpcd.out" | head -n 1)
		PYTHONPATH=$vicc_env $PY "$VICC" -t iso7816 -H 127.0.0.1 -P "$port" \
			> "$tmp/vicc.log" 2>&1 < /dev/null &
		pids="$pids $!"
		if ! WAIT_TENTHS=300 wait_for plugged_line; then
			fail $t "vicc was not plugged: $(tail -n 3 "$tmp/vicc.log" "$tmp/vpcd.err")"
		else
			# 127.0.0.1:PORT: secelN NAME plugged, ATR ...
			set -- $(grep ' plugged, ATR ' "$tmp/vpcd.out" | head -n 1)
			VI_IDX=${2#secel} VI=$3
			if ! WAIT_TENTHS=300 wait_for se_state_is "$VI_IDX" listed; then
				fail $t "$VI is $(cat /sys/class/secel/secel"$VI_IDX"/state), not listed"
			elif ! reader_up "$VI"; then
				fail $t "no reader 'secel $VI': $(readers)"
			elif ! bounded "$PY" "$CLIENT" apdu "secel $VI" 00A4000C023F00 \
					0084000008 > "$tmp/o" 2>&1; then
				fail $t "$(cat "$tmp/o")"
			elif [ "$(sed -n 1p "$tmp/o")" != " 9000" ] ||
			     ! sed -n 2p "$tmp/o" | grep -Eq '^[0-9A-F]{16} 9000$'; then
				fail $t "SELECT MF, GET CHALLENGE answered '$(cat "$tmp/o" | tr '\n' '/')'"
			elif ! bounded "$CTL" apdu "$VI" 0084000008 > "$tmp/o2" 2>&1; then
				fail $t "the same SE through secelctl: $(cat "$tmp/o2")"
			else
				echo "# vicc's card $VI through PC/SC: $(tr '\n' '/' < "$tmp/o")"
				ok $t
			fi
		fi
	fi
fi

# ---- an independent GlobalPlatform host over pyscard: scp03_ref.py's
# card checks, the channels opened by MANAGE CHANNEL and coded in CLA
# by the host, mapped onto the kernel's by the handler
REF_CHECKS="basic_channel logical_channel further_channel isd_fci_9f65
get_data_c1 ext_auth_p2 put_key_wrong_kcv seq_per_keyset put_key_aes192
load_block_answers set_status_app card_lock"

t=pcsc_independent_gp_host
if ! "$PY" -c 'import cryptography' 2> /dev/null; then
	fail $t "$PY has no python3-cryptography (tools/testing/install-deps)"
elif ! start_vcard gp --name GPR --channels 19 --state "$tmp/gp.state"; then
	fail $t "the GP card did not start"
elif ! reader_up "$NAME"; then
	fail $t "no reader 'secel $NAME': $(readers)"
else
	bad=""
	# the debug lane: the two that map channels through the kernel
	checks=$(lane_pick "$REF_CHECKS" "logical_channel further_channel")
	for c in $checks; do
		# shellcheck disable=SC2086
		if ! bounded "$PY" "$REF" pcsc "secel $NAME" $c 2> "$tmp/e"; then
			bad="$bad $c"
			echo "# $c: $(cat "$tmp/e")"
		fi
	done
	if [ -n "$bad" ]; then
		fail $t "scp03_ref.py pcsc failed:$bad; pcscd: $(grep -i 'secel' "$tmp/pcscd.log" | tail -n 3)"
	else
		echo "# scp03_ref.py over PC/SC: $(echo $checks | wc -w) checks passed"
		ok $t
	fi
fi

# The host asks for channel 5 by number (MANAGE CHANNEL open, P2 05):
# its channel 5 is the kernel's channel 1, so the handler turns the
# further class (E1, secure messaging) into a first-class CLA and the
# kernel codes channel 1 into it; the C-MAC, computed by host and card
# with the channel zero, holds only if the secure-messaging bits are
# GlobalPlatform's (84), not ISO's (88).
t=pcsc_gp_host_on_chosen_channel
if [ ! -s "$tmp/gp.out" ] || ! reader_there "$NAME"; then
	fail $t "no GP card reader (see pcsc_independent_gp_host)"
elif ! SCP03_REF_CHANNEL=5 bounded "$PY" "$REF" pcsc "secel $NAME" \
		logical_channel further_channel 2> "$tmp/e"; then
	fail $t "channel 5 asked for: $(cat "$tmp/e")"
else
	ok $t
fi

exit 0

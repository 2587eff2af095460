#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# secel selftests: GlobalPlatform card content management and the TSM
# path over the CCID converter, with secel-vcard's card in QEMU's
# usb-ccid reader (ccid-card-passthru, VSCard protocol), and the faults
# a card can commit there: a late answer within secel_ccid.timeout_ms and
# one beyond it, answers of the wrong length, the card taken out while an
# APDU is pending and put back.  KTAP on stdout.
#
# The host runs the card (tools/testing/ccid-vscard start: secel-vcard
# --vscard ... --fault-control) and says so in SECEL_CCID_VSCARD; without
# it every test skips.  The faults are asked for in band, with the
# fault-control APDU 80 5E P1 P2 of secel-vcard(1), since the guest cannot
# reach the host.  Run by tools/testing/check in a guest of its own.
#
# Environment: SECEL_CCID_VSCARD (set: the card is there),
# SECEL_CCID_GP_SHORT (set: the debug lane's short pass, the faults and
# one SCP03 session, without the install, TSM and empty-answer cases,
# which are more of the same and take minutes on that kernel), SECELCTL, SECEL_TSM, SECEL_RELAY override the tool paths.
#
# SECEL_GP_TRANSPORT=uart: the same GlobalPlatform and TSM cases over the
# UART converter through ISO 7816-3 T=1 instead, with secel-vcard's card
# behind the host's uart-card --vcard (tools/testing/uart/run-guest
# --vcard, which sets SECEL_UART_VCARD; without it every test skips).
# The CCID faults (the reader's timeout, the card taken out) are CCID's
# and left out; in their place uart_gp_t1_faults_under_scp03: T=1 wire
# faults of uart-card (80 5E, answered by uart-card itself) in the
# middle of SCP03 sessions: S(IFS) lowering the card's IFSC to 16 before
# an install (its LOAD blocks then chained in 16-byte I-blocks), a
# corrupted block and a lost one while the purse is listed and used.

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
CTL=${SECELCTL:-$root/tools/secelctl/secelctl}
TSM=${SECEL_TSM:-$root/tools/tsm/secel-tsm}
RELAY=${SECEL_RELAY:-$root/tools/relay/secel-relay}
TP=${SECEL_GP_TRANSPORT:-ccid}
case $TP in
ccid)
	# the ATR secel-vcard --vscard gives its card (T=0)
	ATR=3B025345
	PROTO=T=0
	HAVE_CARD=${SECEL_CCID_VSCARD:-}
	NO_CARD="no secel-vcard card on the host (SECEL_CCID_VSCARD unset; tools/testing/check sets it)"
	;;
uart)
	# uart-card's ATR (T=1 only, IFSC 32), whatever card answers behind
	ATR=3B951381312045534543454C0F
	PROTO=T=1
	HAVE_CARD=${SECEL_UART_VCARD:-}
	NO_CARD="no secel-vcard card behind uart-card (SECEL_UART_VCARD unset; tools/testing/uart/run-guest --vcard sets it)"
	;;
*)
	echo "SECEL_GP_TRANSPORT=$TP: ccid or uart" >&2
	exit 2
	;;
esac
PARAM=/sys/module/secel_ccid/parameters/timeout_ms
PY=/usr/bin/python3

. "$here/secel_lib.sh"
. "$here/secel_tsm_lib.sh"
secel_tmp secel-ccid-gp
tsms=""

if [ $TP = ccid ]; then
	TESTS="ccid_gp_se_found ccid_gp_list ccid_gp_install_select_delete
ccid_tsm_install ccid_late_answer_in_time ccid_late_answer_timeout
ccid_wrong_length_one_byte ccid_wrong_length_empty
ccid_card_removed_mid_apdu ccid_card_reinserted ccid_gp_after_reinsert
ccid_no_kernel_report"
else
	TESTS="uart_gp_se_found uart_gp_list uart_gp_install_select_delete
uart_tsm_install uart_gp_t1_faults_under_scp03 uart_no_kernel_report"
fi

KTAP_TIMES=1
ktap_plan

# vscard_se: the index of the listed CCID (or UART) SE holding
# secel-vcard's card
vscard_se() {
	for d in /sys/class/secel/secel*; do
		[ "$(cat "$d/transport" 2>/dev/null)" = $TP ] || continue
		[ "$(cat "$d/state" 2>/dev/null)" = listed ] || continue
		a=$(tr 'a-f' 'A-F' < "$d/atr" 2>/dev/null)
		[ "$a" = $ATR ] || continue
		echo "${d##*/secel}"
		return 0
	done
	return 1
}
have_vscard_se() { vscard_se > /dev/null; }
no_vscard_se() { ! have_vscard_se; }

# the ISD's FCI begins so: SELECT by AID answered by the card itself
ISD_FCI=6F418408A000000151000000
# the purse's MAC key and the balance purse_works looks for (1000)
GP_PARAMS=DF101030313233343536373839616263646566DF1204000003E8
select_isd() { ctl apdu "$DEV" 00A4040008A00000015100000000; }
isd_answers() {
	select_isd && grep -q "^$ISD_FCI.*  9000$" "$tmp/o"
}
# fault HEX: a fault-control APDU, which the card answers 9000
fault() {
	ctl apdu "$DEV" "805E$1" && out_is 9000 ||
		echo "fault-control 805E$1: $(said)"
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }

why=""
if [ -z "$HAVE_CARD" ]; then
	why=$NO_CARD
else
	for tool in "$CTL" "$TSM" "$RELAY"; do
		[ -x "$tool" ] || why="$tool not built (make tools)"
	done
	if [ -z "$why" ] && [ ! -d /sys/module/secel_$TP ]; then
		why="secel_$TP not loaded"
	fi
fi
if [ -n "$why" ]; then
	for t in $TESTS; do
		skip "$t" "$why"
	done
	exit 0
fi
dmesg_before=$(dmesg | wc -l)
[ $TP = ccid ] && timeout_was=$(cat $PARAM)

t=${TP}_gp_se_found
# the reader's enumeration and the core's verification: up to 60 s
if ! WAIT_TENTHS=600 wait_for have_vscard_se; then
	for t in $TESTS; do
		fail "$t" "no listed $TP SE with ATR $ATR within 60 s: $(for d in /sys/class/secel/secel*; do printf '%s ' "${d##*/}:$(cat "$d/transport" "$d/state" "$d/atr" 2>/dev/null | tr '\n' ,)"; done)"
	done
	exit 0
fi
IDX=$(vscard_se)
DEV=/dev/secel$IDX
NAME=$(cat /sys/class/secel/secel"$IDX"/name)
echo "# secel$IDX ($NAME), ATR $ATR"
if [ "$(cat /sys/class/secel/secel"$IDX"/protocol)" != "$PROTO" ]; then
	fail $t "protocol $(cat /sys/class/secel/secel"$IDX"/protocol), $PROTO expected"
elif ! isd_answers; then
	fail $t "SELECT ISD: $(said)"
else
	ok $t
fi

# SCP03 (GET STATUS needs a session): the card as secel-vcard makes it
t=${TP}_gp_list
SHORT="short pass (SECEL_CCID_GP_SHORT: the debug lane)"
if [ -n "${SECEL_CCID_GP_SHORT:-}" ]; then
	skip $t "$SHORT; ccid_gp_after_reinsert lists"
elif ! gp "$NAME" list; then
	fail $t "$(said)"
elif ! has "ISD: A000000151000000 (SECURED)" ||
     ! has "APP: F0534543454C01 (SELECTABLE)"; then
	fail $t "$(cat "$tmp/o")"
else
	ok $t
fi

t=${TP}_gp_install_select_delete
why=""
if [ -n "${SECEL_CCID_GP_SHORT:-}" ]; then
	skip $t "$SHORT"
	why=skipped
fi
[ -n "$why" ] || ctl designate "$NAME" || why="designate $NAME: $(said)"
[ -n "$why" ] || gp mkload --type secel.purse --aid $PURSE_ELF \
	--module $PURSE_MOD --code-size 3000 "$tmp/purse.slf" ||
	why="mkload: $(said)"
# (a card left with the purse by an earlier run of the same card)
[ -n "$why" ] || why=$(remove_purse)
# SCP03 at level 33 (command and response MAC and encryption)
[ -n "$why" ] || gp "$NAME" install "$tmp/purse.slf" \
	--params $GP_PARAMS --level 33 || why="install: $(said)"
# listed, selected on a logical channel and on the basic one, balance
[ -n "$why" ] || why=$(purse_works)
[ -n "$why" ] || why=$(remove_purse)
if [ -z "$why" ] && ctl channel designated $PURSE_MOD 805C000008; then
	why="the purse still selectable after the delete: $(said)"
fi
[ "$why" = skipped ] || ok_unless $t "$why"

# secel-relay to secel-tsm, in this guest, installing over the CCID SE
t=${TP}_tsm_install
why=""
echo "$CIN 30:$K:$K:$K" > "$tmp/keys"
SVC=purse:$tmp/purse.slf:$PURSE_MOD:$SERVICE_PARAMS
if [ -n "${SECEL_CCID_GP_SHORT:-}" ]; then
	skip $t "$SHORT"
	why=skipped
elif ! start_tsm good --keys "$tmp/keys" --service "$SVC"; then
	why="secel-tsm did not start: $(cat "$tmp/good.log")"
else
	relay "$(url good)/ram/purse"
	if [ $rc != 0 ] || ! out_is "$INSTALLED"; then
		why="relay: $(said); TSM: $(tail -n 3 "$tmp/good.log")"
	fi
	[ -n "$why" ] || why=$(purse_works)
	[ -n "$why" ] || { relay "$(url good)/ram/purse"
		[ $rc = 0 ] && out_is "$THERE" ||
			why="the second relay: $(said)"; }
	[ -n "$why" ] || why=$(remove_purse)
fi
[ "$why" = skipped ] || ok_unless $t "$why"

if [ $TP = uart ]; then
	# T=1 wire faults under SCP03 sessions (80 5E, uart-card's own):
	# S(IFS 16) before the first answer of an install, whose LOADs then
	# come chained in I-blocks of 16 bytes at most (uart-card reports the
	# largest INF it got since: 80 18, byte 6); then a corrupted block
	# and a lost one, each with the first answer of a session that lists
	# the purse and uses it
	t=uart_gp_t1_faults_under_scp03
	why=""
	ctl designate "$NAME" || why="designate $NAME: $(said)"
	[ -n "$why" ] || [ -s "$tmp/purse.slf" ] || gp mkload --type secel.purse \
		--aid $PURSE_ELF --module $PURSE_MOD --code-size 3000 \
		"$tmp/purse.slf" || why="mkload: $(said)"
	[ -n "$why" ] || why=$(remove_purse)
	[ -n "$why" ] || why=$(fault 1500)
	[ -n "$why" ] || gp "$NAME" install "$tmp/purse.slf" \
		--params $GP_PARAMS --level 33 ||
		why="install after S(IFS 16): $(said)"
	if [ -z "$why" ]; then
		ctl apdu "$DEV" 8018000006
		rc=$?
		inf=$(cut -c11-12 "$tmp/o")
		if [ $rc != 0 ] || [ "$inf" != 10 ]; then
			why="the largest I-block since S(IFS 16): '$inf', 10 (16) expected: $(said)"
		fi
	fi
	for f in "1100 a corrupted block" "1200 a lost block"; do
		[ -n "$why" ] || why=$(fault "${f%% *}")
		[ -n "$why" ] || { why=$(purse_works)
			[ -z "$why" ] || why="after ${f#* }: $why"; }
	done
	[ -n "$why" ] || why=$(remove_purse)
	[ -n "$why" ] || ! ctl channel designated $PURSE_MOD 805C000008 ||
		why="the purse still selectable after the delete: $(said)"
	ok_unless $t "$why"

	t=uart_no_kernel_report
	reports=$(dmesg | tail -n +"$((dmesg_before + 1))" |
		grep -E 'BUG|WARNING|Oops|INFO: task .* blocked|general protection|KASAN|leak' | head -n 5)
	ok_unless $t "$reports"
	exit 0
fi

# a late answer within the timeout: it comes, the exchange waited for it
t=ccid_late_answer_in_time
echo 5000 > $PARAM
why=$(fault 0108)	# 800 ms late
if [ -z "$why" ]; then
	t0=$(now_ms)
	isd_answers || why="SELECT ISD: $(said)"
	ms=$(($(now_ms) - t0))
	# a lower bound only: the card slept that long before answering
	[ -n "$why" ] || [ $ms -ge 800 ] ||
		why="answered in $ms ms, before the 800 ms the card waits"
	[ -n "$why" ] || echo "# 800 ms late, answered after $ms ms"
fi
ok_unless $t "$why"

# beyond secel_ccid.timeout_ms: ETIMEDOUT, then the reader and the SE
# work again (the late answer, when it comes, is dropped as stale)
t=ccid_late_answer_timeout
echo 1000 > $PARAM
why=$(fault 011E)	# 3 s late
if [ -z "$why" ]; then
	if select_isd; then
		why="answered within a 1000 ms timeout: $(said)"
	elif ! err_has "the SE did not answer"; then
		why="not ETIMEDOUT: $(said)"
	fi
fi
echo "$timeout_was" > $PARAM
if [ -z "$why" ]; then
	# the stale answer, 3 s after the APDU, must not be taken for the
	# next one's
	sleep 3
	if ! isd_answers; then
		why="no recovery: SELECT ISD after the late answer: $(said)"
	elif ! ctl apdu "$DEV" 80CA004500 || ! out_is "4508${CIN}  9000"; then
		why="GET DATA CIN after the late answer: $(said)"
	elif [ "$(vscard_se)" != "$IDX" ]; then
		why="the SE changed: secel$(vscard_se), was secel$IDX"
	fi
fi
ok_unless $t "$why"

# wrong_length P2 WHAT: the next answer is 1 byte or empty; a clear
# EPROTO for that exchange, and the next one works
wrong_length() {
	why=$(fault "02$1")
	[ -n "$why" ] && { echo "$why"; return; }
	if select_isd; then
		echo "an answer of $2 taken: $(said)"
	elif ! err_has "the SE answered out of protocol"; then
		echo "not EPROTO: $(said)"
	elif ! isd_answers; then
		echo "the next exchange: $(said)"
	fi
}
t=ccid_wrong_length_one_byte
ok_unless $t "$(wrong_length 01 "one byte")"
t=ccid_wrong_length_empty
if [ -n "${SECEL_CCID_GP_SHORT:-}" ]; then
	skip $t "$SHORT; the one-byte case took that path"
else
	ok_unless $t "$(wrong_length 00 "no bytes")"
fi

# the card out while an APDU is pending: that exchange fails, the SE
# goes away (ENODEV to whoever holds it), the reader stays
t=ccid_card_removed_mid_apdu
why=$(fault 0308)	# back in 8 s after it goes out
if [ -z "$why" ]; then
	# a file held open across the removal
	# (CLOSE_CHANNEL of channel 1, which this file never opened: ENXIO
	# or the like while the SE is there, ENODEV once it is gone; asked
	# until then, 60 s at most)
	$PY -c '
import fcntl, os, struct, sys, time
SECEL_IOC_CLOSE_CHANNEL = 0x4008E705
def errno_of():
    try:
        fcntl.ioctl(fd, SECEL_IOC_CLOSE_CHANNEL, struct.pack("II", 1, 0))
        return 0
    except OSError as e:
        return e.errno
fd = os.open(sys.argv[1], os.O_RDWR)
before = errno_of()
open(sys.argv[2], "w").close()
end = time.monotonic() + float(sys.argv[3])
while errno_of() != 19 and time.monotonic() < end:
    time.sleep(0.1)
print(before, errno_of())
' "$DEV" "$tmp/held" 60 > "$tmp/held.out" 2>&1 &
	held=$!
	pids="$pids $held"
	wait_for test -e "$tmp/held"
	select_isd
	rc=$?
	# gone before the card comes back (which may reuse the index)
	WAIT_TENTHS=50 wait_for test ! -e /sys/class/secel/secel"$IDX"/state
	gone=$?
	wait $held
	if [ $rc = 0 ]; then
		why="the pending APDU was answered: $(said)"
	elif ! err_has "the SE is gone"; then
		why="the pending APDU, not ENODEV: $(said)"
	elif [ $gone != 0 ]; then
		why="secel$IDX still there 5 s after the card went out"
	elif [ "$(cut -d' ' -f2 "$tmp/held.out")" != 19 ] ||
	     [ "$(cut -d' ' -f1 "$tmp/held.out")" = 19 ]; then
		why="CLOSE_CHANNEL on a file held open, before and after: '$(cat "$tmp/held.out")', then ENODEV (19) expected"
	else
		echo "# the pending APDU: $(cat "$tmp/e")"
		ok $t
		why=none
	fi
fi
[ "$why" = none ] || fail $t "$why"

# back in: a new SE, verified and listed again, with the card's content
t=ccid_card_reinserted
if ! WAIT_TENTHS=600 wait_for have_vscard_se; then
	fail $t "no CCID SE listed within 60 s of the reinsertion"
else
	IDX=$(vscard_se)
	DEV=/dev/secel$IDX
	NAME=$(cat /sys/class/secel/secel"$IDX"/name)
	echo "# back as secel$IDX ($NAME)"
	if isd_answers; then
		ok $t
	else
		fail $t "SELECT ISD on the new SE: $(said)"
	fi
fi

t=ccid_gp_after_reinsert
why=""
ctl designate "$NAME" || why="designate $NAME: $(said)"
[ -n "$why" ] || gp "$NAME" list || why="list: $(said)"
[ -n "$why" ] || has "ISD: A000000151000000 (SECURED)" ||
	why="list: $(cat "$tmp/o")"
# (the short pass: an SCP03 session, no install: the only one there)
if [ -z "${SECEL_CCID_GP_SHORT:-}" ]; then
	[ -n "$why" ] || gp "$NAME" install "$tmp/purse.slf" \
		--params $GP_PARAMS || why="install: $(said)"
	[ -n "$why" ] || why=$(purse_works)
	[ -n "$why" ] || why=$(remove_purse)
fi
ok_unless $t "$why"
echo "$timeout_was" > $PARAM

t=ccid_no_kernel_report
reports=$(dmesg | tail -n +"$((dmesg_before + 1))" |
	grep -E 'BUG|WARNING|Oops|INFO: task .* blocked|general protection|KASAN|leak' | head -n 5)
ok_unless $t "$reports"
exit 0

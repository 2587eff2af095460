#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# secel selftests: secel_ccid with a reader and a card nobody here wrote --
# QEMU's usb-ccid behind UHCI with ccid-card-emulated (libcacard's CAC
# card).  KTAP on stdout.  Every test skips, with the reason, when the
# guest has no CCID reader bound to secel_ccid: tools/testing/check and
# tools/testing/debug/check-debug add one with the arguments that
# tools/testing/ccid-nssdb prints.
#
# Environment: SECELCTL overrides the tool's path; SECEL_MODULES_DIR is
# where secel_ccid.ko is reloaded from (default drivers/secel).

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
CTL=${SECELCTL:-$root/tools/secelctl/secelctl}
MODDIR=${SECEL_MODULES_DIR:-$root/drivers/secel}
DRV=/sys/bus/usb/drivers/secel_ccid

. "$here/secel_lib.sh"
secel_tmp secel-ccid

# CAC applets of libcacard's card (cac.c): the CAC ID applet and PKI 0
CAC_ID=A0000000790300
CAC_PKI=A0000000790100

TESTS="ccid_reader_se_listed ccid_atr_and_protocols_shown
ccid_select_cac_applet_by_name ccid_select_cac_applet_by_node
ccid_case4_answer_fetched_through_61xx ccid_get_response_raw
ccid_unknown_ins_answered_6d00 ccid_wrong_p1p2_answered
ccid_64_byte_messages_keep_sync
ccid_module_unload_with_se_listed ccid_set_parameters_from_atr"

ktap_plan

norm() { tr -d ' :\n\r\t' | tr 'a-f' 'A-F'; }

bounded() {
	if command -v timeout >/dev/null 2>&1; then
		timeout -k 2 60 "$@"
	else
		"$@"
	fi
}

reader_bound() { ls "$DRV" 2>/dev/null | grep -q ':'; }

# secel_ccid's kernel log lines, without time stamps; SetParameters
# sent so far (by an earlier run in this boot): none may come from this
# run until the test that forces them
kmsg() { dmesg 2>/dev/null | grep secel_ccid | sed 's/^\[[ 0-9.]*\] //'; }
sent_before=$(kmsg | grep -c "SetParameters T=")
resets_before=$(kmsg | grep -c "unanswered: resetting the reader")

# the index of the first listed SE whose transport is ccid
ccid_se() {
	for d in /sys/class/secel/secel*; do
		[ "$(cat "$d/transport" 2>/dev/null)" = ccid ] || continue
		[ "$(cat "$d/state" 2>/dev/null)" = listed ] || continue
		echo "${d##*/secel}"
		return 0
	done
	return 1
}
have_ccid_se() { ccid_se > /dev/null; }

# the name of an SE with transport ccid in state rejected, if any
ccid_rejected() {
	for d in /sys/class/secel/secel*; do
		[ "$(cat "$d/transport" 2>/dev/null)" = ccid ] || continue
		[ "$(cat "$d/state" 2>/dev/null)" = rejected ] || continue
		cat "$d/name"
		return 0
	done
	return 1
}

# ccid_listed TENTHS: wait for a listed ccid SE.  Behind QEMU 7.2's xHCI
# (hcd, set below) an answer lost during the verification rejects the SE
# with ETIMEDOUT, a clear error that leaves the reader in step: ADD then
# verifies it again, up to 3 times, each one said; elsewhere a rejected
# SE is a failure like any other.
ccid_listed() {
	local tries=0 r
	while :; do
		WAIT_TENTHS=$1 wait_for sh -c 'for d in /sys/class/secel/secel*; do
			[ "$(cat $d/transport 2>/dev/null)" = ccid ] || continue
			case "$(cat $d/state 2>/dev/null)" in listed|rejected) exit 0 ;; esac
		done; exit 1'
		have_ccid_se && return 0
		[ "${hcd:-}" = xhci_hcd ] && [ $tries -lt 3 ] || return 1
		r=$(ccid_rejected) || return 1
		tries=$((tries + 1))
		echo "# behind xHCI: $r rejected ($(dmesg | grep "$r rejected" | tail -n 1 | sed 's/^\[[ 0-9.]*\] //')); ADD, try $tries"
		bounded "$CTL" add "$r" > /dev/null 2>&1
	done
}

# apdu SE HEX [--raw]: the response, normalised, on stdout
apdu() { bounded "$CTL" apdu "$@" 2> "$tmp/apdu.err" | norm; }

why=""
if [ ! -x "$CTL" ]; then
	why="secelctl not built (make tools)"
elif [ ! -d /sys/module/secel_ccid ]; then
	why="secel_ccid not loaded"
else
	# USB enumeration and verification take a few seconds under TCG
	WAIT_TENTHS=300 wait_for reader_bound
	if ! reader_bound; then
		why="no CCID reader in this guest (tools/testing/ccid-nssdb prints QEMU's arguments for one)"
	fi
fi
if [ -n "$why" ]; then
	for t in $TESTS; do
		skip "$t" "$why"
	done
	exit 0
fi

# the host controller the reader is behind: the round trip's figure,
# and what a lost answer may do (ccid_listed)
hcd=unknown
for d in "$DRV"/*:*; do
	p=$(readlink -f "$d" | sed -n 's,.*/\([0-9a-f]*:[0-9a-f]*:[0-9a-f]*\.[0-9a-f]\)/usb[0-9]*/.*,\1,p')
	[ -n "$p" ] && hcd=$(basename "$(readlink "/sys/bus/pci/devices/$p/driver")")
done

t=ccid_reader_se_listed
if ccid_listed 300; then
	IDX=$(ccid_se)
	NAME=$(cat "/sys/class/secel/secel$IDX/name")
	ok "$t"
else
	fail "$t" "no listed SE with transport ccid: $(cat /sys/class/secel/secel*/transport /sys/class/secel/secel*/state 2>/dev/null | tr '\n' ' ')"
	for rest in $(echo $TESTS | cut -d' ' -f2-); do
		skip "$rest" "no CCID SE"
	done
	exit 0
fi
echo "# $NAME is /dev/secel$IDX"

t=ccid_atr_and_protocols_shown
info=$(bounded "$CTL" info "$NAME" 2>&1)
atr=$(cat "/sys/class/secel/secel$IDX/atr" 2>/dev/null | norm)
proto=$(cat "/sys/class/secel/secel$IDX/protocol" 2>/dev/null)
if ! echo "$info" | grep -q "Transport: *ccid"; then
	fail "$t" "secelctl info does not show transport ccid: $info"
elif [ "${atr#3B}" = "$atr" ] || ! echo "$info" | grep -q "ATR: *$atr"; then
	fail "$t" "ATR '$atr' not shown by secelctl info: $info"
elif [ "$proto" != "T=0" ] || ! echo "$info" | grep -q "Protocols: *T=0"; then
	fail "$t" "protocols: sysfs '$proto', secelctl: $(echo "$info" | grep Protocols)"
else
	echo "# ATR $atr, $proto"
	ok "$t"
fi

# SELECT by AID answers an FCI (6F, AID under 84) and 9000
select_ok() { # RESPONSE AID
	case "$1" in
	6F*84??"$2"*9000) return 0 ;;
	esac
	return 1
}

t=ccid_select_cac_applet_by_name
r=$(apdu "$NAME" 00A4040007${CAC_ID}00)
if select_ok "$r" "$CAC_ID"; then ok "$t"; else
	fail "$t" "SELECT $CAC_ID: '$r' $(cat "$tmp/apdu.err")"; fi

t=ccid_select_cac_applet_by_node
r=$(apdu "/dev/secel$IDX" 00A4040007${CAC_PKI}00)
if select_ok "$r" "$CAC_PKI"; then ok "$t"; else
	fail "$t" "SELECT $CAC_PKI on /dev/secel$IDX: '$r' $(cat "$tmp/apdu.err")"; fi

# Case 4 at TPDU level: T=0 sends it as case 3, the card says 61xx and
# the converter's GET RESPONSE fetches the answer; the same APDU with
# --raw goes as it is, and the core does not complete it.
t=ccid_case4_answer_fetched_through_61xx
r=$(apdu "$NAME" 00A4040007${CAC_ID} --raw)
case "$r" in
61??)
	r4=$(apdu "$NAME" 00A4040007${CAC_ID}00 --raw)
	if select_ok "$r4" "$CAC_ID"; then ok "$t"; else
		fail "$t" "case 4 SELECT, raw: '$r4' $(cat "$tmp/apdu.err")"; fi ;;
*)	fail "$t" "case 3 SELECT, raw, answered '$r', not 61xx" ;;
esac

# GET RESPONSE by hand, after a case 3 SELECT left its answer waiting
t=ccid_get_response_raw
r=$(apdu "$NAME" 00A4040007${CAC_ID} --raw)
case "$r" in
61??)
	le=${r#61}
	# one process: the card keeps the answer for the next command only
	g=$(bounded "$CTL" apdu "$NAME" 00A4040007${CAC_ID} 00C00000"$le" \
		--raw 2> "$tmp/apdu.err" | tail -n 1 | norm)
	if select_ok "$g" "$CAC_ID"; then ok "$t"; else
		fail "$t" "GET RESPONSE Le=$le answered '$g' $(cat "$tmp/apdu.err")"; fi ;;
*)	fail "$t" "case 3 SELECT, raw, answered '$r', not 61xx" ;;
esac

t=ccid_unknown_ins_answered_6d00
r=$(apdu "$NAME" 00FF000000)
if [ "$r" = 6D00 ]; then ok "$t"; else
	fail "$t" "INS FF answered '$r' $(cat "$tmp/apdu.err")"; fi

# SELECT with a P1 the applet does not know, and a READ BINARY the
# CAC applet refuses: an error status word, carried as it is
t=ccid_wrong_p1p2_answered
r=$(apdu "$NAME" 00A40400)
r2=$(apdu "$NAME" 00B0000010)
case "$r/$r2" in
6A82/69??|6A82/6A??|6A82/6B??|6A82/67??) ok "$t" ;;
*)	fail "$t" "SELECT without data '$r', READ BINARY '$r2'" ;;
esac

# how long a reloaded driver's card may take to be listed, in tenths of a
# second: behind xHCI a lost answer costs timeout_ms (10 s) and a reset
back=300
[ "$hcd" = xhci_hcd ] && back=600

# Answers of 62 to 66 bytes on the wire: 10 bytes of header, 50 to 54
# bytes of the PKI applet's certificate (CAC READ BUFFER of its value
# buffer, fetched by the T=0 layer's GET RESPONSE with Le = the size) and
# the status word.  The 64-byte one ends on a packet boundary, and QEMU
# 7.2 follows it with an empty packet, which behind xHCI the driver must
# skip without losing the next answer's place: in the same process INS
# FF must then answer 6D00.
t=ccid_64_byte_messages_keep_sync
bad=""
for n in 32 33 34 35 36; do
	out=$(bounded "$CTL" apdu "$NAME" 00A4040007${CAC_PKI}00 \
		805200000202${n}${n} 00FF000000 2> "$tmp/apdu.err")
	g=$(echo "$out" | sed -n 2p | norm)
	u=$(echo "$out" | sed -n 3p | norm)
	case "$g" in
	*9000) [ ${#g} = $(( (0x$n + 2) * 2 )) ] || bad="$bad; $n bytes: '$g'" ;;
	*) bad="$bad; READ BUFFER of $n bytes: '$g' $(cat "$tmp/apdu.err")" ;;
	esac
	[ "$u" = 6D00 ] || bad="$bad; INS FF after $n bytes: '$u' $(cat "$tmp/apdu.err")"
done
resets=$(( $(kmsg | grep -c "unanswered: resetting the reader") - resets_before ))
if [ -z "$bad" ]; then
	ok "$t"
elif [ "$hcd" = xhci_hcd ] && [ "$resets" -gt 0 ] &&
	ccid_listed 600; then
	# QEMU 7.2's xHCI loses answers: what counts is a clear error,
	# the reader reset and the card back, not a hang
	IDX=$(ccid_se)
	NAME=$(cat "/sys/class/secel/secel$IDX/name")
	echo "# behind xHCI: ${bad#; }"
	echo "# the reader was reset $resets time(s) and $NAME is back"
	ok "$t"
elif [ "$hcd" = xhci_hcd ] && [ "$resets" = 0 ] &&
	# secelctl's words for ETIMEDOUT, EPROTO and EIO (tools/secelctl/se.c)
	echo "$bad" | grep -Eq 'did not answer|answered out of protocol|I/O error on the way' &&
	[ "$(bounded "$CTL" apdu "$NAME" 00FF000000 2>&1 | norm)" = 6D00 ]; then
	# a lost answer: a clear error (ETIMEDOUT once the reader answered
	# the Abort, EIO or EPROTO for an answer out of step), no reset,
	# and the next exchange in step
	echo "# behind xHCI: ${bad#; }"
	echo "# a clear error, no reset; the next exchange is in step"
	ok "$t"
else
	fail "$t" "${bad#; } (resets: $resets; secel_ccid: $(kmsg | tail -n 4 | tr '\n' '/'))"
fi

# Round trip: one process, 1 APDU then 41 APDUs; the difference / 40
one=$(date +%s%N)
bounded "$CTL" apdu "$NAME" 00FF000000 > /dev/null 2>&1
two=$(date +%s%N)
set --
i=0
while [ $i -lt 41 ]; do set -- "$@" 00FF000000; i=$((i + 1)); done
bounded "$CTL" apdu "$NAME" "$@" > /dev/null 2>&1
three=$(date +%s%N)
echo "# APDU round trip through /dev/secel$IDX: ~$(( ((three - two) - (two - one)) / 40 / 1000 )) us (TCG guest, QEMU usb-ccid, $hcd)"

t=ccid_module_unload_with_se_listed
if ! rmmod secel_ccid 2> "$tmp/rmmod.err"; then
	fail "$t" "rmmod secel_ccid: $(cat "$tmp/rmmod.err")"
elif [ -e "/sys/class/secel/secel$IDX" ] &&
	[ "$(cat "/sys/class/secel/secel$IDX/transport" 2>/dev/null)" = ccid ]; then
	fail "$t" "secel$IDX still there after rmmod"
elif ! insmod "$MODDIR/secel_ccid.ko" 2> "$tmp/insmod.err"; then
	fail "$t" "insmod $MODDIR/secel_ccid.ko: $(cat "$tmp/insmod.err")"
elif ! ccid_listed $back; then
	fail "$t" "no ccid SE listed again after reloading secel_ccid"
else
	ok "$t"
fi

# SetParameters (secel_ccid.set_parameters): QEMU's reader sets the
# parameters itself (dwFeatures 02h, 40h), so none is sent by default;
# forced with set_parameters=2 it carries the ATR's Fi/Di, the reader
# answers Parameters holding them, and the card still answers.
t=ccid_set_parameters_from_atr
sent_now=$(kmsg | grep -c "SetParameters T=")
if ! kmsg | grep -q "parameters set by the reader"; then
	fail "$t" "no 'parameters set by the reader' for QEMU's reader: $(kmsg | tail -n 3)"
elif [ "$sent_now" != "$sent_before" ]; then
	fail "$t" "SetParameters sent to a reader that sets them: $(kmsg | grep 'SetParameters T=' | tail -n 1)"
elif ! rmmod secel_ccid 2> "$tmp/rmmod.err" ||
	! insmod "$MODDIR/secel_ccid.ko" set_parameters=2 2> "$tmp/insmod.err"; then
	fail "$t" "reload with set_parameters=2: $(cat "$tmp/rmmod.err" "$tmp/insmod.err")"
elif ! ccid_listed $back; then
	fail "$t" "no ccid SE listed with set_parameters=2"
elif [ "$(kmsg | grep -c "SetParameters T=")" = "$sent_now" ]; then
	fail "$t" "no SetParameters logged with set_parameters=2"
else
	line=$(kmsg | grep "SetParameters T=" | tail -n 1)
	echo "# $line"
	fidi=$(echo "$line" | sed -n 's/.*Fi\/Di \([0-9a-f][0-9a-f]\)h.*/\1/p')
	held=$(echo "$line" | sed -n 's/.*: 0, reader holds T=[01] \([0-9a-f][0-9a-f]\).*/\1/p')
	IDX=$(ccid_se)
	r=$(apdu "/dev/secel$IDX" 00A4040007${CAC_ID}00)
	if [ -z "$fidi" ] || [ "$held" != "$fidi" ]; then
		fail "$t" "SetParameters not accepted or not held: '$line'"
	elif ! select_ok "$r" "$CAC_ID"; then
		fail "$t" "SELECT after SetParameters: '$r' $(cat "$tmp/apdu.err")"
	else
		ok "$t"
	fi
fi
# back to the default for whatever runs next
rmmod secel_ccid 2>/dev/null
insmod "$MODDIR/secel_ccid.ko" 2>/dev/null
ccid_listed $back
exit 0

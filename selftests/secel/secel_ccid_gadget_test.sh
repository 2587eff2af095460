#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# secel selftests: secel_ccid against a CCID reader of our own -- a USB
# gadget on dummy_hcd served from userspace through FunctionFS
# (tools/testing/ccid-gadget) -- for what QEMU's usb-ccid cannot show:
# several slots, each exchange level, time extensions, late and malformed
# answers, a signal mid-exchange (the Abort sequence, a killed process's
# channel closed), SetParameters from the ATR, a stalled endpoint,
# NotifySlotChange, an unplug mid-APDU.  KTAP
# on stdout.  Skips, with the reason, when the guest kernel has no
# dummy_hcd or usb_f_fs.  Every wait is bounded; nothing asserts on time.
#
# Environment: SECELCTL overrides the tool's path; SECEL_MODULES_DIR is
# where secel_ccid.ko is reloaded from (default drivers/secel).

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
CTL=${SECELCTL:-$root/tools/secelctl/secelctl}
MODDIR=${SECEL_MODULES_DIR:-$root/drivers/secel}
GADGET=$root/tools/testing/ccid-gadget
PEER=$here/vpcd_peer.py
TMO=/sys/module/secel_ccid/parameters/timeout_ms

. "$here/secel_lib.sh"
secel_tmp secel-ccid-gadget

APP=F0534543454C01
FCI=6F098407${APP}

TESTS="gadget_se_per_slot_named gadget_atr_shown
gadget_tpdu_case4_through_61xx gadget_tpdu_case2_through_6cxx
gadget_time_extensions_honoured gadget_late_answer_aborted
gadget_delete_cancels_exchange
gadget_signal_handler_eintr_aborted gadget_sigkill_aborted_channel_closed
gadget_wrong_bseq_times_out gadget_wrong_bslot_times_out
gadget_short_header_eproto gadget_dwlength_mismatch_eproto
gadget_stalled_bulk_in_recovers gadget_silent_reader_times_out
gadget_card_removed_and_inserted gadget_voltage_classes_lowest_first
gadget_unplug_with_apdu_in_flight
gadget_short_apdu_level gadget_extended_t0_card_short_apdus
gadget_extended_apdu_chained_both_ways
gadget_t1_tpdu_ifsd_announced gadget_t1_tpdu_apdu_cases
gadget_t1_tpdu_chained_1000_both_ways gadget_t1_tpdu_edc_error_recovered
gadget_t1_tpdu_mute_card_recovered gadget_t1_tpdu_wtx_extends_bwt
gadget_kind_names_ses gadget_set_parameters_from_atr
gadget_module_unload"

ktap_plan

# the gadget's SEs: "INDEX SLOT" per line, SLOT from the ATR's last byte
gadget_ses() {
	for d in /sys/class/secel/secel*; do
		[ -e "$d/name" ] || continue
		case "$(readlink -f "$d")" in
		*dummy_hcd*) ;;
		*) continue ;;
		esac
		a=$(cat "$d/atr" 2>/dev/null) || continue
		# historical bytes "GDT" <protocol> <slot>
		a=${a#*474454??}
		echo "${d##*/secel} $(printf %d "0x$(echo "$a" | cut -c1-2)")"
	done
}
# se_of SLOT [STATE]: the index of the gadget's SE of that slot
se_of() {
	gadget_ses | while read -r i s; do
		[ "$s" = "$1" ] || continue
		[ -z "$2" ] || [ "$2" = any ] || se_state_is "$i" "$2" || continue
		echo "$i"
		break
	done
}
have_se() { [ -n "$(se_of "$1" "${2:-listed}")" ]; }
no_se() { [ -z "$(se_of "$1")" ]; }

gctl() { bounded "$GADGET" ctl "$tmp/g.sock" "$@" > /dev/null; }
# xfer SLOT HEX [--raw]: the response in hex, or "error ENAME"
xfer() {
	s=$1; shift
	i=$(se_of "$s" listed)
	[ -n "$i" ] || { echo "error no-se"; return; }
	bounded "$GADGET" xfer "/dev/secel$i" "$@" 2>&1
}
# xfer_next SLOT HEX: the exchange after a command left unanswered.  The
# driver may have reset the reader then (at most once a minute, see
# ccid_lost(); its warning is logged before the exchange returns): wait
# until the reader is bound again (its probe line comes after the last
# reset warning) and the slot's SE is listed, then exchange
reset_settled() {
	last=$(dmesg | grep -E "unanswered: resetting the reader|CCID [0-9a-f]+\.[0-9a-f]+ reader, " |
		tail -n 1)
	case $last in
	*"resetting the reader"*) return 1 ;;
	esac
}
xfer_next() {
	await 60 reset_settled
	await 60 have_se "$1"
	xfer "$@"
}
# the log from line $mark on
since() { tail -n "+$((mark + 1))" "$tmp/g.log"; }
setmark() { mark=$(wc -l < "$tmp/g.log"); }
# diagnose N M: the kernel log's last N lines and the gadget's last M
# since the mark, as KTAP comments, before a failure that needs them
diagnose() {
	dmesg | tail -n "$1" | sed 's/^/# dmesg: /'
	since | grep -v '(time extension)' | tail -n "$2" | sed 's/^/# gadget: /'
}

GPID=""
start_gadget() { # SLOTS_EXPECTED ARGS...
	want=$1; shift
	: > "$tmp/g.log"
	"$GADGET" serve --log "$tmp/g.log" --ctl "$tmp/g.sock" "$@" \
		> "$tmp/g.out" 2> "$tmp/g.err" &
	GPID=$!
	pids="$pids $GPID"
	if ! await 30 grep -q ready "$tmp/g.out"; then
		echo "# ccid-gadget $*: not ready: $(tail -n 3 "$tmp/g.err")"
		return 1
	fi
	for s in $want; do
		await 40 have_se "$s" "${WANT_STATE:-listed}" || {
			echo "# ccid-gadget $*: no SE for slot $s: $(gadget_ses | tr '\n' ' ')"
			return 1
		}
	done
	mark=0
}
stop_gadget() {
	[ -n "$GPID" ] || return 0
	kill "$GPID" 2>/dev/null
	wait "$GPID" 2>/dev/null
	GPID=""
	await 10 no_se 0
}

# have_gadget MODULE: built in (the debug kernel has no /lib/modules of
# its own) or loaded now
have_gadget() {
	case $1 in
	dummy_hcd) ls /sys/class/udc 2>/dev/null | grep -q dummy_udc && return 0 ;;
	usb_f_fs)
		grep -qw functionfs /proc/filesystems && return 0
		modprobe -q usb_f_fs 2>/dev/null && return 0
		# built in: functionfs registers with its first instance
		ffs_probe
		return ;;
	libcomposite)
		# built in, it has no /sys/module entry: its configfs
		# directory tells
		[ -d /sys/kernel/config/usb_gadget ] ||
			mount -t configfs none /sys/kernel/config 2>/dev/null
		[ -d /sys/kernel/config/usb_gadget ] && return 0 ;;
	*) [ -d "/sys/module/$1" ] && return 0 ;;
	esac
	modprobe -q "$1" 2>/dev/null
}
# a FunctionFS instance in a throw-away configfs gadget: functionfs then
# shows in /proc/filesystems when the kernel has it
ffs_probe() {
	g=/sys/kernel/config/usb_gadget/secel_ffs_probe
	[ -d /sys/kernel/config/usb_gadget ] ||
		mount -t configfs none /sys/kernel/config 2>/dev/null
	mkdir "$g" 2>/dev/null || return 1
	mkdir "$g/functions/ffs.secel_probe" 2>/dev/null
	grep -qw functionfs /proc/filesystems
	r=$?
	rmdir "$g/functions/ffs.secel_probe" 2>/dev/null
	rmdir "$g" 2>/dev/null
	return $r
}

why=""
if [ "$(id -u)" != 0 ]; then
	why="not root"
elif [ ! -x "$CTL" ]; then
	why="secelctl not built (make tools)"
elif ! have_gadget dummy_hcd || ! have_gadget usb_f_fs ||
     ! have_gadget libcomposite; then
	why="this kernel has no dummy_hcd, libcomposite or usb_f_fs (CONFIG_USB_DUMMY_HCD, CONFIG_USB_CONFIGFS_F_FS)"
elif [ ! -d /sys/module/secel_ccid ] && ! insmod "$MODDIR/secel_ccid.ko" 2>/dev/null; then
	why="secel_ccid not loaded and cannot be"
fi
if [ -n "$why" ]; then
	for t in $TESTS; do
		skip "$t" "$why"
	done
	exit 0
fi
old_tmo=$(cat $TMO)
trap 'stop_gadget; [ -w $TMO ] && echo "$old_tmo" > $TMO; secel_cleanup' EXIT

# ---- a two-slot reader at TPDU level, T=0 cards -------------------------
if ! start_gadget "0 1" --slots 2 --level tpdu; then
	skip_rest=1
fi

t=gadget_se_per_slot_named
if [ -n "$skip_rest" ]; then
	fail $t "the gadget's SEs did not come up"
	# the rest of this reader's cases, up to gadget_unplug_with_apdu_in_flight
	for r in $(echo $TESTS | cut -d' ' -f2-18); do skip "$r" "no gadget SE"; done
else
	I0=$(se_of 0); I1=$(se_of 1)
	N0=$(cat /sys/class/secel/secel"$I0"/name)
	N1=$(cat /sys/class/secel/secel"$I1"/name)
	tr0=$(cat /sys/class/secel/secel"$I0"/transport)
	# the documented rule: prefix secel_ccid.kind (SD), the lowest free
	# number, slots in order
	case "$N0/$N1" in
	SD[0-9]*/SD[0-9]*)
		if [ "${N0#SD}" -lt "${N1#SD}" ] && [ "$tr0" = ccid ]; then
			echo "# slot 0: $N0 (secel$I0), slot 1: $N1 (secel$I1)"
			ok $t
		else
			fail $t "names $N0 $N1, transport $tr0"
		fi ;;
	*)	fail $t "names '$N0' '$N1' do not follow SD<n>" ;;
	esac
fi

if [ -z "$skip_rest" ]; then
t=gadget_atr_shown
a=$(cat /sys/class/secel/secel"$I1"/atr | tr a-f A-F)
info=$(bounded "$CTL" info "$N1" 2>&1 | tr a-f A-F | tr -d ' :')
if [ "$a" != 3B15134744543001 ]; then
	fail $t "slot 1's ATR in sysfs is '$a'"
elif ! echo "$info" | grep -q "ATR$a"; then
	fail $t "secelctl info $N1 does not show the ATR: $info"
else
	ok $t
fi

t=gadget_tpdu_case4_through_61xx
setmark
r=$(xfer 0 00A4040007${APP}00)
if [ "$r" != ${FCI}9000 ]; then
	fail $t "SELECT answered '$r'"
elif ! since | grep -q "cmd XfrBlock slot=0 .*data=00A4040007${APP}\$"; then
	fail $t "no case 3 TPDU (Le dropped) in the log: $(since | grep XfrBlock)"
elif ! since | grep -q "data=00C000000B\$"; then
	fail $t "no GET RESPONSE 00C000000B: $(since | grep XfrBlock)"
else
	ok $t
fi

t=gadget_tpdu_case2_through_6cxx
setmark
exp=$(i=0; while [ $i -lt 32 ]; do printf %02X $i; i=$((i + 1)); done)
r=$(xfer 1 00E0002000)
if [ "$r" != "${exp}9000" ]; then
	fail $t "32 bytes asked with Le 00: '$r'"
elif ! since | grep -q "slot=1 .*data=00E0002020\$"; then
	fail $t "no re-issue with P3 20 after 6C20: $(since | grep XfrBlock)"
else
	ok $t
fi

t=gadget_time_extensions_honoured
# 6 time extensions 0.5 s apart with a 1.5 s timeout: the answer comes
# after 3.5 s, which only time extensions make the driver wait for
echo 1500 > $TMO
gctl set time_ext=6 time_ext_gap=500
setmark
r=$(xfer 0 00E2000002CAFE00)
gctl set time_ext=0
n=$(since | grep -c "(time extension)")
if [ "$r" != CAFE9000 ]; then
	fail $t "echo with time extensions answered '$r' ($n extensions sent)"
elif [ "$n" -lt 6 ]; then
	fail $t "only $n time extensions sent"
elif since | grep -q "ABORT"; then
	fail $t "the driver aborted: $(since | grep -i abort)"
else
	ok $t
fi

t=gadget_late_answer_aborted
echo 1000 > $TMO
gctl set late=4000 late_count=1
setmark
r=$(xfer 0 00E2000002BEEF00)
r2=$(xfer_next 0 00E2000002F00D00)
if [ "$r" != "error ETIMEDOUT" ]; then
	fail $t "a late answer gave '$r', not ETIMEDOUT"
elif ! since | grep -q "ctrl ABORT slot=0"; then
	fail $t "no ABORT class request: $(since | grep -v '^rsp')"
elif ! since | grep -q "cmd Abort slot=0"; then
	fail $t "no PC_to_RDR_Abort: $(since | grep -v '^rsp')"
elif [ "$r2" != F00D9000 ]; then
	fail $t "the next exchange answered '$r2'"
else
	ok $t
fi

t=gadget_delete_cancels_exchange
# an exchange the card stretches to 40 s with time extensions: DELETE
# cancels it (the converter's cancel: ABORT, then the stale answer
# skipped) rather than waits for it; the SE then works after ADD
I=$(se_of 0)
gctl set time_ext=80 time_ext_gap=500
setmark
: > "$tmp/cx.out"
xfer 0 00E2000002C0DE00 > "$tmp/cx.out" &
XP=$!
if ! await 30 sh -c "tail -n +$((mark + 1)) '$tmp/g.log' | grep -q '(time extension)'"; then
	gctl set time_ext=0
	wait $XP
	fail $t "no time extension seen: $(since | grep -v '^rsp' | tail -n 4 | tr '\n' '|')"
else
	bounded "$CTL" delete "$I" > "$tmp/del.out" 2>&1
	dr=$?
	await 15 test -s "$tmp/cx.out"
	r=$(cat "$tmp/cx.out")
	gctl set time_ext=0
	wait $XP
	[ -n "$r" ] || r=$(cat "$tmp/cx.out")
	bounded "$CTL" add "$I" > "$tmp/add.out" 2>&1
	await 30 have_se 0
	r2=$(xfer 0 00E20000021234)
	if [ "$dr" != 0 ]; then
		fail $t "secelctl delete: $(cat "$tmp/del.out")"
	elif [ "$r" != "error ECANCELED" ]; then
		diagnose 12 12
		fail $t "the exchange under DELETE gave '$r', not ECANCELED within 15 s"
	elif ! since | grep -q "ctrl ABORT slot=0" ||
	     ! since | grep -q "cmd Abort slot=0"; then
		fail $t "no Abort of the cancelled command: $(since | grep -v '^rsp' | tail -n 6 | tr '\n' '|')"
	elif [ "$r2" != 12349000 ]; then
		fail $t "after ADD ($(cat "$tmp/add.out")) the SE answered '$r2'"
	else
		ok $t
	fi
fi

# ---- a signal mid-exchange ------------------------------------------------
# The card answers one APDU (INS E0) 30 s late, the timeout being 60 s: a
# signal, not the answer or the timeout, ends the exchange.  The driver
# then aborts the command as CCID 1.1 5.3.1 says: the ABORT class request
# first, then PC_to_RDR_Abort with the command's bSlot and bSeq.  The next
# exchange, from another process, gets its own answer.
#
# gone PID: the process has ended (or is a zombie not yet reaped)
gone() {
	st=$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)
	[ -z "$st" ] || [ "$st" = Z ]
}
# seq_of HEX: bSeq of slot 0's XfrBlock carrying HEX, since the mark
seq_of() {
	since | sed -n "s/^cmd XfrBlock slot=0 seq=\([0-9]*\) .*data=$1\$/\1/p" |
		tail -n 1
}
# aborts SEQ: slot 0's abort messages for bSeq SEQ since the mark, in order
aborts() {
	since | grep -E "^(ctrl ABORT slot=0 seq=$1\$|cmd Abort slot=0 seq=$1 )" |
		cut -d' ' -f1-2 | tr '\n' '|'
}
# kernel_reports LINE: what the kernel log has, from LINE on, of a report
kernel_reports() {
	dmesg | tail -n "+$(($1 + 1))" |
		grep -E 'BUG|WARNING|Oops|INFO: task .* blocked|general protection|KASAN|leak|Call Trace' |
		head -n 3
}

t=gadget_signal_handler_eintr_aborted
dm0=$(dmesg | wc -l)
echo 60000 > $TMO
gctl set late=30000 late_count=1 late_ins=0xE0 after_abort=0
setmark
"$GADGET" xfer "/dev/secel$(se_of 0)" 00E0000808 --sigusr1 > "$tmp/sig.out" 2>&1 &
SP=$!
pids="$pids $SP"
if ! await 30 sh -c "tail -n +$((mark + 1)) '$tmp/g.log' | grep -q 'data=00E0000808\$'"; then
	fail $t "the APDU did not reach the reader: $(cat "$tmp/sig.out")"
	kill "$SP" 2>/dev/null
else
	sleep 0.5	# the driver waits for the answer
	kill -USR1 "$SP"
	# promptly: well before the late answer (30 s) or the timeout (60 s)
	await 15 gone "$SP"
	ended=$?
	r=$(cat "$tmp/sig.out")
	S=$(seq_of 00E0000808)
	ab=$(aborts "$S")
	r2=$(xfer 0 00E0000404)
	rep=$(kernel_reports "$dm0")
	if [ $ended != 0 ]; then
		diagnose 10 10
		fail $t "the exchange still runs 15 s after SIGUSR1 ($r)"
	else
		case "$r" in
		"error EINTR "*" after the signal")
			echo "# $r; slot 0 XfrBlock bSeq $S: $ab"
			if [ "$ab" != "ctrl ABORT|cmd Abort|" ]; then
				fail $t "not the ABORT request then PC_to_RDR_Abort for bSeq $S: '$ab'; log: $(since | grep -v '^rsp' | tail -n 6 | tr '\n' '|')"
			elif [ "$r2" != 000102039000 ]; then
				fail $t "the next exchange, 4 bytes asked, answered '$r2'"
			elif [ -n "$rep" ]; then
				fail $t "kernel report: $rep"
			else
				ok $t
			fi ;;
		*)	diagnose 10 10
			fail $t "the interrupted exchange gave '$r', not EINTR after the signal" ;;
		esac
	fi
fi
kill "$SP" 2>/dev/null
wait "$SP" 2>/dev/null

t=gadget_sigkill_aborted_channel_closed
# the APDU goes on a logical channel the process opened; the reader
# answers the Abort and then, all the same, the aborted command
# (after_abort=2), so the next command's first answer is stale: the driver
# must skip it by its bSeq.  The file's release closes the channel on the
# card (MANAGE CHANNEL close, by the dying task or the core's close
# worker)
dm0=$(dmesg | wc -l)
gctl set late=30000 late_count=1 late_ins=0xE0 after_abort=2
setmark
"$GADGET" xfer "/dev/secel$(se_of 0)" 00E0000808 --channel $APP > "$tmp/kill.out" 2>&1 &
KP=$!
pids="$pids $KP"
if ! await 30 sh -c "tail -n +$((mark + 1)) '$tmp/g.log' | grep -q 'data=0[1-3]E0000808\$'"; then
	fail $t "the APDU did not reach the reader: $(cat "$tmp/kill.out")"
	kill "$KP" 2>/dev/null
else
	ch=$(sed -n 's/^channel //p' "$tmp/kill.out")
	kill -KILL "$KP"
	await 15 gone "$KP"
	ended=$?
	S=$(seq_of 0${ch}E0000808)
	await 15 sh -c "tail -n +$((mark + 1)) '$tmp/g.log' | grep -q 'cmd XfrBlock slot=0 .*data=0070800${ch}00\$'"
	closed=$?
	ab=$(aborts "$S")
	stale=$(since | sed -n "/^cmd Abort slot=0 seq=$S /,\$p" |
		grep -c "^rsp 800A00000000$(printf %02X "$S")")
	# another process: a channel (the card's lowest free, so the closed
	# one again) and an APDU on it
	r2=$("$GADGET" xfer "/dev/secel$(se_of 0)" 00E0000404 --channel $APP 2>&1 | tr '\n' ' ')
	rep=$(kernel_reports "$dm0")
	echo "# channel $ch, slot 0 XfrBlock bSeq $S: $ab its answer sent after the Abort: $stale"
	if [ $ended != 0 ]; then
		diagnose 10 10
		fail $t "the process is still there 15 s after SIGKILL"
	elif [ -z "$ch" ]; then
		fail $t "no channel opened: $(cat "$tmp/kill.out")"
	elif [ "$ab" != "ctrl ABORT|cmd Abort|" ]; then
		fail $t "not the ABORT request then PC_to_RDR_Abort for bSeq $S: '$ab'"
	elif [ $closed != 0 ]; then
		diagnose 10 10
		fail $t "channel $ch was not closed on the card after the kill"
	elif [ "$stale" = 0 ]; then
		fail $t "the aborted command's answer was not sent after the Abort (the case tests nothing)"
	elif [ "$r2" != "channel $ch 000102039000 " ]; then
		fail $t "the next process got '$r2', not channel $ch and 000102039000; log: $(since | grep -v '^rsp' | tail -n 6 | tr '\n' '|')"
	elif [ -n "$rep" ]; then
		fail $t "kernel report: $rep"
	else
		ok $t
	fi
fi
kill "$KP" 2>/dev/null
wait "$KP" 2>/dev/null
gctl set late=0 late_count=0 late_ins=0 after_abort=0
echo 1000 > $TMO

# answers the driver must not take: each a clear errno, no hang, and the
# next exchange works
fault_case() { # TEST KNOB ERRNO
	setmark
	gctl set "$2=1"
	r=$(xfer 0 00E2000002ABCD00)
	r2=$(xfer_next 0 00E20000021234)
	gctl set "$2=0"
	if [ "$r" != "error $3" ]; then
		fail "$1" "$2: '$r', not $3; log: $(since | grep -v '^rsp' | tail -n 6 | tr '\n' '|')"
	elif [ "$r2" != 12349000 ]; then
		fail "$1" "the exchange after $2 answered '$r2'; log: $(since | tail -n 8 | tr '\n' '|')"
	else
		ok "$1"
	fi
}
fault_case gadget_wrong_bseq_times_out bad_seq ETIMEDOUT
fault_case gadget_wrong_bslot_times_out bad_slot ETIMEDOUT
fault_case gadget_short_header_eproto short_header EPROTO
fault_case gadget_dwlength_mismatch_eproto bad_length EPROTO

t=gadget_stalled_bulk_in_recovers
setmark
gctl set stall_in=1
r=$(xfer 0 00E2000002ABCD00)
r2=$(xfer 0 00E20000021234)
r3=$(xfer 1 00E20000025678)
case "$r" in
"error EIO")
	if [ "$r2" != 12349000 ] || [ "$r3" != 56789000 ]; then
		fail $t "after the stall ($r): slot 0 '$r2', slot 1 '$r3'"
	else
		ok $t
	fi ;;
*)	fail $t "a stalled bulk-in gave '$r'" ;;
esac

t=gadget_silent_reader_times_out
gctl set silent=1
r=$(xfer 0 00E2000002ABCD00)
gctl set silent=0
r2=$(xfer_next 0 00E20000021234)
if [ "$r" != "error ETIMEDOUT" ]; then
	fail $t "a silent reader gave '$r'"
elif [ "$r2" != 12349000 ]; then
	fail $t "the exchange after silence answered '$r2'"
else
	ok $t
fi

t=gadget_card_removed_and_inserted
/usr/bin/python3 "$PEER" uevents 120 > "$tmp/uev.out" 2>&1 &
UPID=$!
pids="$pids $UPID"
await 30 grep -q ready "$tmp/uev.out"
setmark
gctl remove 1
if ! await 30 no_se 1; then
	fail $t "slot 1's SE still there after NotifySlotChange (removed)"
elif ! await 10 grep -q "^remove $N1\$" "$tmp/uev.out"; then
	fail $t "no remove uevent for $N1: $(cat "$tmp/uev.out" | tr '\n' ' ')"
elif [ "$(xfer 0 00E20000021234)" != 12349000 ]; then
	fail $t "slot 0 stopped working when slot 1's card left"
else
	# put back, with a card that needs 3 V: the driver starts at 1.8 V
	gctl set min_voltage=2
	gctl insert 1
	if ! await 40 have_se 1; then
		fail $t "no SE for slot 1 after NotifySlotChange (inserted): $(since | grep -v '^rsp' | tail -n 5 | tr '\n' '|')"
	elif ! await 10 grep -q "^add $N1\$" "$tmp/uev.out"; then
		fail $t "no add uevent for $N1 (got $(cat "$tmp/uev.out" | tr '\n' ' '))"
	elif [ "$(xfer 1 00E20000025678)" != 56789000 ]; then
		fail $t "the re-inserted card does not answer"
	else
		ok $t
	fi
fi
kill "$UPID" 2>/dev/null

t=gadget_voltage_classes_lowest_first
pw=$(since | sed -n 's/^cmd IccPowerOn slot=1 .* b7=\(..\) .*/\1/p' | tr '\n' ' ')
gctl set min_voltage=0
case "$pw" in
"03 02 "*) ok $t ;;
*)	fail $t "slot 1 powered on with bPowerSelect '$pw', not 1.8 V then 3 V" ;;
esac

t=gadget_unplug_with_apdu_in_flight
echo 30000 > $TMO
gctl set late=60000 late_count=1
setmark
xfer 0 00E2000002ABCD00 > "$tmp/inflight.out" &
XPID=$!
if ! await 30 sh -c "tail -n +$((mark + 1)) '$tmp/g.log' | grep -q 'data=00E2000002ABCD'"; then
	fail $t "the APDU did not reach the reader"
	kill "$XPID" 2>/dev/null
else
	gctl unplug
	await 30 sh -c "! kill -0 $XPID 2>/dev/null"
	if kill -0 "$XPID" 2>/dev/null; then
		fail $t "the APDU still blocks after the unplug"
		kill "$XPID" 2>/dev/null
	elif [ "$(cat "$tmp/inflight.out")" != "error ENODEV" ]; then
		fail $t "the APDU in flight gave '$(cat "$tmp/inflight.out")', not ENODEV"
	elif ! await 20 no_se 0; then
		fail $t "the SEs are still there after the unplug"
	else
		gctl set late_count=0
		gctl plug
		r=""
		await 40 have_se 0 && r=$(xfer 0 00E20000021234)
		if [ "$r" != 12349000 ]; then
			diagnose 25 15
			fail $t "no working SE after the reader came back: '$r' ($(gadget_ses | tr '\n' ' '))"
		else
			ok $t
		fi
	fi
fi
wait "$XPID" 2>/dev/null
echo 10000 > $TMO
fi
stop_gadget

# ---- short APDU level ---------------------------------------------------
t=gadget_short_apdu_level
if ! start_gadget 0 --level short; then
	fail $t "gadget at short APDU level did not come up"
else
	setmark
	r=$(xfer 0 00A4040007${APP}00)
	exp=$(i=0; while [ $i -lt 256 ]; do printf %02X $((i % 256)); i=$((i + 1)); done)
	r2=$(xfer 0 00E0010000)
	if [ "$r" != ${FCI}9000 ]; then
		fail $t "SELECT answered '$r'"
	elif since | grep -q "data=00C0"; then
		fail $t "a GET RESPONSE was sent at APDU level"
	elif ! since | grep -q "data=00A4040007${APP}00\$"; then
		fail $t "the APDU did not go whole: $(since | grep XfrBlock)"
	elif [ "$r2" != "${exp}9000" ]; then
		fail $t "256 bytes asked: '$(echo "$r2" | cut -c1-40)...'"
	else
		ok $t
	fi
fi
stop_gadget

# ---- extended APDU level, a T=0 card: short APDUs only ------------------
# set after the ATR (secel_se_set_limits()): a T=0 card would need
# ENVELOPE for extended lengths
t=gadget_extended_t0_card_short_apdus
if ! start_gadget 0 --level extended; then
	fail $t "gadget at extended APDU level did not come up"
else
	data=$(/usr/bin/python3 -c 'print("A5" * 300)')
	r=$(xfer 0 00E2000000012C${data}0000)
	r2=$(xfer 0 00E20000021234)
	# Python names errno 95 ENOTSUP
	if [ "$r" != "error ENOTSUP" ] && [ "$r" != "error EOPNOTSUPP" ]; then
		fail $t "an extended APDU to a T=0 card gave '$(echo "$r" | cut -c1-40)', not EOPNOTSUPP"
	elif [ "$r2" != 12349000 ]; then
		fail $t "a short APDU then answered '$r2'"
	else
		ok $t
	fi
fi
stop_gadget

# ---- extended APDU level, messages of 271 bytes -------------------------
# a T=1 card: extended lengths
t=gadget_extended_apdu_chained_both_ways
if ! start_gadget 0 --level extended --max-msg 271 --card t1; then
	fail $t "gadget at extended APDU level did not come up"
else
	setmark
	data=$(/usr/bin/python3 -c 'print(bytes((i * 7) & 255 for i in range(1000)).hex().upper())')
	r=$(xfer 0 00E200000003E8${data}0000)
	if [ "$r" != "${data}9000" ]; then
		fail $t "an extended echo of 1000 bytes answered '$(echo "$r" | cut -c1-40)...'; log: $(since | grep -v '^rsp' | tail -n 4 | tr '\n' '|')"
	elif since | grep -q oversize; then
		fail $t "the driver sent messages over dwMaxCCIDMessageLength: $(since | grep oversize | head -n 1)"
	elif ! since | grep -q "cmd XfrBlock .* b8=01 b9=00" ||
	     ! since | grep -q "cmd XfrBlock .* b8=02 b9=00"; then
		fail $t "the command was not chained (wLevelParameter 1 ... 2)"
	elif ! since | grep -q "cmd XfrBlock .* len=0 .* b8=10"; then
		fail $t "the answer was not fetched in parts (wLevelParameter 10h)"
	else
		ok $t
	fi
fi
stop_gadget

# ---- a T=1 card behind a TPDU reader: the T=1 block engine --------------
# Each XfrBlock carries one T=1 block; the gadget's card speaks T=1 from
# the standard (tools/testing/ccid-gadget, T1Card), IFSC 32, LRC.
T1TESTS="gadget_t1_tpdu_ifsd_announced gadget_t1_tpdu_apdu_cases
gadget_t1_tpdu_chained_1000_both_ways gadget_t1_tpdu_edc_error_recovered
gadget_t1_tpdu_mute_card_recovered gadget_t1_tpdu_wtx_extends_bwt"
dmesg -c > /dev/null 2>&1
if ! start_gadget 0 --level tpdu --card t1; then
	for t in $T1TESTS; do
		fail $t "no SE listed for the T=1 card behind a TPDU reader: $(dmesg | grep -i 't=1\|unsupported' | tail -n 2 | tr '\n' '|')"
	done
else
	# T=1 blocks with an LRC, hex, as the gadget logs them: a block of
	# the driver's, in an XfrBlock
	sent() { since | grep "cmd XfrBlock" | sed 's/.*data=//'; }

	t=gadget_t1_tpdu_ifsd_announced
	# after power-on, S(IFS request) with dwMaxIFSD 254 (as libccid does)
	if ! grep -q "data=00C101FE3E" "$tmp/g.log"; then
		fail $t "no S(IFS request) FE: $(grep 'cmd XfrBlock' "$tmp/g.log" | head -n 2 | tr '\n' '|')"
	elif ! grep -q "t1 card: S(IFS request) 254" "$tmp/g.log"; then
		fail $t "the card did not see the S(IFS request)"
	elif ! dmesg | grep -q "slot 0: T=1, IFSC 32, IFSD 254, LRC"; then
		fail $t "the driver does not say IFSC 32, IFSD 254: $(dmesg | grep 'T=1' | tail -n 1)"
	else
		ok $t
	fi

	t=gadget_t1_tpdu_apdu_cases
	setmark
	r1=$(xfer 0 00E20000)
	r2=$(xfer 0 00E0000410)
	r3=$(xfer 0 00E2000002ABCD --raw)
	r4=$(xfer 0 00E2000002ABCD00)
	if [ "$r1" != 9000 ] || [ "$r2" != 000102039000 ] ||
	   [ "$r3" != 6102 ] || [ "$r4" != ABCD9000 ]; then
		fail $t "cases 1-4 answered '$r1' '$r2' '$r3' '$r4'"
	elif [ "$(sent | grep -c '^00[04]0')" -lt 4 ]; then
		fail $t "the APDUs did not go as I-blocks: $(sent | head -n 4 | tr '\n' ' ')"
	elif ! sent | grep -q "^00[04]004" || ! sent | grep -q "^00[04]005"; then
		fail $t "no I-block of 4 (case 1) and 5 (case 2) bytes: $(sent | tr '\n' ' ')"
	else
		ok $t
	fi

	t=gadget_t1_tpdu_chained_1000_both_ways
	setmark
	data=$(/usr/bin/python3 -c 'print(bytes((i * 7) & 255 for i in range(1000)).hex().upper())')
	r=$(xfer 0 00E200000003E8${data}0000)
	if [ "$r" != "${data}9000" ]; then
		fail $t "an echo of 1000 bytes answered '$(echo "$r" | cut -c1-40)...'; log: $(since | grep -v '^rsp' | tail -n 4 | tr '\n' '|')"
	elif [ "$(sent | grep -c '^00[26]020')" -lt 31 ]; then
		fail $t "the command was not sent in 32 chained links of IFSC 32: $(sent | cut -c1-8 | sort | uniq -c | tr '\n' ' ')"
	elif [ "$(sent | grep -c '^00[89]000')" -lt 3 ]; then
		fail $t "the 1002-byte answer (IFSD 254: 4 links) was not acknowledged link by link with R-blocks: $(sent | tail -n 5 | cut -c1-8 | tr '\n' ' ')"
	else
		ok $t
	fi

	# t1_fault TEST KNOB WHAT R-BLOCK: one APDU with the T=1 card's fault
	# KNOB; it must succeed after the driver sent R-BLOCK (a regex)
	t1_fault() {
		setmark
		gctl set "$2=1"
		r=$(xfer 0 00E2000002ABCD00)
		if [ "$r" != ABCD9000 ]; then
			fail "$1" "after $3 the APDU answered '$r'; log: $(since | grep -v '^rsp' | tail -n 6 | tr '\n' '|')"
		elif ! since | grep -q "fault: t1"; then
			fail "$1" "the fault was not injected"
		elif ! sent | grep -Eq "$4"; then
			fail "$1" "no R-block $4 after $3: $(sent | tr '\n' ' ')"
		else
			ok "$1"
		fi
	}
	# R(N(R)) with the EDC bit, and with "other error"
	t1_fault gadget_t1_tpdu_edc_error_recovered t1_edc "a corrupted EDC" \
		'^00(81008|91009)1$'
	t1_fault gadget_t1_tpdu_mute_card_recovered t1_mute "a mute block" \
		'^00(82008|92009)2$'

	t=gadget_t1_tpdu_wtx_extends_bwt
	setmark
	gctl set t1_wtx=1
	r=$(xfer 0 00E2000002ABCD00)
	if [ "$r" != ABCD9000 ]; then
		fail $t "after S(WTX) the APDU answered '$r'; log: $(since | grep -v '^rsp' | tail -n 6 | tr '\n' '|')"
	elif ! since | grep -q "cmd XfrBlock .* b7=02 .* data=00E30102E0"; then
		fail $t "S(WTX response) 2 did not go with bBWI 2: $(since | grep 'cmd XfrBlock' | tr '\n' '|')"
	elif [ "$(since | grep 'cmd XfrBlock' | grep -vc 'b7=00')" != 1 ]; then
		fail $t "bBWI was not back to 0 after the block WTX was for"
	else
		ok $t
	fi
fi
stop_gadget

# ---- names: secel_ccid.kind; SetParameters --------------------------------
# One reader for both: TPDU level, no automatic parameter bits in
# dwFeatures (no 02h, 40h or 80h), two cards whose ATRs the driver turns
# into PC_to_RDR_SetParameters in the default set_parameters mode (1):
#   slot 0, T=0 in specific mode: TA1 95h (Fi 512, Di 16), TC1 02h,
#     TD1 10h (TA2 follows, T=0), TA2 00h (specific mode, T=0, TA1 as is)
#   slot 1, T=1 in negotiable mode: TA1 95h, TC1 01h, TD1 01h (T=1), TCK;
#     nobody makes a PPS, so the card keeps Fi 372, Di 1 (11h)
# each with the historical bytes "GDT" <protocol> <slot> (gadget_ses)
ATR0=3BD5950210004744543000
ATR1=3BD5950101474454310127
t=gadget_kind_names_ses
rmmod secel_ccid 2>/dev/null
up=""
if ! insmod "$MODDIR/secel_ccid.ko" kind=eSE 2> "$tmp/insmod.err"; then
	fail $t "insmod kind=eSE: $(cat "$tmp/insmod.err")"
elif ! start_gadget "0 1" --slots 2 --level tpdu --no-auto --t1-slots 1 \
		--atr 0=$ATR0 --atr 1=$ATR1; then
	fail $t "gadget did not come up"
else
	up=1
	n=$(cat /sys/class/secel/secel"$(se_of 0)"/name)
	case "$n" in
	eSE[0-9]*) ok $t ;;
	*)	fail $t "with kind=eSE the SE is named '$n'" ;;
	esac
fi

t=gadget_set_parameters_from_atr
# the T=0 structure (CCID 1.1 6.1.7): bmFindexDindex 95, bmTCCKST0 00,
# bGuardTimeT0 02, bWaitingIntegerT0 0A (no TC2: WI 10), bClockStop 00;
# the T=1 one: 11, bmTCCKST1 10 (LRC, direct), bGuardTimeT1 01,
# bmWaitingIntegersT1 4D (no TB3), bClockStop 00, bIFSC 20 (no TA3),
# bNadValue 00
if [ -z "$up" ]; then
	skip $t "no reader"
else
	sp0=$(grep "^cmd SetParameters slot=0 " "$tmp/g.log" | sed 's/ seq=[0-9]*//' | sort -u | tr '\n' '|')
	sp1=$(grep "^cmd SetParameters slot=1 " "$tmp/g.log" | sed 's/ seq=[0-9]*//' | sort -u | tr '\n' '|')
	r0=$(xfer 0 00E2000002ABCD00)
	r1=$(xfer 1 00E2000002CDEF00)
	if [ "$sp0" != "cmd SetParameters slot=0 len=5 b7=00 b8=00 b9=00 data=9500020A00|" ]; then
		fail $t "slot 0 (T=0, TA1 95h specific): '$sp0'; $(dmesg | grep 'SetParameters' | tail -n 2 | tr '\n' '|')"
	elif [ "$sp1" != "cmd SetParameters slot=1 len=7 b7=01 b8=00 b9=00 data=1110014D002000|" ]; then
		fail $t "slot 1 (T=1, TA1 95h negotiable): '$sp1'; $(dmesg | grep 'SetParameters' | tail -n 2 | tr '\n' '|')"
	elif ! grep -q "^params slot=0 T=0 9500020A00\$" "$tmp/g.log" ||
	     ! grep -q "^params slot=1 T=1 1110014D002000\$" "$tmp/g.log"; then
		fail $t "the reader did not take the parameters: $(grep '^params' "$tmp/g.log" | tr '\n' '|')"
	elif [ "$r0" != ABCD9000 ] || [ "$r1" != CDEF9000 ]; then
		fail $t "exchanges afterwards: slot 0 '$r0', slot 1 '$r1'"
	else
		ok $t
	fi
fi

t=gadget_module_unload
i=$(se_of 0)
if ! bounded rmmod secel_ccid 2> "$tmp/rmmod.err"; then
	fail $t "rmmod secel_ccid: $(cat "$tmp/rmmod.err")"
elif [ -n "$i" ] && [ -e /sys/class/secel/secel"$i" ]; then
	fail $t "secel$i still there after rmmod"
elif ! insmod "$MODDIR/secel_ccid.ko" 2> "$tmp/insmod.err"; then
	fail $t "insmod: $(cat "$tmp/insmod.err")"
elif ! await 40 have_se 0; then
	fail $t "the gadget's SE did not come back after reloading secel_ccid"
else
	ok $t
fi
stop_gadget
exit 0

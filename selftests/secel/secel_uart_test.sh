#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# secel selftests: secel_uart, a card on the guest's second UART, declared
# by an SSDT the way firmware declares it, its I/O line carried to the
# host's uart-card (tools/testing/uart/uart-card), which answers byte by
# byte as an ISO/IEC 7816-3 card: the ATR, PPS, T=0 procedure bytes, and
# wire faults asked for in band (80 5E P1 P2).  KTAP on stdout.  Run it
# through tools/testing/uart/run-guest; skips, with the reason, when no
# secel_uart device is bound.  About 1 to 2 minutes with the boot.
#
# Environment: SECELCTL overrides the tool's path; SECEL_MODULES_DIR is
# where secel_uart.ko is reloaded from (default drivers/secel).

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
CTL=${SECELCTL:-$root/tools/secelctl/secelctl}
MODDIR=${SECEL_MODULES_DIR:-$root/drivers/secel}
DRV=/sys/bus/serial/drivers/secel_uart
ATR=3B9513400A534543454C

. "$here/secel_lib.sh"
secel_tmp secel-uart

TESTS="uart_se_listed_with_atr uart_pps_agreed_8e_parity
uart_t0_case1 uart_t0_case2_exact uart_t0_case2_through_6cxx
uart_t0_case2_256_bytes uart_t0_case3 uart_t0_case4_through_61xx
uart_t0_ack_one_byte_at_a_time uart_t0_null_bytes_wait
uart_corrupted_procedure_byte_eproto_then_recovers
uart_silent_card_etimedout_then_recovers
uart_pps_refused_falls_back_to_default_rate
uart_atr_that_never_ends_eproto uart_atr_cut_short_etimedout
uart_warm_reset
uart_t1_negotiated uart_t1_case1 uart_t1_case2 uart_t1_case4
uart_t1_extended_apdu_chained_both_ways uart_t1_corrupted_block_recovers
uart_t1_lost_block_recovers uart_t1_oversized_len_recovers
uart_t1_wtx_honoured uart_t1_ifs_change_obeyed
uart_t1_rblock_storm_ends_cleanly uart_t1_silent_mid_chain_then_recovers
uart_t1_signal_eintr_then_resynchronised uart_t1_sigkill_closes_its_channel
uart_unbind_with_apdu_in_flight uart_module_unload"

ktap_plan
. "$here/secel_uart_lib.sh"
# what the card agreed: TA, protocol, resets, PPS seen, 8E framing
agreed() { xfer 8018000006; }
resets() { a=$(agreed); echo "$a" | cut -c5-6; }
reset_se() { # [--warm]: secelctl's verdict
	n=$(se_name) || { echo "no-se"; return; }
	bounded "$CTL" reset "$n" "$@" > "$tmp/reset.out" 2>&1 && echo ok && return
	sed 's/.*: //' "$tmp/reset.out"
}

# fault_then_recovers NAME FAULT APDU PATTERN...: with FAULT armed,
# APDU's outcome matches a PATTERN; the next exchange works and the SE is
# listed
fault_then_recovers() {
	name=$1
	fault "$2"
	r=$(xfer "$3")
	r2=$(xfer 80160000)
	shift 3
	for pat in "$@"; do
		case $r in
		$pat) if [ "$r2" = 9000 ] && have_se; then ok "$name"; return; fi ;;
		esac
	done
	fail "$name" "'$r', then '$r2'"
}
# reset_fails NAME FAULT PATTERN: with FAULT armed, a reset fails as
# PATTERN says; the next reset works, the SE is listed and exchanges
reset_fails() {
	fault "$2"
	v=$(reset_se)
	v2=$(reset_se)
	case $v in
	$3) if [ "$v2" = ok ] && await 30 have_se && [ "$(xfer 80160000)" = 9000 ]; then
		ok "$1"
		return
	fi ;;
	esac
	fail "$1" "reset: '$v', then '$v2', state $(cat /sys/class/secel/secel"$I"/state)"
}

if ! [ -d "$DRV" ] || ! await 60 have_se; then
	for t in $TESTS; do
		skip "$t" "no secel_uart SE listed (run through tools/testing/uart/run-guest)"
	done
	exit 0
fi

I=$(uart_se)
check uart_se_listed_with_atr "$ATR" "$(cat /sys/class/secel/secel"$I"/atr | tr a-f A-F | tr -d ' :')"

# the card answers with the TA1 it agreed in PPS (13: Fi 372, Di 4, 38400
# bit/s at 3.5712 MHz), T=0, and whether the UART's LCR was 8 bits even
# parity when RST rose
a=$(agreed)
case $a in
13000?0?01??9000) ok uart_pps_agreed_8e_parity ;;
*) fail uart_pps_agreed_8e_parity "card's view: $a (want TA 13, T=0, a PPS, 8E)" ;;
esac

check uart_t0_case1 9000 "$(xfer 80160000)"
check uart_t0_case2_exact 0506070809 "$(xfer 8010050505 | cut -c1-10)"
# Le 00 asks for 256, the card has 3: 6C03, the TPDU again with P3 03
check uart_t0_case2_through_6cxx 0A0B0C9000 "$(xfer 80100A0300 | cut -c1-10)"
r=$(xfer 8010000000)
if [ ${#r} = 516 ] && [ "$(echo "$r" | cut -c1-6)" = 000102 ] &&
   [ "$(echo "$r" | cut -c509-516)" = FEFF9000 ]; then
	ok uart_t0_case2_256_bytes
else
	fail uart_t0_case2_256_bytes "got ${#r} hex digits: $(echo "$r" | cut -c1-40)..."
fi
check uart_t0_case3 9000 "$(xfer 80123456020102)"
check uart_t0_case4_through_61xx CCBBAA9000 "$(xfer 8014000003AABBCC00)"

# fault 07: every data byte after its own INS xor FF procedure byte
fault 0700
check uart_t0_ack_one_byte_at_a_time 1011129000 "$(xfer 8010100300)"
# fault 03: 5 NULL bytes 100 ms apart, each restarting the work waiting time
fault 0305
check uart_t0_null_bytes_wait 9000 "$(xfer 80160000)"

# fault 01: a procedure byte that is none: EPROTO; the next exchange
# resets the card (cold) and works; the SE stayed listed all along
r0=$(resets)
fault 0100
r=$(xfer 80160000)
r2=$(xfer 80160000)
r1=$(resets)
if [ "$r" = "error EPROTO" ] && [ "$r2" = 9000 ] && [ "$r1" != "$r0" ] && have_se; then
	ok uart_corrupted_procedure_byte_eproto_then_recovers
else
	fail uart_corrupted_procedure_byte_eproto_then_recovers "'$r', then '$r2', resets $r0 -> $r1"
fi

# fault 02: the command is never answered: ETIMEDOUT after the work
# waiting time (about 1 s at WI 10), then the same recovery
fault_then_recovers uart_silent_card_etimedout_then_recovers 0200 80160000 "error ETIMEDOUT"

# fault 06: the card answers the PPS without PPS1 (refused): the driver
# deactivates, activates again and stays at Fd, Dd without PPS (ISO/IEC
# 7816-3 9.1); the card reports TA 11 and no new PPS
fault 0600
v=$(reset_se)
a=$(agreed)
case "$v $a" in
"ok 1100"*9000) ok uart_pps_refused_falls_back_to_default_rate ;;
*) fail uart_pps_refused_falls_back_to_default_rate "reset: $v, card's view: $a" ;;
esac

# fault 04: TDi after TDi, never the end: EPROTO once SECEL_ATR_MAX bytes
# are passed; a cold reset after it works and the SE is listed
reset_fails uart_atr_that_never_ends_eproto 0400 "*malformed*"

# fault 05: the ATR stops after its third byte: ETIMEDOUT
reset_fails uart_atr_cut_short_etimedout 0500 "*did not answer*"

r0=$(resets)
v=$(reset_se --warm)
r1=$(resets)
if [ "$v" = ok ] && [ "$r1" != "$r0" ]; then
	ok uart_warm_reset
else
	fail uart_warm_reset "reset: $v, resets $r0 -> $r1; $(dmesg | grep -E 'secel_uart|secel ' | tail -n 4 | tr '\n' '|')"
fi

# T=1: the card's ATRs offer T=1 only from now on (fault 20 01); after a
# reset the driver proposes T=1 in its PPS and carries APDUs with the
# core's T=1 engine, announcing IFSD 254 with S(IFS)
fault 2001
v=$(reset_se)
a=$(agreed)
case "$v $a" in
"ok 1301"*9000) ok uart_t1_negotiated ;;
*) fail uart_t1_negotiated "reset: $v, card's view: $a" ;;
esac
check uart_t1_case1 9000 "$(xfer 80160000)"
check uart_t1_case2 0506070809 "$(xfer 8010050505 | cut -c1-10)"
check uart_t1_case4 CCBBAA9000 "$(xfer 8014000003AABBCC00)"
# 600 bytes each way, extended length: 19 I-blocks of at most IFSC 32 to
# the card, 3 of at most IFSD 254 back
data=$(i=0; while [ $i -lt 600 ]; do printf '%02X' $((i % 251)); i=$((i + 1)); done)
rev=$(echo "$data" | fold -w2 | tac | tr -d '\n')
r=$(xfer "80140000000258${data}0000")
check uart_t1_extended_apdu_chained_both_ways "${rev}9000" "$r"
fault 1100
check uart_t1_corrupted_block_recovers 9000 "$(xfer 80160000)"
fault 1200
check uart_t1_lost_block_recovers 9000 "$(xfer 80160000)"
fault 1700
check uart_t1_oversized_len_recovers 9000 "$(xfer 80160000)"
fault 1400
check uart_t1_wtx_honoured 9000 "$(xfer 80160000)"
# the card lowers its IFSC to 16 with S(IFS) before answering; the next
# chain must come in blocks of 16 at most (the card reports its largest)
fault 1500
r=$(xfer 80160000)
r2=$(xfer "8014000064$(echo "$data" | cut -c1-200)00")
a=$(agreed)
if [ "$r" = 9000 ] && [ ${#r2} = 204 ] && [ "$(echo "$a" | cut -c11-12)" = 10 ]; then
	ok uart_t1_ifs_change_obeyed
else
	fail uart_t1_ifs_change_obeyed "'$r', then ${#r2} hex digits, card's view $a"
fi
# 20 R-blocks instead of an answer: the engine resends, resynchronises,
# and ends with a clean error (or the answer); the next exchange works
fault_then_recovers uart_t1_rblock_storm_ends_cleanly 1300 80160000 \
	"error EPROTO" "error EIO" "error ETIMEDOUT" 9000
# the card falls silent after the first block of a chain: an error; the
# next exchange resets the card and works
fault_then_recovers uart_t1_silent_mid_chain_then_recovers 1600 \
	"8012000064$(echo "$data" | cut -c1-200)" "error*"

# the card's channels (open ones as bits, closes and S(RESYNCH) seen)
chans() { xfer 801C000003; }
node() { echo "/dev/secel$(uart_se)"; }
# fault 18 28: the card asks for waiting time every 200 ms for 4 s before
# the answer.  A handler without SA_RESTART catches SIGALRM 1 s into the
# exchange: the ioctl returns EINTR at once (well before the card's
# answer); the next exchange, from another process, takes the card's late
# answer off the line, sends S(RESYNCH) and gets its own answers right,
# with no reset of the card (which would lose its channels)
reset_se > /dev/null
c0=$(chans)
r0=$(resets)
fault 1828
out=$(bounded /usr/bin/python3 "$here/apdu_interrupt.py" --alarm 1 "$(node)" 80160000)
r=$(xfer 8010050505)
r2=$(xfer 8014000003AABBCC00)
r1=$(resets)
c1=$(chans)
case $out in
"errno EINTR 0."[0-4]*)
	if [ "$r" = 05060708099000 ] && [ "$r2" = CCBBAA9000 ] &&
	   [ "$r1" = "$r0" ] &&
	   [ $((0x$(echo "$c1" | cut -c5-6))) = $((0x$(echo "$c0" | cut -c5-6) + 1)) ]; then
		ok uart_t1_signal_eintr_then_resynchronised
	else
		fail uart_t1_signal_eintr_then_resynchronised "then '$r', '$r2'; resets $r0 -> $r1; channels/closes/resynchs $c0 -> $c1"
	fi ;;
*) fail uart_t1_signal_eintr_then_resynchronised "interrupted: '$out' (want EINTR within 0.5 s)" ;;
esac

# a process that holds a logical channel is killed in the middle of a
# long exchange on it: its channel is closed on the card (MANAGE CHANNEL
# close, after the resync takes the card's late answer off the line: the
# dying task closes it, no signal pending any more, or the core's close
# worker does), its exit bounded (here about 3 s, the card's remaining
# S(WTX) time); the next exchange works
c0=$(chans)
rm -f "$tmp/ready"
/usr/bin/python3 "$here/apdu_interrupt.py" --channel --first 805E1828 \
	--ready "$tmp/ready" "$(node)" 80160000 > "$tmp/killed" 2>&1 &
kp=$!
await 20 test -s "$tmp/ready"
ch=$(cat "$tmp/ready" 2>/dev/null)
sleep 1
t0=$(date +%s)
kill -9 $kp
wait $kp 2> /dev/null
t1=$(($(date +%s) - t0))
closed() {
	c=$(chans)
	[ "$(echo "$c" | cut -c1-2)" = 00 ] &&
		[ "$(echo "$c" | cut -c3-4)" != "$(echo "$c0" | cut -c3-4)" ]
}
if [ "${ch:-0}" -ge 1 ] && [ $t1 -le 10 ] && await 30 closed &&
   [ "$(xfer 8010050505)" = 05060708099000 ]; then
	ok uart_t1_sigkill_closes_its_channel
else
	fail uart_t1_sigkill_closes_its_channel "channel '$ch' ($(cat "$tmp/killed")), killed in ${t1} s; channels/closes/resynchs $c0 -> $(chans)"
fi

fault 2000
reset_se > /dev/null

# fault 08: NULL bytes for 9 s; the device is unbound meanwhile: the
# exchange ends with ENODEV, the SE leaves; bound again, it is back
dev=$(basename "$(readlink -f "/sys/class/secel/secel$I/device")")
fault 085A
xfer 80160000 > "$tmp/inflight" &
xp=$!
# in flight: a task sleeps in the driver's read (wchan), or 20 s passed
inflight() { grep -qs secel_uart /proc/[0-9]*/wchan; }
await 20 inflight || echo "# uart_unbind_with_apdu_in_flight: no task seen waiting in secel_uart"
echo "$dev" > "$DRV/unbind"
wait $xp
r=$(cat "$tmp/inflight")
gone=no
[ -z "$(ses_of_uart)" ] && gone=yes
echo "$dev" > "$DRV/bind"
if [ "$r" = "error ENODEV" ] && [ $gone = yes ] && await 60 have_se &&
   [ "$(xfer 80160000)" = 9000 ]; then
	ok uart_unbind_with_apdu_in_flight
else
	fail uart_unbind_with_apdu_in_flight "in flight: '$r', SE gone: $gone, now: $(ses_of_uart)"
fi

if rmmod secel_uart && [ -z "$(ses_of_uart)" ] &&
   insmod "$MODDIR/secel_uart.ko" && await 60 have_se &&
   [ "$(xfer 80160000)" = 9000 ]; then
	ok uart_module_unload
else
	fail uart_module_unload "SEs: $(ses_of_uart)"
fi

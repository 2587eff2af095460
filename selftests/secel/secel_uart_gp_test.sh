#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# secel selftests: secel_uart in its GlobalPlatform T=1 mode (protocol
# "gp-t1"), an eSE on the guest's second UART declared by an SSDT
# (tools/testing/uart/secel-uart-gp.asl), its line carried to the host's
# uart-card --gp, which answers as a GP T=1 SE: S(SWR), S(CIP), S(RELEASE),
# S(WTX), I-blocks with CRC-16, and wire faults asked for in band
# (80 5E P1 P2).  KTAP on stdout.  Run it through
# tools/testing/uart/run-guest --gp; skips, with the reason, when no GP
# secel_uart device is bound.  About 1 to 2 minutes with the boot.
#
# Environment: SECELCTL overrides the tool's path; SECEL_MODULES_DIR is
# where secel_uart.ko is reloaded from (default drivers/secel).

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
CTL=${SECELCTL:-$root/tools/secelctl/secelctl}
MODDIR=${SECEL_MODULES_DIR:-$root/drivers/secel}
DRV=/sys/bus/serial/drivers/secel_uart
# the card's CIP (uart-card: GP_CIP) and the ATR the driver builds from
# its historical bytes "SECELGP": 3B 87 80 01 hist TCK
CIP=0103894901010c00052710320100c8001000640401f4004007534543454c4750
ATR=3B878001534543454C47504D

. "$here/secel_lib.sh"
secel_tmp secel-uart-gp

TESTS="gp_se_listed_with_cip_as_atr gp_swr_and_cip_at_power_on_8n1
gp_case1 gp_case2 gp_case4 gp_extended_apdu_chained_both_ways_beyond_ifsc
gp_wtx_honoured gp_corrupted_crc_recovered_by_rblock
gp_reader_block_sent_again_on_rblock gp_lost_block_recovers
gp_warm_reset_is_swr gp_cold_reset_is_swr gp_malformed_cip_eproto_then_recovers
gp_silent_se_reset_etimedout_then_recovers gp_release_after_idle
gp_release_on_power_off gp_unbind_mid_exchange_enodev gp_module_unload"

ktap_plan
. "$here/secel_uart_lib.sh"
# the card's GP counters (80 1A): "SWR CIP RELEASE RNAK 8N1 MAXINF WTX",
# decimal
status() {
	r=$(xfer 801A000008)
	case $r in
	????????????????9000) ;;
	*) echo "bad status $r"; return ;;
	esac
	echo "$((0x$(echo "$r" | cut -c1-2))) $((0x$(echo "$r" | cut -c3-4)))" \
	     "$((0x$(echo "$r" | cut -c5-6))) $((0x$(echo "$r" | cut -c7-8)))" \
	     "$((0x$(echo "$r" | cut -c9-10))) $((0x$(echo "$r" | cut -c11-14)))" \
	     "$((0x$(echo "$r" | cut -c15-16)))"
}
field() { echo "$1" | cut -d' ' -f"$2"; }
# power-on sessions the card saw (80 18, byte 3)
sessions() { xfer 8018000006 | cut -c5-6; }
reset_se() { # [--warm]: secelctl's verdict
	n=$(se_name) || { echo "no-se"; return; }
	bounded "$CTL" reset "$n" "$@" > "$tmp/reset.out" 2>&1 && echo ok && return
	sed 's/.*: //' "$tmp/reset.out"
}

# no device bound: not this guest (skip); a device bound but no SE: the
# driver failed it (fail); an SE in ISO mode (no CIP): not this guest
all_cases() { # skip|fail REASON
	for t in $TESTS; do "$1" "$t" "$2"; done
	exit 0
}
ls -d "$DRV"/serial* > /dev/null 2>&1 ||
	all_cases skip "no secel_uart device bound (run through tools/testing/uart/run-guest --gp)"
await 60 have_se ||
	all_cases fail "a secel_uart device is bound but no SE was listed in 60 s: $(dmesg | grep -E 'secel_uart|secel ' | tail -n 4 | tr '\n' '|')"
cat "/sys/class/secel/secel$(uart_se)/device/cip" > /dev/null 2>&1 ||
	all_cases skip "the secel_uart SE is in ISO mode, no CIP (run through tools/testing/uart/run-guest --gp)"

I=$(uart_se)
a=$(tr a-f A-F < /sys/class/secel/secel"$I"/atr | tr -d ' :')
c=$(cat /sys/class/secel/secel"$I"/device/cip)
if [ "$a" = "$ATR" ] && [ "$c" = "$CIP" ]; then
	ok gp_se_listed_with_cip_as_atr
else
	fail gp_se_listed_with_cip_as_atr "ATR $a (want $ATR), CIP $c (want $CIP)"
fi

s=$(status)
if [ "$(field "$s" 1)" -ge 1 ] 2>/dev/null && [ "$(field "$s" 2)" -ge 1 ] &&
   [ "$(field "$s" 5)" = 1 ]; then
	ok gp_swr_and_cip_at_power_on_8n1
else
	fail gp_swr_and_cip_at_power_on_8n1 "card's counters: $s (want SWR, CIP and 8N1)"
fi

check gp_case1 9000 "$(xfer 80160000)"
check gp_case2 0506070809 "$(xfer 8010050505 | cut -c1-10)"
check gp_case4 CCBBAA9000 "$(xfer 8014000003AABBCC00)"

# 600 bytes each way, extended length: I-blocks of at most the CIP's
# IFSC (64) to the card, of at most IFSD 254 back
data=$(i=0; while [ $i -lt 600 ]; do printf '%02X' $((i % 251)); i=$((i + 1)); done)
rev=$(echo "$data" | fold -w2 | tac | tr -d '\n')
r=$(xfer "80140000000258${data}0000")
s=$(status)
if [ "$r" = "${rev}9000" ] && [ "$(field "$s" 6)" = 64 ]; then
	ok gp_extended_apdu_chained_both_ways_beyond_ifsc
else
	fail gp_extended_apdu_chained_both_ways_beyond_ifsc "${#r} hex digits back, card's counters: $s (largest INF should be 64)"
fi

# fault 14: S(WTX 4), then the answer after 1 s (two BWTs of 500 ms):
# the driver waits for it, no R-block
s0=$(status)
fault 1400
r=$(xfer 80160000)
s1=$(status)
if [ "$r" = 9000 ] && [ "$(field "$s1" 7)" = $(($(field "$s0" 7) + 1)) ] &&
   [ "$(field "$s1" 4)" = "$(field "$s0" 4)" ]; then
	ok gp_wtx_honoured
else
	fail gp_wtx_honoured "'$r', card's counters $s0 -> $s1"
fi

# fault 11: the card's answer with a wrong CRC: the driver asks again with
# an R-block (EDC error), the card sends it again
s0=$(status)
fault 1100
r=$(xfer 80160000)
s1=$(status)
if [ "$r" = 9000 ] && [ "$(field "$s1" 4)" = $(($(field "$s0" 4) + 1)) ]; then
	ok gp_corrupted_crc_recovered_by_rblock
else
	fail gp_corrupted_crc_recovered_by_rblock "'$r', card's counters $s0 -> $s1"
fi

# fault 19: the card takes the reader's next I-block as corrupted and
# asks for it again with an R-block: the driver sends it again
fault 1900
check gp_reader_block_sent_again_on_rblock 9000 "$(xfer 80160000)"

# fault 12: the answer is lost: after BWT the driver's R-block gets it
fault 1200
check gp_lost_block_recovers 9000 "$(xfer 80160000)"

# a warm reset is S(SWR) (and S(CIP) after it), no power cycle: the
# card's session goes on
s0=$(status)
p0=$(sessions)
v=$(reset_se --warm)
s1=$(status)
p1=$(sessions)
if [ "$v" = ok ] && [ "$(field "$s1" 1)" = $(($(field "$s0" 1) + 1)) ] &&
   [ "$(field "$s1" 2)" = $(($(field "$s0" 2) + 1)) ] && [ "$p0" = "$p1" ] &&
   [ "$(xfer 80160000)" = 9000 ]; then
	ok gp_warm_reset_is_swr
else
	fail gp_warm_reset_is_swr "reset: $v, card's counters $s0 -> $s1, sessions $p0 -> $p1"
fi

# a cold reset without power or reset lines (this SSDT has none) is
# S(SWR) too
s0=$(status)
v=$(reset_se)
s1=$(status)
if [ "$v" = ok ] && [ "$(field "$s1" 1)" = $(($(field "$s0" 1) + 1)) ]; then
	ok gp_cold_reset_is_swr
else
	fail gp_cold_reset_is_swr "reset: $v, card's counters $s0 -> $s1"
fi

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
	fail "$1" "reset: '$v', then '$v2'; $(dmesg | grep secel_uart | tail -n 2 | tr '\n' '|')"
}
# fault 1A: the CIP's IFSC is 0: EPROTO, the SE is not used with it
reset_fails gp_malformed_cip_eproto_then_recovers 1A00 "*malformed*"
# fault 1B: S(SWR) gets no answer, three times: ETIMEDOUT
reset_fails gp_silent_se_reset_etimedout_then_recovers 1B00 "*did not answer*"

# secel,idle-release-ms 3000: S(RELEASE) once the line has been idle;
# the next APDU wakes the SE
s0=$(status)
sleep 5
s1=$(status)
if [ "$(field "$s1" 3)" -ge $(($(field "$s0" 3) + 1)) ] 2>/dev/null &&
   [ "$(xfer 80160000)" = 9000 ]; then
	ok gp_release_after_idle
else
	fail gp_release_after_idle "card's counters $s0 -> $s1"
fi

# secelctl delete powers the SE off: S(RELEASE) first (well within the
# idle time); add powers it on again: S(SWR), S(CIP)
s0=$(status)
bounded "$CTL" delete "$(se_name)" > "$tmp/del.out" 2>&1
dr=$?
bounded "$CTL" add "$(uart_se deleted || uart_se)" > "$tmp/add.out" 2>&1
await 30 have_se
s1=$(status)
if [ $dr = 0 ] && [ "$(field "$s1" 3)" -ge $(($(field "$s0" 3) + 1)) ] 2>/dev/null &&
   [ "$(field "$s1" 1)" -ge $(($(field "$s0" 1) + 1)) ]; then
	ok gp_release_on_power_off
else
	fail gp_release_on_power_off "delete: $(cat "$tmp/del.out"), add: $(cat "$tmp/add.out"), card's counters $s0 -> $s1"
fi

# fault 18: S(WTX) every 200 ms for 9 s; the device is unbound meanwhile:
# the exchange ends with ENODEV at once, the SE leaves; bound again, it
# is back
dev=$(basename "$(readlink -f "/sys/class/secel/secel$I/device")")
fault 185A
xfer 80160000 > "$tmp/inflight" &
xp=$!
inflight() { grep -qs secel_uart /proc/[0-9]*/wchan; }
await 20 inflight || echo "# gp_unbind_mid_exchange_enodev: no task seen waiting in secel_uart"
t0=$(date +%s)
echo "$dev" > "$DRV/unbind"
wait $xp
t1=$(date +%s)
r=$(cat "$tmp/inflight")
gone=no
[ -z "$(ses_of_uart)" ] && gone=yes
echo "$dev" > "$DRV/bind"
if [ "$r" = "error ENODEV" ] && [ $gone = yes ] && [ $((t1 - t0)) -le 5 ] &&
   await 60 have_se && [ "$(xfer 80160000)" = 9000 ]; then
	ok gp_unbind_mid_exchange_enodev
else
	fail gp_unbind_mid_exchange_enodev "in flight: '$r' after $((t1 - t0)) s, SE gone: $gone, now: $(ses_of_uart)"
fi

if rmmod secel_uart && [ -z "$(ses_of_uart)" ] &&
   insmod "$MODDIR/secel_uart.ko" && await 60 have_se &&
   [ "$(xfer 80160000)" = 9000 ]; then
	ok gp_module_unload
else
	fail gp_module_unload "SEs: $(ses_of_uart)"
fi

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# secel selftests: a CCID card and reader pulled and put back while 16
# processes exchange APDUs on the reader's SE.  KTAP on stdout.
#
# The host does the hot-plug (tools/testing/ccid-hotplug over vm-run's
# QMP socket: a guest cannot reach it) and tells this test how many
# rounds to expect in SECEL_CCID_HOTPLUG; each round takes the card out
# and back, then the reader: two cycles.  Without it every test skips.
# Run by tools/testing/check, and by the reliability lane
# (tools/testing/debug/check-debug), each in a guest of its own.
#
# The load and the watching are ccid_hotplug_load.py's: SECEL_IOC_TRANSMIT
# in a loop per process, errors counted by errno, the kernel's uevents
# counted, every wait bounded.  Across a removal only "the SE went away"
# errors are expected: ENODEV, ENXIO, ETIMEDOUT, ESHUTDOWN (and ENOENT
# when opening a node that just went); any other fails the test.
# Prints the figure line "CCID hot-plug stress: ..." as a KTAP comment.

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
CTL=${SECELCTL:-$root/tools/secelctl/secelctl}
MODDIR=${SECEL_MODULES_DIR:-$root/drivers/secel}
ROUNDS=${SECEL_CCID_HOTPLUG:-}
WORKERS=${SECEL_CCID_HOTPLUG_WORKERS:-16}
PY=/usr/bin/python3
# transmit errors and open errors a removal may give
ALLOWED=" ENODEV ENXIO ETIMEDOUT ESHUTDOWN "
ALLOWED_OPEN=" ENOENT ENODEV ENXIO "

. "$here/secel_lib.sh"
secel_tmp secel-ccid-hotplug

TESTS="ccid_hotplug_se_goes_and_comes ccid_hotplug_uevents
ccid_hotplug_only_removal_errors ccid_hotplug_no_process_hangs
ccid_hotplug_exchanges_resume ccid_hotplug_no_kernel_report
ccid_hotplug_module_unloads"

ktap_plan

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

why=""
if [ -z "$ROUNDS" ]; then
	why="no host driving QMP hot-plug (SECEL_CCID_HOTPLUG unset; tools/testing/check sets it)"
elif [ ! -x "$CTL" ]; then
	why="secelctl not built (make tools)"
elif [ ! -x "$PY" ]; then
	why="$PY missing"
elif [ ! -d /sys/module/secel_ccid ]; then
	why="secel_ccid not loaded"
elif ! WAIT_TENTHS=600 wait_for have_ccid_se; then
	why="no CCID SE listed within 60 s"
fi
if [ -n "$why" ]; then
	for t in $TESTS; do
		skip "$t" "$why"
	done
	exit 0
fi

dmesg_before=$(dmesg | wc -l)
res=$tmp/result
# the host starts pulling devices when this prints "# ccid-hotplug: go"
timeout -k 10 $((600 + ROUNDS * 2 * 300)) "$PY" "$here/ccid_hotplug_load.py" \
	--rounds "$ROUNDS" --workers "$WORKERS" --out "$res"
lrc=$?
get() { awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print 0 }' "$res" 2>/dev/null; }
errs() { awk -v k="$1" '$1 == k { printf "%s%s %s", s, $2, $3; s = ", " }' "$res" 2>/dev/null; }
cycles=$(get cycles)
want=$((ROUNDS * 2))

if [ $lrc != 0 ] || [ ! -s "$res" ]; then
	fail ccid_hotplug_se_goes_and_comes "ccid_hotplug_load.py exited $lrc"
	for t in $TESTS; do
		[ "$t" = ccid_hotplug_se_goes_and_comes ] && continue
		skip "$t" "no result from ccid_hotplug_load.py"
	done
	exit 0
fi

ok_all=$(get ok_after)
e=$(errs err)
oe=$(errs openerr)
echo "# CCID hot-plug stress: $cycles cycles ($ROUNDS card, $ROUNDS reader), $WORKERS processes, $ok_all exchanges, errors: ${e:-none}; open errors: ${oe:-none}; uevents secel add/remove $(get uevent_secel_add)/$(get uevent_secel_remove), usb device add/remove $(get uevent_usb_device_add)/$(get uevent_usb_device_remove)"

t=ccid_hotplug_se_goes_and_comes
if [ "$cycles" -lt $want ]; then
	fail "$t" "the SE went away $cycles times, $want expected"
elif ! have_ccid_se; then
	fail "$t" "no ccid SE listed after the last cycle"
else
	ok "$t"
fi

# each cycle removes and adds the SE's device; each reader cycle also
# the reader's USB device
t=ccid_hotplug_uevents
why=""
for k in uevent_secel_add:$want uevent_secel_remove:$want \
	uevent_usb_device_add:$ROUNDS uevent_usb_device_remove:$ROUNDS; do
	n=$(get "${k%:*}")
	[ "$n" -ge "${k#*:}" ] || why="$why ${k%:*} $n, ${k#*:} expected;"
done
if [ -n "$why" ]; then
	fail "$t" "$why"
else
	ok "$t"
fi

t=ccid_hotplug_only_removal_errors
bad=$(awk -v a="$ALLOWED" -v o="$ALLOWED_OPEN" '
	$1 == "err" && index(a, " " $2 " ") == 0 { printf " transmit %s x%s", $2, $3 }
	$1 == "openerr" && index(o, " " $2 " ") == 0 { printf " open %s x%s", $2, $3 }' "$res")
if [ -n "$bad" ]; then
	fail "$t" "unexpected errors (BADSW: an answer without 9000):$bad"
else
	ok "$t"
fi

t=ccid_hotplug_no_process_hangs
if [ "$(get hung)" != 0 ] || [ "$(get unfinished)" != 0 ]; then
	fail "$t" "$(get hung) processes stuck in one call, $(get unfinished) did not exit when told"
else
	ok "$t"
fi

t=ccid_hotplug_exchanges_resume
i=$(ccid_se)
if [ "$(get ok_after)" -le "$(get ok_cycles)" ]; then
	fail "$t" "no APDU answered after the last cycle"
elif [ -z "$i" ] || ! timeout -k 2 60 "$CTL" apdu "/dev/secel$i" 00A4040007A0000000790300 \
	> "$tmp/apdu" 2>&1; then
	fail "$t" "a fresh exchange failed: $(cat "$tmp/apdu" 2>/dev/null)"
else
	echo "# $(($(get ok_after) - $(get ok_cycles))) APDUs answered after the last cycle"
	ok "$t"
fi

t=ccid_hotplug_no_kernel_report
reports=$(dmesg | tail -n +"$((dmesg_before + 1))" |
	grep -E 'BUG|WARNING|Oops|INFO: task .* blocked|general protection|KASAN|leak' | head -n 5)
if [ -n "$reports" ]; then
	fail "$t" "$reports"
else
	ok "$t"
fi

t=ccid_hotplug_module_unloads
if ! timeout -k 5 120 rmmod secel_ccid 2> "$tmp/rmmod.err"; then
	fail "$t" "rmmod secel_ccid: $(cat "$tmp/rmmod.err")"
elif ! insmod "$MODDIR/secel_ccid.ko" 2> "$tmp/insmod.err"; then
	fail "$t" "insmod: $(cat "$tmp/insmod.err")"
else
	ok "$t"
fi
exit 0

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# secel selftests: a CCID card and reader pulled and put back while
# processes exchange APDUs.  KTAP on stdout.
#
# The host does the hot-plug (tools/testing/ccid-hotplug over vm-run's
# QMP socket: a guest cannot reach it) and tells this test how many
# rounds to expect in SECEL_CCID_HOTPLUG; each round takes the card out
# and back, then the reader.  Without it every test skips.  Run by
# tools/testing/check in a guest of its own.

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
CTL=${SECELCTL:-$root/tools/secelctl/secelctl}
MODDIR=${SECEL_MODULES_DIR:-$root/drivers/secel}
ROUNDS=${SECEL_CCID_HOTPLUG:-}
WORKERS=4

. "$here/secel_lib.sh"
secel_tmp secel-ccid-hotplug

TESTS="ccid_hotplug_se_goes_and_comes ccid_hotplug_exchanges_resume
ccid_hotplug_no_kernel_report ccid_hotplug_module_unloads"

num=0
echo "TAP version 13"
# shellcheck disable=SC2086 # one word per test
set -- $TESTS
echo "1..$#"
ok() { num=$((num + 1)); echo "ok $num $1"; }
fail() {
	num=$((num + 1))
	name=$1; shift
	echo "# $name: $*"
	echo "not ok $num $name"
}
skip() { num=$((num + 1)); echo "ok $num $1 # SKIP $2"; }

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

# workers: APDUs to whichever ccid SE is listed, counting answers
w=0
while [ $w -lt $WORKERS ]; do
	(
		n=0
		while [ ! -e "$tmp/stop" ]; do
			i=$(ccid_se) || { sleep 0.1; continue; }
			if timeout -k 2 30 "$CTL" apdu "/dev/secel$i" 00FF000000 \
				> /dev/null 2>&1; then
				n=$((n + 1))
				echo "$n" > "$tmp/ok.$w"
			fi
		done
	) &
	pids="$pids $!"
	w=$((w + 1))
done

# the host starts pulling devices when it reads this on the console
echo "# ccid-hotplug: go"
# watch: count the listed -> gone transitions until every round is seen
gone_count=0
was=1
end=$(( $(date +%s) + 60 + ROUNDS * 300 ))
while [ "$(date +%s)" -lt "$end" ]; do
	if have_ccid_se; then now=1; else now=0; fi
	if [ $was = 1 ] && [ $now = 0 ]; then
		gone_count=$((gone_count + 1))
		echo "# ccid-hotplug: gone $gone_count"
	elif [ $was = 0 ] && [ $now = 1 ]; then
		echo "# ccid-hotplug: listed $gone_count"
	fi
	was=$now
	[ $gone_count -ge $((ROUNDS * 2)) ] && [ $now = 1 ] && break
	sleep 0.2
done
sums() { cat "$tmp"/ok.* 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'; }
before=$(sums)
WAIT_TENTHS=300 wait_for have_ccid_se
sleep 3
after=$(sums)
touch "$tmp/stop"
for p in $pids; do wait "$p" 2>/dev/null; done
pids=""

t=ccid_hotplug_se_goes_and_comes
if [ $gone_count -lt $((ROUNDS * 2)) ]; then
	fail "$t" "the SE went away $gone_count times, $((ROUNDS * 2)) expected"
elif ! have_ccid_se; then
	fail "$t" "no ccid SE listed after the last round"
else
	ok "$t"
fi

t=ccid_hotplug_exchanges_resume
if [ "$after" -gt "$before" ]; then
	echo "# $after APDUs answered in all, $((after - before)) after the last round"
	ok "$t"
else
	fail "$t" "no APDU answered after the last round ($before, then $after)"
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
if ! rmmod secel_ccid 2> "$tmp/rmmod.err"; then
	fail "$t" "rmmod secel_ccid: $(cat "$tmp/rmmod.err")"
elif ! insmod "$MODDIR/secel_ccid.ko" 2> "$tmp/insmod.err"; then
	fail "$t" "insmod: $(cat "$tmp/insmod.err")"
else
	ok "$t"
fi
exit 0

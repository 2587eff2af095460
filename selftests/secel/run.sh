#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run the secel selftests in the guest, as root, and print KTAP on stdout.
#
#   tools/testing/vm-run -- selftests/secel/run.sh | tools/testing/ktap-summary
#
# The modules must already be loaded (vm-run insmods secel.ko and
# secel_vse.ko).  Every test binary runs in turn, secel_unload_test last
# (it unloads and reloads the modules).  Each binary's own KTAP output is
# nested as a subtest, indented by 4 spaces, followed by its result line.
# A binary that crashes, times out, or exits non-zero without reporting a
# failure gets an extra indented `not ok` leaf, so a summary that counts
# leaf results counts it too.  The module parameters are put back as they
# were after each binary.
#
# run.sh exits 0 once it has run everything: failures are in the KTAP,
# which tools/testing/ktap-summary turns into an exit status.
#
# Usage: run.sh [binary...]     (default: all, in the order below)
#        run.sh --list [user|core]
#                               the default list, one per line (or its
#                               mostly userspace suites, or the others)
# The reliability lane's binaries (secel_unplug_stress, secel_ioctl_fuzz,
# secel_failslab) run only when named.
# Environment: SECEL_TEST_TIMEOUT (seconds per binary, default 900),
# SECEL_LANE_TIMEOUT (seconds per reliability binary, default 2400).

here=$(cd "$(dirname "$0")" && pwd)
timeout_s=${SECEL_TEST_TIMEOUT:-900}
default_tests="secel_list_test secel_apdu_test secel_channel_test secel_acl_test
	       secel_unplug_test secel_stress_test secel_scale_test secel_tools_test.sh
	       secel_gp_test.sh secel_tsm_test.sh secel_backstage_test.sh
	       secel_agent_daemon_test.sh secel_pcsc_test.sh secel_vpcd_test.sh
	       secel_scp_test secel_ccid_test.sh secel_ccid_gadget_test.sh
	       secel_libsecel_test secel_unload_test"

# the suites that are mostly userspace (the tools, GlobalPlatform, the
# TSM, the backstage, the PC/SC bridges): make check runs them in a guest
# of their own beside the others ("run.sh --list user" and "--list core")
user_tests="secel_tools_test.sh secel_gp_test.sh secel_tsm_test.sh
	    secel_backstage_test.sh secel_agent_daemon_test.sh
	    secel_pcsc_test.sh secel_vpcd_test.sh"

if [ "${1:-}" = --list ]; then
	case "${2:-}" in
	"") printf '%s\n' $default_tests ;;
	user) printf '%s\n' $user_tests ;;
	core)
		for t in $default_tests; do
			case " $(echo $user_tests) " in
			*" $t "*) ;;
			*) echo "$t" ;;
			esac
		done ;;
	*) echo "run.sh: --list [user|core]" >&2; exit 2 ;;
	esac
	exit 0
elif [ $# -gt 0 ]; then
	tests="$*"
else
	tests=$default_tests
fi

tmp=""
for d in "${TMPDIR:-/tmp}" /dev/shm /run; do
	tmp=$(mktemp -d "$d/secel-run.XXXXXX" 2>/dev/null) && break
	tmp=""
done
if [ -z "$tmp" ]; then
	echo "Bail out! run.sh: cannot create a temporary directory"
	exit 1
fi
export TMPDIR="${tmp%/*}"
trap 'rm -rf "$tmp"' EXIT

param_files="/sys/module/secel/parameters/auto_add
/sys/module/secel/parameters/strict_atr
/sys/module/secel/parameters/max_file_channels
/sys/module/secel_vse/parameters/timeout_ms
/sys/module/secel_ccid/parameters/timeout_ms"

save_params() {
	for f in $param_files; do
		[ -r "$f" ] && printf '%s %s\n' "$f" "$(cat "$f")"
	done > "$tmp/params"
}

restore_params() {
	while read -r f v; do
		[ -w "$f" ] && [ "$(cat "$f" 2>/dev/null)" != "$v" ] &&
			printf '%s' "$v" > "$f" 2>/dev/null
	done < "$tmp/params"
}

count=0
for t in $tests; do
	count=$((count + 1))
done

echo "KTAP version 1"
echo "1..$count"
if [ "$(id -u)" != 0 ]; then
	echo "# run.sh: not root, the tests will skip"
fi
if [ ! -e /dev/secel-ctl ] || [ ! -e /dev/secel-vse ]; then
	echo "# run.sh: /dev/secel-ctl or /dev/secel-vse missing: modules not loaded?"
fi

n=0
for t in $tests; do
	n=$((n + 1))
	bin="$here/$t"
	echo "    KTAP version 1"
	echo "    # Subtest: $t"
	if [ ! -x "$bin" ]; then
		echo "    1..1"
		echo "    not ok 1 $t: not built (run make -C selftests/secel)"
		echo "not ok $n $t"
		continue
	fi
	case "$t" in
	secel_unplug_stress|secel_ioctl_fuzz|secel_failslab)
		tmo=${SECEL_LANE_TIMEOUT:-2400} ;;
	*)	tmo=$timeout_s ;;
	esac
	# secel_unload_test unloads secel, which secel_ccid and secel_uart
	# (loaded by vm-run with the others) would keep in use; the ioctl
	# fuzzer and failslab count the SE list as theirs alone, which a
	# CCID reader's or a UART's card is not
	case "$t" in
	secel_unload_test|secel_ioctl_fuzz|secel_failslab)
		rmmod secel_ccid 2>/dev/null
		rmmod secel_uart 2>/dev/null ;;
	esac
	save_params
	start=$(date +%s)
	# stdout and stderr, nested; the exit status through a file
	{
		if command -v timeout >/dev/null 2>&1; then
			timeout -k 10 "$tmo" "$bin" 2>&1
		else
			"$bin" 2>&1
		fi
		echo $? > "$tmp/rc"
	} | tee "$tmp/out" | sed -e '/^TAP version/d' -e '/^KTAP version/d' \
		-e 's/^/    /'
	rc=$(cat "$tmp/rc" 2>/dev/null || echo 255)
	restore_params

	# What did the binary report?
	plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$tmp/out" | head -n 1)
	oks=$(grep -c '^ok ' "$tmp/out")
	fails=$(grep -c '^not ok ' "$tmp/out")
	done_n=$((oks + fails))
	why=""
	if [ "$rc" -ge 128 ] 2>/dev/null; then
		why="killed by signal $((rc - 128))"
	elif [ "$rc" = 124 ]; then
		why="timed out after ${tmo}s"
	elif [ -z "$plan" ]; then
		[ "$rc" != 0 ] && why="exit status $rc without KTAP output"
	elif [ "$done_n" -lt "$plan" ]; then
		why="reported $done_n of $plan tests (exit status $rc)"
	elif [ "$rc" != 0 ] && [ "$rc" != 4 ] && [ "$fails" = 0 ]; then
		# 4 is KSFT_SKIP
		why="exit status $rc with no failure reported"
	fi
	if [ -n "$why" ]; then
		if [ -z "$plan" ]; then
			echo "    1..1"
		fi
		echo "    not ok $((done_n + 1)) $t: $why"
		fails=$((fails + 1))
	fi
	echo "# $t: $oks ok, $fails not ok, exit status $rc, $(( $(date +%s) - start ))s"
	if [ "$fails" -gt 0 ]; then
		echo "not ok $n $t"
	elif [ -n "$plan" ] && [ "$plan" = 0 ]; then
		echo "ok $n $t # SKIP $(sed -n 's/^1\.\.0 # SKIP //p' "$tmp/out" | head -n 1)"
	else
		echo "ok $n $t"
	fi
done

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# secel selftests: the userspace tools end to end -- tools/secel-vcard
# serving a virtual SE and tools/secelctl talking to it.  KTAP on stdout.
# Tests whose tool is not built are skipped.
#
# Environment: SECEL_VCARD, SECELCTL override the tool paths.

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
VCARD=${SECEL_VCARD:-$root/tools/secel-vcard/secel-vcard}
CTL=${SECELCTL:-$root/tools/secelctl/secelctl}
TIMEOUT_PARAM=/sys/module/secel_vse/parameters/timeout_ms

. "$here/secel_lib.sh"
secel_tmp secel-tools
saved_timeout=$(cat "$TIMEOUT_PARAM" 2>/dev/null)
cleanup() {
	[ -n "$saved_timeout" ] && printf '%s' "$saved_timeout" > "$TIMEOUT_PARAM" 2>/dev/null
	secel_cleanup
}
trap cleanup EXIT

TESTS="vcard_reports_listed_se vcard_atr_option vcard_bad_option_fails
secelctl_list_shows_se secelctl_info_shows_se secelctl_apdu_echo
secelctl_apdu_extended secelctl_apdu_bad_hex_fails secelctl_json_list
secelctl_json_info secelctl_channel_echo secelctl_channel_unknown_aid_fails
secelctl_unknown_se_fails secelctl_version secelctl_reset
secelctl_json_every_command secelctl_trace_shows_apdus tools_version_option
secelctl_delete_add_designate secelctl_designate_clear
secelctl_sysfs_list_matches_ioctl secelctl_sysfs_info_matches_ioctl
secelctl_sysfs_needs_no_nodes secelctl_options_not_taken_refused
secelctl_refused_option_does_nothing secelctl_manage_channel_error_names_it
secelctl_node_mode_error_names_mode secelctl_acl_load_list_enforce
secelctl_acl_bad_rules_refused
vcard_silent_rejected secelctl_list_all_shows_rejected vcard_kill_unplugs"

ktap_plan

# run with a time bound when timeout(1) exists
bounded() {
	if command -v timeout >/dev/null 2>&1; then
		timeout -k 2 20 "$@"
	else
		"$@"
	fi
}

# upper-case hex without spaces, colons or newlines
norm() { tr -d ' :\n\r\t' | tr 'a-f' 'A-F'; }

sysfs() { cat "/sys/class/secel/secel$1/$2" 2>/dev/null; }

state_is() { [ "$(sysfs "$1" state)" = "$2" ]; }
gone() { [ ! -e "/sys/class/secel/secel$1" ]; }

# start_vcard TAG ARGS...: start a card; sets IDX, NAME, PID; 1 on failure
start_vcard() {
	tag=$1; shift
	rm -f "$tmp/$tag.ready"
	"$VCARD" --ready-file "$tmp/$tag.ready" "$@" \
		> "$tmp/$tag.out" 2> "$tmp/$tag.err" < /dev/null &
	PID=$!
	pids="$pids $PID"
	wait_for test -s "$tmp/$tag.out" || {
		echo "# secel-vcard $*: no 'secelN NAME' line: $(cat "$tmp/$tag.err")"
		return 1
	}
	line=$(head -n 1 "$tmp/$tag.out")
	dev=${line%% *}
	NAME=${line#* }
	IDX=${dev#secel}
	case "$IDX" in
	''|*[!0-9]*)
		echo "# secel-vcard printed '$line', not 'secelN NAME'"
		return 1;;
	esac
	return 0
}

stop_vcard() {
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

have_vcard=0
[ -x "$VCARD" ] && have_vcard=1
have_ctl=0
[ -x "$CTL" ] && have_ctl=1

# ---- secel-vcard alone ----

t=vcard_reports_listed_se
if [ $have_vcard = 0 ]; then
	skip $t "$VCARD not built"
elif ! start_vcard main --name Qtool; then
	fail $t "secel-vcard did not start"
	have_vcard=0
else
	MAIN_IDX=$IDX MAIN_NAME=$NAME MAIN_PID=$PID
	if ! wait_for state_is "$IDX" listed; then
		fail $t "secel$IDX state '$(sysfs "$IDX" state)', not listed"
	elif [ "$(sysfs "$IDX" name)" != "$NAME" ]; then
		fail $t "printed name '$NAME', sysfs '$(sysfs "$IDX" name)'"
	elif [ "${NAME#Qtool}" = "$NAME" ]; then
		fail $t "name '$NAME' does not use --name Qtool"
	elif [ "$(sysfs "$IDX" kind)" != virtual ] ||
	     [ "$(sysfs "$IDX" transport)" != vse ]; then
		fail $t "kind/transport '$(sysfs "$IDX" kind)/$(sysfs "$IDX" transport)'"
	elif [ "$(cat "$tmp/main.ready" 2>/dev/null)" != "$(head -n 1 "$tmp/main.out")" ]; then
		fail $t "--ready-file does not hold the stdout line"
	else
		ok $t
	fi
fi

t=vcard_atr_option
if [ $have_vcard = 0 ]; then
	skip $t "$VCARD not built"
elif ! start_vcard atr --atr 3B828001AABB12; then
	fail $t "secel-vcard --atr did not start"
else
	if ! wait_for state_is "$IDX" listed; then
		fail $t "state '$(sysfs "$IDX" state)'"
	elif [ "$(sysfs "$IDX" atr)" != 3b828001aabb12 ]; then
		fail $t "sysfs atr '$(sysfs "$IDX" atr)'"
	elif [ "$(sysfs "$IDX" protocol)" != "T=0 T=1" ]; then
		fail $t "sysfs protocol '$(sysfs "$IDX" protocol)'"
	else
		ok $t
	fi
	stop_vcard "$PID"
fi

t=vcard_bad_option_fails
if [ $have_vcard = 0 ]; then
	skip $t "$VCARD not built"
else
	before=$(ls /sys/class/secel 2>/dev/null | wc -l)
	bounded "$VCARD" --atr 3B8G > "$tmp/bad.out" 2> "$tmp/bad.err" < /dev/null
	rc=$?
	after=$(ls /sys/class/secel 2>/dev/null | wc -l)
	if [ $rc = 0 ] || [ $rc = 124 ]; then
		fail $t "--atr 3B8G: exit status $rc"
	elif [ ! -s "$tmp/bad.err" ]; then
		fail $t "--atr 3B8G: no message on stderr"
	elif [ "$before" != "$after" ]; then
		fail $t "--atr 3B8G created an SE"
	else
		ok $t
	fi
fi

# ---- secelctl against the main card ----

ctl_ready() {
	if [ $have_ctl = 0 ]; then
		skip "$1" "$CTL not built"
		return 1
	fi
	if [ -z "$MAIN_NAME" ]; then
		skip "$1" "no secel-vcard SE to talk to"
		return 1
	fi
	return 0
}

t=secelctl_list_shows_se
if ctl_ready $t; then
	bounded "$CTL" list > "$tmp/list.out" 2> "$tmp/list.err"
	rc=$?
	if [ $rc != 0 ]; then
		fail $t "secelctl list: exit status $rc: $(cat "$tmp/list.err")"
	elif ! grep -q "$MAIN_NAME" "$tmp/list.out"; then
		fail $t "secelctl list does not show $MAIN_NAME"
	else
		ok $t
	fi
fi

t=secelctl_info_shows_se
if ctl_ready $t; then
	bounded "$CTL" info "$MAIN_NAME" > "$tmp/info.out" 2> "$tmp/info.err"
	rc=$?
	atr=$(sysfs "$MAIN_IDX" atr | norm)
	if [ $rc != 0 ]; then
		fail $t "secelctl info $MAIN_NAME: exit status $rc: $(cat "$tmp/info.err")"
	elif ! grep -q "$MAIN_NAME" "$tmp/info.out"; then
		fail $t "info does not name $MAIN_NAME"
	elif ! norm < "$tmp/info.out" | grep -q "$atr"; then
		fail $t "info does not show the ATR $atr"
	else
		ok $t
	fi
fi

# apdu HEX EXPECT: run secelctl apdu on the main card, check the response
apdu_check() {
	bounded "$CTL" apdu "$MAIN_NAME" "$1" > "$tmp/apdu.out" 2> "$tmp/apdu.err"
	rc=$?
	if [ $rc != 0 ]; then
		echo "secelctl apdu $MAIN_NAME $1: exit status $rc: $(cat "$tmp/apdu.err")"
		return 1
	fi
	if ! norm < "$tmp/apdu.out" | grep -q "$2"; then
		echo "secelctl apdu $MAIN_NAME $1: '$(cat "$tmp/apdu.out")', wanted $2"
		return 1
	fi
	return 0
}

SELECT_TEST=00A4040007F0534543454C0100

t=secelctl_apdu_echo
if ctl_ready $t; then
	if ! msg=$(apdu_check "$SELECT_TEST" 9000); then
		fail $t "$msg"
	elif ! msg=$(apdu_check 801000000301020300 0102039000); then
		fail $t "$msg"
	else
		ok $t
	fi
fi

t=secelctl_apdu_extended
if ctl_ready $t; then
	if ! start_vcard ext --name Qext --extended ||
	   ! wait_for state_is "$IDX" listed; then
		fail $t "secel-vcard --extended did not come up listed"
	else
		data=$(i=0; while [ $i -lt 300 ]; do printf '%02X' $((i % 251)); i=$((i + 1)); done)
		sel_ok=0
		bounded "$CTL" apdu "$NAME" "$SELECT_TEST" > "$tmp/ext.out" 2>&1 &&
			norm < "$tmp/ext.out" | grep -q 9000 && sel_ok=1
		# extended case 4: Lc 012C, Le 0000
		bounded "$CTL" apdu "$NAME" "8010000000012C${data}0000" > "$tmp/ext.out" 2> "$tmp/ext.err"
		rc=$?
		if [ $sel_ok = 0 ]; then
			fail $t "SELECT of the test applet failed: $(cat "$tmp/ext.out")"
		elif [ $rc != 0 ]; then
			fail $t "extended case 4 APDU: exit status $rc: $(cat "$tmp/ext.err")"
		elif ! norm < "$tmp/ext.out" | grep -q "${data}9000"; then
			fail $t "extended echo of 300 bytes not returned"
		else
			ok $t
		fi
		stop_vcard "$PID"
	fi
fi

t=secelctl_apdu_bad_hex_fails
if ctl_ready $t; then
	bounded "$CTL" apdu "$MAIN_NAME" 80GG > "$tmp/bad.out" 2> "$tmp/bad.err"
	rc=$?
	if [ $rc = 0 ] || [ $rc = 124 ]; then
		fail $t "apdu 80GG: exit status $rc"
	elif [ ! -s "$tmp/bad.err" ]; then
		fail $t "apdu 80GG: no message on stderr"
	else
		ok $t
	fi
fi

t=secelctl_json_list
if ! lane_short $t && ctl_ready $t; then
	bounded "$CTL" --json list > "$tmp/json.out" 2> "$tmp/json.err"
	rc=$?
	if [ $rc != 0 ]; then
		fail $t "secelctl --json list: exit status $rc: $(cat "$tmp/json.err")"
	elif ! grep -q "\"$MAIN_NAME\"" "$tmp/json.out"; then
		fail $t "--json list has no \"$MAIN_NAME\""
	elif command -v python3 >/dev/null 2>&1 &&
	     ! python3 -m json.tool < "$tmp/json.out" > /dev/null 2>&1; then
		fail $t "--json list output is not JSON"
	else
		ok $t
	fi
fi

t=secelctl_json_info
if ctl_ready $t; then
	bounded "$CTL" info "$MAIN_NAME" --json > "$tmp/ji.out" 2> "$tmp/ji.err"
	rc=$?
	cplc=$(sysfs "$MAIN_IDX" cplc | norm)
	if [ $rc != 0 ]; then
		fail $t "info --json: exit status $rc: $(cat "$tmp/ji.err")"
	elif command -v python3 >/dev/null 2>&1 &&
	     ! python3 -m json.tool < "$tmp/ji.out" > /dev/null 2>&1; then
		fail $t "info --json output is not JSON"
	elif ! grep -q "\"$MAIN_NAME\"" "$tmp/ji.out"; then
		fail $t "info --json does not name $MAIN_NAME"
	elif [ -n "$cplc" ] && ! norm < "$tmp/ji.out" | grep -q "$cplc"; then
		fail $t "info --json does not carry the CPLC $cplc"
	else
		ok $t
	fi
fi

t=secelctl_channel_echo
if ctl_ready $t; then
	bounded "$CTL" channel "$MAIN_NAME" F0534543454C01 \
		'80 10 00 00 02 CAFE 00' > "$tmp/ch.out" 2> "$tmp/ch.err"
	rc=$?
	if [ $rc != 0 ]; then
		fail $t "channel: exit status $rc: $(cat "$tmp/ch.err")"
	elif ! norm < "$tmp/ch.out" | grep -q "CAFE9000"; then
		fail $t "channel echo not returned: $(cat "$tmp/ch.out")"
	else
		ok $t
	fi
fi

t=secelctl_channel_unknown_aid_fails
if ctl_ready $t; then
	bounded "$CTL" channel "$MAIN_NAME" F001020304 > "$tmp/cu.out" 2> "$tmp/cu.err"
	rc=$?
	if [ $rc = 0 ] || [ $rc = 124 ]; then
		fail $t "channel with an unknown AID: exit status $rc"
	elif ! norm < "$tmp/cu.err" | grep -q "6A82"; then
		fail $t "no 6A82 in the message: $(cat "$tmp/cu.err")"
	else
		ok $t
	fi
fi

t=secelctl_unknown_se_fails
if [ $have_ctl = 0 ]; then
	skip $t "$CTL not built"
else
	bounded "$CTL" apdu Qnosuch9 00A4040000 > "$tmp/un.out" 2> "$tmp/un.err"
	rc=$?
	if [ $rc = 0 ] || [ $rc = 124 ]; then
		fail $t "apdu to an unknown SE: exit status $rc"
	elif ! grep -q Qnosuch9 "$tmp/un.err"; then
		fail $t "the message does not name the SE: $(cat "$tmp/un.err")"
	elif [ "$(wc -l < "$tmp/un.err")" -gt 2 ]; then
		fail $t "more than a clear line: $(cat "$tmp/un.err")"
	else
		ok $t
	fi
fi

t=secelctl_version
abi=$(sed -n 's/^#define SECEL_ABI_VERSION[[:space:]]*\([0-9]*\).*/\1/p' \
	"$root/uapi/linux/secel.h")
if [ $have_ctl = 0 ]; then
	skip $t "$CTL not built"
else
	bounded "$CTL" version > "$tmp/v.out" 2>&1
	rc=$?
	if [ $rc != 0 ]; then
		fail $t "version: exit status $rc: $(cat "$tmp/v.out")"
	elif ! grep -q "kernel ABI $abi\$" "$tmp/v.out"; then
		fail $t "no 'kernel ABI $abi' (uapi/linux/secel.h): $(cat "$tmp/v.out")"
	else
		ok $t
	fi
fi

t=secelctl_reset
if ctl_ready $t; then
	atr=$(sysfs "$MAIN_IDX" atr | norm)
	bounded "$CTL" reset "$MAIN_NAME" --warm > "$tmp/rs.out" 2> "$tmp/rs.err"
	rc=$?
	if [ $rc != 0 ]; then
		fail $t "reset --warm: exit status $rc: $(cat "$tmp/rs.err")"
	elif ! norm < "$tmp/rs.out" | grep -q "$atr"; then
		fail $t "reset does not show the ATR: $(cat "$tmp/rs.out")"
	elif ! state_is "$MAIN_IDX" listed; then
		fail $t "state after reset '$(sysfs "$MAIN_IDX" state)'"
	else
		ok $t
	fi
fi

# json_check FILE PYTHON-EXPR: FILE is JSON and EXPR holds of it (as j)
json_check() {
	python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2" 2>/dev/null
}

t=secelctl_json_every_command
if ! lane_short $t && ctl_ready $t; then
	msg=""
	bounded "$CTL" apdu "$MAIN_NAME" "$SELECT_TEST" '80 10 00 00 02 CAFE 00' \
		--json > "$tmp/ja.out" 2> "$tmp/ja.err" ||
		msg="apdu --json: $(cat "$tmp/ja.err")"
	[ -z "$msg" ] && ! json_check "$tmp/ja.out" \
		'len(j) == 2 and j[1]["data"] == "CAFE" and j[1]["sw"] == "9000" and j[0]["command"] == "'"$SELECT_TEST"'"' &&
		msg="apdu --json: $(cat "$tmp/ja.out")"
	[ -z "$msg" ] && { bounded "$CTL" channel "$MAIN_NAME" F0534543454C01 \
		'80 10 00 00 02 CAFE 00' --json > "$tmp/jc.out" 2> "$tmp/jc.err" ||
		msg="channel --json: $(cat "$tmp/jc.err")"; }
	[ -z "$msg" ] && ! json_check "$tmp/jc.out" \
		'j["channel"] >= 1 and j["select"]["sw"] == "9000" and j["responses"][0]["data"] == "CAFE"' &&
		msg="channel --json: $(cat "$tmp/jc.out")"
	[ -z "$msg" ] && { bounded "$CTL" reset "$MAIN_NAME" --warm --json \
		> "$tmp/jr.out" 2> "$tmp/jr.err" || msg="reset --json: $(cat "$tmp/jr.err")"; }
	[ -z "$msg" ] && ! json_check "$tmp/jr.out" \
		'j["name"] == "'"$MAIN_NAME"'" and j["reset"] == "warm" and j["atr"] == "'"$(sysfs "$MAIN_IDX" atr | norm)"'"' &&
		msg="reset --json: $(cat "$tmp/jr.out")"
	[ -z "$msg" ] && { bounded "$CTL" version --json > "$tmp/jv.out" 2>&1 ||
		msg="version --json: $(cat "$tmp/jv.out")"; }
	[ -z "$msg" ] && ! json_check "$tmp/jv.out" \
		'j["kernel_abi"] == j["abi"] and j["version"] == "'"$(cat "$root/VERSION")"'"' &&
		msg="version --json: $(cat "$tmp/jv.out")"
	[ -z "$msg" ] && { bounded "$CTL" inquire "$MAIN_NAME" --json > "$tmp/ji2.out" 2>&1 ||
		msg="inquire --json: $(cat "$tmp/ji2.out")"; }
	[ -z "$msg" ] && ! json_check "$tmp/ji2.out" \
		'j["name"] == "'"$MAIN_NAME"'" and j["state"] == "listed" and j["index"] == '"$MAIN_IDX" &&
		msg="inquire --json: $(cat "$tmp/ji2.out")"
	if [ -n "$msg" ]; then
		fail $t "$msg"
	else
		ok $t
	fi
fi

t=secelctl_trace_shows_apdus
if ctl_ready $t; then
	# the echo application answers once selected
	bounded "$CTL" -v apdu "$MAIN_NAME" "$SELECT_TEST" \
		'80 10 00 00 02 CAFE 00' > "$tmp/tr.out" 2> "$tmp/tr.err"
	rc=$?
	if [ $rc != 0 ]; then
		fail $t "apdu -v: exit status $rc: $(cat "$tmp/tr.err")"
	elif ! grep -qx '\[0\] > 8010000002CAFE00' "$tmp/tr.err"; then
		fail $t "no '[0] > 8010000002CAFE00' on stderr: $(cat "$tmp/tr.err")"
	elif ! grep -qx '\[0\] < CAFE9000' "$tmp/tr.err"; then
		fail $t "no '[0] < CAFE9000' on stderr: $(cat "$tmp/tr.err")"
	elif ! grep -qx "\\[0\\] > $SELECT_TEST" "$tmp/tr.err"; then
		fail $t "no '[0] > $SELECT_TEST' on stderr: $(cat "$tmp/tr.err")"
	elif [ "$(tail -n 1 "$tmp/tr.out" | norm)" != "CAFE9000" ]; then
		fail $t "stdout changed by -v: $(cat "$tmp/tr.out")"
	else
		ok $t
	fi
fi

t=tools_version_option
msg=""
want=$(cat "$root/VERSION")
lane_short $t && want=skipped
[ "$want" = skipped ] || for tool in "$CTL" "$VCARD" "$root/tools/vpcd/secel-vpcd" \
	    "$root/tools/relay/secel-relay" "$root/tools/tsm/secel-tsm" \
	    "$root/tools/pcsc/secel-pcsc-sync"; do
	[ -x "$tool" ] || continue
	out=$("$tool" --version 2>&1)
	case $out in
	"$(basename "$tool") $want"|"$(basename "$tool") $want "*) ;;
	*) msg="$msg $(basename "$tool"): '$out';" ;;
	esac
done
if [ "$want" = skipped ]; then
	:
elif [ -n "$msg" ]; then
	fail $t "$msg"
else
	ok $t
fi

t=secelctl_delete_add_designate
if ctl_ready $t; then
	msg=""
	bounded "$CTL" delete "$MAIN_NAME" > "$tmp/op.out" 2>&1 ||
		msg="delete: $(cat "$tmp/op.out")"
	[ -z "$msg" ] && ! state_is "$MAIN_IDX" deleted &&
		msg="state after delete '$(sysfs "$MAIN_IDX" state)'"
	[ -z "$msg" ] && bounded "$CTL" list > "$tmp/op.out" 2>&1 &&
		grep -q "$MAIN_NAME" "$tmp/op.out" &&
		msg="list still shows deleted $MAIN_NAME"
	if [ -z "$msg" ]; then
		bounded "$CTL" add "$MAIN_NAME" > "$tmp/op.out" 2>&1 ||
			msg="add: $(cat "$tmp/op.out")"
	fi
	[ -z "$msg" ] && ! state_is "$MAIN_IDX" listed &&
		msg="state after add '$(sysfs "$MAIN_IDX" state)'"
	if [ -z "$msg" ]; then
		bounded "$CTL" designate "$MAIN_NAME" > "$tmp/op.out" 2>&1 ||
			msg="designate: $(cat "$tmp/op.out")"
	fi
	[ -z "$msg" ] && [ "$(sysfs "$MAIN_IDX" designated)" != 1 ] &&
		msg="designated '$(sysfs "$MAIN_IDX" designated)' after designate"
	if [ -z "$msg" ]; then
		ok $t
	else
		fail $t "$msg"
	fi
fi

t=secelctl_designate_clear
if ctl_ready $t; then
	msg=""
	bounded "$CTL" designate "$MAIN_NAME" > "$tmp/dc.out" 2>&1 ||
		msg="designate: $(cat "$tmp/dc.out")"
	if [ -z "$msg" ]; then
		bounded "$CTL" designate --clear > "$tmp/dc.out" 2>&1 ||
			msg="designate --clear: $(cat "$tmp/dc.out")"
	fi
	[ -z "$msg" ] && [ "$(sysfs "$MAIN_IDX" designated)" != 0 ] &&
		msg="designated '$(sysfs "$MAIN_IDX" designated)' after --clear"
	if [ -z "$msg" ]; then
		ok $t
	else
		fail $t "$msg"
	fi
fi

# ---- --sysfs, options, error causes ----

# the same SEs, the same fields, from the class directory (sorted: the
# configurator lists in its own order, sysfs by index)
t=secelctl_sysfs_list_matches_ioctl
if ctl_ready $t; then
	bounded "$CTL" list --all > "$tmp/li.out" 2> "$tmp/li.err"
	rc1=$?
	bounded "$CTL" --sysfs list --all > "$tmp/ls.out" 2> "$tmp/ls.err"
	rc2=$?
	if [ $rc1 != 0 ]; then
		fail $t "list --all: exit status $rc1: $(cat "$tmp/li.err")"
	elif [ $rc2 != 0 ]; then
		fail $t "--sysfs list --all: exit status $rc2: $(cat "$tmp/ls.err")"
	elif ! grep -q "$MAIN_NAME" "$tmp/ls.out"; then
		fail $t "--sysfs list --all does not show $MAIN_NAME"
	elif [ "$(sort "$tmp/li.out")" != "$(sort "$tmp/ls.out")" ]; then
		fail $t "ioctl '$(sort "$tmp/li.out" | tr '\n' '|')' sysfs '$(sort "$tmp/ls.out" | tr '\n' '|')'"
	else
		ok $t
	fi
fi

# everything but the APDU sizes, which sysfs does not show
t=secelctl_sysfs_info_matches_ioctl
if ctl_ready $t; then
	bounded "$CTL" info "$MAIN_NAME" > "$tmp/ii.out" 2> "$tmp/ii.err"
	rc1=$?
	bounded "$CTL" info "$MAIN_NAME" --sysfs > "$tmp/is.out" 2> "$tmp/is.err"
	rc2=$?
	bounded "$CTL" --sysfs --json info "$MAIN_NAME" > "$tmp/ij.out" 2>&1
	rc3=$?
	if [ $rc1 != 0 ] || [ $rc2 != 0 ] || [ $rc3 != 0 ]; then
		fail $t "exit status $rc1 (ioctl), $rc2 (sysfs), $rc3 (sysfs json): $(cat "$tmp/ii.err" "$tmp/is.err" "$tmp/ij.out")"
	elif ! grep -q "^Max APDU: *- " "$tmp/is.out"; then
		fail $t "--sysfs info claims APDU sizes: $(grep Max "$tmp/is.out")"
	elif [ "$(grep -v '^Max APDU' "$tmp/ii.out")" != "$(grep -v '^Max APDU' "$tmp/is.out")" ]; then
		fail $t "ioctl and sysfs differ: $(diff "$tmp/ii.out" "$tmp/is.out" | tr '\n' '|')"
	elif ! grep -q '"max_command": null' "$tmp/ij.out"; then
		fail $t "--sysfs --json info: max_command not null"
	elif command -v python3 >/dev/null 2>&1 &&
	     ! python3 -m json.tool < "$tmp/ij.out" > /dev/null 2>&1; then
		fail $t "--sysfs --json info output is not JSON"
	else
		ok $t
	fi
fi

# with --sysfs no node is opened: list and info work with none there
t=secelctl_sysfs_needs_no_nodes
if ctl_ready $t; then
	none="$tmp/no-such-dir"
	bounded "$CTL" --ctl "$none/ctl" --dev-dir "$none" --sysfs list \
		> "$tmp/sn.out" 2> "$tmp/sn.err"
	rc1=$?
	bounded "$CTL" --ctl "$none/ctl" --dev-dir "$none" --sysfs info \
		"$MAIN_NAME" > "$tmp/sn2.out" 2>> "$tmp/sn.err"
	rc2=$?
	atr=$(sysfs "$MAIN_IDX" atr | norm)
	if [ $rc1 != 0 ] || [ $rc2 != 0 ]; then
		fail $t "exit status $rc1 (list), $rc2 (info): $(cat "$tmp/sn.err")"
	elif ! grep "$MAIN_NAME" "$tmp/sn.out" | norm | grep -q "$atr"; then
		fail $t "--sysfs list does not show $MAIN_NAME with ATR $atr"
	elif ! grep -q "^Name: *$MAIN_NAME\$" "$tmp/sn2.out"; then
		fail $t "--sysfs info does not show $MAIN_NAME"
	else
		ok $t
	fi
fi

# refused ARGS... --OPTION[=VALUE]: exit status 2, one line naming it
refused() {
	bounded "$CTL" "$@" > "$tmp/rf.out" 2> "$tmp/rf.err"
	rc=$?
	eval "opt=\${$#}"
	opt=${opt%%=*}
	if [ $rc != 2 ]; then
		echo "secelctl $*: exit status $rc, not 2: $(cat "$tmp/rf.err")"
		return 1
	elif [ "$(wc -l < "$tmp/rf.err")" != 1 ] ||
	     ! grep -q -- "does not take $opt\|takes $opt only" "$tmp/rf.err"; then
		echo "secelctl $*: '$(cat "$tmp/rf.err")' is not one line naming $opt"
		return 1
	fi
	return 0
}

t=secelctl_options_not_taken_refused
if ! lane_short $t && ctl_ready $t; then
	# gp's options elsewhere, one gp subcommand's on another, --sysfs
	# where no ioctl can be spared, and the plain ones crosswise
	if ! msg=$(refused apdu "$MAIN_NAME" "$SELECT_TEST" --related) ||
	   ! msg=$(refused list --keys=30:000102030405060708090A0B0C0D0E0F) ||
	   ! msg=$(refused gp "$MAIN_NAME" list --related) ||
	   ! msg=$(refused gp "$MAIN_NAME" delete A000000553454301 --aid=A000000553454302) ||
	   ! msg=$(refused gp "$MAIN_NAME" info --kvn=30) ||
	   ! msg=$(refused gp mkload "$tmp/x.slf" --level=33) ||
	   ! msg=$(refused apdu "$MAIN_NAME" "$SELECT_TEST" --sysfs) ||
	   ! msg=$(refused acl list --json) ||
	   ! msg=$(refused info "$MAIN_NAME" --warm); then
		fail $t "$msg"
	elif [ -e "$tmp/x.slf" ]; then
		fail $t "gp mkload --level wrote $tmp/x.slf"
	else
		ok $t
	fi
fi

t=secelctl_refused_option_does_nothing
if ctl_ready $t; then
	bounded "$CTL" delete "$MAIN_NAME" --related > "$tmp/rd.out" 2>&1
	rc=$?
	st=$(sysfs "$MAIN_IDX" state)
	if [ "$st" != listed ]; then
		# put it back for the tests after this one
		bounded "$CTL" add "$MAIN_NAME" > /dev/null 2>&1
		wait_for state_is "$MAIN_IDX" listed
	fi
	if [ $rc != 2 ]; then
		fail $t "delete --related: exit status $rc, not 2: $(cat "$tmp/rd.out")"
	elif [ "$st" != listed ]; then
		fail $t "delete --related was refused but the SE is $st"
	else
		ok $t
	fi
fi

# EPERM from TRANSMIT is the kernel keeping MANAGE CHANNEL, not a missing
# capability (this runs as root)
t=secelctl_manage_channel_error_names_it
if ctl_ready $t; then
	bounded "$CTL" apdu "$MAIN_NAME" 0070000001 > "$tmp/mc.out" 2> "$tmp/mc.err"
	rc=$?
	if [ $rc != 1 ]; then
		fail $t "apdu 0070000001: exit status $rc, not 1: $(cat "$tmp/mc.err")"
	elif ! grep -q "MANAGE CHANNEL" "$tmp/mc.err" ||
	     grep -q CAP_SYS_ADMIN "$tmp/mc.err"; then
		fail $t "message does not name MANAGE CHANNEL alone: $(cat "$tmp/mc.err")"
	elif [ "$(wc -l < "$tmp/mc.err")" != 1 ]; then
		fail $t "more than one line: $(cat "$tmp/mc.err")"
	else
		ok $t
	fi
fi

# EACCES opening the configurator is its file mode, and says so; --sysfs
# needs no access
t=secelctl_node_mode_error_names_mode
if ! ctl_ready $t; then
	:
elif ! command -v setpriv > /dev/null 2>&1; then
	skip $t "no setpriv"
elif [ "$(stat -c %a /dev/secel-ctl 2>/dev/null)" != 600 ]; then
	skip $t "/dev/secel-ctl is not mode 0600"
else
	nobody="setpriv --reuid=65534 --regid=65534 --clear-groups"
	# shellcheck disable=SC2086 # the words of a command
	bounded $nobody "$CTL" list > "$tmp/nm.out" 2> "$tmp/nm.err"
	rc1=$?
	# shellcheck disable=SC2086
	bounded $nobody "$CTL" --sysfs list > "$tmp/nm2.out" 2> "$tmp/nm2.err"
	rc2=$?
	if [ $rc1 != 1 ]; then
		fail $t "list as nobody: exit status $rc1, not 1: $(cat "$tmp/nm.err")"
	elif ! grep -q "/dev/secel-ctl: .*file mode" "$tmp/nm.err"; then
		fail $t "message does not name the node's mode: $(cat "$tmp/nm.err")"
	elif [ $rc2 != 0 ] || ! grep -q "$MAIN_NAME" "$tmp/nm2.out"; then
		fail $t "--sysfs list as nobody: exit status $rc2: $(cat "$tmp/nm2.err" "$tmp/nm2.out")"
	else
		ok $t
	fi
fi

# secelctl acl: rules loaded from a file bind root too, are listed back in
# the syntax they were written in, and are cleared
t=secelctl_acl_load_list_enforce
if ctl_ready $t; then
	cat > "$tmp/acl.rules" <<EOF
# the test applet only, for root; the ISD refused
default deny
aid=F0534543454C01 uid=0 allow    # trailing comment
se=$MAIN_NAME prefix=A000000151 uid=0 deny
EOF
	printf '%s\n' "default deny" \
		"aid=F0534543454C01 uid=0 allow" \
		"se=$MAIN_NAME prefix=A000000151 uid=0 deny" > "$tmp/acl.want"
	bounded "$CTL" acl load "$tmp/acl.rules" > "$tmp/al.out" 2> "$tmp/al.err"
	rc1=$?
	bounded "$CTL" acl list 2> "$tmp/ll.err" | grep -v '^#' > "$tmp/ll.out"
	bounded "$CTL" apdu "$MAIN_NAME" '00A4040008A00000015100000000' \
		> "$tmp/ad.out" 2> "$tmp/ad.err"
	rc2=$?
	bounded "$CTL" channel "$MAIN_NAME" F0534543454C01 '80 10 00 00 02 CAFE 00' \
		> "$tmp/ac.out" 2> "$tmp/ac.err"
	rc3=$?
	bounded "$CTL" acl clear > /dev/null 2> "$tmp/cl.err"
	rc4=$?
	bounded "$CTL" apdu "$MAIN_NAME" '00A4040008A00000015100000000' \
		> "$tmp/ad2.out" 2> "$tmp/ad2.err"
	rc5=$?
	if [ $rc1 != 0 ] || ! grep -q "^2 rules loaded" "$tmp/al.out"; then
		fail $t "acl load: exit status $rc1: $(cat "$tmp/al.out" "$tmp/al.err")"
	elif ! cmp -s "$tmp/acl.want" "$tmp/ll.out"; then
		fail $t "acl list does not give the rules back: $(cat "$tmp/ll.out" "$tmp/ll.err")"
	elif [ $rc2 != 1 ] || ! grep -q "access rules" "$tmp/ad.err"; then
		fail $t "SELECT of the ISD under the rules: exit status $rc2: $(cat "$tmp/ad.out" "$tmp/ad.err")"
	elif [ $rc3 != 0 ] || ! norm < "$tmp/ac.out" | grep -q CAFE9000; then
		fail $t "channel to the allowed applet: exit status $rc3: $(cat "$tmp/ac.out" "$tmp/ac.err")"
	elif [ $rc4 != 0 ] || [ $rc5 != 0 ]; then
		fail $t "after acl clear the ISD: exit status $rc4/$rc5: $(cat "$tmp/cl.err" "$tmp/ad2.err")"
	else
		ok $t
	fi
fi

# a rule the tool cannot read names the file and the line, or the
# argument, and changes nothing
t=secelctl_acl_bad_rules_refused
if ctl_ready $t; then
	printf '%s\n' "anyone allow" "aid=F053 allow" > "$tmp/bad.rules"
	bounded "$CTL" acl load "$tmp/bad.rules" > /dev/null 2> "$tmp/b1.err"
	rc1=$?
	bounded "$CTL" acl set 'uid=0 alow' > /dev/null 2> "$tmp/b2.err"
	rc2=$?
	bounded "$CTL" acl list > "$tmp/b3.out" 2>&1
	if [ $rc1 != 1 ] || ! grep -q "bad.rules:2: aid= needs 5 to 16 hex bytes" "$tmp/b1.err"; then
		fail $t "acl load of a bad file: exit status $rc1: $(cat "$tmp/b1.err")"
	elif [ $rc2 != 2 ] || ! grep -q "unknown word 'alow'" "$tmp/b2.err"; then
		fail $t "acl set of a bad rule: exit status $rc2: $(cat "$tmp/b2.err")"
	elif grep -v '^#' "$tmp/b3.out" | grep -qv '^default deny$'; then
		fail $t "rules left behind: $(cat "$tmp/b3.out")"
	else
		ok $t
	fi
fi

# ---- failure modes ----

t=vcard_silent_rejected
SILENT_PID="" SILENT_IDX="" SILENT_NAME=""
if [ $have_vcard = 0 ]; then
	skip $t "$VCARD not built"
elif ! printf 500 > "$TIMEOUT_PARAM" 2>/dev/null; then
	skip $t "cannot set $TIMEOUT_PARAM"
elif ! start_vcard silent --silent; then
	fail $t "secel-vcard --silent did not start"
else
	SILENT_PID=$PID SILENT_IDX=$IDX SILENT_NAME=$NAME
	if ! wait_for state_is "$IDX" rejected; then
		fail $t "silent card state '$(sysfs "$IDX" state)', not rejected"
	else
		ok $t
	fi
fi

t=secelctl_list_all_shows_rejected
if [ $have_ctl = 0 ]; then
	skip $t "$CTL not built"
elif [ -z "$SILENT_IDX" ] || ! state_is "$SILENT_IDX" rejected; then
	skip $t "no rejected SE to look for"
else
	bounded "$CTL" list > "$tmp/l1.out" 2>&1
	bounded "$CTL" list --all > "$tmp/l2.out" 2>&1
	if grep -q "$SILENT_NAME" "$tmp/l1.out"; then
		fail $t "list shows rejected $SILENT_NAME"
	elif ! grep "$SILENT_NAME" "$tmp/l2.out" | grep -q rejected; then
		fail $t "list --all does not show $SILENT_NAME rejected"
	else
		ok $t
	fi
fi
[ -n "$SILENT_PID" ] && stop_vcard "$SILENT_PID"
[ -n "$saved_timeout" ] && printf '%s' "$saved_timeout" > "$TIMEOUT_PARAM"

t=vcard_kill_unplugs
if [ -z "$MAIN_PID" ]; then
	skip $t "no secel-vcard SE"
else
	stop_vcard "$MAIN_PID"
	if ! wait_for gone "$MAIN_IDX"; then
		fail $t "secel$MAIN_IDX still there after SIGTERM"
	else
		ok $t
	fi
fi

echo "# Totals: $((num - failed)) ok, $failed not ok"
[ $failed = 0 ]

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# secel selftests: GlobalPlatform end to end through /dev/secelN --
# secel-vcard's card (SCP03, card content management, the purse and the
# data store) and 'secelctl gp'.  KTAP on stdout.
#
# Environment: SECEL_VCARD, SECELCTL override the tool paths.

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
VCARD=${SECEL_VCARD:-$root/tools/secel-vcard/secel-vcard}
CTL=${SECELCTL:-$root/tools/secelctl/secelctl}

. "$here/secel_lib.sh"
secel_tmp secel-gp

# checks of scp03_ref.py, the independent SCP03 host (Python), each a test
REF_TESTS="basic_channel logical_channel further_channel isd_fci_9f65
get_data_c1 ext_auth_p2 put_key_wrong_kcv seq_per_keyset put_key_aes192
load_block_answers set_status_app card_lock"
REF=$here/scp03_ref.py
PY=/usr/bin/python3

TESTS="gp_info gp_list_fresh gp_mkload gp_install_purse gp_purse_channel
gp_purse_basic gp_install_datastore gp_datastore_without_pin_named
gp_load_progress_on_terminal
gp_datastore_pin_blocks gp_wrong_keys
gp_levels gp_list_json gp_ext_auth_tampered gp_lock gp_delete gp_session_beside_basic
gp_install_refused_cleans_up gp_install_too_long
gp_card_restart_keeps_apps gp_load_broken_by_card_exit gp_install_killed
gp_state_file_locked gp_put_key gp_card_without_channels
gp_load_252_blocks gp_load_too_many_blocks_refused gp_load_extended
gp_load_200k_extended gp_size_options_refused_beyond_limits
gp_load_then_install_only gp_delete_key gp_put_key_aes192 gp_card_lock gp_apdu_secured_trace
gp_trace_option gp_help_lists_every_verb gp_card_terminate gp_keys_kdf3
gp_keys_emv
$REF_TESTS"

ktap_plan

bounded() { timeout -k 2 60 "$@"; }

# gp ARGS...: secelctl gp, output in $tmp/o, errors in $tmp/e
gp() { bounded "$CTL" gp "$@" > "$tmp/o" 2> "$tmp/e"; }
ctl() { bounded "$CTL" "$@" > "$tmp/o" 2> "$tmp/e"; }
has() { grep -q -- "$1" "$tmp/o"; }
err_has() { grep -q -- "$1" "$tmp/e"; }

PURSE_ELF=A000000553454301
PURSE_MOD=A00000055345430101
STORE_ELF=A000000553454302
STORE_MOD=A00000055345430201
KEY=30313233343536373839616263646566	# the purse's MAC key
PURSE_PARAMS=DF1010${KEY}DF110400001388	# maximum 5000

# credit_apdu COUNTER AMOUNT: 80 52 with the MAC over 52||ctr||amt||AID
credit_apdu() {
	msg=$(printf '52%08X%08X%s' "$1" "$2" "$PURSE_MOD")
	mac=$(printf '%s' "$msg" | xxd -r -p |
	      openssl mac -cipher AES-128-CBC -macopt hexkey:$KEY CMAC 2>/dev/null |
	      cut -c1-16)
	printf '805200000C%08X%s08' "$2" "$mac"
}

if [ ! -x "$VCARD" ] || [ ! -x "$CTL" ]; then
	for t in $TESTS; do
		skip "$t" "secel-vcard or secelctl not built"
	done
	exit 0
fi
# tools/testing/install-deps guarantees both: without them the purse
# tests fail rather than pass unseen
if ! command -v openssl > /dev/null || ! command -v xxd > /dev/null; then
	NO_MAC="openssl or xxd missing (tools/testing/install-deps installs them)"
fi

STATE=$tmp/card.state
if ! start_vcard main --name GPC --state "$STATE"; then
	for t in $TESTS; do
		fail "$t" "the GlobalPlatform card did not start"
	done
	exit 0
fi
MAIN_PID=$PID
SE=$NAME

t=gp_info
if ! gp "$SE" info; then
	fail $t "exit status $?: $(cat "$tmp/e")"
elif ! has "IC fabricator" || ! has "Keys:" ||
     ! has "key 01 version 30: AES-128" || ! has "SCP03, i=70"; then
	fail $t "info lacks CPLC, key information or SCP03: $(cat "$tmp/o")"
else
	ok $t
fi

t=gp_list_fresh
if ! gp "$SE" list; then
	fail $t "exit status $?: $(cat "$tmp/e")"
elif ! has "ISD: A000000151000000 (SECURED)" ||
     ! has "APP: F0534543454C01 (SELECTABLE)" || has "PKG:"; then
	fail $t "$(cat "$tmp/o")"
else
	ok $t
fi

t=gp_mkload
if ! gp mkload --type secel.purse --aid $PURSE_ELF --module $PURSE_MOD \
	--code-size 3000 "$tmp/purse.slf" ||
   ! gp mkload --type secel.datastore --aid $STORE_ELF \
	--module $STORE_MOD --lf-version 2.1 "$tmp/store.slf"; then
	fail $t "$(cat "$tmp/e")"
elif [ "$(wc -c < "$tmp/purse.slf")" -lt 3000 ]; then
	fail $t "purse.slf is $(wc -c < "$tmp/purse.slf") bytes"
elif gp mkload --type secel.purse --aid 0102 --module $PURSE_MOD \
	"$tmp/bad.slf" || ! err_has "5 to 16"; then
	fail $t "a 2-byte AID was taken: $(cat "$tmp/e")"
# the error names the option as it is spelt (it said --version)
elif gp mkload --type secel.purse --aid $PURSE_ELF --module $PURSE_MOD \
	--lf-version 1 "$tmp/bad.slf" || ! err_has "--lf-version '1': not MAJOR.MINOR"; then
	fail $t "--lf-version 1: $(cat "$tmp/e")"
else
	ok $t
fi

t=gp_install_purse
if ! gp "$SE" install "$tmp/purse.slf" --params $PURSE_PARAMS --level 33; then
	fail $t "exit status $?: $(cat "$tmp/e")"
elif ! has "installed $PURSE_MOD (secel.purse 1.0 from $PURSE_ELF)"; then
	fail $t "$(cat "$tmp/o")"
elif ! gp "$SE" list || ! has "APP: $PURSE_MOD (SELECTABLE)" ||
     ! has "PKG: $PURSE_ELF (LOADED)" || ! has "Module: $PURSE_MOD"; then
	fail $t "not listed: $(cat "$tmp/o") $(cat "$tmp/e")"
elif gp "$SE" install "$tmp/purse.slf" --params $PURSE_PARAMS ||
     ! err_has "6985"; then
	fail $t "a second install of the same load file: $(cat "$tmp/e")"
else
	ok $t
fi

t=gp_purse_channel
if [ -n "$NO_MAC" ]; then
	fail $t "$NO_MAC"
elif ! ctl channel "$SE" $PURSE_MOD 805C000008 "$(credit_apdu 0 700)" \
	"$(credit_apdu 0 700)" 8054000004000002BD08 8054000004000000C808; then
	fail $t "exit status $?: $(cat "$tmp/e")"
else
	# balance 0; credit 700; the replay refused; 701 refused; debit 200
	want="0000000000000000  9000
000002BC00000001  9000
6982
6A85
000001F400000002  9000"
	got=$(sed -n '3,$p' "$tmp/o")
	if [ "$got" != "$want" ]; then
		fail $t "got: $got"
	else
		ok $t
	fi
fi

t=gp_purse_basic
if [ -n "$NO_MAC" ]; then
	fail $t "$NO_MAC"
elif ! ctl apdu "$SE" 00A4040009${PURSE_MOD}00 "$(credit_apdu 2 4501)" \
	"$(credit_apdu 2 4500)" 805C000008 00A4040000; then
	fail $t "exit status $?: $(cat "$tmp/e")"
elif [ "$(sed -n 2p "$tmp/o")" != 6A84 ] ||
     [ "$(sed -n 3p "$tmp/o")" != "0000138800000003  9000" ]; then
	fail $t "over the maximum / credit to 5000: $(cat "$tmp/o")"
else
	ok $t
fi

t=gp_install_datastore
if ! gp "$SE" install "$tmp/store.slf" \
	--params DF200431323334DF210103DF220102DF230110; then
	fail $t "exit status $?: $(cat "$tmp/e")"
elif gp "$SE" install "$tmp/store.slf" --aid ${STORE_MOD}02 \
	--params DF200439393939; then
	fail $t "the same package loaded twice"
elif ! err_has "INSTALL \[for load\] $STORE_ELF: card answered 6985"; then
	fail $t "second load of the package: $(cat "$tmp/e")"
elif ! ctl apdu "$SE" 00A4040009${STORE_MOD}00 00B2010410 \
	002000800431323334 00DC010403CAFE01 00B2010410 00B2030410 \
	00A4040000; then
	fail $t "exit status $?: $(cat "$tmp/e")"
elif [ "$(sed -n 2p "$tmp/o")" != 6982 ] ||
     [ "$(sed -n 3p "$tmp/o")" != 9000 ] ||
     [ "$(sed -n 5p "$tmp/o")" != "CAFE0100000000000000000000000000  9000" ] ||
     [ "$(sed -n 6p "$tmp/o")" != 6A83 ]; then
	fail $t "$(cat "$tmp/o")"
else
	ok $t
fi

if ! lane_short gp_datastore_without_pin_named; then
	t=gp_datastore_without_pin_named
	# the card would answer a bare 6A80 after the load: refused before it
	gp "$SE" list
	before=$(cat "$tmp/o")
	if gp "$SE" install "$tmp/store.slf" --aid ${STORE_MOD}03 \
		--params DF210103; then
		fail $t "a datastore without its PIN was installed"
	elif [ "$(wc -l < "$tmp/e")" != 1 ] || ! err_has "needs its PIN" ||
	     ! err_has "DF20" || ! err_has "nothing loaded"; then
		fail $t "not one line naming DF20: $(cat "$tmp/e")"
	elif ! gp "$SE" list || [ "$(cat "$tmp/o")" != "$before" ]; then
		fail $t "the card's content changed: $(cat "$tmp/o")"
	else
		ok $t
	fi
fi

if ! lane_short gp_load_progress_on_terminal; then
	t=gp_load_progress_on_terminal
	# "LOAD block N" redrawn on a terminal's stderr; nothing of it otherwise
	PROG_ELF=A000000553454309
	if ! command -v script > /dev/null 2>&1; then
		skip $t "script(1) not installed"
	elif ! gp mkload --type secel.purse --aid $PROG_ELF --module ${PROG_ELF}01 \
		--code-size 3000 "$tmp/prog.slf"; then
		fail $t "mkload: $(cat "$tmp/e")"
	elif ! bounded script -qec "'$CTL' gp '$SE' install '$tmp/prog.slf' --params $PURSE_PARAMS" \
		/dev/null > "$tmp/tty.out" 2>&1; then
		fail $t "install on a terminal: $(tr '\r' '\n' < "$tmp/tty.out")"
	elif ! tr '\r' '\n' < "$tmp/tty.out" | grep -q "^secelctl: gp $SE: LOAD block 2\$" ||
	     ! tr '\r' '\n' < "$tmp/tty.out" | grep -q "LOAD block [0-9]*, the last\$"; then
		fail $t "no progress: $(tr '\r' '\n' < "$tmp/tty.out")"
	elif ! gp "$SE" delete $PROG_ELF --related; then
		fail $t "delete: $(cat "$tmp/e")"
	elif ! gp "$SE" install "$tmp/prog.slf" --params $PURSE_PARAMS ||
	     grep -q 'LOAD block' "$tmp/e" "$tmp/o"; then
		fail $t "progress without a terminal: $(cat "$tmp/e")"
	elif ! gp "$SE" delete $PROG_ELF --related; then
		fail $t "delete: $(cat "$tmp/e")"
	else
		ok $t
	fi
fi

t=gp_datastore_pin_blocks
if ! ctl channel "$SE" $STORE_MOD 002000800400000000 002000800400000000 \
	00200080 002000800400000000 002000800431323334 00B2010410; then
	fail $t "exit status $?: $(cat "$tmp/e")"
else
	want="63C2
63C1
63C1
6983
6983
6982"
	got=$(sed -n '3,$p' "$tmp/o")
	if [ "$got" != "$want" ]; then
		fail $t "got: $got"
	else
		ok $t
	fi
fi

if ! lane_short gp_wrong_keys; then
	t=gp_wrong_keys
	before=$(gp "$SE" list && cat "$tmp/o")
	if gp "$SE" list --keys 30:000102030405060708090A0B0C0D0E0F; then
		fail $t "wrong keys were taken"
	elif ! err_has "gp $SE: secure channel: card cryptogram does not verify: wrong keys"; then
		fail $t "message: $(cat "$tmp/e")"
	elif gp "$SE" list --kvn 44 || ! err_has "no key version 44"; then
		fail $t "unknown key version: $(cat "$tmp/e")"
	elif gp "$SE" delete $PURSE_MOD --keys 30:000102030405060708090A0B0C0D0E0F; then
		fail $t "delete with wrong keys succeeded"
	elif [ "$(gp "$SE" list && cat "$tmp/o")" != "$before" ]; then
		fail $t "the card content changed"
	else
		ok $t
	fi
fi

t=gp_levels
bad=""
# the debug lane: no security, then C-MAC, C-DEC, R-MAC, R-ENC
for l in $(lane_pick "00 01 03 11 13 33" "00 33"); do
	gp "$SE" list --level $l && has "APP: $PURSE_MOD" || bad="$bad $l"
done
if [ -n "$bad" ]; then
	fail $t "levels$bad: $(cat "$tmp/e")"
elif gp "$SE" list --level 31 || ! err_has "security level 31"; then
	fail $t "level 31: $(cat "$tmp/e")"
else
	ok $t
fi

if ! lane_short gp_list_json; then
	t=gp_list_json
	if ! gp "$SE" list --json; then
		fail $t "exit status $?: $(cat "$tmp/e")"
	elif ! python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
kinds = {(e["kind"], e["aid"]): e for e in d}
app = kinds[("APP", sys.argv[2])]
pkg = kinds[("PKG", sys.argv[3])]
assert kinds[("ISD", "A000000151000000")]["lifecycle"] == "SECURED"
assert app["lifecycle"] == "SELECTABLE" and app["loadfile"] == sys.argv[3]
assert pkg["version"] == "1.0" and pkg["modules"] == [sys.argv[2]]
	' "$tmp/o" $PURSE_MOD $PURSE_ELF 2> "$tmp/py"; then
		fail $t "$(cat "$tmp/py") in $(cat "$tmp/o")"
	else
		ok $t
	fi
fi

if ! lane_short gp_ext_auth_tampered; then
	t=gp_ext_auth_tampered
	# a host that does not know the keys: any cryptogram is refused
	ctl apdu "$SE" 00A4040000 8050300008010203040506070800 \
		84820100100102030405060708090A0B0C0D0E0F10 80F28002024F0000
	if [ "$(sed -n 3p "$tmp/o")" != 6300 ] || [ "$(sed -n 4p "$tmp/o")" != 6982 ]; then
		fail $t "$(cat "$tmp/o") $(cat "$tmp/e")"
	else
		ok $t
	fi
fi

t=gp_lock
if ! gp "$SE" lock $PURSE_MOD || ! has "locked $PURSE_MOD"; then
	fail $t "lock: $(cat "$tmp/e")"
elif ! gp "$SE" list || ! has "APP: $PURSE_MOD (LOCKED)"; then
	fail $t "not shown locked: $(cat "$tmp/o")"
elif ctl channel "$SE" $PURSE_MOD 805C000008 || ! err_has "no application"; then
	fail $t "a locked purse was selected: $(cat "$tmp/o") $(cat "$tmp/e")"
elif ! gp "$SE" unlock $PURSE_MOD || ! ctl channel "$SE" $PURSE_MOD 805C000008; then
	fail $t "unlock: $(cat "$tmp/e")"
else
	ok $t
fi

t=gp_delete
if gp "$SE" delete $STORE_ELF || ! err_has "try --related"; then
	fail $t "deleting a package with instances: $(cat "$tmp/e")"
elif ! gp "$SE" delete $STORE_ELF --related || ! has "deleted $STORE_ELF"; then
	fail $t "delete --related: $(cat "$tmp/e")"
elif ! gp "$SE" list || has "$STORE_MOD" || has "$STORE_ELF"; then
	fail $t "still listed: $(cat "$tmp/o")"
elif gp "$SE" delete $STORE_ELF || ! err_has 6A88; then
	fail $t "deleting it again: $(cat "$tmp/e")"
elif gp "$SE" delete A000000151000000 || ! err_has 6985; then
	fail $t "deleting the ISD: $(cat "$tmp/e")"
else
	ok $t
fi

t=gp_session_beside_basic
# secure channel sessions on a logical channel while another process
# keeps the basic channel busy with the test applet
(
	i=0
	while [ $i -lt "$(lane_pick 40 12)" ]; do
		"$CTL" apdu "$SE" 00A4040007F0534543454C0100 \
			8010000004CAFEBABE00 > "$tmp/basic.$i" 2>&1 || exit 1
		grep -q "CAFEBABE  9000" "$tmp/basic.$i" || exit 2
		i=$((i + 1))
	done
) &
bg=$!
bad=0
sessions=$(lane_pick "1 2 3 4 5 6" "1 2")
for i in $sessions; do
	gp "$SE" list --level 33 && has "APP: $PURSE_MOD" || bad=$((bad + 1))
done
wait $bg
bgrc=$?
if [ $bad != 0 ]; then
	fail $t "$bad of $(echo $sessions | wc -w) sessions failed: $(cat "$tmp/e")"
elif [ $bgrc != 0 ]; then
	fail $t "the basic channel user failed ($bgrc)"
else
	ok $t
fi

if ! lane_short gp_install_refused_cleans_up; then
	t=gp_install_refused_cleans_up
	# the card refuses the INSTALL after the load (a 3-byte purse key): the
	# load file is deleted again, in a session of its own
	gp mkload --type secel.purse --aid A000000553454305 \
		--module A00000055345430501 "$tmp/p5.slf"
	if gp "$SE" install "$tmp/p5.slf" --params DF1003AABBCC; then
		fail $t "a purse without a 16-byte key was installed"
	elif ! err_has "INSTALL \[for install\] A00000055345430501: card answered 6A80" ||
	     ! err_has "load file A000000553454305 was deleted again"; then
		fail $t "message: $(cat "$tmp/e")"
	elif ! gp "$SE" list || has A000000553454305; then
		fail $t "something is left: $(cat "$tmp/o") $(cat "$tmp/e")"
	else
		ok $t
	fi
fi

if ! lane_short gp_install_too_long; then
	t=gp_install_too_long
	# 16-byte AIDs at level 03: 183 bytes of parameters do not fit one
	# protected APDU (audit issue 3); 181 do
	L_ELF=A0000005534543060102030405060708
	L_MOD=A0000005534543060102030405060709
	zeros=$(printf '%0310d' 0)			# 155 bytes of 00 padding
	gp mkload --type secel.purse --aid $L_ELF --module $L_MOD "$tmp/p6.slf"
	if gp "$SE" install "$tmp/p6.slf" --level 03 --params "${PURSE_PARAMS}${zeros}0000"; then
		fail $t "183 bytes of parameters were taken"
	elif ! err_has "INSTALL \[for install\] too long: 183 bytes of --params make 241 data bytes, at most 239" ||
	     ! err_has "nothing loaded"; then
		fail $t "message: $(cat "$tmp/e")"
	elif ! gp "$SE" list || has $L_ELF; then
		fail $t "something was loaded: $(cat "$tmp/o")"
	elif ! gp "$SE" install "$tmp/p6.slf" --level 03 --params "${PURSE_PARAMS}${zeros}" ||
	     ! has "installed $L_MOD"; then
		fail $t "181 bytes: $(cat "$tmp/e")"
	elif ! ctl channel "$SE" $L_MOD 805C000008 || ! has "0000000000000000  9000"; then
		fail $t "the purse: $(cat "$tmp/o") $(cat "$tmp/e")"
	elif ! gp "$SE" delete $L_ELF --related; then
		fail $t "delete: $(cat "$tmp/e")"
	else
		ok $t
	fi
fi

t=gp_card_restart_keeps_apps
stop_vcard "$MAIN_PID"
if ! wait_for test ! -e "/sys/class/secel/secel$IDX"; then
	fail $t "the SE did not go"
elif ! start_vcard main2 --name GPC --state "$STATE"; then
	fail $t "restart with the state file failed"
else
	MAIN_PID=$PID
	SE=$NAME
	if ! gp "$SE" list || ! has "APP: $PURSE_MOD (SELECTABLE)"; then
		fail $t "the purse is gone: $(cat "$tmp/o") $(cat "$tmp/e")"
	elif ! ctl channel "$SE" $PURSE_MOD 805C000008 ||
	     ! has "0000138800000003  9000"; then
		fail $t "balance not kept: $(cat "$tmp/o")"
	else
		ok $t
	fi
fi

t=gp_load_broken_by_card_exit
# the card process dies in the middle of the LOAD blocks
cp "$STATE" "$tmp/s2"
gp mkload --type secel.datastore --aid A000000553454303 \
	--module A00000055345430301 --code-size 6000 "$tmp/big.slf"
if ! start_vcard brk --name GPB --state "$tmp/s2" --exit-after 20; then
	fail $t "card did not start"
else
	gp "$NAME" install "$tmp/big.slf" --params DF200431323334
	rc=$?
	wait "$PID" 2>/dev/null
	if [ $rc = 0 ]; then
		fail $t "the install succeeded although the card exited"
	elif ! start_vcard brk2 --name GPB --state "$tmp/s2"; then
		fail $t "restart failed"
	elif ! gp "$NAME" list || has A000000553454303; then
		fail $t "a broken load left something: $(cat "$tmp/o")"
	elif ! gp "$NAME" install "$tmp/big.slf" --params DF200431323334 ||
	     ! gp "$NAME" list || ! has "APP: A00000055345430301"; then
		fail $t "the load again: $(cat "$tmp/e")"
	else
		ok $t
	fi
	stop_vcard "$PID"
fi

t=gp_install_killed
# the host dies (SIGKILL, no cleanup) once the card has answered 5 LOAD
# blocks, then 20: neither broken-off load may leave a load file or an
# application, in the card or its state file; a new INSTALL [for load]
# from block 0 then loads and installs it once
K_ELF=A000000553454304
K_MOD=A00000055345430401
gp mkload --type secel.purse --aid $K_ELF --module $K_MOD --code-size 3000 \
	"$tmp/p4.slf"
why=""
for n in $(lane_pick "5 20" 20); do
	# env, not an assignment before a function: dash may keep those
	env SECELCTL_GP_DIE_AFTER_LOAD=$n timeout -k 2 60 "$CTL" gp "$SE" \
		install "$tmp/p4.slf" --params $PURSE_PARAMS --block 64 \
		> "$tmp/o" 2> "$tmp/e"
	rc=$?
	if [ $rc != 137 ]; then
		why="after $n LOAD blocks: exit status $rc, not killed: $(cat "$tmp/e")"
		break
	fi
	if ! gp "$SE" list; then
		why="list after $n blocks: $(cat "$tmp/e")"
		break
	fi
	if has $K_ELF || grep -q "$K_ELF" "$STATE"; then
		why="after $n blocks the card holds: $(cat "$tmp/o") $(grep "$K_ELF" "$STATE")"
		break
	fi
done
if [ -n "$why" ]; then
	fail $t "$why"
elif ! gp "$SE" install "$tmp/p4.slf" --params $PURSE_PARAMS --block 64 ||
     ! has "installed $K_MOD"; then
	fail $t "install after the kills: $(cat "$tmp/e")"
elif ! gp "$SE" list || [ "$(grep -c "APP: $K_MOD (SELECTABLE)" "$tmp/o")" != 1 ] ||
     [ "$(grep -c "PKG: $K_ELF (LOADED)" "$tmp/o")" != 1 ]; then
	fail $t "not listed once: $(cat "$tmp/o")"
elif [ "$(grep -c "^loadfile $K_ELF " "$STATE")" != 1 ] ||
     [ "$(grep -c "^purse $K_MOD $K_ELF " "$STATE")" != 1 ]; then
	fail $t "state file: $(cat "$STATE")"
elif ! ctl channel "$SE" $K_MOD 805C000008 || ! has "0000000000000000  9000"; then
	fail $t "the purse: $(cat "$tmp/o") $(cat "$tmp/e")"
elif ! gp "$SE" delete $K_ELF --related; then
	fail $t "delete: $(cat "$tmp/e")"
else
	ok $t
fi

if ! lane_short gp_state_file_locked; then
	t=gp_state_file_locked
	# a second card process on the same state file is refused, by name
	"$VCARD" --name GPL --state "$STATE" > "$tmp/lock.out" 2> "$tmp/lock.err" < /dev/null &
	lp=$!
	pids="$pids $lp"
	if ! wait_for sh -c "! kill -0 $lp 2>/dev/null"; then
		fail $t "the second card process is still running"
		stop_vcard $lp
	elif wait $lp; then
		fail $t "the second card process exited 0"
	elif [ "$(wc -l < "$tmp/lock.err")" != 1 ] ||
	     ! grep -q "$STATE: in use by another secel-vcard" "$tmp/lock.err"; then
		fail $t "message: $(cat "$tmp/lock.err")"
	elif ! gp "$SE" list || ! has "APP: $PURSE_MOD"; then
		fail $t "the first card: $(cat "$tmp/e")"
	else
		ok $t
	fi
fi

t=gp_put_key
NEWKEYS=31:00112233445566778899AABBCCDDEEFF:0102030405060708090A0B0C0D0E0F10:A0A1A2A3A4A5A6A7A8A9AAABACADAEAF
if ! gp "$SE" put-key $NEWKEYS --replace 30; then
	fail $t "put-key: $(cat "$tmp/e")"
elif gp "$SE" list || ! err_has "no key version 00\|wrong keys"; then
	fail $t "the old keys still work: $(cat "$tmp/e")"
elif ! gp "$SE" list --keys $NEWKEYS || ! has "APP: $PURSE_MOD"; then
	fail $t "the new keys: $(cat "$tmp/e")"
else
	printf 'kvn = 31\nenc = 00112233445566778899AABBCCDDEEFF\n' > "$tmp/keys"
	printf 'mac = 0102030405060708090A0B0C0D0E0F10\n' >> "$tmp/keys"
	printf '# the key encryption key\ndek = A0A1A2A3A4A5A6A7A8A9AAABACADAEAF\n' >> "$tmp/keys"
	if ! gp "$SE" info --secure --key-file "$tmp/keys" ||
	   ! has "key 01 version 31: AES-128"; then
		fail $t "key file: $(cat "$tmp/e")"
	elif printf 'kvn = 31\nenc = 0011\n' > "$tmp/badkeys" &&
	     gp "$SE" list --key-file "$tmp/badkeys" ||
	     ! err_has "badkeys:2"; then
		fail $t "a bad key file: $(cat "$tmp/e")"
	else
		ok $t
	fi
fi

t=gp_card_without_channels
# a card without logical channels: secelctl gp falls back to the basic one
if ! start_vcard noch --name GPN --no-channels; then
	fail $t "card did not start"
else
	if ! gp "$NAME" list || ! has "ISD: A000000151000000"; then
		fail $t "list: $(cat "$tmp/e")"
	elif ! gp "$NAME" info || ! has "channel 0, basic"; then
		fail $t "info: $(cat "$tmp/o") $(cat "$tmp/e")"
	elif ! gp "$NAME" install "$tmp/purse.slf" --params $PURSE_PARAMS --basic ||
	     ! ctl apdu "$NAME" 00A4040009${PURSE_MOD}00 805C000008 ||
	     [ "$(sed -n 2p "$tmp/o")" != "0000000000000000  9000" ]; then
		fail $t "install and use: $(cat "$tmp/o") $(cat "$tmp/e")"
	else
		ok $t
	fi
	stop_vcard "$PID"
fi

# Load files of real size (issue 9 item 15): 256 blocks of the largest
# block the session leaves room for (239 bytes at level 03)
BIG_ELF=A0000005534543A1
t=gp_load_252_blocks
if ! gp mkload --type secel.purse --aid $BIG_ELF --module ${BIG_ELF}01 \
	--code-size 60000 "$tmp/big.slf"; then
	fail $t "mkload of 60000 bytes: $(cat "$tmp/e")"
elif ! SECELCTL_GP_TRACE=1 gp "$SE" install "$tmp/big.slf" \
	--params $PURSE_PARAMS --keys $NEWKEYS; then
	fail $t "install: $(tail -n 3 "$tmp/e")"
elif [ "$(grep -c '> 84E8' "$tmp/e")" -ne 252 ]; then
	fail $t "$(grep -c '> 84E8' "$tmp/e") LOAD blocks, want 252"
elif ! gp "$SE" delete $BIG_ELF --related --keys $NEWKEYS; then
	fail $t "delete: $(cat "$tmp/e")"
else
	ok $t
fi

t=gp_load_too_many_blocks_refused
if ! gp mkload --type secel.purse --aid ${BIG_ELF}02 --module ${BIG_ELF}0201 \
	--code-size 64000 "$tmp/big2.slf"; then
	fail $t "mkload: $(cat "$tmp/e")"
elif SECELCTL_GP_TRACE=1 gp "$SE" install "$tmp/big2.slf" \
	--params $PURSE_PARAMS --keys $NEWKEYS; then
	fail $t "a load of 268 blocks of 239 bytes was taken"
elif ! err_has "needs 26[89] LOAD blocks of 239 bytes, at most 256" ||
     ! err_has "nothing sent"; then
	fail $t "$(tail -n 2 "$tmp/e")"
elif grep -q '> 84E6' "$tmp/e"; then
	fail $t "INSTALL [for load] was sent before the refusal"
else
	ok $t
fi

t=gp_load_extended
# a card that takes extended-length APDUs (9F65 FFFF): 65000 bytes of
# code (273 short blocks: too many) in extended blocks of 20000 bytes
if ! start_vcard ext --name GPX --extended; then
	fail $t "card did not start"
else
	if ! gp mkload --type secel.purse --aid ${BIG_ELF}03 \
		--module ${BIG_ELF}0301 --code-size 65000 "$tmp/big3.slf"; then
		fail $t "mkload: $(cat "$tmp/e")"
	elif ! SECELCTL_GP_TRACE=1 gp "$NAME" install "$tmp/big3.slf" \
		--params $PURSE_PARAMS --block 20000; then
		fail $t "install: $(tail -n 2 "$tmp/e" | cut -c1-300)"
	elif [ "$(grep -c '> 84E8....00' "$tmp/e")" -ne 4 ]; then
		fail $t "$(grep -c '> 84E8' "$tmp/e") LOAD blocks, want 4 extended ones"
	elif ! gp "$NAME" list || ! has "APP: ${BIG_ELF}0301 (SELECTABLE)"; then
		fail $t "not listed: $(cat "$tmp/o")"
	else
		ok $t
	fi
	stop_vcard "$PID"
fi

t=gp_load_200k_extended
# 200,000 bytes of code, more than 256 short blocks can carry, go in the
# largest extended-length LOAD blocks level 03 leaves room for (65519
# bytes): 4 of them, the last one P1 80, P2 03
if lane_covered gp_load_extended $t; then
	:
elif ! start_vcard ext200k --name GPY --extended; then
	fail $t "card did not start"
else
	if ! gp mkload --type secel.purse --aid ${BIG_ELF}04 \
		--module ${BIG_ELF}0401 --code-size 200000 "$tmp/big4.slf"; then
		fail $t "mkload: $(cat "$tmp/e")"
	elif [ "$(wc -c < "$tmp/big4.slf")" -le 200000 ]; then
		fail $t "big4.slf is $(wc -c < "$tmp/big4.slf") bytes"
	elif ! SECELCTL_GP_TRACE=1 gp "$NAME" install "$tmp/big4.slf" \
		--params $PURSE_PARAMS; then
		fail $t "install: $(tail -n 2 "$tmp/e" | cut -c1-300)"
	elif [ "$(grep -c '> 84E8....00' "$tmp/e")" -ne 4 ] ||
	     ! grep -q '> 84E88003' "$tmp/e"; then
		fail $t "$(grep -c '> 84E8' "$tmp/e") LOAD blocks, want 4 extended ones ending with block 03"
	elif ! gp "$NAME" list || ! has "APP: ${BIG_ELF}0401 (SELECTABLE)" ||
	     ! has "PKG: ${BIG_ELF}04 (LOADED)"; then
		fail $t "not listed: $(cat "$tmp/o")"
	else
		ok $t
	fi
	stop_vcard "$PID"
fi

if ! lane_short gp_size_options_refused_beyond_limits; then
	t=gp_size_options_refused_beyond_limits
	# --code-size beyond a load file's 262144 bytes, --block beyond the 65535
	# data bytes of an extended APDU: refused in one line, nothing written
	if gp mkload --type secel.purse --aid ${BIG_ELF}05 --module ${BIG_ELF}0501 \
		--code-size 262144 "$tmp/big5.slf"; then
		fail $t "a load file of more than 262144 bytes was written"
	elif [ "$(wc -l < "$tmp/e")" -ne 1 ] || ! err_has "at most 26[0-9]* bytes of code"; then
		fail $t "--code-size 262144: $(cat "$tmp/e")"
	elif ! gp mkload --type secel.purse --aid ${BIG_ELF}05 \
		--module ${BIG_ELF}0501 --code-size 262000 "$tmp/big5.slf"; then
		fail $t "--code-size 262000: $(cat "$tmp/e")"
	elif gp "$SE" install "$tmp/big4.slf" --block 65536 --keys $NEWKEYS ||
	     [ "$(wc -l < "$tmp/e")" -ne 1 ] ||
	     ! err_has "--block: '65536' is not a number from 1 to 65535"; then
		fail $t "--block 65536: $(cat "$tmp/e")"
	else
		ok $t
	fi
fi

# secelctl gp beside GlobalPlatformPro (issue 9 item 9)
t=gp_load_then_install_only
LO_ELF=A0000005534543B1
if ! gp mkload --type secel.purse --aid $LO_ELF --module ${LO_ELF}01 \
	"$tmp/lo.slf" || ! gp "$SE" load "$tmp/lo.slf" --keys $NEWKEYS ||
   ! has "loaded $LO_ELF"; then
	fail $t "load: $(cat "$tmp/o") $(cat "$tmp/e")"
elif ! gp "$SE" list --keys $NEWKEYS || ! has "PKG: $LO_ELF (LOADED)" ||
     has "APP: ${LO_ELF}01"; then
	fail $t "after load: $(cat "$tmp/o")"
elif ! gp "$SE" install-only $LO_ELF ${LO_ELF}01 ${LO_ELF}02 installed \
	--params $PURSE_PARAMS --keys $NEWKEYS ||
     ! gp "$SE" install-only $LO_ELF ${LO_ELF}01 ${LO_ELF}03 default \
	--params $PURSE_PARAMS --keys $NEWKEYS; then
	fail $t "install-only: $(cat "$tmp/e")"
elif ! gp "$SE" list --keys $NEWKEYS || ! has "APP: ${LO_ELF}02 (INSTALLED)" ||
     ! has "APP: ${LO_ELF}03 (SELECTABLE)" || ! has "Privileges: 040000"; then
	fail $t "after install-only: $(cat "$tmp/o")"
elif ! gp "$SE" delete $LO_ELF --related --keys $NEWKEYS; then
	fail $t "delete: $(cat "$tmp/e")"
else
	ok $t
fi

t=gp_delete_key
if ! gp "$SE" put-key 32:000102030405060708090A0B0C0D0E0F --keys $NEWKEYS; then
	fail $t "put-key 32: $(cat "$tmp/e")"
elif ! gp "$SE" info --secure --keys $NEWKEYS || ! has "version 32"; then
	fail $t "no key version 32: $(cat "$tmp/o")"
elif ! gp "$SE" delete-key 32 --keys $NEWKEYS ||
     ! has "deleted key version 32"; then
	fail $t "delete-key: $(cat "$tmp/e")"
elif ! gp "$SE" info --secure --keys $NEWKEYS || has "version 32"; then
	fail $t "key version 32 still there: $(cat "$tmp/o")"
else
	ok $t
fi

t=gp_put_key_aes192
# secelctl gp puts an AES-192 key set (Amendment D table 7-10: the key
# padded to whole blocks; issue 9 item 3), a session runs under it, and
# it goes again
K24=000102030405060708090A0B0C0D0E0F1011121314151617
K192=34:$K24:$K24:$K24
if ! gp "$SE" put-key $K192 --keys $NEWKEYS; then
	fail $t "put-key of AES-192 keys: $(cat "$tmp/e")"
elif ! gp "$SE" info --secure --keys $K192 ||
     ! has "key 01 version 34: AES-192"; then
	fail $t "a session under the AES-192 keys: $(cat "$tmp/o") $(cat "$tmp/e")"
elif ! gp "$SE" delete-key 34 --keys $NEWKEYS; then
	fail $t "delete-key 34: $(cat "$tmp/e")"
else
	ok $t
fi

t=gp_card_lock
if ! gp "$SE" card-lock --keys $NEWKEYS || ! has "card CARD_LOCKED"; then
	fail $t "card-lock: $(cat "$tmp/e")"
elif gp "$SE" card-lock --keys $NEWKEYS || ! err_has "6985"; then
	fail $t "a locked card locked again: $(cat "$tmp/e")"
elif ! ctl apdu "$SE" 00A4040007F0534543454C0100 || ! has "6A82"; then
	gp "$SE" card-unlock --keys $NEWKEYS
	fail $t "an application selected on a locked card: $(cat "$tmp/o")"
elif ! gp "$SE" list --keys $NEWKEYS || ! has "(CARD_LOCKED)"; then
	gp "$SE" card-unlock --keys $NEWKEYS
	fail $t "list: $(cat "$tmp/o")"
elif ! gp "$SE" card-unlock --keys $NEWKEYS ||
     ! ctl apdu "$SE" 00A4040007F0534543454C0100 || ! has "9000"; then
	fail $t "card-unlock: $(cat "$tmp/o") $(cat "$tmp/e")"
else
	ok $t
fi

if ! lane_short gp_apdu_secured_trace; then
	t=gp_apdu_secured_trace
	if ! SECELCTL_GP_TRACE=1 gp "$SE" apdu 80CA00E000 80CA00C100 --keys $NEWKEYS --level 33; then
		fail $t "$(cat "$tmp/e")"
	elif ! grep -q '^E0.*  9000$' "$tmp/o" || ! grep -q '^C103.*  9000$' "$tmp/o"; then
		fail $t "answers: $(cat "$tmp/o")"
	elif ! err_has '> 84CA00E008' || ! err_has '< .*9000$'; then
		fail $t "no protected APDUs traced: $(cat "$tmp/e")"
	else
		ok $t
	fi
fi

if ! lane_short gp_trace_option; then
	t=gp_trace_option
	# --trace does what SECELCTL_GP_TRACE=1 does; neither, or the variable
	# set to 0, traces nothing; mkload, which sends nothing, refuses it
	if ! gp "$SE" apdu 80CA00E000 --keys $NEWKEYS --trace; then
		fail $t "$(cat "$tmp/e")"
	elif ! err_has '\] > 84CA00E0' || ! err_has '\] < .*9000$'; then
		fail $t "--trace traced no protected APDUs: $(cat "$tmp/e")"
	elif ! SECELCTL_GP_TRACE=0 gp "$SE" apdu 80CA00E000 --keys $NEWKEYS ||
	     [ -s "$tmp/e" ]; then
		fail $t "traced without --trace: $(cat "$tmp/e")"
	elif gp mkload --type secel.purse --aid $PURSE_ELF --module $PURSE_MOD \
		--trace "$tmp/t.slf" || ! err_has "gp mkload does not take --trace"; then
		fail $t "mkload --trace: $(cat "$tmp/e")"
	else
		ok $t
	fi
fi

if ! lane_short gp_help_lists_every_verb; then
	t=gp_help_lists_every_verb
	# each verb with a line of its own and an example
	why=""
	if ! "$CTL" --help > "$tmp/o" 2> "$tmp/e"; then
		why="secelctl --help: $(cat "$tmp/e")"
	fi
	for v in list info install load install-only delete lock unlock put-key \
		 delete-key card-lock card-unlock card-terminate apdu; do
		grep -q "^  gp SE $v\b" "$tmp/o" && grep -q "^    \$ secelctl gp [^ ]* $v\b" "$tmp/o" ||
			why="$why $v"
	done
	grep -q "^  gp mkload " "$tmp/o" && grep -q '^    \$ secelctl gp mkload ' "$tmp/o" ||
		why="$why mkload"
	grep -q -- "--trace" "$tmp/o" || why="$why --trace"
	if [ -n "$why" ]; then
		fail $t "missing or without an example:$why"
	else
		ok $t
	fi
fi

if ! lane_short gp_card_terminate; then
	t=gp_card_terminate
	if ! start_vcard term --name GPT; then
		fail $t "card did not start"
	else
		if gp "$NAME" card-terminate || ! err_has "say 'card-terminate yes'"; then
			fail $t "terminated without 'yes': $(cat "$tmp/e")"
		elif ! gp "$NAME" card-terminate yes || ! has "card TERMINATED"; then
			fail $t "card-terminate yes: $(cat "$tmp/e")"
		elif gp "$NAME" list || ! err_has "6985"; then
			fail $t "a terminated card listed: $(cat "$tmp/o") $(cat "$tmp/e")"
		else
			ok $t
		fi
		stop_vcard "$PID"
	fi
fi

t=gp_keys_kdf3
# a card personalized with keys diversified from a master key (KDF3) and
# its key diversification data (the last 10 bytes of its CIN): secelctl
# gp given the master key derives them, the master key alone is refused
MASTER=000102030405060708090A0B0C0D0E0F
if lane_short $t; then
	:
elif ! DIV=$("$PY" "$REF" kdf3 $MASTER 0000534543454C000001); then
	fail $t "scp03_ref.py kdf3 failed"
elif ! start_vcard kdf --name GPK --keys 30:$DIV; then
	fail $t "card did not start"
else
	if ! gp "$NAME" list --keys kdf3:30:$MASTER ||
	   ! has "ISD: A000000151000000"; then
		fail $t "kdf3 keys: $(cat "$tmp/e")"
	elif gp "$NAME" list --keys 30:$MASTER || ! err_has "wrong keys"; then
		fail $t "the master key itself was taken: $(cat "$tmp/e")"
	elif printf 'diversify = kdf3\nkvn = 30\nkey = %s\n' $MASTER > "$tmp/kdf3keys" &&
	     ! gp "$NAME" list --key-file "$tmp/kdf3keys"; then
		fail $t "key file with diversify = kdf3: $(cat "$tmp/e")"
	else
		ok $t
	fi
	stop_vcard "$PID"
fi

t=gp_keys_emv
# a card holding AES-128 keys diversified from a 16-byte master key the EMV
# CPS 1.1 way (3DES-ECB of KDD[4..9] F0 k KDD[4..9] 0F k, k 1 2 3), derived
# here by python3-cryptography, not by libsecelgp; its KDD is the last 10
# bytes of its CIN, 0000534543454C000001
MASTER=404142434445464748494A4B4C4D4E4F
if lane_short $t; then
	:
elif ! DIV=$("$PY" - $MASTER 0000534543454C000001 2> "$tmp/e" <<'PYEOF'
import sys
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
master, kdd = bytes.fromhex(sys.argv[1]), bytes.fromhex(sys.argv[2])
out = []
for k in (1, 2, 3):
    blk = kdd[4:10] + bytes([0xF0, k]) + kdd[4:10] + bytes([0x0F, k])
    enc = Cipher(algorithms.TripleDES(master), modes.ECB()).encryptor()
    out.append((enc.update(blk) + enc.finalize()).hex().upper())
print(":".join(out))
PYEOF
); then
	fail $t "EMV keys from python3-cryptography: $(cat "$tmp/e")"
elif ! start_vcard emv --name GPE --keys 30:$DIV; then
	fail $t "card did not start"
else
	if ! gp "$NAME" list --keys emv:30:$MASTER ||
	   ! has "ISD: A000000151000000"; then
		fail $t "emv keys: $(cat "$tmp/e")"
	elif gp "$NAME" list --keys visa2:30:$MASTER || ! err_has "wrong keys"; then
		fail $t "VISA2 keys were taken for EMV ones: $(cat "$tmp/e")"
	elif gp "$NAME" list --keys emv:30:${MASTER}${MASTER} ||
	     ! err_has "16-byte master key"; then
		fail $t "a 32-byte EMV master was not refused: $(cat "$tmp/e")"
	elif printf 'diversify = emv\nkvn = 30\nkey = %s\n' $MASTER > "$tmp/emvkeys" &&
	     ! gp "$NAME" list --key-file "$tmp/emvkeys"; then
		fail $t "key file with diversify = emv: $(cat "$tmp/e")"
	else
		ok $t
	fi
	stop_vcard "$PID"
fi

# The card against a host that shares no code with libsecelgp: a mistake
# made the same way on both sides of secel shows here.
# shellcheck disable=SC2046 # one word per case
if lane_short $(for c in $REF_TESTS; do echo "ref_$c"; done); then
	:
elif ! "$PY" -c 'import cryptography' 2> /dev/null; then
	for c in $REF_TESTS; do
		fail "ref_$c" "$PY has no python3-cryptography (tools/testing/install-deps)"
	done
elif ! start_vcard ref --name GPR --state "$tmp/ref.state"; then
	for c in $REF_TESTS; do
		fail "ref_$c" "card did not start"
	done
else
	for c in $REF_TESTS; do
		if bounded "$PY" "$REF" card /dev/secel"$IDX" "$c" 2> "$tmp/e"; then
			ok "ref_$c"
		else
			fail "ref_$c" "$(cat "$tmp/e")"
		fi
	done
	stop_vcard "$PID"
fi

exit 0

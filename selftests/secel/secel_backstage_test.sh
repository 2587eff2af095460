#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# secel selftests: the backstage -- secel-relay reports the device's SE
# list to secel-tsm and carries out the TSM's control instructions
# (inquire, delete, add, designate) through /dev/secel-ctl, as far as the
# relay's policy file allows; four secel-vcard SEs play the device's SEs
# (Documentation/secel/tsm.rst, "The backstage").  KTAP on stdout.
#
# Environment: SECEL_VCARD, SECELCTL, SECEL_TSM, SECEL_RELAY override the
# tool paths.

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
VCARD=${SECEL_VCARD:-$root/tools/secel-vcard/secel-vcard}
CTL=${SECELCTL:-$root/tools/secelctl/secelctl}
TSM=${SECEL_TSM:-$root/tools/tsm/secel-tsm}
RELAY=${SECEL_RELAY:-$root/tools/relay/secel-relay}

. "$here/secel_lib.sh"
secel_tmp secel-backstage

TESTS="backstage_tsm_sees_list backstage_inquire_allowed_by_default
backstage_delete_refused_by_default backstage_delete_readd_designate
backstage_vanished_se_enodev backstage_se_vanishes_mid_session
backstage_policy_by_fingerprint
backstage_wrong_certificate_refused backstage_client_certificate_required
backstage_database_rule_and_queue backstage_list_only_what_policy_shows
backstage_script_target_refused_by_default backstage_script_on_targeted_se"

ktap_plan

setup_failed() {
	for t in $TESTS; do
		fail "$t" "setup: $*"
	done
	exit 0
}

if [ ! -e /dev/secel-ctl ]; then
	for t in $TESTS; do
		num=$((num + 1))
		echo "ok $num $t # SKIP no /dev/secel-ctl (secel.ko not loaded)"
	done
	exit 0
fi
if [ -e /etc/secel/relay.conf ]; then
	for t in $TESTS; do
		num=$((num + 1))
		echo "ok $num $t # SKIP /etc/secel/relay.conf exists: the default policy cannot be tested"
	done
	exit 0
fi

bounded() { timeout -k 2 120 "$@"; }

# start_tsm TAG ARGS...: a secel-tsm on a free port, its base URL in
# $tmp/TAG.url, its standard error (with -v) in $tmp/TAG.log
start_tsm() {
	tag=$1; shift
	rm -f "$tmp/$tag.url"
	"$TSM" -v --listen 127.0.0.1:0 --ready-file "$tmp/$tag.url" \
		--keys "$tmp/keys" --service "$SVC" "$@" \
		> /dev/null 2> "$tmp/$tag.log" < /dev/null &
	pids="$pids $!"
	WAIT_TENTHS=300 wait_for test -s "$tmp/$tag.url" || {
		echo "# secel-tsm $tag: did not start: $(cat "$tmp/$tag.log")"
		return 1
	}
}
url() { echo "$(cat "$tmp/$1.url")/backstage"; }

# relay ARGS...: secel-relay on the designated SE; $tmp/o, $tmp/e, $rc
relay() {
	bounded "$RELAY" "$@" > "$tmp/o" 2> "$tmp/e"
	rc=$?
}
ctl() { bounded "$CTL" "$@" > "$tmp/co" 2> "$tmp/ce"; }
has() { grep -q -- "$1" "$tmp/o"; }
err_has() { grep -q -- "$1" "$tmp/e"; }
said() { echo "exit status $rc, stdout '$(cat "$tmp/o")', stderr '$(cat "$tmp/e")'"; }
state() { cat "/sys/class/secel/secel$1/state" 2>/dev/null; }
designated() { cat "/sys/class/secel/secel$1/designated" 2>/dev/null; }

# is IDX STATE [DESIGNATED]: "" when SE IDX is so, else what it is
is() {
	s=$(state "$1")
	d=$(designated "$1")
	if [ "$s" != "$2" ] || { [ -n "$3" ] && [ "$d" != "$3" ]; }; then
		echo "secel$1 is '$s' designated '$d', not '$2'${3:+ designated $3}"
	fi
}

echo 1000 > /sys/module/secel_vse/parameters/timeout_ms 2>/dev/null
# A, designated, is the relay's own SE; B, C and D are the others
start_vcard a --name BS || setup_failed "the card A did not start"
A=$NAME a_idx=$IDX
start_vcard b --name BS || setup_failed "the card B did not start"
B=$NAME b_idx=$IDX
start_vcard c --name BS || setup_failed "the card C did not start"
C=$NAME c_idx=$IDX
start_vcard d --name BS || setup_failed "the card D did not start"
D=$NAME d_idx=$IDX d_pid=$PID
start_vcard e --name BS || setup_failed "the card E did not start"
E=$NAME e_idx=$IDX e_pid=$PID
ctl designate "$A" || setup_failed "designate $A: $(cat "$tmp/ce")"
bounded "$CTL" gp mkload --type secel.purse --aid A000000553454301 \
	--module A00000055345430101 --code-size 300 "$tmp/purse.slf" \
	> /dev/null 2> "$tmp/ce" || setup_failed "mkload: $(cat "$tmp/ce")"
SVC=purse:$tmp/purse.slf:A00000055345430101:DF1204000003E8
K=404142434445464748494A4B4C4D4E4F
echo "* 30:$K:$K:$K" > "$tmp/keys"
for c in tsm other dev; do
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -subj "/CN=127.0.0.1/O=secel $c" \
		-addext subjectAltName=IP:127.0.0.1 -days 1 \
		-keyout "$tmp/$c.key" -out "$tmp/$c.crt" 2>/dev/null ||
		setup_failed "openssl req did not make a certificate"
done
cat "$tmp/tsm.crt" "$tmp/other.crt" > "$tmp/both.crt"
FPR=$(openssl x509 -noout -fingerprint -sha256 -in "$tmp/tsm.crt" | sed 's/.*=//')
printf 'allow any inquire\nallow any add,verify,delete,designate,clear,script kind=virtual name=BS*\n' \
	> "$tmp/permit.conf"
printf 'allow sha256=%s inquire,identify name=%s\n' "$FPR" "$B" > "$tmp/show.conf"
printf '# only the TSM of this certificate may delete\nallow any inquire\nallow sha256=%s delete kind=virtual\n' \
	"$FPR" > "$tmp/fpr.conf"

started=1
start_tsm list &&
start_tsm inq --control "inquire $B" &&
start_tsm del --control "delete $B" &&
start_tsm redo --control "delete $B" --control "add $B" \
	--control "designate $C" &&
start_tsm gone --control "delete $D" --control "inquire $B" &&
start_tsm tls --control "delete $B" --tls-cert "$tmp/tsm.crt" \
	--tls-key "$tmp/tsm.key" &&
start_tsm tlsother --control "delete $B" --tls-cert "$tmp/other.crt" \
	--tls-key "$tmp/other.key" &&
start_tsm tlslist --tls-cert "$tmp/tsm.crt" --tls-key "$tmp/tsm.key" &&
start_tsm tlsotherlist --tls-cert "$tmp/other.crt" --tls-key "$tmp/other.key" &&
start_tsm target --target-se "$C" &&
start_tsm slow --control "inquire $E" --control "inquire $B" \
	--fault slow-control &&
start_tsm mtls --tls-cert "$tmp/tsm.crt" --tls-key "$tmp/tsm.key" \
	--tls-client-ca "$tmp/dev.crt" || started=0
# the database: a rule designates the SE C when it appears
bounded "$TSM" rule --db "$tmp/tsm.db" new kind=virtual "name=$C" designate \
	2> "$tmp/ce" || setup_failed "secel-tsm rule: $(cat "$tmp/ce")"
start_tsm db --tls-cert "$tmp/tsm.crt" --tls-key "$tmp/tsm.key" \
	--tls-client-ca "$tmp/dev.crt" --db "$tmp/tsm.db" || started=0
DEV=sha256:$(openssl x509 -noout -fingerprint -sha256 -in "$tmp/dev.crt" |
	     sed 's/.*=//; s/://g' | tr 'A-F' 'a-f')
[ $started = 1 ] || setup_failed "a TSM did not start"

t=backstage_tsm_sees_list
relay "$(url list)"
if [ $rc != 0 ] || ! has "^ok; SEs: " || ! has "$A listed designated" ||
   ! has "$B listed" || ! has "$C listed" || ! has "$D listed"; then
	fail $t "$(said)"
elif ! grep -q "name=$A;index=$a_idx;kind=virtual;transport=vse;state=listed;designated=1;atr=3B" "$tmp/list.log" ||
     grep "SE list" "$tmp/list.log" | grep -q "cin="; then
	# the ATRs, and no CIN: the default policy does not identify
	fail $t "the TSM saw: $(grep 'SE list' "$tmp/list.log")"
else
	ok $t
fi

t=backstage_inquire_allowed_by_default
relay "$(url inq)"
if [ $rc != 0 ] || ! has "^ok; control: inquire $B: ok listed; SEs: " ||
   ! err_has "control inquire $B asked by an unauthenticated TSM: ok"; then
	fail $t "$(said)"
else
	ok_unless $t "$(is "$b_idx" listed)"
fi

t=backstage_delete_refused_by_default
relay "$(url del)"
if [ $rc != 1 ] || [ -s "$tmp/o" ] ||
   ! err_has ": error; control: delete $B: EPERM; SEs: " ||
   ! err_has "control delete $B asked by an unauthenticated TSM: EPERM (the policy (default) does not allow it"; then
	fail $t "$(said)"
else
	ok_unless $t "$(is "$b_idx" listed 0)"
fi

t=backstage_delete_readd_designate
relay --policy "$tmp/permit.conf" "$(url redo)"
if [ $rc != 0 ] ||
   ! has "^ok; control: delete $B: ok deleted, add $B: ok listed, designate $C: ok listed designated; " ||
   [ "$(grep -c "^secel-relay: control .* asked by .*: ok" "$tmp/e")" != 3 ]; then
	fail $t "$(said)"
else
	ok_unless $t "$(is "$b_idx" listed 0)$(is "$c_idx" listed 1)$(is "$a_idx" listed 0)"
fi
ctl designate "$A"

t=backstage_vanished_se_enodev
stop_vcard "$d_pid"
wait_for test ! -e "/sys/class/secel/secel$d_idx"
relay --policy "$tmp/permit.conf" "$(url gone)"
if [ -e "/sys/class/secel/secel$d_idx" ]; then
	fail $t "$D did not go away"
elif [ $rc != 1 ] ||
     ! err_has ": error; control: delete $D: ENODEV, inquire $B: ok listed; SEs: " ||
     err_has "$D listed"; then
	fail $t "$(said)"
else
	ok_unless $t "$(is "$b_idx" listed)"
fi

t=backstage_se_vanishes_mid_session
# E is in the list the relay sends; it goes away before the TSM's
# instruction for it comes back
bounded "$RELAY" --policy "$tmp/permit.conf" "$(url slow)" > "$tmp/o" 2> "$tmp/e" &
rpid=$!
WAIT_TENTHS=300 wait_for grep -q "SE list .*name=$E;" "$tmp/slow.log"
stop_vcard "$e_pid"
wait_for test ! -e "/sys/class/secel/secel$e_idx"
wait "$rpid"
rc=$?
if ! grep -q "SE list .*name=$E;index=$e_idx;.*state=listed" "$tmp/slow.log"; then
	fail $t "the TSM did not see $E: $(grep 'SE list' "$tmp/slow.log")"
elif [ -e "/sys/class/secel/secel$e_idx" ]; then
	fail $t "$E did not go away"
elif [ $rc != 1 ] ||
     ! err_has ": error; control: inquire $E: ENODEV, inquire $B: ok listed; SEs: " ||
     ! err_has "control inquire $E asked by an unauthenticated TSM: ENODEV"; then
	fail $t "$(said)"
else
	ok $t
fi

t=backstage_policy_by_fingerprint
relay --cacert "$tmp/both.crt" --policy "$tmp/fpr.conf" "$(url tls)"
if [ $rc != 0 ] || ! has "^ok; control: delete $B: ok deleted; " ||
   ! err_has "asked by TSM subject /CN=127.0.0.1/O=secel tsm sha256 "; then
	fail $t "$(said)"
else
	ok_unless $t "$(is "$b_idx" deleted)"
fi
ctl add "$B"

if ! lane_short backstage_wrong_certificate_refused; then
	t=backstage_wrong_certificate_refused
	# a certificate the relay does not trust: no session at all
	relay --cacert "$tmp/other.crt" --policy "$tmp/permit.conf" "$(url tls)"
	why=""
	if [ $rc != 1 ] || ! err_has "SSL certificate problem" || err_has "control "; then
		why="untrusted: $(said)"
	fi
	# trusted, but not the one the policy names: refused, nothing changes
	relay --cacert "$tmp/both.crt" --policy "$tmp/fpr.conf" "$(url tlsother)"
	if [ $rc != 1 ] || ! err_has ": error; control: delete $B: EPERM; " ||
	   ! err_has "asked by TSM subject /CN=127.0.0.1/O=secel other sha256 "; then
		why="$why another certificate: $(said)"
	fi
	ok_unless $t "$why$(is "$b_idx" listed)"
fi

if ! lane_short backstage_client_certificate_required; then
	t=backstage_client_certificate_required
	relay --cacert "$tmp/tsm.crt" "$(url mtls)"
	why=""
	if [ $rc != 1 ] || ! err_has "HTTP 403: a client certificate"; then
		why="without: $(said)"
	fi
	relay --cacert "$tmp/tsm.crt" --cert "$tmp/dev.crt" --key "$tmp/dev.key" \
		"$(url mtls)"
	if [ $rc != 0 ] || ! has "^ok; SEs: "; then
		why="$why with: $(said)"
	fi
	relay --cacert "$tmp/tsm.crt" --cert "$tmp/other.crt" --key "$tmp/other.key" \
		"$(url mtls)"
	if [ $rc != 1 ] || ! err_has "HTTP 403\|SSL\|TLS"; then
		why="$why another: $(said)"
	fi
	ok_unless $t "$why"
fi

t=backstage_database_rule_and_queue
why=""
# the first report: C is new, the rule designates it
relay --cacert "$tmp/tsm.crt" --cert "$tmp/dev.crt" --key "$tmp/dev.key" \
	--policy "$tmp/permit.conf" "$(url db)"
if [ $rc != 0 ] || ! has "^ok; control: designate $C: ok listed designated; "; then
	why="rule: $(said)"
fi
why="$why$(is "$c_idx" listed 1)"
# the operator queues a delete for this device; the next session does it
bounded "$TSM" queue --db "$tmp/tsm.db" "$DEV" "delete $B" 2> "$tmp/ce" ||
	why="$why queue: $(cat "$tmp/ce")"
relay --cacert "$tmp/tsm.crt" --cert "$tmp/dev.crt" --key "$tmp/dev.key" \
	--policy "$tmp/permit.conf" "$(url db)"
if [ $rc != 0 ] || ! has "^ok; control: delete $B: ok deleted; "; then
	why="$why queue: $(said)"
fi
why="$why$(is "$b_idx" deleted)"
# and the database says so: the SEs as reported, each result
bounded "$TSM" devices --db "$tmp/tsm.db" > "$tmp/dbo" 2> "$tmp/ce"
grep -q "^se device=$DEV name=$B index=$b_idx kind=virtual transport=vse state=deleted" "$tmp/dbo" &&
grep -q "instruction=designate $C origin=rule 1 .*result=designate $C: ok listed designated" "$tmp/dbo" &&
grep -q "instruction=delete $B origin=operator .*result=delete $B: ok deleted" "$tmp/dbo" ||
	why="$why devices: $(cat "$tmp/dbo" "$tmp/ce")"
ok_unless $t "$why"
ctl add "$B"
ctl designate "$A"

t=backstage_list_only_what_policy_shows
why=""
# the TSM the policy names sees B, and B only, on the first POST, with
# its CIN (secel-vcard's default)
relay --cacert "$tmp/both.crt" --policy "$tmp/show.conf" "$(url tlslist)"
if [ $rc != 0 ] || [ "$(cat "$tmp/o")" != "ok; SEs: $B listed" ]; then
	why="named: $(said)"
elif ! grep -q "SE list name=$B;index=$b_idx;.*;cin=534543454C000001\$" "$tmp/tlslist.log"; then
	why="named, the TSM saw: $(grep 'SE list' "$tmp/tlslist.log")"
fi
# another TSM sees none: no list at all
relay --cacert "$tmp/both.crt" --policy "$tmp/show.conf" "$(url tlsotherlist)"
if [ $rc != 0 ] || [ "$(cat "$tmp/o")" != "ok; SEs: not reported" ]; then
	why="$why other: $(said)"
fi
ok_unless $t "$why"

# the purse on the SEs: "" when A does not have it and C does
purse_on_c_only() {
	bounded "$CTL" gp "$A" list > "$tmp/ga" 2>&1
	bounded "$CTL" gp "$C" list > "$tmp/gc" 2>&1
	grep -q A00000055345430101 "$tmp/ga" && echo "$A has it: $(cat "$tmp/ga")"
	grep -q A00000055345430101 "$tmp/gc" || echo "$C has not: $(cat "$tmp/gc")"
}

t=backstage_script_target_refused_by_default
relay "$(url target | sed 's|/backstage$|/ram/purse|')"
if [ $rc != 1 ] || [ -s "$tmp/o" ] ||
   ! err_has "script 1 not run: X-Secel-Targeted-SE $C: EPERM"; then
	fail $t "$(said)"
else
	bounded "$CTL" gp "$C" list > "$tmp/gc" 2>&1
	if grep -q A00000055345430101 "$tmp/gc"; then
		fail $t "$C has the purse: $(cat "$tmp/gc")"
	else
		ok $t
	fi
fi

t=backstage_script_on_targeted_se
# the TSM aims every script at C: the purse goes there, not on A
relay --policy "$tmp/permit.conf" "$(url target | sed 's|/backstage$|/ram/purse|')"
if [ $rc != 0 ] || ! has "^ok; installed A00000055345430101"; then
	fail $t "$(said)"
else
	ok_unless $t "$(purse_on_c_only)"
fi
exit 0

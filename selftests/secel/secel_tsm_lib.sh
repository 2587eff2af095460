# SPDX-License-Identifier: GPL-2.0
#
# secel selftests: what the TSM suites share (secel_tsm_test.sh, and
# secel_ccid_gp_test.sh over a CCID reader): a secel-tsm on a free port,
# secel-relay and secelctl with their output in $tmp/o and $tmp/e, the
# purse service and its checks.  Sourced after secel_lib.sh; needs $tmp,
# $TSM, $RELAY and $CTL, and the SE designated for purse_works.

bounded() { timeout -k 2 120 "$@"; }

# start_tsm TAG ARGS...: a secel-tsm on a free port; its base URL in
# $tmp/TAG.url, its standard error in $tmp/TAG.log; sets TPID
start_tsm() {
	tag=$1; shift
	rm -f "$tmp/$tag.url"
	"$TSM" --listen 127.0.0.1:0 --ready-file "$tmp/$tag.url" "$@" \
		> /dev/null 2> "$tmp/$tag.log" < /dev/null &
	TPID=$!
	pids="$pids $TPID"
	tsms="$tsms $tag:$TPID"
	# a TSM under TCG on a busy host: up to 30 s
	WAIT_TENTHS=300 wait_for test -s "$tmp/$tag.url" || {
		echo "# secel-tsm $tag: did not start: $(cat "$tmp/$tag.log")"
		return 1
	}
}

url() { cat "$tmp/$1.url"; }

# relay ARGS...: secel-relay on the designated SE; output in $tmp/o,
# errors in $tmp/e, the exit status in $rc
relay() {
	bounded "$RELAY" "$@" > "$tmp/o" 2> "$tmp/e"
	rc=$?
}
gp() { bounded "$CTL" gp "$@" > "$tmp/o" 2> "$tmp/e"; }
ctl() { bounded "$CTL" "$@" > "$tmp/o" 2> "$tmp/e"; }
has() { grep -q -- "$1" "$tmp/o"; }
err_has() { grep -q -- "$1" "$tmp/e"; }
out_is() { [ "$(cat "$tmp/o")" = "$1" ]; }
# exactly one line on standard error, and it is $1
err_is() { [ "$(wc -l < "$tmp/e")" = 1 ] && [ "$(cat "$tmp/e")" = "$1" ]; }
# exactly one line on standard error, matching the extended regex $1
err_one() { [ "$(wc -l < "$tmp/e")" = 1 ] && grep -Eq -- "$1" "$tmp/e"; }
said() { echo "exit status $rc, stdout '$(cat "$tmp/o")', stderr '$(cat "$tmp/e")'"; }

PURSE_ELF=A000000553454301
PURSE_MOD=A00000055345430101
CIN=534543454C000001		# secel-vcard's default
K=404142434445464748494A4B4C4D4E4F	# its default keys, version 30
BAD=000102030405060708090A0B0C0D0E0F
SERVICE_PARAMS=DF1204000003E8	# an initial balance of 1000
INSTALLED="ok; installed $PURSE_MOD on $CIN"
THERE="ok; $PURSE_MOD already on $CIN"

# the purse there, selectable, with the balance it was installed with
purse_works() {
	if ! gp designated list; then
		echo "list: $(cat "$tmp/e")"
	elif [ "$(grep -c "APP: $PURSE_MOD (SELECTABLE)" "$tmp/o")" != 1 ] ||
	     [ "$(grep -c "PKG: $PURSE_ELF (LOADED)" "$tmp/o")" != 1 ]; then
		echo "not listed once: $(cat "$tmp/o")"
	elif ! ctl channel designated $PURSE_MOD 805C000008; then
		echo "the purse: $(cat "$tmp/e")"
	elif ! has "^000003E800000000  9000$"; then
		echo "balance: $(cat "$tmp/o")"
	# (then the ISD again: a selected instance cannot be deleted)
	elif ! ctl apdu designated 00A4040009${PURSE_MOD}00 805C000008 \
		00A4040000 || ! has "^000003E800000000  9000$"; then
		echo "on the basic channel: $(cat "$tmp/o") $(cat "$tmp/e")"
	fi
}

# the purse and its load file gone again (no output when that worked)
remove_purse() {
	gp designated list > /dev/null 2>&1 || return 0
	grep -q "$PURSE_ELF" "$tmp/o" || return 0
	gp designated delete $PURSE_ELF --related ||
		echo "delete: $(cat "$tmp/e")"
	gp designated list && ! has "$PURSE_ELF" ||
		echo "after the delete: $(cat "$tmp/o")"
}

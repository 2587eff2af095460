#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# host test of secelctl's command line where no kernel is needed: --version,
# one-line messages for an option typo and for a missing operand
here=$(cd "$(dirname "$0")" && pwd)
CTL=$here/secelctl
version=$(cat "$here/../../VERSION")
fail=0

# expect STATUS 'ONE LINE ON STDERR' ARGS...
expect() {
	want_rc=$1 want=$2
	shift 2
	err=$("$CTL" --ctl /nonexistent/secel-ctl "$@" 2>&1 >/dev/null)
	rc=$?
	if [ $rc != "$want_rc" ] || [ "$err" != "$want" ]; then
		echo "secelctl $*: status $rc, stderr '$err'; want $want_rc, '$want'"
		fail=1
	fi
}

out=$("$CTL" --version) || fail=1
[ "$out" = "secelctl $version" ] || { echo "--version: '$out'"; fail=1; }

expect 2 "secelctl: unknown option '--foo' (see secelctl --help)" --foo list
expect 2 "secelctl: unknown option '--jsno' (see secelctl --help)" list --jsno=1
expect 2 "secelctl: unknown option '-x' (see secelctl --help)" -x list
expect 2 "secelctl: option '--all' takes no value (see secelctl --help)" list --all=yes
expect 2 "secelctl: option '--dev-dir' needs a value (see secelctl --help)" list --dev-dir
expect 2 "secelctl: info: missing operand SE (usage: secelctl info SE [--json] [--sysfs[=DIR]])" info
expect 2 "secelctl: apdu: missing operand SE (usage: secelctl apdu SE HEX... [--raw])" apdu
expect 2 "secelctl: apdu: missing operand HEX, the APDU to send (usage: secelctl apdu SE HEX... [--raw])" apdu VSE1
expect 2 "secelctl: channel: missing operand AID (usage: secelctl channel [open] SE AID [HEX...] [--raw])" channel open VSE1
expect 2 "secelctl: reset: missing operand SE (usage: secelctl reset SE [--warm])" reset
expect 2 "secelctl: designate: missing operand SE (usage: secelctl designate SE | designate --clear)" designate
expect 2 "secelctl: info: unexpected operand 'eSE1' (usage: secelctl info SE [--json] [--sysfs[=DIR]])" info VSE1 eSE1
expect 2 "secelctl: acl load: missing operand FILE (usage: secelctl acl load FILE)" acl load
expect 2 "secelctl: acl does not take --json (see secelctl --help)" acl list --json
expect 2 "secelctl: list does not take --trace (see secelctl --help)" list -v
expect 2 "secelctl: acl does not take --map (see secelctl --help)" acl list --map x
expect 2 "secelctl: acl load-ara does not take --raw (see secelctl --help)" acl load-ara --raw
expect 2 "secelctl: acl load-ara: --map FILE is needed: which uid or gid each certificate hash is (secelctl(8))" acl load-ara VSE1
expect 2 "secelctl: acl load-ara: unexpected operand 'eSE1' (usage: secelctl acl load-ara [SE] --map FILE [--dry-run] [--strict] [--json])" acl load-ara VSE1 eSE1 --map x
expect 1 "secelctl: acl load-ara: /nonexistent/map: No such file or directory" acl load-ara --map /nonexistent/map
# a bad map line stops it before any SE is looked at
tmp=$(mktemp) || exit 1
printf '# ok\n1111111111111111111111111111111111111111 uid=1\n* pid=2\n' > "$tmp"
expect 1 "secelctl: acl load-ara: $tmp:3: unknown identity 'pid='" acl load-ara --map "$tmp"
printf '11 uid=1\n' > "$tmp"
expect 1 "secelctl: acl load-ara: $tmp:1: '11' is not a SHA-1 or SHA-256 hash (40 or 64 hex digits)" acl load-ara --map "$tmp"
rm -f "$tmp"
[ $fail = 0 ] && echo "ok secelctl command line (no kernel)"
exit $fail

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# host test of secelctl.bash-completion: commands, options, SE names from a
# fake class directory, files after "acl load"
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/secel0" "$tmp/secel3"
echo eSE1 > "$tmp/secel0/name"
echo VSE1 > "$tmp/secel3/name"
export LIBSECEL_SYSFS=$tmp
. "$here/secelctl.bash-completion"
fail=0

# expect "WORDS..." "WANTED REPLY (sorted, space-separated)"
expect() {
	local line=$1 want=$2 got
	read -ra COMP_WORDS <<< "$line"
	[[ $line == *" " ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_secelctl
	got=$(printf '%s\n' "${COMPREPLY[@]}" | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')
	if [ "$got" != "$want" ]; then
		echo "completion of '$line': got '$got', want '$want'"
		fail=1
	fi
}

expect "secelctl li" "list"
expect "secelctl info " "VSE1 designated eSE1"
expect "secelctl info V" "VSE1"
expect "secelctl apdu eSE1 " ""
expect "secelctl list --j" "--json"
expect "secelctl reset VSE1 --w" "--warm"
expect "secelctl --ctl /dev/secel-ctl in" "info inquire"
expect "secelctl acl " "clear list load load-ara set"
expect "secelctl acl load-ara " "VSE1 designated eSE1"
expect "secelctl acl load-ara VSE1 --m" "--map"
expect "secelctl acl load-ara VSE1 --d" "--dev-dir --dry-run"
expect "secelctl gp VSE1 inst" "install install-only"
expect "secelctl channel " "VSE1 designated eSE1 open"
[ $fail = 0 ] && echo "ok secelctl bash completion"
exit $fail

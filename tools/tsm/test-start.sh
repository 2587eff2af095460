#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# secel-tsm at start: no libmicrohttpd warning even with -v (it warned that
# MHD_OPTION_EXTERNAL_LOGGER was not the first option), --version from the
# tree's VERSION, a datastore service without its PIN refused by name, and
# the start-up line on each log sink
here=$(cd "$(dirname "$0")" && pwd)
TSM=$here/secel-tsm
CTL=$here/../secelctl/secelctl
tmp=$(mktemp -d) || exit 1
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
fail=0
K=404142434445464748494A4B4C4D4E4F
echo "* 30:$K:$K:$K" > "$tmp/keys"
"$CTL" gp mkload --type secel.purse --aid A000000553454301 \
	--module A00000055345430101 "$tmp/purse.slf" > /dev/null || exit 1
"$CTL" gp mkload --type secel.datastore --aid A000000553454302 \
	--module A00000055345430201 "$tmp/store.slf" > /dev/null || exit 1

v=$("$TSM" --version)
case $v in
"secel-tsm $(cat "$here/../../VERSION") "*) ;;
*) echo "--version: '$v'"; fail=1 ;;
esac

"$TSM" -v --keys "$tmp/keys" --listen 127.0.0.1:0 \
	--service "purse:$tmp/purse.slf:A00000055345430101" \
	--ready-file "$tmp/ready" 2> "$tmp/err" &
pid=$!
i=0
while [ ! -s "$tmp/ready" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill $pid 2>/dev/null
wait $pid 2>/dev/null
pid=
if [ ! -s "$tmp/ready" ]; then
	echo "secel-tsm did not start: $(cat "$tmp/err")"
	fail=1
elif grep -q 'libmicrohttpd' "$tmp/err"; then
	echo "secel-tsm -v warns at start: $(cat "$tmp/err")"
	fail=1
fi

"$TSM" --keys "$tmp/keys" --listen 127.0.0.1:0 \
	--service "store:$tmp/store.slf:A00000055345430201" 2> "$tmp/err2"
rc=$?
if [ $rc != 1 ] && [ $rc != 2 ] || ! grep -q 'needs its PIN.*DF20' "$tmp/err2" ||
   [ "$(wc -l < "$tmp/err2")" != 1 ]; then
	echo "datastore without PIN: status $rc, '$(cat "$tmp/err2")'"
	fail=1
fi
"$TSM" --keys "$tmp/keys" --listen 127.0.0.1:0 --ready-file "$tmp/ready2" \
	--service "store:$tmp/store.slf:A00000055345430201:DF200431323334" \
	2> "$tmp/err3" &
pid=$!
i=0
while [ ! -s "$tmp/ready2" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill $pid 2>/dev/null
wait $pid 2>/dev/null
pid=
[ -s "$tmp/ready2" ] || { echo "datastore with PIN refused: $(cat "$tmp/err3")"; fail=1; }

# where the start-up line goes (tools/common/daemonlog.c): stamped with
# --timestamps; with the journal's priority prefix when stderr is the
# stream JOURNAL_STREAM names; unchanged when JOURNAL_STREAM names another
start_line() { # FILE [ENV...] -- OPTIONS...: secel-tsm until ready
	out=$1; shift
	rm -f "$tmp/ready3"
	: > "$out"
	env "$@" --keys "$tmp/keys" --listen 127.0.0.1:0 --ready-file "$tmp/ready3" \
		--service "purse:$tmp/purse.slf:A00000055345430101" 2>> "$out" &
	pid=$!
	i=0
	while [ ! -s "$tmp/ready3" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	kill $pid 2>/dev/null
	wait $pid 2>/dev/null
	pid=
}
L='secel-tsm: http://127\.0\.0\.1:[0-9]+, 1 service, 1 key line, level 33$'
start_line "$tmp/stamped" "$TSM" --timestamps
grep -Eq "^20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]\.[0-9]{3}Z $L" "$tmp/stamped" ||
	{ echo "--timestamps: '$(cat "$tmp/stamped")'"; fail=1; }
: > "$tmp/journal"
start_line "$tmp/journal" "JOURNAL_STREAM=$(stat -c %d:%i "$tmp/journal")" "$TSM"
grep -Eq "^<5>$L" "$tmp/journal" ||
	{ echo "JOURNAL_STREAM: no '<5>' start line: '$(cat "$tmp/journal")'"; fail=1; }
start_line "$tmp/other" "JOURNAL_STREAM=$(stat -c %d:%i "$tmp/journal")" "$TSM"
grep -Eq "^$L" "$tmp/other" ||
	{ echo "JOURNAL_STREAM of another file: '$(cat "$tmp/other")'"; fail=1; }

[ $fail = 0 ] && echo "ok secel-tsm start: no warning, --version, datastore PIN, log sinks"
exit $fail

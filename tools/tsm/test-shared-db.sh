#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test-shared-db.sh - two secel-tsm processes on one backstage database:
# an SQLite file, then a throw-away PostgreSQL cluster (initdb and pg_ctl
# of Debian's postgresql-15, run by an unprivileged user in a temporary
# directory, on a Unix socket only; the system's service is not touched).
# Each backend gets the same cases, driven with curl on 127.0.0.1:
#
#   schema   made on first use, found and kept on the next; a version 1
#            SQLite file brought to 2; a newer one refused
#   shared   the SE list one TSM recorded is what the other shows
#   queue    an instruction queued once goes out once, when two TSMs
#            answer two sessions of the device at the same moment
#   install  an install rule begins once per SE across both TSMs
#   killed   a TSM killed inside a request's transaction leaves none of
#            it; one killed mid-install leaves the row running, and the
#            other TSM takes it up once the session timeout has passed
#            (the row's start time moved back by an hour: no timing)
#
#   make -C tools/tsm test       (runs test-tsm, then this)
#   tools/tsm/test-shared-db.sh [sqlite|pg]...
#
# Without PostgreSQL's server binaries the PostgreSQL run is skipped
# with the reason; SECEL_TEST_PG=require makes that a failure.
set -u

here=$(cd "$(dirname "$0")" && pwd)
TSM=$here/secel-tsm
CTL=$here/../secelctl/secelctl
PGBIN=${SECEL_PGBIN:-/usr/lib/postgresql/15/bin}
PROTO=globalplatform-remote-admin/1.0
DEV="//se-id/cin/0102030405060708;//aa-id/aid/A000000151/000000"
CIN=534543454C000001
LEASE=600	# --session-timeout: the queue's lease, a stale install

fails=0 checks=0 pids="" pgdir=""
tmp=$(mktemp -d /tmp/test-shared-db.XXXXXX) || exit 1
chmod 0711 "$tmp"

cleanup() {
	local p
	for p in $pids; do kill -9 "$p" 2> /dev/null; done
	wait 2> /dev/null
	[ -n "$pgdir" ] && pg stop
	rm -rf "$tmp"
}
trap cleanup EXIT

check() {	# check WHAT COMMAND...
	local what=$1
	shift
	checks=$((checks + 1))
	if "$@"; then
		return 0
	fi
	fails=$((fails + 1))
	echo "FAIL [$backend] $what" >&2
	return 1
}

[ -x "$TSM" ] || { echo "test-shared-db: no $TSM (make -C tools/tsm)" >&2; exit 1; }
[ -x "$CTL" ] || make -s -C "$here/../secelctl" > /dev/null || exit 1
"$CTL" gp mkload --type secel.purse --aid A000000553454301 \
	--module A00000055345430101 --code-size 300 "$tmp/purse.slf" > /dev/null || exit 1
K=404142434445464748494A4B4C4D4E4F
echo "* 30:$K:$K:$K" > "$tmp/keys"
echo "the-token-of-this-test" > "$tmp/token"

# ---- a PostgreSQL cluster of our own -------------------------------------

# pg start|stop|psql ARGS: the cluster in $pgdir, run by $pguser
pg() {
	local cmd=$1
	shift
	case $cmd in
	start)
		$as "$PGBIN/initdb" -D "$pgdir/data" -U secel --auth=trust \
			--no-sync -E UTF8 --locale=C > "$pgdir/initdb.log" 2>&1 || return 1
		$as "$PGBIN/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -w -t 60 \
			-o "-k $pgdir -c listen_addresses= -c fsync=off" start > /dev/null 2>&1 || return 1
		$as "$PGBIN/createdb" -h "$pgdir" -U secel tsm ;;
	stop)
		$as "$PGBIN/pg_ctl" -D "$pgdir/data" -m immediate stop > /dev/null 2>&1 ;;
	restart)
		$as "$PGBIN/pg_ctl" -D "$pgdir/data" -w -t 60 -m fast restart > /dev/null 2>&1 ;;
	psql)
		"$PGBIN/psql" -X -q -A -t -h "$pgdir" -U secel -d tsm "$@" ;;
	esac
}

pg_setup() {
	local u
	[ -x "$PGBIN/initdb" ] && [ -x "$PGBIN/pg_ctl" ] || {
		skip_pg="no $PGBIN/initdb (apt-get install postgresql-15)"
		return 1
	}
	pgdir=$tmp/pg
	mkdir "$pgdir"
	as=""
	if [ "$(id -u)" = 0 ]; then
		# initdb refuses root: the cluster belongs to an unprivileged user
		for u in postgres nobody; do
			id "$u" > /dev/null 2>&1 && break
		done
		chown "$u" "$pgdir"
		as="setpriv --reuid=$u --regid=$(id -g "$u") --clear-groups --"
	fi
	pg start || {
		skip_pg="initdb/pg_ctl failed: $(tail -n 3 "$pgdir"/*.log 2> /dev/null | tr '\n' ' ')"
		pgdir=""
		return 1
	}
}

# ---- the TSMs and their requests -----------------------------------------

# start TAG: a secel-tsm on $DB, its URL in $url_TAG, pid in $pid_TAG
start() {
	local tag=$1 i
	rm -f "$tmp/$tag.url"
	"$TSM" --listen 127.0.0.1:0 --ready-file "$tmp/$tag.url" --keys "$tmp/keys" \
		--service "purse:$tmp/purse.slf:A00000055345430101" \
		--db "$DB" --cards-token "$tmp/token" --session-timeout $LEASE -v \
		> /dev/null 2> "$tmp/$tag.log" < /dev/null &
	eval "pid_$tag=$!"
	pids="$pids $!"
	for i in $(seq 100); do
		[ -s "$tmp/$tag.url" ] && break
		sleep 0.1
	done
	eval "url_$tag=\$(cat \"$tmp/$tag.url\" 2> /dev/null)"
	[ -s "$tmp/$tag.url" ] || { echo "secel-tsm $tag did not start: $(cat "$tmp/$tag.log")" >&2; return 1; }
}

# post TAG OUT PATH LIST [RESULTS]: a backstage POST of device $DEV;
# the answer's headers in $tmp/OUT.h
post() {
	local url
	eval "url=\$url_$1"
	local args=(-s -o /dev/null -D "$tmp/$2.h" -X POST --data-binary ''
		-H "X-Admin-Protocol: $PROTO" -H "X-Admin-From: $DEV"
		-H "X-Secel-SE-List: $4")
	[ $# -ge 5 ] && args+=(-H "X-Secel-Control-Result: $5")
	curl --max-time 20 "${args[@]}" "$url$3"
}

not() { ! "$@"; }

# wait_for COMMAND...: until it succeeds, 30 s at most
wait_for() {
	local i
	for i in $(seq 300); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# sql TEXT: run on $DB behind the TSMs' backs (the clock moved on)
sql() {
	if [ "$backend" = pg ]; then
		pg psql -c "$1" > /dev/null
	else
		sqlite3 "$DB" "$1"
	fi
}

hdr() {	# hdr OUT NAME: that header's value
	sed -n "s/^$2: \(.*\)\r$/\1/Ip" "$tmp/$1.h"
}
code() { sed -n '1s/^HTTP\/1.1 \([0-9]*\).*/\1/p' "$tmp/$1.h"; }

show() { "$TSM" devices --db "$DB" 2> "$tmp/show.err"; }
shows() { show | grep -qF -- "$1"; }
count() { show | grep -cF -- "$1"; }

# the other session holds its lock (the table queue, the SQLite file)
locked() {
	if [ "$backend" = pg ]; then
		[ "$(pg psql -c "SELECT count(*) FROM pg_locks WHERE relation = 'queue'::regclass AND mode = 'AccessExclusiveLock' AND granted")" = 1 ]
	else
		[ -e "$tmp/locked" ]
	fi
}

# B waits for that lock in its report of VSE9
blocked() {
	if [ "$backend" = pg ]; then
		[ "$(pg psql -c "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%FROM queue%'")" = 1 ]
	else
		grep -q "SE list .*VSE9" "$tmp/b.log" && sleep 0.5
	fi
}

VSE1="name=VSE1;index=0;kind=virtual;transport=vse;state=listed"
ESE2="name=eSE2;index=1;kind=eSE;transport=vse;state=listed;cin=$CIN"

run_cases() {
	local i a b got n
	echo "# $backend: $DB"

	# schema: made by the first TSM that opens it, kept by the next
	check "schema on first use" "$TSM" rule --db "$DB" new 'kind=eSE' install:purse
	check "schema reused: the rule is still there" \
		"$TSM" rule --db "$DB" rejected 'name=VSE*' delete
	check "two rules, no more" [ "$(count 'rule id=')" = 2 ]
	if [ "$backend" = pg ]; then
		check "schema version 2" [ "$(pg psql -c 'SELECT version FROM secel_tsm_schema')" = 2 ]
	else
		check "schema version 2" [ "$(sqlite3 "$DB" 'PRAGMA user_version')" = 2 ]
		# a file of version 1 (no installs) is brought to 2, its rows kept
		"$TSM" queue --db "$tmp/v1.db" "$DEV" "inquire VSE1" &&
			sqlite3 "$tmp/v1.db" "DROP TABLE installs; PRAGMA user_version = 1"
		check "a version 1 file opens" "$TSM" devices --db "$tmp/v1.db" > "$tmp/v1.out"
		check "brought to version 2, with installs, its queue kept" \
			[ "$(sqlite3 "$tmp/v1.db" "PRAGMA user_version; SELECT count(*) FROM installs; SELECT instruction FROM queue")" = "2
0
inquire VSE1" ]
	fi

	start a && start b || { fails=$((fails + 1)); return; }

	# shared: A records the list, B shows it
	post a r1 /backstage "$VSE1"
	check "A answers the report" [ "$(code r1)" = 204 ]
	curl -s -H "Authorization: Bearer the-token-of-this-test" "$url_b/devices" > "$tmp/devices.json"
	check "B shows the SE A recorded: $(cat "$tmp/devices.json")" \
		grep -q '"name": "VSE1", "index": 0, "kind": "virtual"' "$tmp/devices.json"

	# queue: five instructions, each answered by A and B at once
	for i in 1 2 3 4 5; do
		"$TSM" queue --db "$DB" "$DEV" "inquire VSE1" || check "queue $i" false
		post a qa$i /backstage "$VSE1" &
		a=$!
		post b qb$i /backstage "$VSE1" &
		b=$!
		wait $a $b
		got=""
		[ "$(hdr qa$i X-Secel-Control)" = "inquire VSE1" ] && got="$got a"
		[ "$(hdr qb$i X-Secel-Control)" = "inquire VSE1" ] && got="$got b"
		check "instruction $i sent once, not by both ($got)" [ "$(echo $got | wc -w)" = 1 ]
		# its results, to the TSM that sent it
		for n in $got; do
			post "$n" res$i "$(hdr q$n$i X-Admin-Next-URI)" "$VSE1" "inquire VSE1: ok listed"
		done
	done
	check "five instructions, each with one result" \
		[ "$(count 'result=inquire VSE1: ok listed')" = 5 ]

	# install: eSE2 appears, reported to both at once; one begins it
	post a ia /backstage "$VSE1, $ESE2" &
	a=$!
	post b ib /backstage "$VSE1, $ESE2" &
	b=$!
	wait $a $b
	got=""
	[ "$(hdr ia X-Secel-Targeted-SE)" = eSE2 ] && got="$got a"
	[ "$(hdr ib X-Secel-Targeted-SE)" = eSE2 ] && got="$got b"
	check "the install on eSE2 begins once ($got; $(code ia) $(code ib))" [ "$(echo $got | wc -w)" = 1 ]
	check "one install row, running, tried once: $(show | grep install)" \
		shows "se=eSE2 service=purse state=running tries=1"
	check "one install row" [ "$(count 'install rule=')" = 1 ]

	# killed inside a transaction: B blocked in its report, then SIGKILL
	rm -f "$tmp/locked"
	if [ "$backend" = pg ]; then
		pg psql -c "BEGIN; LOCK TABLE queue IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(60); COMMIT" > /dev/null 2>&1 &
	else
		python3 -c "import sqlite3, time
c = sqlite3.connect('$DB', isolation_level=None)
c.execute('BEGIN EXCLUSIVE')
open('$tmp/locked', 'w').close()
time.sleep(60)" &
	fi
	local locker=$!
	pids="$pids $locker"
	check "the other session holds its lock" wait_for locked
	post b kb /backstage "$VSE1, $ESE2, name=VSE9;index=9;kind=virtual;transport=vse;state=listed" &
	# PostgreSQL: B's transaction has written the list and waits for
	# the queue; SQLite: B waits to begin its transaction
	check "B waits for it in its report" wait_for blocked
	kill -9 "$pid_b"
	wait "$pid_b" 2> /dev/null
	kill "$locker" 2> /dev/null
	[ "$backend" = pg ] && pg psql -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep%' AND pid <> pg_backend_pid()" > /dev/null
	wait "$locker" 2> /dev/null
	check "B killed mid-transaction: none of its report is there" not shows "name=VSE9"
	check "and the rest as it was" shows "se device=$DEV name=eSE2"

	# A killed in the middle of the install: B' takes it up after the timeout
	kill -9 "$pid_a"
	wait "$pid_a" 2> /dev/null
	start b2 || { fails=$((fails + 1)); return; }
	post b2 t1 /backstage "$VSE1, $ESE2"
	check "within the session timeout the install is A's still ($(code t1))" \
		[ "$(hdr t1 X-Secel-Targeted-SE)" = "" ]
	# the session timeout passes: the install began an hour ago
	sql "UPDATE installs SET started = started - 3600"
	post b2 t2 /backstage "$VSE1, $ESE2"
	check "after it the other TSM takes the install up ($(code t2) $(hdr t2 X-Secel-Targeted-SE))" \
		[ "$(hdr t2 X-Secel-Targeted-SE)" = eSE2 ]
	check "the same row, tried twice: $(show | grep install)" \
		shows "se=eSE2 service=purse state=running tries=2"
	check "still one install row" [ "$(count 'install rule=')" = 1 ]
	# a TSM whose session times out at once: its timeout puts that
	# attempt back to pending (and only its own attempt)
	sql "UPDATE installs SET started = started - 3600"
	LEASE=1 start c || { fails=$((fails + 1)); return; }
	post c t3 /backstage "$VSE1, $ESE2"
	check "C takes it up ($(code t3) $(hdr t3 X-Secel-Targeted-SE))" \
		[ "$(hdr t3 X-Secel-Targeted-SE)" = eSE2 ]
	check "C's session timeout puts its attempt back: $(show | grep install)" \
		wait_for shows "se=eSE2 service=purse state=pending tries=3"
	# the server restarts under a running TSM: its next request connects
	# again (libpq learns of the loss at the transaction's first statement)
	if [ "$backend" = pg ]; then
		check "the server restarted" pg restart
		post b2 rs /backstage "$VSE1, $ESE2"
		check "B' answers after it: the pending install ($(code rs) $(hdr rs X-Secel-Result))" \
			[ "$(hdr rs X-Secel-Targeted-SE)" = eSE2 ]
	fi
	kill "$pid_b2" "$pid_c"
	wait "$pid_b2" "$pid_c" 2> /dev/null

	# the URI form names the same database
	[ "$backend" = pg ] && check "postgresql:// URI: the same devices" \
		[ "$("$TSM" devices --db "postgresql://secel@/tsm?host=$pgdir" 2>&1)" = "$(show)" ]

	# a database of a newer schema is refused, and left as it is
	if [ "$backend" = pg ]; then
		sql "UPDATE secel_tsm_schema SET version = 3"
	else
		sql "PRAGMA user_version = 3"
	fi
	check "a newer schema refused: $(cat "$tmp/show.err")" not show
	check "with the reason" grep -q "schema version 3, newer than this secel-tsm's 2" "$tmp/show.err"
	if [ "$backend" = pg ]; then
		check "and left as it was" [ "$(pg psql -c 'SELECT version FROM secel_tsm_schema')" = 3 ]
	else
		check "and left as it was" [ "$(sqlite3 "$DB" 'PRAGMA user_version')" = 3 ]
	fi
}

want=("$@")
[ ${#want[@]} -gt 0 ] || want=(sqlite pg)
start_s=$(date +%s)
for backend in "${want[@]}"; do
	case $backend in
	sqlite)
		DB=$tmp/shared.db
		run_cases ;;
	pg)
		skip_pg=""
		if pg_setup; then
			DB="host=$pgdir dbname=tsm user=secel"
			run_cases
		elif [ "${SECEL_TEST_PG:-}" = require ]; then
			echo "FAIL [pg] $skip_pg" >&2
			fails=$((fails + 1))
		else
			echo "test-shared-db: PostgreSQL skipped: $skip_pg"
		fi ;;
	*)
		echo "test-shared-db: '$backend': sqlite or pg" >&2
		exit 2 ;;
	esac
done
echo "test-shared-db: $checks checks, $fails failed ($(( $(date +%s) - start_s )) s)"
[ $fails = 0 ]

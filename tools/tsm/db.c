// SPDX-License-Identifier: GPL-2.0
/*
 * secel-tsm's backstage database: SQLite, one transaction per request
 * (Documentation/secel/tsm.rst, "The TSM's database").
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "db.h"

struct tsm_db {
	sqlite3 *h;
};

/* The schema; user_version says which (tsm.rst has it). */
#define DB_VERSION	2
static const char schema[] =
	"CREATE TABLE IF NOT EXISTS devices ("
	" id INTEGER PRIMARY KEY,"
	" identity TEXT NOT NULL UNIQUE,"
	" first_seen TEXT NOT NULL,"
	" last_seen TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS ses ("
	" device INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,"
	" name TEXT NOT NULL,"
	" idx INTEGER NOT NULL,"
	" kind TEXT NOT NULL,"
	" transport TEXT NOT NULL,"
	" state TEXT NOT NULL,"
	" designated INTEGER NOT NULL DEFAULT 0,"
	" atr TEXT NOT NULL DEFAULT '',"
	" cin TEXT NOT NULL DEFAULT '',"
	" first_seen TEXT NOT NULL,"
	" last_seen TEXT NOT NULL,"
	" PRIMARY KEY (device, name));"
	"CREATE TABLE IF NOT EXISTS rules ("
	" id INTEGER PRIMARY KEY,"
	" event TEXT NOT NULL CHECK (event IN ('new', 'rejected')),"
	" kind TEXT,"
	" name TEXT,"
	" op TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS queue ("
	" id INTEGER PRIMARY KEY,"
	" device INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,"
	" instruction TEXT NOT NULL,"
	" origin TEXT NOT NULL,"
	" queued TEXT NOT NULL,"
	" batch INTEGER,"
	" sent TEXT,"
	" result TEXT,"
	" done TEXT);"
	"CREATE INDEX IF NOT EXISTS queue_pending ON queue (device, done);"
	/* version 2: the installs the rules ask for, one per rule and SE */
	"CREATE TABLE IF NOT EXISTS installs ("
	" rule INTEGER NOT NULL REFERENCES rules(id) ON DELETE CASCADE,"
	" device INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,"
	" se TEXT NOT NULL,"
	" service TEXT NOT NULL,"
	" state TEXT NOT NULL CHECK (state IN ('pending', 'running', 'ok', 'failed')),"
	" tries INTEGER NOT NULL DEFAULT 0,"
	" result TEXT,"
	" queued TEXT NOT NULL,"
	" updated TEXT NOT NULL,"
	" started INTEGER NOT NULL DEFAULT 0,"
	" PRIMARY KEY (rule, device, se));";

static int why(char *err, size_t room, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int why(char *err, size_t room, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && room) {
		va_start(ap, fmt);
		vsnprintf(err, room, fmt, ap);
		va_end(ap);
	}
	return ret;
}

static int sql_fail(struct tsm_db *db, char *err, size_t room, const char *what)
{
	return why(err, room, -EIO, "database: %s: %s", what,
		   sqlite3_errmsg(db->h));
}

static int exec(struct tsm_db *db, const char *sql, char *err, size_t room)
{
	if (sqlite3_exec(db->h, sql, NULL, NULL, NULL) != SQLITE_OK)
		return sql_fail(db, err, room, sql);
	return 0;
}

static void rollback(struct tsm_db *db)
{
	sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
}

int tsm_db_open(const char *path, struct tsm_db **out, char *err, size_t room)
{
	struct tsm_db *db = calloc(1, sizeof(*db));
	char pragma[64];
	int ret;

	if (!db)
		return why(err, room, -ENOMEM, "out of memory");
	if (sqlite3_open_v2(path, &db->h, SQLITE_OPEN_READWRITE |
			    SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
			    NULL) != SQLITE_OK) {
		ret = why(err, room, -EIO, "%s: %s", path,
			  db->h ? sqlite3_errmsg(db->h) : "out of memory");
		sqlite3_close(db->h);
		free(db);
		return ret;
	}
	/* several TSM processes may share the file: wait for each other */
	sqlite3_busy_timeout(db->h, 5000);
	snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", DB_VERSION);
	ret = exec(db, "PRAGMA foreign_keys = ON", err, room);
	if (!ret)
		ret = exec(db, "PRAGMA journal_mode = WAL", err, room);
	if (!ret)
		ret = exec(db, "BEGIN IMMEDIATE", err, room);
	if (!ret) {
		ret = exec(db, schema, err, room);
		if (!ret)
			ret = exec(db, pragma, err, room);
		if (!ret)
			ret = exec(db, "COMMIT", err, room);
		else
			rollback(db);
	}
	if (ret) {
		sqlite3_close(db->h);
		free(db);
		return ret;
	}
	*out = db;
	return 0;
}

void tsm_db_close(struct tsm_db *db)
{
	if (!db)
		return;
	sqlite3_close(db->h);
	free(db);
}

int tsm_se_list_parse(const char *list, struct tsm_se_entry *out, size_t max,
		      size_t *n)
{
	const char *p = list, *e, *f, *fe;

	*n = 0;
	while (*p == ' ')
		p++;
	if (!*p)
		return 0;
	for (;;) {
		struct tsm_se_entry *se;

		if (*n >= max)
			return -E2BIG;
		se = &out[*n];
		memset(se, 0, sizeof(*se));
		e = strstr(p, ", ");
		if (!e)
			e = p + strlen(p);
		for (f = p; f < e; f = fe + 1) {
			const char *v;
			size_t kl, vl;

			fe = memchr(f, ';', e - f);
			if (!fe)
				fe = e;
			v = memchr(f, '=', fe - f);
			if (v) {
				kl = v - f;
				v++;
				vl = fe - v;
#define FIELD(key, dst) \
	(kl == sizeof(key) - 1 && !strncmp(f, key, kl) && vl < sizeof(dst) ? \
	 (memcpy(dst, v, vl), dst[vl] = '\0', 1) : 0)
				if (!FIELD("name", se->name) &&
				    !FIELD("kind", se->kind) &&
				    !FIELD("transport", se->transport) &&
				    !FIELD("state", se->state) &&
				    !FIELD("atr", se->atr) &&
				    !FIELD("cin", se->cin)) {
					if (kl == 5 && !strncmp(f, "index", 5))
						se->index = atoi(v);
					else if (kl == 10 && !strncmp(f, "designated", 10))
						se->designated = *v == '1';
				}
#undef FIELD
			}
			if (fe == e)
				break;
		}
		if (!se->name[0] || !se->state[0])
			return -EINVAL;
		(*n)++;
		if (!*e)
			return 0;
		p = e + 2;
	}
}

static const char now_sql[] = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')";

/* The device's row id, made when new. */
static int device_id(struct tsm_db *db, const char *identity, long long *id,
		     char *err, size_t room)
{
	char sql[256];
	sqlite3_stmt *st;
	int ret = -EIO;

	snprintf(sql, sizeof(sql),
		 "INSERT INTO devices (identity, first_seen, last_seen) VALUES (?1, %s, %s) "
		 "ON CONFLICT (identity) DO UPDATE SET last_seen = excluded.last_seen "
		 "RETURNING id", now_sql, now_sql);
	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK)
		return sql_fail(db, err, room, "devices");
	sqlite3_bind_text(st, 1, identity, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		ret = 0;
	}
	sqlite3_finalize(st);
	return ret ? sql_fail(db, err, room, "devices") : 0;
}

/* The state the records had for SE @name of @dev; "" when new. */
static void old_state(struct tsm_db *db, long long dev, const char *name,
		      char *state, size_t room)
{
	sqlite3_stmt *st;

	state[0] = '\0';
	if (sqlite3_prepare_v2(db->h, "SELECT state FROM ses WHERE device = ?1 AND name = ?2",
			       -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(st, 1, dev);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(state, room, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

static int enqueue(struct tsm_db *db, long long dev, const char *instruction,
		   const char *origin, char *err, size_t room)
{
	char sql[192];
	sqlite3_stmt *st;
	int rc;

	snprintf(sql, sizeof(sql),
		 "INSERT INTO queue (device, instruction, origin, queued) VALUES (?1, ?2, ?3, %s)",
		 now_sql);
	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK)
		return sql_fail(db, err, room, "queue");
	sqlite3_bind_int64(st, 1, dev);
	sqlite3_bind_text(st, 2, instruction, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, origin, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sql_fail(db, err, room, "queue");
}

/*
 * An install rule matched SE @se: one row per rule and SE, kept when
 * there is one already (an SE that comes back after the purse went on
 * does not get it twice).
 */
static int want_install(struct tsm_db *db, long long dev, long long rule,
			const char *se, const char *service, char *err,
			size_t room)
{
	char sql[256];
	sqlite3_stmt *st;
	int rc;

	snprintf(sql, sizeof(sql),
		 "INSERT OR IGNORE INTO installs (rule, device, se, service, state, queued, updated) "
		 "VALUES (?1, ?2, ?3, ?4, 'pending', %s, %s)", now_sql, now_sql);
	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK)
		return sql_fail(db, err, room, "installs");
	sqlite3_bind_int64(st, 1, rule);
	sqlite3_bind_int64(st, 2, dev);
	sqlite3_bind_text(st, 3, se, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, service, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sql_fail(db, err, room, "installs");
}

/* The rules for @event on @se: each that matches queues its op. */
static int run_rules(struct tsm_db *db, long long dev, const char *event,
		     const struct tsm_se_entry *se, char *err, size_t room)
{
	sqlite3_stmt *st;
	int ret = 0, rc;

	if (sqlite3_prepare_v2(db->h, "SELECT id, kind, name, op FROM rules WHERE event = ?1 ORDER BY id",
			       -1, &st, NULL) != SQLITE_OK)
		return sql_fail(db, err, room, "rules");
	sqlite3_bind_text(st, 1, event, -1, SQLITE_STATIC);
	while (!ret && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *kind = (const char *)sqlite3_column_text(st, 1);
		const char *name = (const char *)sqlite3_column_text(st, 2);
		const char *op = (const char *)sqlite3_column_text(st, 3);
		char ins[64], origin[32];

		if ((kind && fnmatch(kind, se->kind, 0)) ||
		    (name && fnmatch(name, se->name, 0)))
			continue;
		if (!strncmp(op, TSM_DB_INSTALL, strlen(TSM_DB_INSTALL))) {
			ret = want_install(db, dev, sqlite3_column_int64(st, 0),
					   se->name, op + strlen(TSM_DB_INSTALL),
					   err, room);
			continue;
		}
		if (!strcmp(op, "clear"))
			snprintf(ins, sizeof(ins), "clear");
		else
			snprintf(ins, sizeof(ins), "%s %s", op, se->name);
		snprintf(origin, sizeof(origin), "rule %lld",
			 (long long)sqlite3_column_int64(st, 0));
		ret = enqueue(db, dev, ins, origin, err, room);
	}
	sqlite3_finalize(st);
	return ret;
}

/*
 * The device's list in the records replaced by @list; the rules run on
 * the SEs that are new or newly rejected (only when @rules).
 */
static int record_list(struct tsm_db *db, long long dev, const char *list,
		       bool rules, char *err, size_t room)
{
	struct tsm_se_entry *ses;
	char sql[512], was[16];
	sqlite3_stmt *st = NULL;
	size_t n, i;
	int ret;

	ses = calloc(TSM_DB_SES_MAX, sizeof(*ses));
	if (!ses)
		return why(err, room, -ENOMEM, "out of memory");
	ret = tsm_se_list_parse(list, ses, TSM_DB_SES_MAX, &n);
	if (ret) {
		free(ses);
		return why(err, room, ret, "X-Secel-SE-List: %s",
			   ret == -E2BIG ? "more than 64 SEs" :
			   "an entry without name or state");
	}
	snprintf(sql, sizeof(sql),
		 "INSERT INTO ses (device, name, idx, kind, transport, state, designated, atr, cin, first_seen, last_seen) "
		 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, %s, %s) "
		 "ON CONFLICT (device, name) DO UPDATE SET idx = excluded.idx, kind = excluded.kind, "
		 "transport = excluded.transport, state = excluded.state, designated = excluded.designated, "
		 "atr = excluded.atr, cin = excluded.cin, last_seen = excluded.last_seen",
		 now_sql, now_sql);
	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK) {
		free(ses);
		return sql_fail(db, err, room, "ses");
	}
	/* the SEs that are gone: out of the records */
	ret = exec(db, "CREATE TEMP TABLE IF NOT EXISTS seen (name TEXT PRIMARY KEY); DELETE FROM seen",
		   err, room);
	for (i = 0; !ret && i < n; i++) {
		const struct tsm_se_entry *se = &ses[i];
		sqlite3_stmt *s2;

		old_state(db, dev, se->name, was, sizeof(was));
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, dev);
		sqlite3_bind_text(st, 2, se->name, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 3, se->index);
		sqlite3_bind_text(st, 4, se->kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, se->transport, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, se->state, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 7, se->designated);
		sqlite3_bind_text(st, 8, se->atr, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 9, se->cin, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			ret = sql_fail(db, err, room, "ses");
			break;
		}
		if (sqlite3_prepare_v2(db->h, "INSERT OR IGNORE INTO seen (name) VALUES (?1)",
				       -1, &s2, NULL) != SQLITE_OK) {
			ret = sql_fail(db, err, room, "seen");
			break;
		}
		sqlite3_bind_text(s2, 1, se->name, -1, SQLITE_STATIC);
		sqlite3_step(s2);
		sqlite3_finalize(s2);
		if (rules && !was[0])
			ret = run_rules(db, dev, "new", se, err, room);
		if (!ret && rules && !strcmp(se->state, "rejected") &&
		    strcmp(was, "rejected"))
			ret = run_rules(db, dev, "rejected", se, err, room);
	}
	sqlite3_finalize(st);
	free(ses);
	if (!ret) {
		snprintf(sql, sizeof(sql),
			 "DELETE FROM ses WHERE device = %lld AND name NOT IN (SELECT name FROM seen)",
			 dev);
		ret = exec(db, sql, err, room);
	}
	return ret;
}

int tsm_db_report(struct tsm_db *db, const char *device, const char *list,
		  char *control, size_t control_room, long long *batch,
		  char *err, size_t room)
{
	sqlite3_stmt *st;
	long long dev, first = 0;
	size_t len = 0, k = 0;
	char sql[256];
	int ret, rc;

	control[0] = '\0';
	*batch = 0;
	ret = exec(db, "BEGIN IMMEDIATE", err, room);
	if (ret)
		return ret;
	ret = device_id(db, device, &dev, err, room);
	if (!ret && list)
		ret = record_list(db, dev, list, true, err, room);
	/* sent before and never answered: again */
	if (!ret) {
		snprintf(sql, sizeof(sql),
			 "UPDATE queue SET batch = NULL, sent = NULL WHERE device = %lld AND done IS NULL",
			 dev);
		ret = exec(db, sql, err, room);
	}
	if (!ret && sqlite3_prepare_v2(db->h,
			"SELECT id, instruction FROM queue WHERE device = ?1 AND done IS NULL ORDER BY id LIMIT ?2",
			-1, &st, NULL) != SQLITE_OK)
		ret = sql_fail(db, err, room, "queue");
	if (!ret) {
		sqlite3_bind_int64(st, 1, dev);
		sqlite3_bind_int(st, 2, TSM_DB_SEND_MAX);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			const char *ins = (const char *)sqlite3_column_text(st, 1);
			long long id = sqlite3_column_int64(st, 0);
			int w;

			w = snprintf(control + len, control_room - len, "%s%s",
				     k ? ", " : "", ins);
			if (w < 0 || (size_t)w >= control_room - len) {
				control[len] = '\0';
				break;	/* the rest goes next time */
			}
			if (!first)
				first = id;
			len += w;
			k++;
		}
		sqlite3_finalize(st);
		if (k) {
			snprintf(sql, sizeof(sql),
				 "UPDATE queue SET batch = %lld, sent = %s WHERE id IN "
				 "(SELECT id FROM queue WHERE device = %lld AND done IS NULL ORDER BY id LIMIT %zu)",
				 first, now_sql, dev, k);
			ret = exec(db, sql, err, room);
		}
	}
	if (!ret)
		ret = exec(db, "COMMIT", err, room);
	if (ret) {
		rollback(db);
		control[0] = '\0';
		return ret;
	}
	*batch = first;
	return 0;
}

int tsm_db_results(struct tsm_db *db, const char *device, long long batch,
		   const char *results, const char *list, char *err,
		   size_t room)
{
	sqlite3_stmt *st = NULL, *up = NULL;
	const char *p = results ? results : "";
	long long dev;
	char sql[256];
	size_t k = 0;
	int ret, rc;

	ret = exec(db, "BEGIN IMMEDIATE", err, room);
	if (ret)
		return ret;
	ret = device_id(db, device, &dev, err, room);
	if (!ret && list)
		ret = record_list(db, dev, list, false, err, room);
	snprintf(sql, sizeof(sql),
		 "UPDATE queue SET result = ?1, done = %s WHERE id = ?2", now_sql);
	if (!ret && (sqlite3_prepare_v2(db->h,
			"SELECT id FROM queue WHERE device = ?1 AND batch = ?2 AND done IS NULL ORDER BY id",
			-1, &st, NULL) != SQLITE_OK ||
		     sqlite3_prepare_v2(db->h, sql, -1, &up, NULL) != SQLITE_OK))
		ret = sql_fail(db, err, room, "queue");
	if (!ret) {
		sqlite3_bind_int64(st, 1, dev);
		sqlite3_bind_int64(st, 2, batch);
		/* the results in the order the instructions went */
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			const char *e = strstr(p, ", ");
			size_t n = e ? (size_t)(e - p) : strlen(p);
			char one[256];

			snprintf(one, sizeof(one), "%.*s", (int)n,
				 *p ? p : "no result");
			sqlite3_reset(up);
			sqlite3_bind_text(up, 1, one, -1, SQLITE_TRANSIENT);
			sqlite3_bind_int64(up, 2, sqlite3_column_int64(st, 0));
			if (sqlite3_step(up) != SQLITE_DONE) {
				ret = sql_fail(db, err, room, "queue");
				break;
			}
			k++;
			p = e ? e + 2 : p + n;
		}
	}
	sqlite3_finalize(st);
	sqlite3_finalize(up);
	if (!ret && !k)
		ret = why(err, room, -ENOENT, "no instructions of batch %lld pending for this device",
			  batch);
	if (!ret)
		ret = exec(db, "COMMIT", err, room);
	if (ret)
		rollback(db);
	return ret;
}

int tsm_db_queue(struct tsm_db *db, const char *device,
		 const char *instruction, char *err, size_t room)
{
	long long dev;
	int ret;

	ret = exec(db, "BEGIN IMMEDIATE", err, room);
	if (ret)
		return ret;
	ret = device_id(db, device, &dev, err, room);
	if (!ret)
		ret = enqueue(db, dev, instruction, "operator", err, room);
	if (!ret)
		ret = exec(db, "COMMIT", err, room);
	if (ret)
		rollback(db);
	return ret;
}

int tsm_db_rule_add(struct tsm_db *db, const char *event, const char *kind,
		    const char *name, const char *op, char *err, size_t room)
{
	static const char *const ops[] = {
		"add", "verify", "delete", "designate", "clear", "inquire",
	};
	sqlite3_stmt *st;
	size_t i;
	int rc;

	if (strcmp(event, "new") && strcmp(event, "rejected"))
		return why(err, room, -EINVAL, "event '%s' is neither new nor rejected",
			   event);
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(op, ops[i]))
			break;
	if (!strncmp(op, TSM_DB_INSTALL, strlen(TSM_DB_INSTALL))) {
		const char *svc = op + strlen(TSM_DB_INSTALL);

		if (!*svc || strlen(svc) > TSM_DB_SERVICE_MAX ||
		    strspn(svc, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != strlen(svc))
			return why(err, room, -EINVAL, "'%s': install:SERVICE wants the name of a --service (1 to %d letters, digits, '.', '_', '-')",
				   op, TSM_DB_SERVICE_MAX);
		if (strcmp(event, "new"))
			return why(err, room, -EINVAL, "install:%s: installs follow the event new only",
				   svc);
		i = 0;
	} else if (i == sizeof(ops) / sizeof(ops[0])) {
		return why(err, room, -EINVAL, "'%s' is no instruction (add, verify, delete, designate, clear, inquire, install:SERVICE)",
			   op);
	}
	if (sqlite3_prepare_v2(db->h, "INSERT INTO rules (event, kind, name, op) VALUES (?1, ?2, ?3, ?4)",
			       -1, &st, NULL) != SQLITE_OK)
		return sql_fail(db, err, room, "rules");
	sqlite3_bind_text(st, 1, event, -1, SQLITE_STATIC);
	if (kind)
		sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	if (name)
		sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, op, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sql_fail(db, err, room, "rules");
}

static int show_rows(struct tsm_db *db, FILE *out, const char *title,
		     const char *sql, char *err, size_t room)
{
	sqlite3_stmt *st;
	int rc, i, n;

	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK)
		return sql_fail(db, err, room, title);
	n = sqlite3_column_count(st);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		fprintf(out, "%s", title);
		for (i = 0; i < n; i++) {
			const char *v = (const char *)sqlite3_column_text(st, i);

			fprintf(out, " %s=%s", sqlite3_column_name(st, i),
				v ? v : "-");
		}
		fputc('\n', out);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sql_fail(db, err, room, title);
}

int tsm_db_show(struct tsm_db *db, FILE *out, char *err, size_t room)
{
	int ret;

	/* one snapshot of all of it */
	ret = exec(db, "BEGIN", err, room);
	if (!ret)
		ret = show_rows(db, out, "device",
				"SELECT identity, first_seen, last_seen FROM devices ORDER BY id",
				err, room);
	if (!ret)
		ret = show_rows(db, out, "se",
				"SELECT d.identity AS device, s.name, s.idx AS 'index', s.kind, s.transport, "
				"s.state, s.designated, s.atr, s.cin FROM ses s JOIN devices d ON d.id = s.device "
				"ORDER BY d.id, s.idx", err, room);
	if (!ret)
		ret = show_rows(db, out, "queued",
				"SELECT q.id, d.identity AS device, q.instruction, q.origin, q.sent, q.result "
				"FROM queue q JOIN devices d ON d.id = q.device ORDER BY q.id",
				err, room);
	if (!ret)
		ret = show_rows(db, out, "rule",
				"SELECT id, event, kind, name, op FROM rules ORDER BY id",
				err, room);
	if (!ret)
		ret = show_rows(db, out, "install",
				"SELECT i.rule, d.identity AS device, i.se, i.service, i.state, i.tries, "
				"i.updated, i.result FROM installs i JOIN devices d ON d.id = i.device "
				"ORDER BY d.id, i.rule, i.se", err, room);
	exec(db, "COMMIT", NULL, 0);
	return ret;
}

int tsm_db_install_next(struct tsm_db *db, const char *device,
			long long stale, struct tsm_db_install *in,
			char *err, size_t room)
{
	char sql[640];
	sqlite3_stmt *st;
	long long dev;
	int ret, rc;

	memset(in, 0, sizeof(*in));
	ret = exec(db, "BEGIN IMMEDIATE", err, room);
	if (ret)
		return ret;
	ret = device_id(db, device, &dev, err, room);
	/*
	 * pending, or running in a session that died with no word (started
	 * more than @stale seconds ago): on an SE that is listed now
	 */
	snprintf(sql, sizeof(sql),
		 "SELECT i.rowid, i.rule, i.se, i.service, s.cin FROM installs i "
		 "JOIN ses s ON s.device = i.device AND s.name = i.se "
		 "WHERE i.device = ?1 AND s.state = 'listed' AND (i.state = 'pending' OR "
		 "(i.state = 'running' AND i.started < CAST(strftime('%%s', 'now') AS INTEGER) - ?2)) "
		 "ORDER BY i.rule, i.queued, i.se LIMIT 1");
	if (!ret && sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK)
		ret = sql_fail(db, err, room, "installs");
	if (!ret) {
		sqlite3_bind_int64(st, 1, dev);
		sqlite3_bind_int64(st, 2, stale);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			in->id = sqlite3_column_int64(st, 0);
			in->rule = sqlite3_column_int64(st, 1);
			snprintf(in->se, sizeof(in->se), "%s",
				 (const char *)sqlite3_column_text(st, 2));
			snprintf(in->service, sizeof(in->service), "%s",
				 (const char *)sqlite3_column_text(st, 3));
			snprintf(in->cin, sizeof(in->cin), "%s",
				 (const char *)sqlite3_column_text(st, 4));
		} else if (rc != SQLITE_DONE) {
			ret = sql_fail(db, err, room, "installs");
		}
		sqlite3_finalize(st);
	}
	if (!ret && in->id) {
		snprintf(sql, sizeof(sql),
			 "UPDATE installs SET state = 'running', tries = tries + 1, updated = %s, "
			 "started = CAST(strftime('%%s', 'now') AS INTEGER), result = NULL WHERE rowid = %lld",
			 now_sql, in->id);
		ret = exec(db, sql, err, room);
	}
	if (!ret)
		ret = exec(db, "COMMIT", err, room);
	if (ret) {
		rollback(db);
		return ret;
	}
	return in->id ? 0 : -ENOENT;
}

int tsm_db_install_done(struct tsm_db *db, long long id, const char *state,
			const char *result, char *err, size_t room)
{
	char sql[192];
	sqlite3_stmt *st;
	int rc;

	if (strcmp(state, "ok") && strcmp(state, "failed") &&
	    strcmp(state, "pending"))
		return why(err, room, -EINVAL, "install state '%s'", state);
	snprintf(sql, sizeof(sql),
		 "UPDATE installs SET state = ?1, result = ?2, updated = %s WHERE rowid = ?3",
		 now_sql);
	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK)
		return sql_fail(db, err, room, "installs");
	sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, result, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sql_fail(db, err, room, "installs");
	return sqlite3_changes(db->h) ? 0 :
	       why(err, room, -ENOENT, "no install %lld", id);
}

static void json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

/* The rows of @sql (?1 bound to @dev when not 0) as a JSON array. */
static int json_rows(struct tsm_db *db, FILE *out, const char *sql,
		     long long dev, char *err, size_t room)
{
	sqlite3_stmt *st;
	int rc, i, n, k = 0;

	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK)
		return sql_fail(db, err, room, "json");
	if (dev)
		sqlite3_bind_int64(st, 1, dev);
	n = sqlite3_column_count(st);
	fputc('[', out);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		fputs(k++ ? ", {" : "{", out);
		for (i = 0; i < n; i++) {
			if (i)
				fputs(", ", out);
			json_str(out, sqlite3_column_name(st, i));
			fputs(": ", out);
			switch (sqlite3_column_type(st, i)) {
			case SQLITE_NULL:
				fputs("null", out);
				break;
			case SQLITE_INTEGER:
				fprintf(out, "%lld",
					(long long)sqlite3_column_int64(st, i));
				break;
			default:
				json_str(out, (const char *)sqlite3_column_text(st, i));
			}
		}
		fputc('}', out);
	}
	fputc(']', out);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sql_fail(db, err, room, "json");
}

int tsm_db_json(struct tsm_db *db, long long only, char **json, size_t *len,
		char *err, size_t room)
{
	sqlite3_stmt *st = NULL;
	FILE *out;
	int ret, rc, k = 0;

	*json = NULL;
	*len = 0;
	out = open_memstream(json, len);
	if (!out)
		return why(err, room, -ENOMEM, "out of memory");
	/* one snapshot of all of it */
	ret = exec(db, "BEGIN", err, room);
	if (!ret && sqlite3_prepare_v2(db->h,
			"SELECT id, identity, first_seen, last_seen FROM devices "
			"WHERE ?1 = 0 OR id = ?1 ORDER BY id", -1, &st, NULL) != SQLITE_OK)
		ret = sql_fail(db, err, room, "devices");
	if (!ret) {
		sqlite3_bind_int64(st, 1, only);
		fputs(only ? "" : "{\"devices\": [", out);
		while (!ret && (rc = sqlite3_step(st)) == SQLITE_ROW) {
			long long dev = sqlite3_column_int64(st, 0);

			fprintf(out, "%s{\"id\": %lld, \"identity\": ", k++ ? ", " : "",
				dev);
			json_str(out, (const char *)sqlite3_column_text(st, 1));
			fputs(", \"first_seen\": ", out);
			json_str(out, (const char *)sqlite3_column_text(st, 2));
			fputs(", \"last_seen\": ", out);
			json_str(out, (const char *)sqlite3_column_text(st, 3));
			fputs(", \"ses\": ", out);
			ret = json_rows(db, out,
					"SELECT name, idx AS 'index', kind, transport, state, designated, "
					"atr, cin, first_seen, last_seen FROM ses WHERE device = ?1 ORDER BY idx",
					dev, err, room);
			if (!ret) {
				fputs(", \"queue\": ", out);
				ret = json_rows(db, out,
						"SELECT id, instruction, origin, queued, sent, result, done "
						"FROM queue WHERE device = ?1 ORDER BY id", dev, err, room);
			}
			if (!ret) {
				fputs(", \"installs\": ", out);
				ret = json_rows(db, out,
						"SELECT rule, se, service, state, tries, queued, updated, result "
						"FROM installs WHERE device = ?1 ORDER BY rule, se", dev, err, room);
			}
			fputc('}', out);
		}
		if (!ret && rc != SQLITE_DONE && rc != SQLITE_ROW)
			ret = sql_fail(db, err, room, "devices");
		sqlite3_finalize(st);
	}
	if (!ret && only && !k)
		ret = why(err, room, -ENOENT, "no device %lld", only);
	if (!ret && !only) {
		fputs("], \"rules\": ", out);
		ret = json_rows(db, out, "SELECT id, event, kind, name, op FROM rules ORDER BY id",
				0, err, room);
		fputc('}', out);
	}
	exec(db, "COMMIT", NULL, 0);
	fputc('\n', out);
	if (fclose(out) && !ret)
		ret = why(err, room, -ENOMEM, "out of memory");
	if (ret) {
		free(*json);
		*json = NULL;
		*len = 0;
	}
	return ret;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * secel-tsm's database backends: SQLite through libsqlite3, PostgreSQL
 * through libpq (dbq.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "dbq.h"

#define DBQ_PARAMS	72	/* a device and 64 SEs (db.c) */

/* libpq's type OIDs (pg_type.h is a server header) */
#define PG_INT8OID	20
#define PG_INT2OID	21
#define PG_INT4OID	23

struct dbq {
	enum dbq_backend backend;
	sqlite3 *lite;
	PGconn *pg;
	char msg[512];
};

struct dbq_st {
	struct dbq *c;
	/* SQLite */
	sqlite3_stmt *lite;
	/* PostgreSQL: the text, its values, the result and the row in it */
	char *sql;
	char *param[DBQ_PARAMS];
	int nparam;
	PGresult *res;
	int row;
	long long changes;
};

bool dbq_spec_is_pg(const char *spec)
{
	size_t k;

	if (!strncmp(spec, "postgresql://", 13) ||
	    !strncmp(spec, "postgres://", 11))
		return true;
	/* "host=/run/x dbname=tsm": a keyword of letters and '_', then '=' */
	k = strspn(spec, "abcdefghijklmnopqrstuvwxyz_");
	return k && spec[k] == '=';
}

/* libpq's message: its first line. */
static void pg_msg(struct dbq *c, const char *m)
{
	snprintf(c->msg, sizeof(c->msg), "%s", m && *m ? m : "unknown error");
	c->msg[strcspn(c->msg, "\n")] = '\0';
}

static void no_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

int dbq_open(const char *spec, struct dbq **out, char *err, size_t room)
{
	struct dbq *c = calloc(1, sizeof(*c));

	if (!c) {
		snprintf(err, room, "out of memory");
		return -ENOMEM;
	}
	if (dbq_spec_is_pg(spec)) {
		c->backend = DBQ_PG;
		c->pg = PQconnectdb(spec);
		if (!c->pg || PQstatus(c->pg) != CONNECTION_OK) {
			/* the conninfo may hold a password: not repeated */
			snprintf(err, room, "PostgreSQL: %s",
				 c->pg ? PQerrorMessage(c->pg) : "out of memory");
			err[strcspn(err, "\n")] = '\0';
			PQfinish(c->pg);
			free(c);
			return -EIO;
		}
		PQsetNoticeProcessor(c->pg, no_notice, NULL);
		*out = c;
		return 0;
	}
	c->backend = DBQ_SQLITE;
	if (sqlite3_open_v2(spec, &c->lite, SQLITE_OPEN_READWRITE |
			    SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
			    NULL) != SQLITE_OK) {
		snprintf(err, room, "%s: %s", spec,
			 c->lite ? sqlite3_errmsg(c->lite) : "out of memory");
		sqlite3_close(c->lite);
		free(c);
		return -EIO;
	}
	/* several TSM processes may share the file: wait for each other */
	sqlite3_busy_timeout(c->lite, 5000);
	*out = c;
	return 0;
}

void dbq_close(struct dbq *c)
{
	if (!c)
		return;
	if (c->pg)
		PQfinish(c->pg);
	sqlite3_close(c->lite);
	free(c);
}

enum dbq_backend dbq_backend(const struct dbq *c)
{
	return c->backend;
}

const char *dbq_errmsg(struct dbq *c)
{
	if (c->backend == DBQ_SQLITE)
		return sqlite3_errmsg(c->lite);
	return c->msg;
}

/* Whether the connection is between transactions (or lost). */
static bool pg_idle(struct dbq *c)
{
	PGTransactionStatusType ts = PQtransactionStatus(c->pg);

	return ts == PQTRANS_IDLE || ts == PQTRANS_UNKNOWN;
}

/*
 * A connection the server dropped (a restart, an administrator): made
 * again, between transactions only (one under way is lost: rolled back).
 */
static bool pg_revive(struct dbq *c)
{
	if (PQstatus(c->pg) != CONNECTION_BAD)
		return false;
	PQreset(c->pg);
	if (PQstatus(c->pg) != CONNECTION_OK)
		return false;
	PQsetNoticeProcessor(c->pg, no_notice, NULL);
	return true;
}

/*
 * @sql (with @n values of @param), on a connection made again when it
 * turns out lost at the start of a transaction (libpq learns of it only
 * when it tries).
 */
static PGresult *pg_run(struct dbq *c, const char *sql, int n,
			char *const *param)
{
	bool idle = pg_idle(c);
	PGresult *res;

	if (idle)
		pg_revive(c);
	res = PQexecParams(c->pg, sql, n, NULL, (const char *const *)param,
			   NULL, NULL, 0);
	if (idle && PQstatus(c->pg) == CONNECTION_BAD && pg_revive(c)) {
		PQclear(res);
		res = PQexecParams(c->pg, sql, n, NULL,
				   (const char *const *)param, NULL, NULL, 0);
	}
	return res;
}

int dbq_exec(struct dbq *c, const char *sql)
{
	PGresult *res;
	int ret = 0;
	bool idle;

	if (c->backend == DBQ_SQLITE)
		return sqlite3_exec(c->lite, sql, NULL, NULL, NULL) ==
		       SQLITE_OK ? 0 : -EIO;
	/* PQexec: several statements may go in one */
	idle = pg_idle(c);
	if (idle)
		pg_revive(c);
	res = PQexec(c->pg, sql);
	if (idle && PQstatus(c->pg) == CONNECTION_BAD && pg_revive(c)) {
		PQclear(res);
		res = PQexec(c->pg, sql);
	}
	if (!res || (PQresultStatus(res) != PGRES_COMMAND_OK &&
		     PQresultStatus(res) != PGRES_TUPLES_OK)) {
		pg_msg(c, res ? PQresultErrorMessage(res) :
		       PQerrorMessage(c->pg));
		ret = -EIO;
	}
	PQclear(res);
	return ret;
}

int dbq_prepare(struct dbq *c, const char *sql, struct dbq_st **out)
{
	struct dbq_st *st = calloc(1, sizeof(*st));
	bool quoted = false;
	char *p;

	if (!st) {
		snprintf(c->msg, sizeof(c->msg), "out of memory");
		return -EIO;
	}
	st->c = c;
	st->row = -1;
	if (c->backend == DBQ_SQLITE) {
		if (sqlite3_prepare_v2(c->lite, sql, -1, &st->lite, NULL) !=
		    SQLITE_OK) {
			free(st);
			return -EIO;
		}
		*out = st;
		return 0;
	}
	st->sql = strdup(sql);
	if (!st->sql) {
		free(st);
		snprintf(c->msg, sizeof(c->msg), "out of memory");
		return -EIO;
	}
	/* ?N is PostgreSQL's $N (not inside a '...' literal) */
	for (p = st->sql; *p; p++) {
		if (*p == '\'')
			quoted = !quoted;
		else if (*p == '?' && !quoted && isdigit((unsigned char)p[1]))
			*p = '$';
	}
	*out = st;
	return 0;
}

static void pg_param(struct dbq_st *st, int i, char *v)
{
	if (i < 1 || i > DBQ_PARAMS) {
		/* a statement of db.c with too many: it fails, not half bound */
		free(v);
		st->nparam = -1;
		return;
	}
	free(st->param[i - 1]);
	st->param[i - 1] = v;
	if (st->nparam >= 0 && i > st->nparam)
		st->nparam = i;
}

void dbq_bind_text(struct dbq_st *st, int i, const char *v)
{
	if (st->lite) {
		if (v)
			sqlite3_bind_text(st->lite, i, v, -1, SQLITE_TRANSIENT);
		else
			sqlite3_bind_null(st->lite, i);
		return;
	}
	pg_param(st, i, v ? strdup(v) : NULL);
}

void dbq_bind_int(struct dbq_st *st, int i, long long v)
{
	char *s;

	if (st->lite) {
		sqlite3_bind_int64(st->lite, i, v);
		return;
	}
	if (asprintf(&s, "%lld", v) < 0)
		s = NULL;
	pg_param(st, i, s);
}

int dbq_step(struct dbq_st *st)
{
	struct dbq *c = st->c;
	int rc;

	if (st->lite) {
		rc = sqlite3_step(st->lite);
		if (rc == SQLITE_ROW)
			return DBQ_ROW;
		if (rc == SQLITE_DONE) {
			st->changes = sqlite3_changes(c->lite);
			return DBQ_DONE;
		}
		return -EIO;
	}
	if (!st->res) {
		if (st->nparam < 0) {
			snprintf(c->msg, sizeof(c->msg), "more than %d values in one statement",
				 DBQ_PARAMS);
			return -EIO;
		}
		st->res = pg_run(c, st->sql, st->nparam, st->param);
		if (!st->res) {
			pg_msg(c, PQerrorMessage(c->pg));
			return -EIO;
		}
		if (PQresultStatus(st->res) != PGRES_COMMAND_OK &&
		    PQresultStatus(st->res) != PGRES_TUPLES_OK) {
			pg_msg(c, PQresultErrorMessage(st->res));
			return -EIO;
		}
		st->changes = atoll(PQcmdTuples(st->res));
	}
	if (PQresultStatus(st->res) != PGRES_COMMAND_OK &&
	    PQresultStatus(st->res) != PGRES_TUPLES_OK)
		return -EIO;
	if (st->row + 1 < PQntuples(st->res)) {
		st->row++;
		return DBQ_ROW;
	}
	return DBQ_DONE;
}

int dbq_columns(struct dbq_st *st)
{
	if (st->lite)
		return sqlite3_column_count(st->lite);
	return st->res ? PQnfields(st->res) : 0;
}

const char *dbq_column_name(struct dbq_st *st, int i)
{
	if (st->lite)
		return sqlite3_column_name(st->lite, i);
	return PQfname(st->res, i);
}

enum dbq_type dbq_column_type(struct dbq_st *st, int i)
{
	if (st->lite) {
		switch (sqlite3_column_type(st->lite, i)) {
		case SQLITE_NULL:
			return DBQ_NULL;
		case SQLITE_INTEGER:
			return DBQ_INT;
		default:
			return DBQ_TEXT;
		}
	}
	if (st->row < 0 || PQgetisnull(st->res, st->row, i))
		return DBQ_NULL;
	switch (PQftype(st->res, i)) {
	case PG_INT8OID:
	case PG_INT4OID:
	case PG_INT2OID:
		return DBQ_INT;
	default:
		return DBQ_TEXT;
	}
}

const char *dbq_column_text(struct dbq_st *st, int i)
{
	if (st->lite)
		return (const char *)sqlite3_column_text(st->lite, i);
	if (st->row < 0 || PQgetisnull(st->res, st->row, i))
		return NULL;
	return PQgetvalue(st->res, st->row, i);
}

long long dbq_column_int(struct dbq_st *st, int i)
{
	const char *v;

	if (st->lite)
		return sqlite3_column_int64(st->lite, i);
	v = dbq_column_text(st, i);
	return v ? atoll(v) : 0;
}

long long dbq_changes(struct dbq_st *st)
{
	return st->changes;
}

void dbq_finalize(struct dbq_st *st)
{
	int i;

	if (!st)
		return;
	sqlite3_finalize(st->lite);
	PQclear(st->res);
	for (i = 0; i < DBQ_PARAMS; i++)
		free(st->param[i]);
	free(st->sql);
	free(st);
}

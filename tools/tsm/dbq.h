/* SPDX-License-Identifier: GPL-2.0 */
/*
 * secel-tsm's database backends: SQLite (a file) or PostgreSQL (a
 * server several TSM processes share), behind one small interface that
 * db.c writes its SQL against.  Statements number their parameters ?1,
 * ?2, ... (PostgreSQL's $1, $2, ... are made of them); each value goes
 * as text or a 64-bit integer, NULL as a null text.
 */
#ifndef SECEL_TSM_DBQ_H
#define SECEL_TSM_DBQ_H

#include <stdbool.h>
#include <stddef.h>

enum dbq_backend {
	DBQ_SQLITE,
	DBQ_PG,
};

enum dbq_type {
	DBQ_NULL,
	DBQ_INT,
	DBQ_TEXT,
};

#define DBQ_ROW		1	/* dbq_step: a row is there */
#define DBQ_DONE	0	/* dbq_step: no more rows */

struct dbq;
struct dbq_st;

/*
 * Whether @spec names a PostgreSQL database: a URI postgresql:// or
 * postgres://, or libpq's "keyword=value ..." (the first word has '=').
 */
bool dbq_spec_is_pg(const char *spec);

/* Connect to (or create the file) @spec; 0, or -errno with @err. */
int dbq_open(const char *spec, struct dbq **out, char *err, size_t room);
void dbq_close(struct dbq *c);
enum dbq_backend dbq_backend(const struct dbq *c);
/* The last error's text (one line). */
const char *dbq_errmsg(struct dbq *c);

/* @sql, one statement or several, no parameters: 0 or -EIO. */
int dbq_exec(struct dbq *c, const char *sql);

/* One statement with ?N parameters: 0 with *@st, or -EIO. */
int dbq_prepare(struct dbq *c, const char *sql, struct dbq_st **st);
void dbq_bind_text(struct dbq_st *st, int i, const char *v);
void dbq_bind_int(struct dbq_st *st, int i, long long v);
/* Runs it (the first time) and moves to the next row: DBQ_ROW, DBQ_DONE or -EIO. */
int dbq_step(struct dbq_st *st);
int dbq_columns(struct dbq_st *st);
const char *dbq_column_name(struct dbq_st *st, int i);
enum dbq_type dbq_column_type(struct dbq_st *st, int i);
/* The column as text: NULL when null. */
const char *dbq_column_text(struct dbq_st *st, int i);
long long dbq_column_int(struct dbq_st *st, int i);
/* Rows the statement (INSERT, UPDATE, DELETE) changed. */
long long dbq_changes(struct dbq_st *st);
void dbq_finalize(struct dbq_st *st);

#endif /* SECEL_TSM_DBQ_H */

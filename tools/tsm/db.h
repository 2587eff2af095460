/* SPDX-License-Identifier: GPL-2.0 */
/*
 * secel-tsm's backstage database (SQLite, or PostgreSQL shared by
 * several TSMs: dbq.h): each device's SE list, the control instructions
 * queued for it by the operator or by rules, and their results
 * (Documentation/secel/tsm.rst, "The TSM's database").  Every change a
 * request makes is one transaction: a TSM killed in the middle leaves
 * the database as it was before the request.
 */
#ifndef SECEL_TSM_DB_H
#define SECEL_TSM_DB_H

#include <stddef.h>
#include <stdio.h>

#define TSM_DB_SES_MAX		64	/* SEs of one report */
#define TSM_DB_SEND_MAX		16	/* instructions per answer */

#define TSM_DB_INSTALL		"install:"	/* a rule's op: install:SERVICE */
#define TSM_DB_SERVICE_MAX	32

struct tsm_db;

/* An install a rule asked for (tsm_db_install_next). */
struct tsm_db_install {
	long long id;			/* its row */
	long long rule;
	long long tries;		/* this attempt, 1 the first */
	char se[32];
	char service[TSM_DB_SERVICE_MAX + 1];
	char cin[80];			/* as the device listed it, "" unknown */
};

/* One entry of X-Secel-SE-List. */
struct tsm_se_entry {
	char name[32];
	char kind[16];
	char transport[32];
	char state[16];
	char atr[80];
	char cin[80];			/* "" unless the relay shows it */
	int index;
	int designated;
};

/*
 * X-Secel-SE-List into @out (at most @max); 0 with *@n, -EINVAL when an
 * entry has no name or state, -E2BIG for more than @max.
 */
int tsm_se_list_parse(const char *list, struct tsm_se_entry *out, size_t max,
		      size_t *n);

/*
 * Open the database @path: a file (SQLite, made when missing) or a
 * PostgreSQL connection string (postgresql://... or "host=... dbname=...");
 * its tables made when missing.  0, or -errno with @err.
 */
int tsm_db_open(const char *path, struct tsm_db **db, char *err, size_t room);
void tsm_db_close(struct tsm_db *db);

/*
 * A backstage report of @device: its SE list recorded (SEs no longer
 * listed dropped), the rules run on what changed (a new SE, an SE
 * rejected), and the instructions to send now taken from its queue:
 * joined in @control ("" when none) and tagged with *@batch.  While an
 * instruction sent less than @lease seconds ago has no result (its
 * session is under way, in this TSM or another) nothing is sent; after
 * that, those sent without a result go again.  0 or -errno.
 */
int tsm_db_report(struct tsm_db *db, const char *device, const char *list,
		  long long lease, char *control, size_t control_room,
		  long long *batch, char *err, size_t room);

/*
 * The results of @batch for @device (X-Secel-Control-Result, in the
 * order sent) and its list afresh.  0 or -errno (-ENOENT: no such
 * batch).
 */
int tsm_db_results(struct tsm_db *db, const char *device, long long batch,
		   const char *results, const char *list, char *err,
		   size_t room);

/* The operator: queue @instruction ("delete VSE2") for @device. */
int tsm_db_queue(struct tsm_db *db, const char *device,
		 const char *instruction, char *err, size_t room);

/*
 * A rule: when an SE matching @kind and @name (globs, NULL for any)
 * appears (@event "new") or is reported rejected (@event "rejected"),
 * queue "@op SE" for its device; @op "install:SERVICE" (event new only)
 * makes the TSM install that service on the SE instead, once
 * (tsm_db_install_next).  0 or -errno.
 */
int tsm_db_rule_add(struct tsm_db *db, const char *event, const char *kind,
		    const char *name, const char *op, char *err, size_t room);

/*
 * The next install for @device: one a rule made pending on an SE the
 * device lists now, or one marked running more than @stale seconds ago
 * (its session died: the TSM was killed, or expired it); marked running
 * and counted.  0 with *@in, -ENOENT when there is none, or -errno.
 */
int tsm_db_install_next(struct tsm_db *db, const char *device,
			long long stale, struct tsm_db_install *in,
			char *err, size_t room);

/*
 * Attempt @tries of install @id came to @state ("ok", "failed", or
 * "pending" again when its session dropped), @result the reason.  0, or
 * -ESTALE when that attempt is no longer the row's (its session was
 * given up and another TSM or session took the install up), or -errno.
 */
int tsm_db_install_done(struct tsm_db *db, long long id, long long tries,
			const char *state, const char *result, char *err,
			size_t room);

/*
 * JSON for GET /devices: {"devices": [...], "rules": [...]}, each device
 * with its "ses", "queue" and "installs"; only device @only (its id)
 * when not 0, as one object.  0 with *@json malloc'd, -ENOENT (no such
 * device) or -errno.
 */
int tsm_db_json(struct tsm_db *db, long long only, char **json, size_t *len,
		char *err, size_t room);

/* Devices, their SEs, the queue and the rules, as text on @out. */
int tsm_db_show(struct tsm_db *db, FILE *out, char *err, size_t room);

#endif

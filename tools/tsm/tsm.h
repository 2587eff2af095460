/* SPDX-License-Identifier: GPL-2.0 */
/*
 * secel-tsm - the reference TSM of GlobalPlatform Amendment B (remote
 * application management over HTTP), Documentation/secel/tsm.rst.
 *
 * This is its logic without HTTP: a request (method, path, the Amendment
 * B headers, the body) goes in, a reply (status, headers, body) comes out,
 * so that the unit test and the fuzzer drive it without a socket.  main.c
 * puts libmicrohttpd around it.  Nothing here blocks: every session is a
 * state machine that moves one step per POST.
 *
 * A session, for one service and one SE:
 *   script 1  GET DATA CIN, CPLC, key information; INITIALIZE UPDATE
 *   script 2  EXTERNAL AUTHENTICATE; GET STATUS load files, applications
 *             (more scripts while the card answers 6310)
 *   script 3  INSTALL [for load], LOAD..., INSTALL [for install and make
 *             selectable], GET STATUS of the instance
 *   script 4  only after a failure once the load file is on the card:
 *             DELETE it and its related objects
 * The commands of a script are protected one after the other before it
 * goes out; the state of the SCP03 session after each one is kept with
 * it, so that each answer is unwrapped with the R-MAC chaining value and
 * counter of its own command, and a script the relay broke off leaves
 * the host where the card is.
 */
#ifndef SECEL_TSM_H
#define SECEL_TSM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../gp/gp.h"
#include "../ram/ram.h"
#include "db.h"

#define TSM_VERSION		"1.0"
#define TSM_NAME_MAX		32	/* a service name */
#define TSM_CIN_MAX		32	/* card image number bytes */
#define TSM_LINE_MAX		512	/* X-Secel-Result, reasons */
#define TSM_PARAMS_MAX		160	/* install parameters of a service */
#define TSM_SESSIONS_MAX	64	/* default --max-sessions */
#define TSM_PER_CIN_MAX		2	/* default --max-sessions-per-cin */
#define TSM_PER_PEER_MAX	8	/* default --max-sessions-per-peer */
#define TSM_PEER_MAX		64	/* a peer's address, as text */
#define TSM_TIMEOUT		120	/* default --session-timeout */
#define TSM_CARDS_MAX		4096	/* cards in the records */
#define TSM_KEYS_MAX		4096	/* lines of the key file */
#define TSM_SERVICES_MAX	32
#define TSM_STATUS_MAX		48	/* GET STATUS entries per kind */
#define TSM_PAGES_MAX		32	/* GET STATUS scripts per session */
#define TSM_BODY_MAX		RAM_SCRIPT_MAX	/* a request body */

#define TSM_SESSION_PREFIX	"/session/"
#define TSM_BACKSTAGE		"/backstage"	/* the SE list and control */
#define TSM_BACKSTAGE_RESULT	"/backstage/result"
#define TSM_SERVICE_PREFIX	"/ram/"

/* --fault: test knobs, each makes one thing go wrong on purpose */
#define TSM_FAULT_TAMPER_MAC	0x01	/* a MACed command of script 3 */
#define TSM_FAULT_BAD_SCRIPT	0x02	/* script 1 malformed (tag 81) */
#define TSM_FAULT_WRONG_CIN	0x04	/* expect another CIN than claimed */
#define TSM_FAULT_BAD_PARAMS	0x08	/* install parameters the card refuses */
#define TSM_FAULT_DROP_SESSION	0x10	/* forget the session after script 1 */
#define TSM_FAULT_SLOW_CONTROL	0x20	/* 3 s before sending instructions */

/* A catalogue entry: --service NAME:LOADFILE:INSTANCE[:PARAMS] */
struct tsm_service {
	char name[TSM_NAME_MAX + 1];
	uint8_t *lf;			/* the load file, malloc'd */
	size_t lf_len;
	struct gp_loadfile info;
	uint8_t app[GP_AID_MAX];	/* the instance AID */
	size_t app_len;
	uint8_t params[TSM_PARAMS_MAX];	/* the value of C9 */
	size_t params_len;
	bool purse;			/* secel.purse: a key of its own */
};

/* A line of the key file: a CIN (or any) and its ISD's key set */
struct tsm_keys {
	bool any;
	uint8_t cin[TSM_CIN_MAX];
	size_t cin_len;
	struct gp_keyset ks;
};

struct tsm_config {
	const struct tsm_service *services;
	size_t nservices;
	const struct tsm_keys *keys;
	size_t nkeys;
	uint8_t level;			/* SCP03 security level */
	size_t block;			/* LOAD block size, 0: the largest */
	unsigned int session_timeout;	/* seconds */
	unsigned int max_sessions;
	/*
	 * Sessions of one CIN, of one peer address: at the bound, a new one
	 * takes the place of the oldest whose card has not proved its keys
	 * yet (else 503).  0: the defaults.
	 */
	unsigned int max_per_cin, max_per_peer;
	unsigned int faults;		/* TSM_FAULT_* */
	const char *records;		/* directory, NULL: in memory only */
	/* GET /cards wants "Authorization: Bearer <this>"; NULL: no /cards */
	const char *cards_token;
	/*
	 * X-Secel-Control for every device that begins a backstage session
	 * (--control, tsm.rst "The backstage"); NULL: inquiry only.
	 */
	const char *control;
	/* the backstage database (db.h), NULL: none; the caller's */
	struct tsm_db *db;
	/* notes (-v, expired sessions), one line without the program's name; or NULL */
	void (*note)(const char *line);
	/* for the tests and the fuzzer; NULL: the clock and OpenSSL */
	long long (*now)(void *priv);	/* seconds, monotonic */
	int (*random)(void *priv, uint8_t *buf, size_t len);	/* 0 or -1 */
	void *priv;
};

struct tsm_request {
	const char *method;		/* "POST", "GET", ... */
	const char *path;
	const char *protocol;		/* X-Admin-Protocol; NULL: absent */
	const char *from;		/* X-Admin-From */
	const char *se_info;		/* X-Secel-SE-Info */
	const char *se_list;		/* X-Secel-SE-List */
	const char *control_result;	/* X-Secel-Control-Result */
	/* the device as TLS authenticated it ("sha256:HEX"), NULL: none */
	const char *device;
	const char *status;		/* X-Admin-Script-Status */
	bool resume;			/* X-Admin-Resume: true */
	const char *peer;		/* the client's address, NULL: unknown */
	const char *authorization;	/* Authorization */
	const char *content_type;
	const uint8_t *body;
	size_t len;
};

struct tsm_reply {
	unsigned int code;		/* 200, 204, 400, 403, 404, ... */
	const char *content_type;	/* NULL: no body */
	uint8_t *body;			/* malloc'd */
	size_t len;
	char next_uri[64];		/* "" when none */
	char result[TSM_LINE_MAX];	/* X-Secel-Result, "" when none */
	char control[TSM_LINE_MAX];	/* X-Secel-Control, "" when none */
	char target_se[32];		/* X-Secel-Targeted-SE, "" when none */
	char log[TSM_LINE_MAX];		/* what happened, for -v */
};

struct tsm;

/* 0 with *@out, or -errno with a one-line reason in @err. */
int tsm_new(const struct tsm_config *cfg, struct tsm **out, char *err,
	    size_t room);
void tsm_free(struct tsm *t);
/* Never fails: a reply of some kind always comes back. */
void tsm_handle(struct tsm *t, const struct tsm_request *rq,
		struct tsm_reply *r);
void tsm_reply_free(struct tsm_reply *r);
/* Drop the sessions idle longer than the timeout (recorded as abandoned). */
void tsm_expire(struct tsm *t);
/* Sessions going on (not those kept ended for X-Admin-Resume). */
size_t tsm_nsessions(const struct tsm *t);

/* conf.c: the options' formats; 0, or -errno with a reason in @err */
int tsm_read_keys(const char *path, struct tsm_keys **keys, size_t *n,
		  char *err, size_t room);
int tsm_parse_keyset(const char *spec, struct gp_keyset *ks, char *err,
		     size_t room);
int tsm_parse_service(const char *spec, struct tsm_service *svc, char *err,
		      size_t room);
void tsm_service_free(struct tsm_service *svc);
int tsm_parse_fault(const char *name, unsigned int *faults);
const char *tsm_fault_names(void);
/* X-Admin-From: "//se-id/cin/HEX;//aa-id/aid/RID/PIX"; @sd_len 0 when
 * the security domain part is absent; -ENOENT for "//se-id/name/..." */
int tsm_parse_from(const char *from, uint8_t *cin, size_t *cin_len,
		   uint8_t *sd, size_t *sd_len);
/* X-Secel-SE-Info: "name=..;channel=N;...;extended=1"; -EINVAL when
 * malformed.  *@extended: the SE carries extended-length APDUs. */
int tsm_parse_se_info(const char *info, unsigned int *channel, char *name,
		      size_t name_room, bool *extended);
/*
 * The LOAD block size for a session: the largest command data the secure
 * channel at @level leaves room for in one APDU, extended-length when the
 * SE carries them (@extended) and the card's 9F65 (@max_data) is above
 * 255, at most @cap when that is not 0 (--block).
 */
size_t tsm_load_block(uint8_t level, size_t cap, bool extended,
		      size_t max_data);
/*
 * X-Secel-SE-List ("name=eSE1;index=0;...;state=listed;designated=1,
 * name=...") as "eSE1 listed designated, SIM1 reported" in @out; "none"
 * for an empty list.  0, or -EINVAL when an entry has no name or state.
 */
int tsm_se_list_summary(const char *list, char *out, size_t room);
/* LOAD blocks for @lf_len bytes of load file (C4 and its length too). */
size_t tsm_load_blocks(size_t lf_len, size_t block);

#endif /* SECEL_TSM_H */

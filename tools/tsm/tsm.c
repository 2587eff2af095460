// SPDX-License-Identifier: GPL-2.0
/*
 * secel-tsm - the sessions: requests in, command scripts out, the answers
 * checked command by command (Documentation/secel/tsm.rst, "What the
 * reference TSM does").
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "records.h"
#include "tsm.h"

#define ID_BYTES	16

enum phase {
	PH_INFO,	/* script 1: GET DATA, INITIALIZE UPDATE */
	PH_STATUS,	/* script 2 and its pages: EXTERNAL AUTHENTICATE, GET STATUS */
	PH_INSTALL,	/* script 3 */
	PH_CLEANUP,	/* script 4: DELETE after a failure */
};

enum kind {
	K_CIN, K_CPLC, K_KEYINFO, K_IU,
	K_EXTAUTH, K_STATUS_LF, K_STATUS_APPS,
	K_DELETE_STALE, K_INSTALL_LOAD, K_LOAD, K_INSTALL, K_CHECK,
	K_DELETE,
	K_SELECT,	/* script 1: the security domain's FCI (9F65) */
};

/* One command of the script out, and the session as it left the host. */
struct cmd {
	uint8_t kind;
	bool wrapped;		/* its answer is unwrapped */
	bool last;		/* the last LOAD block */
	uint16_t arg;		/* LOAD block number, GET STATUS P2 */
	uint8_t mcv[SCP03_BLOCK];
	uint8_t rmcv[SCP03_BLOCK];
	uint32_t enc_ctr;
};

struct status_list {
	struct gp_status e[TSM_STATUS_MAX];
	size_t n;
	bool done;
	bool resumable;		/* 6310 to the last command run: P2 03 goes on */
};

struct session {
	struct session *next;
	char id[2 * ID_BYTES + 1];
	const struct tsm_service *svc;
	const struct tsm_keys *keys;
	struct rec_card *card;		/* NULL: not recorded */
	uint8_t cin[TSM_CIN_MAX];
	size_t cin_len;
	char cin_hex[2 * TSM_CIN_MAX + 1];
	uint8_t sd[GP_AID_MAX];
	size_t sd_len;
	unsigned int channel;
	bool extended;			/* the SE carries extended-length APDUs */
	bool asked_fci;			/* script 1 has SELECTed the SD */
	size_t max_data;		/* the card's 9F65; 0: not known */
	char se_name[REC_SE_NAME_MAX + 1];
	enum phase phase;
	char peer[TSM_PEER_MAX];
	bool verified;			/* the card cryptogram verified */
	bool authed;			/* EXTERNAL AUTHENTICATE answered 9000 */
	bool ended;			/* kept only to answer a resume */
	/* the last request answered and the answer, for X-Admin-Resume */
	bool has_last;
	uint8_t *last_req;
	size_t last_req_len;
	char last_status[48];
	struct tsm_reply last_reply;
	unsigned int script_no;
	unsigned int info_next;		/* script 1: the next item to ask */
	uint8_t host_chal[SCP03_CHALLENGE];
	struct scp03 scp;
	bool up;			/* authenticated, in step with the card */
	struct cmd *cmds;		/* the script out */
	size_t ncmds;
	long long last;			/* when it last moved */
	unsigned int pages;
	bool has_status;
	struct status_list lfs, apps;
	uint8_t cplc[64];
	size_t cplc_len;
	bool reuse_lf;			/* the load file is there, with others */
	bool stale_lf;			/* the load file is there, alone */
	bool loaded;			/* this session's load file is on the card */
	bool installed;			/* and the instance */
	uint8_t params[TSM_PARAMS_MAX + 32];
	size_t params_len;
	uint8_t key[16];		/* the purse's */
	char why[TSM_LINE_MAX];		/* what failed */
	char cause[TSM_LINE_MAX];	/* the failure a cleanup follows */
	/*
	 * An install a rule asked for (0: none), on another SE of the
	 * device than the relay's own: every script goes with
	 * X-Secel-Targeted-SE, and X-Admin-From names the relay's SE
	 */
	long long install;
	long long install_try;		/* its attempt (installs.tries) */
	char target_se[32];
};

struct tsm {
	struct tsm_config cfg;
	struct records rec;
	struct session *sessions;
	size_t nsessions;		/* in the list, */
	size_t nended;			/* of which ended */
	bool full_noted;
	uint8_t rsp[RAM_APDU_MAX + 32];
	struct ram_response resp;
};

/* A script being built. */
struct script {
	struct ram_buf b;
	struct cmd *cmds;
	size_t n, room;
	int err;
};

static long long tsm_now(const struct tsm *t)
{
	struct timespec ts;

	if (t->cfg.now)
		return t->cfg.now(t->cfg.priv);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static int tsm_random(const struct tsm *t, uint8_t *buf, size_t len)
{
	if (t->cfg.random)
		return t->cfg.random(t->cfg.priv, buf, len);
	return RAND_bytes(buf, len) == 1 ? 0 : -1;
}

static void note(const struct tsm *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void note(const struct tsm *t, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (!t->cfg.note)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	t->cfg.note(line);
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	ram_hex(p, n, out);
}

static bool level_ok(uint8_t level)
{
	return level == 0x01 || level == 0x03 || level == 0x11 ||
	       level == 0x13 || level == 0x33;
}

size_t tsm_load_block(uint8_t level, size_t cap, bool extended,
		      size_t max_data)
{
	size_t room = scp03_data_room(level);

	if (extended && max_data > 255)
		room = scp03_data_room_field(level, max_data);
	return cap && cap < room ? cap : room;
}

size_t tsm_load_blocks(size_t n, size_t block)
{
	/* C4, its length octets and the load file */
	n += 1 + (n < 0x80 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : 4);
	return (n + block - 1) / block;
}

int tsm_new(const struct tsm_config *cfg, struct tsm **out, char *err,
	    size_t room)
{
	const struct tsm_service *svc;
	size_t i, j, want, block;
	struct tsm *t;
	int ret;

	*out = NULL;
	if (!level_ok(cfg->level)) {
		snprintf(err, room, "security level %02X is not one of 01 03 11 13 33",
			 cfg->level);
		return -EINVAL;
	}
	if (cfg->block && cfg->block > scp03_data_room(cfg->level)) {
		snprintf(err, room, "LOAD blocks of %zu bytes: at most %zu fit an APDU at security level %02X",
			 cfg->block, scp03_data_room(cfg->level), cfg->level);
		return -EINVAL;
	}
	if (cfg->block && cfg->block < 16) {
		snprintf(err, room, "LOAD blocks of %zu bytes: at least 16",
			 cfg->block);
		return -EINVAL;
	}
	if (!cfg->nservices || cfg->nservices > TSM_SERVICES_MAX) {
		snprintf(err, room, "%zu services: 1 to %d", cfg->nservices,
			 TSM_SERVICES_MAX);
		return -EINVAL;
	}
	if (!cfg->nkeys) {
		snprintf(err, room, "no card keys");
		return -EINVAL;
	}
	/* the largest blocks a card can take: the session checks its own */
	block = tsm_load_block(cfg->level, cfg->block, true, 65535);
	for (i = 0; i < cfg->nservices; i++) {
		svc = &cfg->services[i];
		for (j = 0; j < i; j++) {
			if (!strcmp(svc->name, cfg->services[j].name)) {
				snprintf(err, room, "service %s given twice",
					 svc->name);
				return -EINVAL;
			}
		}
		want = gp_install_data_len(svc->info.aid_len,
					   svc->info.module_len, svc->app_len,
					   svc->params_len +
					   (svc->purse ? 19 : 0));
		if (want > scp03_data_room(cfg->level)) {
			snprintf(err, room, "service %s: INSTALL [for install] of %zu data bytes does not fit an APDU at security level %02X (%zu)",
				 svc->name, want, cfg->level,
				 scp03_data_room(cfg->level));
			return -EINVAL;
		}
		if (tsm_load_blocks(svc->lf_len, block) > 256) {
			snprintf(err, room, "service %s: the load file needs more than 256 LOAD blocks of %zu bytes",
				 svc->name, block);
			return -EINVAL;
		}
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(err, room, "out of memory");
		return -ENOMEM;
	}
	t->cfg = *cfg;
	if (!t->cfg.max_sessions)
		t->cfg.max_sessions = TSM_SESSIONS_MAX;
	if (!t->cfg.session_timeout)
		t->cfg.session_timeout = TSM_TIMEOUT;
	if (!t->cfg.max_per_cin)
		t->cfg.max_per_cin = TSM_PER_CIN_MAX;
	if (!t->cfg.max_per_peer)
		t->cfg.max_per_peer = TSM_PER_PEER_MAX;
	ret = rec_load(&t->rec, cfg->records, err, room);
	if (ret) {
		free(t);
		return ret;
	}
	*out = t;
	return 0;
}

static void session_free(struct session *s)
{
	free(s->cmds);
	free(s->last_req);
	free(s->last_reply.body);
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
}

static void session_unlink(struct tsm *t, struct session *s)
{
	struct session **p;

	for (p = &t->sessions; *p; p = &(*p)->next) {
		if (*p == s) {
			*p = s->next;
			t->nsessions--;
			if (s->ended)
				t->nended--;
			break;
		}
	}
	session_free(s);
}

/*
 * The session is over: its keys go, its last answer stays until the
 * session timeout, for an agent that lost it and posts again with
 * X-Admin-Resume (at most max_sessions of them, the oldest go first).
 */
static void session_end(struct tsm *t, struct session *s)
{
	struct session *o, *oldest;

	OPENSSL_cleanse(&s->scp, sizeof(s->scp));
	OPENSSL_cleanse(s->key, sizeof(s->key));
	s->up = false;
	free(s->cmds);
	s->cmds = NULL;
	s->ncmds = 0;
	s->ended = true;
	t->nended++;
	while (t->nended > t->cfg.max_sessions) {
		oldest = NULL;
		for (o = t->sessions; o; o = o->next)
			if (o->ended && o != s &&
			    (!oldest || o->last < oldest->last))
				oldest = o;
		if (!oldest)
			break;
		session_unlink(t, oldest);
	}
}

void tsm_free(struct tsm *t)
{
	if (!t)
		return;
	while (t->sessions)
		session_unlink(t, t->sessions);
	rec_free(&t->rec);
	OPENSSL_cleanse(t, sizeof(*t));
	free(t);
}

size_t tsm_nsessions(const struct tsm *t)
{
	return t->nsessions - t->nended;
}

void tsm_reply_free(struct tsm_reply *r)
{
	free(r->body);
	r->body = NULL;
	r->len = 0;
}

static void reply_text(struct tsm_reply *r, unsigned int code,
		       const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* An HTTP error: a one-line text/plain reason. */
static void reply_text(struct tsm_reply *r, unsigned int code,
		       const char *fmt, ...)
{
	char line[TSM_LINE_MAX - 16];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	tsm_reply_free(r);
	r->code = code;
	r->content_type = "text/plain; charset=utf-8";
	r->next_uri[0] = '\0';
	r->result[0] = '\0';
	snprintf(r->log, sizeof(r->log), "%u %s", code, line);
	n = strlen(line);
	r->body = malloc(n + 1);
	if (!r->body) {
		r->content_type = NULL;
		return;
	}
	memcpy(r->body, line, n);
	r->body[n] = '\n';
	r->len = n + 1;
}

/* The card's record: what the session learned, and how it ended. */
static void record_end(struct tsm *t, struct session *s, const char *result,
		       char *why, size_t room)
{
	struct rec_card *c = s->card;
	size_t i, k;

	why[0] = '\0';
	/* a card that has not authenticated is no source of facts */
	if (!s->authed || !c) {
		note(t, "session %.8s for CIN %s%s, not recorded: %s", s->id,
		     s->cin_hex, s->authed ? "" : " (the card did not authenticate)",
		     result);
		return;
	}
	c->last = time(NULL);
	if (!c->first)
		c->first = c->last;
	c->sessions++;
	c->kvn = s->keys->ks.kvn;
	if (s->se_name[0])
		strcpy(c->se, s->se_name);
	if (s->cplc_len) {
		memcpy(c->cplc, s->cplc, s->cplc_len);
		c->cplc_len = s->cplc_len;
	}
	if (s->has_status && s->lfs.done && s->apps.done) {
		c->ncontent = 0;
		for (k = 0; k < 2; k++) {
			const struct status_list *l = k ? &s->apps : &s->lfs;

			for (i = 0; i < l->n && c->ncontent < REC_CONTENT_MAX;
			     i++) {
				struct rec_content *ct = &c->content[c->ncontent];

				if (l->e[i].aid_len < GP_AID_MIN)
					continue;
				ct->app = k;
				memcpy(ct->aid, l->e[i].aid, l->e[i].aid_len);
				ct->aid_len = l->e[i].aid_len;
				ct->lc = l->e[i].lifecycle;
				c->ncontent++;
			}
		}
	}
	rec_event(c, c->last, result);
	if (rec_save(&t->rec, c, why, room))
		note(t, "%s", why);
}

static void set_install(struct session *s, enum rec_state st)
{
	struct rec_install *in;

	if (!s->card)
		return;
	in = rec_install(s->card, s->svc->app, s->svc->app_len, true);
	if (!in)
		return;
	snprintf(in->service, sizeof(in->service), "%s", s->svc->name);
	memcpy(in->elf, s->svc->info.aid, s->svc->info.aid_len);
	in->elf_len = s->svc->info.aid_len;
	in->state = st;
	in->time = time(NULL);
	in->has_key = s->svc->purse && (st == REC_PENDING ||
					 st == REC_INSTALLED);
	if (in->has_key)
		memcpy(in->key, s->key, sizeof(in->key));
	else
		memset(in->key, 0, sizeof(in->key));
}

/* A rule's install came to @state: in the database, with @result. */
static void install_done(struct tsm *t, struct session *s, const char *state,
			 const char *result)
{
	char err[TSM_LINE_MAX];

	if (!s->install || !t->cfg.db)
		return;
	if (tsm_db_install_done(t->cfg.db, s->install, s->install_try,
				state, result, err, sizeof(err)))
		note(t, "install %lld: %s", s->install, err);
	else
		note(t, "install %lld (%s on SE %s): %s: %s", s->install,
		     s->svc->name, s->target_se, state, result);
	s->install = 0;
}

static void end_session(struct tsm *t, struct session *s,
			struct tsm_reply *r, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* 204 with X-Secel-Result; the outcome recorded, the session gone. */
static void end_session(struct tsm *t, struct session *s,
			struct tsm_reply *r, bool ok, const char *fmt, ...)
{
	char line[TSM_LINE_MAX - 16], why[TSM_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	tsm_reply_free(r);
	r->code = 204;
	r->content_type = NULL;
	r->next_uri[0] = '\0';
	snprintf(r->result, sizeof(r->result), "%s; %s", ok ? "ok" : "error",
		 line);
	record_end(t, s, r->result, why, sizeof(why));
	if (why[0] && strlen(r->result) + strlen(why) + 4 < sizeof(r->result))
		snprintf(r->result + strlen(r->result),
			 sizeof(r->result) - strlen(r->result), " (%s)", why);
	snprintf(r->log, sizeof(r->log), "session %.8s: 204 %.480s", s->id,
		 r->result);
	install_done(t, s, ok ? "ok" : "failed", r->result);
	session_end(t, s);
}

static void fail_http(struct tsm *t, struct session *s, struct tsm_reply *r,
		      unsigned int code, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* An HTTP error inside a session ends it too, and is recorded. */
static void fail_http(struct tsm *t, struct session *s, struct tsm_reply *r,
		      unsigned int code, const char *fmt, ...)
{
	char line[TSM_LINE_MAX], ev[TSM_LINE_MAX + 32], why[TSM_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (s->phase >= PH_INSTALL)
		set_install(s, REC_FAILED);
	snprintf(ev, sizeof(ev), "error; HTTP %u: %s", code, line);
	record_end(t, s, ev, why, sizeof(why));
	install_done(t, s, "failed", ev);
	reply_text(r, code, "%s", line);
	session_unlink(t, s);
}

/* Scripts */

static void sc_init(struct script *sc)
{
	memset(sc, 0, sizeof(*sc));
	sc->err = ram_script_begin(&sc->b, false);
}

static void sc_free(struct script *sc)
{
	ram_buf_free(&sc->b);
	free(sc->cmds);
	sc->cmds = NULL;
}

/* Append a command; protected under the session when @wrap. */
static void sc_add(struct session *s, struct script *sc, uint8_t kind,
		   uint16_t arg, const uint8_t *apdu, size_t len, bool wrap,
		   bool tamper)
{
	static uint8_t out[RAM_APDU_MAX + 64];	/* extended LOAD blocks */
	struct cmd *c;
	size_t n = len;

	if (sc->err)
		return;
	if (sc->n == sc->room) {
		size_t room = sc->room ? 2 * sc->room : 8;
		struct cmd *nc = realloc(sc->cmds, room * sizeof(*nc));

		if (!nc) {
			sc->err = -ENOMEM;
			return;
		}
		sc->cmds = nc;
		sc->room = room;
	}
	c = &sc->cmds[sc->n];
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->arg = arg;
	if (wrap) {
		sc->err = scp03_wrap(&s->scp, apdu, len, s->channel, out, &n);
		if (sc->err)
			return;
		c->wrapped = true;
		memcpy(c->mcv, s->scp.mcv, SCP03_BLOCK);
		memcpy(c->rmcv, s->scp.rmcv, SCP03_BLOCK);
		c->enc_ctr = s->scp.enc_ctr;
	} else {
		memcpy(out, apdu, len);
	}
	/* --fault tamper-mac: the first data byte, covered by the C-MAC */
	if (tamper && n > 5)
		out[5] ^= 0x01;
	sc->err = ram_script_add(&sc->b, out, n);
	if (!sc->err)
		sc->n++;
}

/* The script goes out: 200, the script, the Next-URI. */
static void sc_send(struct tsm *t, struct session *s, struct script *sc,
		    struct tsm_reply *r, const char *what)
{
	if (!sc->err)
		sc->err = ram_script_end(&sc->b);
	if (!sc->err && sc->b.len > RAM_SCRIPT_MAX)
		sc->err = -EMSGSIZE;
	if (sc->err) {
		int err = sc->err;

		sc_free(sc);
		s->up = false;
		end_session(t, s, r, false, "script %u (%s) cannot be built: %s",
			    s->script_no + 1, what, strerror(-err));
		return;
	}
	free(s->cmds);
	s->cmds = sc->cmds;
	s->ncmds = sc->n;
	sc->cmds = NULL;
	s->script_no++;
	s->last = tsm_now(t);
	tsm_reply_free(r);
	r->code = 200;
	r->content_type = RAM_CT_SCRIPT;
	r->body = sc->b.data;
	r->len = sc->b.len;
	sc->b.data = NULL;
	snprintf(r->next_uri, sizeof(r->next_uri), TSM_SESSION_PREFIX "%s",
		 s->id);
	snprintf(r->target_se, sizeof(r->target_se), "%s", s->target_se);
	r->result[0] = '\0';
	snprintf(r->log, sizeof(r->log), "session %.8s: 200 script %u, %s (%zu C-APDUs, %zu bytes)",
		 s->id, s->script_no, what, s->ncmds, r->len);
	sc_free(sc);
}

static const uint8_t info_apdu[3][5] = {
	{ 0x80, 0xca, 0x00, 0x45, 0x00 },	/* CIN */
	{ 0x80, 0xca, 0x9f, 0x7f, 0x00 },	/* CPLC */
	{ 0x80, 0xca, 0x00, 0xe0, 0x00 },	/* key information */
};

/* Script 1, from the item s->info_next on. */
static void script_info(struct tsm *t, struct session *s,
			struct tsm_reply *r)
{
	uint8_t iu[14] = { 0x80, 0x50, s->keys->ks.kvn, 0x00, 0x08 };
	static const uint8_t junk[3] = { 0x81, 0x01, 0x00 };
	struct script sc;
	unsigned int k;

	if (tsm_random(t, s->host_chal, sizeof(s->host_chal))) {
		end_session(t, s, r, false, "no random host challenge");
		return;
	}
	memcpy(iu + 5, s->host_chal, SCP03_CHALLENGE);
	iu[13] = 0x00;
	sc_init(&sc);
	/* an SE with extended-length APDUs: the SD's 9F65 says how long */
	if (s->extended && !s->asked_fci) {
		uint8_t sel[6 + GP_AID_MAX] = { 0x00, 0xa4, 0x04, 0x00 };

		sel[4] = s->sd_len;
		memcpy(sel + 5, s->sd, s->sd_len);
		sel[5 + s->sd_len] = 0x00;
		sc_add(s, &sc, K_SELECT, 0, sel, 6 + s->sd_len, false, false);
	}
	/* the CPLC is asked in script 2, once the card has authenticated */
	for (k = s->info_next; k < K_IU; k++)
		if (k != K_CPLC)
			sc_add(s, &sc, k, 0, info_apdu[k], 5, false, false);
	sc_add(s, &sc, K_IU, 0, iu, sizeof(iu), false, false);
	/* --fault bad-script: a tag TS 102 226 has, the relay does not take */
	if (!sc.err && (t->cfg.faults & TSM_FAULT_BAD_SCRIPT))
		sc.err = ram_buf_put(&sc.b, junk, sizeof(junk));
	sc_send(t, s, &sc, r, "card information and INITIALIZE UPDATE");
}

/* GET STATUS @p1 of the AIDs beginning with @prefix (all: none) */
static size_t status_apdu(uint8_t p1, uint8_t p2, const uint8_t *prefix,
			  size_t len, uint8_t *out)
{
	size_t n;

	out[0] = 0x80;
	out[1] = 0xf2;
	out[2] = p1;
	out[3] = p2;
	out[4] = 2 + len;
	n = 5 + gp_tlv_put(out + 5, 0x4f, prefix, len);
	out[n++] = 0x00;
	return n;
}

/* Script 2 (with EXTERNAL AUTHENTICATE) or the next GET STATUS page. */
static void script_status(struct tsm *t, struct session *s,
			  struct tsm_reply *r, bool first)
{
	uint8_t apdu[32];
	struct status_list *l;
	struct script sc;
	size_t n;
	uint8_t p2;
	int ret;

	sc_init(&sc);
	if (first) {
		ret = scp03_ext_auth(&s->scp, t->cfg.level, s->channel, apdu,
				     &n);
		if (ret) {
			sc_free(&sc);
			end_session(t, s, r, false, "EXTERNAL AUTHENTICATE at level %02X on channel %u cannot be built",
				    t->cfg.level, s->channel);
			return;
		}
		sc_add(s, &sc, K_EXTAUTH, 0, apdu, n, false, false);
		sc_add(s, &sc, K_CPLC, 0, info_apdu[K_CPLC], 5, true, false);
		n = status_apdu(GP_STATUS_APPS, 0x02, NULL, 0, apdu);
		sc_add(s, &sc, K_STATUS_APPS, 0x02, apdu, n, true, false);
		n = status_apdu(GP_STATUS_LOADFILES, 0x02, s->svc->info.aid,
				s->svc->info.aid_len, apdu);
		sc_add(s, &sc, K_STATUS_LF, 0x02, apdu, n, true, false);
		sc_send(t, s, &sc, r, "EXTERNAL AUTHENTICATE and GET STATUS");
		return;
	}
	/* a page: go on where the card can, else start that kind again */
	if (!s->apps.done && (s->apps.resumable || !s->lfs.resumable ||
			      s->lfs.done))
		l = &s->apps;
	else
		l = &s->lfs;
	if (++s->pages > TSM_PAGES_MAX) {
		sc_free(&sc);
		end_session(t, s, r, false, "GET STATUS: the card keeps answering 6310 (%u scripts)",
			    TSM_PAGES_MAX);
		return;
	}
	p2 = l->resumable ? 0x03 : 0x02;
	if (p2 == 0x02)
		l->n = 0;
	s->lfs.resumable = s->apps.resumable = false;
	if (l == &s->lfs)
		n = status_apdu(GP_STATUS_LOADFILES, p2, s->svc->info.aid,
				s->svc->info.aid_len, apdu);
	else
		n = status_apdu(GP_STATUS_APPS, p2, NULL, 0, apdu);
	sc_add(s, &sc, l == &s->lfs ? K_STATUS_LF : K_STATUS_APPS, p2, apdu,
	       n, true, false);
	sc_send(t, s, &sc, r, "GET STATUS");
}

static void make_params(struct tsm *t, struct session *s)
{
	const struct tsm_service *svc = s->svc;
	static const uint8_t bad[] = { 0xdf, 0x7f, 0x01, 0x00 };

	memcpy(s->params, svc->params, svc->params_len);
	s->params_len = svc->params_len;
	if (svc->purse) {
		s->params_len += gp_tlv_put(s->params + s->params_len, 0xdf10,
					    s->key, sizeof(s->key));
	}
	/* --fault bad-params: a parameter no application type takes */
	if (t->cfg.faults & TSM_FAULT_BAD_PARAMS) {
		memcpy(s->params, bad, sizeof(bad));
		s->params_len = sizeof(bad);
	}
}

/* Script 3: the load file, the instance, and a look at it. */
static void script_install(struct tsm *t, struct session *s,
			   struct tsm_reply *r)
{
	static uint8_t blob[GP_LF_MAX + 8], apdu[RAM_APDU_MAX + 8];
	const struct tsm_service *svc = s->svc;
	bool tamper = t->cfg.faults & TSM_FAULT_TAMPER_MAC, ext;
	char why[TSM_LINE_MAX], elf[2 * GP_AID_MAX + 1];
	size_t n, off, take, len, blocks, block;
	struct script sc;
	unsigned int nr;
	int ret;

	/*
	 * The blocks this card and SE take: extended-length ones when the
	 * SE carries them and the card's 9F65 is above 255.  A load file
	 * that needs more than 256 is refused before anything is sent.
	 */
	block = tsm_load_block(t->cfg.level, t->cfg.block, s->extended,
			       s->max_data);
	ext = block > scp03_data_room(t->cfg.level);
	blocks = tsm_load_blocks(svc->lf_len, block);
	if (!s->reuse_lf && blocks > 256) {
		hex(svc->info.aid, svc->info.aid_len, elf);
		end_session(t, s, r, false, "load file %s of %zu bytes needs %zu LOAD blocks of %zu bytes, at most 256 go (%s); nothing sent",
			    elf, svc->lf_len, blocks, block,
			    !s->extended ? "the SE does not carry extended-length APDUs" :
			    s->max_data > 255 ? "the card's 9F65 limits the block" :
			    "the card's FCI offers no extended-length APDUs (9F65)");
		return;
	}

	if (svc->purse && tsm_random(t, s->key, sizeof(s->key))) {
		end_session(t, s, r, false, "no random purse key");
		return;
	}
	make_params(t, s);
	s->phase = PH_INSTALL;
	sc_init(&sc);
	if (s->stale_lf) {
		ret = gp_apdu_delete(svc->info.aid, svc->info.aid_len, false,
				     apdu, &n);
		if (!ret)
			sc_add(s, &sc, K_DELETE_STALE, 0, apdu, n, true, false);
	}
	if (!s->reuse_lf) {
		ret = gp_apdu_install_load(svc->lf, svc->lf_len, apdu, &n);
		if (ret && !sc.err)
			sc.err = ret;
		sc_add(s, &sc, K_INSTALL_LOAD, 0, apdu, n, true, tamper);
		tamper = false;
		len = gp_tlv_put(blob, 0xc4, svc->lf, svc->lf_len);
		for (off = 0, nr = 0; off < len; off += take, nr++) {
			take = len - off < block ? len - off : block;
			n = gp_apdu_load(nr, off + take == len, blob + off,
					 take, ext, apdu);
			sc_add(s, &sc, K_LOAD, nr, apdu, n, true, false);
			if (sc.n && off + take == len)
				sc.cmds[sc.n - 1].last = true;
		}
	}
	ret = gp_apdu_install(svc->info.aid, svc->info.aid_len,
			      svc->info.module, svc->info.module_len,
			      svc->app, svc->app_len, s->params, s->params_len,
			      apdu, &n);
	if (ret && !sc.err)
		sc.err = ret;
	sc_add(s, &sc, K_INSTALL, 0, apdu, n, true, tamper);
	apdu[0] = 0x80;
	apdu[1] = 0xf2;
	apdu[2] = GP_STATUS_APPS;
	apdu[3] = 0x02;
	apdu[4] = 2 + svc->app_len;
	n = 5 + gp_tlv_put(apdu + 5, 0x4f, svc->app, svc->app_len);
	apdu[n++] = 0x00;
	sc_add(s, &sc, K_CHECK, 0x02, apdu, n, true, false);
	if (sc.err) {
		sc_send(t, s, &sc, r, "install");
		return;
	}
	/* the purse key is on disk before it is on its way */
	set_install(s, REC_PENDING);
	if (s->card && rec_save(&t->rec, s->card, why, sizeof(why))) {
		sc_free(&sc);
		set_install(s, REC_FAILED);
		s->phase = PH_STATUS;
		end_session(t, s, r, false, "%s: nothing installed", why);
		return;
	}
	sc_send(t, s, &sc, r, s->reuse_lf ? "INSTALL from the load file there" :
		"INSTALL [for load], LOAD, INSTALL [for install]");
}

/* Script 4: what this session put on the card goes again. */
static void script_cleanup(struct tsm *t, struct session *s,
			   struct tsm_reply *r)
{
	const struct tsm_service *svc = s->svc;
	uint8_t apdu[GP_APDU_MAX];
	struct script sc;
	size_t n;
	int ret;

	s->phase = PH_CLEANUP;
	memcpy(s->cause, s->why, sizeof(s->cause));
	sc_init(&sc);
	if (s->loaded)
		ret = gp_apdu_delete(svc->info.aid, svc->info.aid_len, true,
				     apdu, &n);
	else
		ret = gp_apdu_delete(svc->app, svc->app_len, false, apdu, &n);
	if (ret && !sc.err)
		sc.err = ret;
	sc_add(s, &sc, K_DELETE, 0, apdu, n, true, false);
	sc_send(t, s, &sc, r, "DELETE after the failure");
}

/* Answers */

static const char *kind_name(const struct cmd *c, char *buf, size_t room)
{
	static const char *const names[] = {
		[K_CIN] = "GET DATA 0045 (CIN)",
		[K_CPLC] = "GET DATA 9F7F (CPLC)",
		[K_KEYINFO] = "GET DATA 00E0 (key information)",
		[K_IU] = "INITIALIZE UPDATE",
		[K_EXTAUTH] = "EXTERNAL AUTHENTICATE",
		[K_STATUS_LF] = "GET STATUS 20 (load files)",
		[K_STATUS_APPS] = "GET STATUS 40 (applications)",
		[K_DELETE_STALE] = "DELETE of the load file left there",
		[K_INSTALL_LOAD] = "INSTALL [for load]",
		[K_LOAD] = "LOAD",
		[K_INSTALL] = "INSTALL [for install and make selectable]",
		[K_CHECK] = "GET STATUS of the instance",
		[K_DELETE] = "DELETE",
		[K_SELECT] = "SELECT of the security domain",
	};

	if (c->kind == K_LOAD)
		snprintf(buf, room, "LOAD block %u", c->arg);
	else
		snprintf(buf, room, "%s", c->kind < sizeof(names) /
			 sizeof(names[0]) && names[c->kind] ?
			 names[c->kind] : "?");
	return buf;
}

static bool sw_goes_on(uint16_t sw)
{
	return sw == 0x9000 || (sw >> 8) == 0x62 || (sw >> 8) == 0x63;
}

/* Answer handlers: 0 on, -1 failed (s->why says why). */
static int failed(struct session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int failed(struct session *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
	return -1;
}

static int refused(struct session *s, const char *what, uint16_t sw)
{
	return failed(s, "%s: card answered %04X (%s)", what, sw,
		      gp_sw_str(sw));
}

static int on_info(struct tsm *t, struct session *s, const struct cmd *c,
		   const uint8_t *data, size_t len, uint16_t sw)
{
	char what[48], a[2 * TSM_CIN_MAX + 1], b[2 * TSM_CIN_MAX + 1];
	uint8_t want[TSM_CIN_MAX];
	struct gp_tlv tlv;
	size_t off = 0;
	bool kvn_seen = false;
	unsigned int klen = 0;
	int ret;

	kind_name(c, what, sizeof(what));
	if (c->kind == K_SELECT) {
		/* 9F65 or short blocks: the card's own SELECT is not fatal */
		s->asked_fci = true;
		if (sw == 0x9000)
			s->max_data = gp_fci_max_data(data, len);
		return 0;
	}
	s->info_next = c->kind + 1;
	switch (c->kind) {
	case K_CIN:
		if (sw != 0x9000)
			return refused(s, what, sw);
		if (gp_tlv_next(data, len, &off, &tlv) != 1 || tlv.tag != 0x45 ||
		    !tlv.len || tlv.len > TSM_CIN_MAX)
			return failed(s, "%s: malformed answer", what);
		memcpy(want, s->cin, s->cin_len);
		/* --fault wrong-cin: as if X-Admin-From had claimed another */
		if (t->cfg.faults & TSM_FAULT_WRONG_CIN)
			want[s->cin_len - 1] ^= 0x01;
		if (tlv.len != s->cin_len || memcmp(tlv.val, want, tlv.len)) {
			hex(tlv.val, tlv.len, a);
			hex(want, s->cin_len, b);
			return failed(s, "the card's CIN %s is not %s, which X-Admin-From claimed",
				      a, b);
		}
		return 0;
	case K_CPLC:
		/* optional: without it, the rest is asked again */
		if (sw == 0x9000 && gp_tlv_next(data, len, &off, &tlv) == 1 &&
		    tlv.tag == 0x9f7f && tlv.len <= sizeof(s->cplc)) {
			memcpy(s->cplc, tlv.val, tlv.len);
			s->cplc_len = tlv.len;
		}
		return 0;
	case K_KEYINFO:
		if (sw != 0x9000)
			return 0;	/* optional too */
		if (gp_tlv_next(data, len, &off, &tlv) != 1 || tlv.tag != 0xe0)
			return failed(s, "%s: malformed answer", what);
		data = tlv.val;
		len = tlv.len;
		off = 0;
		while ((ret = gp_tlv_next(data, len, &off, &tlv)) > 0) {
			if (tlv.tag != 0xc0 || tlv.len < 4 ||
			    tlv.val[1] != s->keys->ks.kvn)
				continue;
			kvn_seen = true;
			if (tlv.val[2] == 0x88)
				klen = tlv.val[3];
		}
		if (ret < 0)
			return failed(s, "%s: malformed answer", what);
		if (!kvn_seen)
			return failed(s, "the card has no key version %02X, which the TSM holds for CIN %s",
				      s->keys->ks.kvn, s->cin_hex);
		if (klen && klen != s->keys->ks.len)
			return failed(s, "key version %02X is AES-%u on the card, AES-%zu in the TSM's keys for CIN %s",
				      s->keys->ks.kvn, klen * 8,
				      s->keys->ks.len * 8, s->cin_hex);
		return 0;
	case K_IU:
		if (sw == 0x6a88)
			return failed(s, "INITIALIZE UPDATE: the card has no key version %02X",
				      s->keys->ks.kvn);
		if (sw != 0x9000)
			return refused(s, what, sw);
		ret = scp03_host_begin(&s->scp, &s->keys->ks, s->host_chal,
				       data, len, s->sd, s->sd_len);
		switch (ret) {
		case 0:
			s->verified = true;
			return 0;
		case -EBADMSG:
			return failed(s, "card cryptogram does not verify (wrong keys for CIN %s?)",
				      s->cin_hex);
		case -EACCES:
			return failed(s, "card challenge does not verify for CIN %s (wrong ENC key, another security domain, or an old answer replayed)",
				      s->cin_hex);
		case -EKEYREJECTED:
			return failed(s, "INITIALIZE UPDATE: the card answered with key version %02X, not %02X",
				      len > 10 ? data[10] : 0, s->keys->ks.kvn);
		default:
			return failed(s, "INITIALIZE UPDATE: an answer of %zu bytes that is not SCP03",
				      len);
		}
	}
	return failed(s, "%s in script 1", what);
}

static int on_status(struct tsm *t, struct session *s, const struct cmd *c,
		     const uint8_t *data, size_t len, uint16_t sw, bool last)
{
	struct status_list *l = c->kind == K_STATUS_LF ? &s->lfs : &s->apps;
	struct gp_tlv tlv;
	size_t off = 0;
	char what[48];
	int ret;

	kind_name(c, what, sizeof(what));
	if (c->kind == K_CPLC) {
		/* optional; read under the secure channel session */
		if (sw == 0x9000 && gp_tlv_next(data, len, &off, &tlv) == 1 &&
		    tlv.tag == 0x9f7f && tlv.len <= sizeof(s->cplc)) {
			memcpy(s->cplc, tlv.val, tlv.len);
			s->cplc_len = tlv.len;
		}
		return 0;
	}
	if (c->kind == K_EXTAUTH) {
		if (sw == 0x9000) {
			s->up = true;
			/* mutual authentication: from now on the card's
			 * answers may go into the records */
			s->authed = true;
			s->card = rec_card(&t->rec, s->cin, s->cin_len, true);
			if (!s->card && !t->full_noted) {
				note(t, "records: %d cards, no more are recorded",
				     TSM_CARDS_MAX);
				t->full_noted = true;
			}
			return 0;
		}
		if (sw == 0x6300)
			return failed(s, "EXTERNAL AUTHENTICATE: the card refused the host cryptogram (6300)");
		if (sw == 0x6a86)
			return failed(s, "EXTERNAL AUTHENTICATE: the card does not offer security level %02X (6A86)",
				      s->scp.level);
		return refused(s, what, sw);
	}
	if (sw == 0x6a88 && c->arg == 0x02) {
		l->n = 0;
		l->done = true;		/* nothing of that kind */
		return 0;
	}
	if (sw != 0x9000 && sw != 0x6310)
		return refused(s, what, sw);
	ret = gp_status_parse(data, len, l->e, TSM_STATUS_MAX, &l->n);
	if (ret == -ENOSPC)
		return failed(s, "%s: more than %d entries", what,
			      TSM_STATUS_MAX);
	if (ret)
		return failed(s, "%s: malformed answer", what);
	l->done = sw == 0x9000;
	l->resumable = sw == 0x6310 && last;
	s->has_status = true;
	return 0;
}

static bool has_aid(const struct status_list *l, const uint8_t *aid,
		    size_t len, const struct gp_status **out)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (l->e[i].aid_len == len && !memcmp(l->e[i].aid, aid, len)) {
			if (out)
				*out = &l->e[i];
			return true;
		}
	}
	return false;
}

static int on_install(struct session *s, const struct cmd *c,
		      const uint8_t *data, size_t len, uint16_t sw)
{
	const struct tsm_service *svc = s->svc;
	struct status_list l;
	const struct gp_status *st;
	char what[48], aid[2 * GP_AID_MAX + 1];

	kind_name(c, what, sizeof(what));
	if (sw != 0x9000)
		return refused(s, what, sw);
	switch (c->kind) {
	case K_LOAD:
		if (c->last)
			s->loaded = true;
		return 0;
	case K_INSTALL:
		s->installed = true;
		return 0;
	case K_CHECK:
		l.n = 0;
		hex(svc->app, svc->app_len, aid);
		if (gp_status_parse(data, len, l.e, TSM_STATUS_MAX, &l.n))
			return failed(s, "%s: malformed answer", what);
		if (!has_aid(&l, svc->app, svc->app_len, &st))
			return failed(s, "%s is not on the card after INSTALL",
				      aid);
		if (st->lifecycle != GP_LC_SELECTABLE)
			return failed(s, "%s is %s after INSTALL, not SELECTABLE",
				      aid, gp_lc_str(true, st->lifecycle));
		/* what the records will have of the card */
		if (s->apps.n < TSM_STATUS_MAX)
			s->apps.e[s->apps.n++] = *st;
		if (s->loaded && s->lfs.n < TSM_STATUS_MAX) {
			struct gp_status *e = &s->lfs.e[s->lfs.n++];

			memset(e, 0, sizeof(*e));
			memcpy(e->aid, svc->info.aid, svc->info.aid_len);
			e->aid_len = svc->info.aid_len;
			e->lifecycle = GP_LC_LOADED;
		}
		return 0;
	default:
		return 0;	/* DELETE of the stale one, INSTALL [for load] */
	}
}

/* The service's instance is not there: what script 3 must do first. */
static void plan_install(struct session *s)
{
	const struct tsm_service *svc = s->svc;
	size_t i;

	s->reuse_lf = s->stale_lf = false;
	if (!has_aid(&s->lfs, svc->info.aid, svc->info.aid_len, NULL))
		return;
	for (i = 0; i < s->apps.n; i++) {
		if (s->apps.e[i].elf_len == svc->info.aid_len &&
		    !memcmp(s->apps.e[i].elf, svc->info.aid, svc->info.aid_len)) {
			s->reuse_lf = true;	/* others use it */
			return;
		}
	}
	s->stale_lf = true;	/* left by a session that failed */
}

/* A failure: clean up when this session put something there. */
static void failure(struct tsm *t, struct session *s, struct tsm_reply *r)
{
	char elf[2 * GP_AID_MAX + 1];

	if (s->phase == PH_INSTALL && s->up && (s->loaded || s->installed)) {
		script_cleanup(t, s, r);
		return;
	}
	if (s->phase >= PH_INSTALL)
		set_install(s, REC_FAILED);
	hex(s->svc->info.aid, s->svc->info.aid_len, elf);
	if (s->phase == PH_CLEANUP)
		end_session(t, s, r, false, "%s; the cleanup failed: %s",
			    s->cause, s->why);
	else if (s->phase == PH_INSTALL && s->loaded)
		end_session(t, s, r, false, "%s; the load file %s stays on the card (the secure channel session ended); the next session deletes it",
			    s->why, elf);
	else
		end_session(t, s, r, false, "%s", s->why);
}

static void next_step(struct tsm *t, struct session *s, struct tsm_reply *r)
{
	const struct tsm_service *svc = s->svc;
	char app[2 * GP_AID_MAX + 1], elf[2 * GP_AID_MAX + 1];

	hex(svc->app, svc->app_len, app);
	hex(svc->info.aid, svc->info.aid_len, elf);
	switch (s->phase) {
	case PH_INFO:
		if (s->info_next <= K_IU) {
			script_info(t, s, r);	/* without what failed */
			return;
		}
		s->phase = PH_STATUS;
		script_status(t, s, r, true);
		return;
	case PH_STATUS:
		if (!s->lfs.done || !s->apps.done) {
			script_status(t, s, r, false);
			return;
		}
		if (has_aid(&s->apps, svc->app, svc->app_len, NULL)) {
			end_session(t, s, r, true, "%s already on %s", app,
				    s->cin_hex);
			return;
		}
		plan_install(s);
		script_install(t, s, r);
		return;
	case PH_INSTALL:
		set_install(s, REC_INSTALLED);
		end_session(t, s, r, true, "installed %s on %s", app,
			    s->cin_hex);
		return;
	case PH_CLEANUP:
		set_install(s, REC_FAILED);
		end_session(t, s, r, false, "%s; %s deleted again", s->cause,
			    s->loaded ? elf : app);
		return;
	}
}

/* Put the session where it was right after command @c went out. */
static void restore(struct session *s, const struct cmd *c)
{
	memcpy(s->scp.mcv, c->mcv, SCP03_BLOCK);
	memcpy(s->scp.rmcv, c->rmcv, SCP03_BLOCK);
	s->scp.enc_ctr = c->enc_ctr;
}

static void session_down(struct session *s)
{
	OPENSSL_cleanse(&s->scp, sizeof(s->scp));
	s->up = false;
}

static bool media_type_is(const char *ct, const char *want)
{
	const char *semi = strchr(want, ';');
	size_t n = semi ? (size_t)(semi - want) : strlen(want);
	const char *p;

	if (!ct || strncasecmp(ct, want, n))
		return false;
	ct += n;
	while (*ct == ' ')
		ct++;
	if (!*ct)
		return true;
	if (*ct != ';')
		return false;
	p = strstr(ct, "version=");
	return !p || !strncmp(p + 8, "1.0", 3);
}

/* A response script to the script out. */
static void on_response(struct tsm *t, struct session *s,
			const struct tsm_request *rq, struct tsm_reply *r)
{
	struct ram_response *rs = &t->resp;
	struct ram_err err;
	char what[48];
	size_t i, n;
	uint16_t sw;
	int ret = 0;

	memset(&err, 0, sizeof(err));
	/* Amendment B: a status other than ok comes without a body */
	if (rq->status && strcmp(rq->status, RAM_ST_OK) && !rq->len) {
		session_down(s);
		snprintf(s->why, sizeof(s->why), "the agent ran none of script %u (%.64s)",
			 s->script_no, rq->status);
		failure(t, s, r);
		return;
	}
	if (!media_type_is(rq->content_type, RAM_CT_RESPONSE)) {
		fail_http(t, s, r, 400, "Content-Type '%s' is not %s",
			  rq->content_type ? rq->content_type : "", RAM_CT_RESPONSE);
		return;
	}
	ret = ram_response_parse(rq->body, rq->len, rs, &err);
	if (ret == -E2BIG || ret == -EMSGSIZE) {
		fail_http(t, s, r, 400, "bad response script: too long");
		return;
	}
	if (ret) {
		fail_http(t, s, r, 400, "bad response script: %s", err.why);
		return;
	}
	if (rs->bad_format) {
		session_down(s);
		snprintf(s->why, sizeof(s->why), "the relay could not parse script %u (bad format %02X)",
			 s->script_no, rs->bad_format_code);
		failure(t, s, r);
		return;
	}
	if (rs->has_count && rs->executed != rs->n) {
		fail_http(t, s, r, 400, "bad response script: %zu R-APDUs, %zu commands executed",
			  rs->n, rs->executed);
		return;
	}
	if (rs->n > s->ncmds) {
		fail_http(t, s, r, 400, "bad response script: %zu R-APDUs to a script of %zu C-APDUs",
			  rs->n, s->ncmds);
		return;
	}
	if (!rs->n) {
		if (rq->status && strcmp(rq->status, RAM_ST_OK)) {
			session_down(s);
			snprintf(s->why, sizeof(s->why), "the agent ran none of script %u (%.64s)",
				 s->script_no, rq->status);
			failure(t, s, r);
			return;
		}
		fail_http(t, s, r, 400, "bad response script: no R-APDUs");
		return;
	}
	for (i = 0; i < rs->n; i++) {
		n = rs->rapdu[i].len;
		if (n > sizeof(t->rsp) - 16) {
			fail_http(t, s, r, 400, "bad response script: R-APDU %zu of %zu bytes",
				  i + 1, n);
			return;
		}
		sw = (rs->rapdu[i].data[n - 2] << 8) | rs->rapdu[i].data[n - 1];
		if (i + 1 < rs->n && !sw_goes_on(sw)) {
			fail_http(t, s, r, 400, "bad response script: R-APDU %zu has %04X and yet more follow",
				  i + 1, sw);
			return;
		}
		if (i + 1 == rs->n && rs->n < s->ncmds && sw_goes_on(sw)) {
			fail_http(t, s, r, 400, "bad response script: %zu of %zu C-APDUs run, the last answered %04X",
				  rs->n, s->ncmds, sw);
			return;
		}
	}

	s->last = tsm_now(t);
	for (i = 0; i < rs->n && !ret; i++) {
		const struct cmd *c = &s->cmds[i];

		n = rs->rapdu[i].len;
		memcpy(t->rsp, rs->rapdu[i].data, n);
		if (c->wrapped) {
			if (!s->up) {
				ret = failed(s, "%s answered outside the secure channel session",
					     kind_name(c, what, sizeof(what)));
				break;
			}
			restore(s, c);
			if (scp03_unwrap(&s->scp, t->rsp, &n)) {
				session_down(s);
				ret = failed(s, "%s: the answer's R-MAC or encryption does not verify",
					     kind_name(c, what, sizeof(what)));
				break;
			}
		}
		sw = (t->rsp[n - 2] << 8) | t->rsp[n - 1];
		/* the card ends its session on 6982: so does the host */
		if (sw == 0x6982 && s->phase != PH_INFO)
			session_down(s);
		switch (s->phase) {
		case PH_INFO:
			ret = on_info(t, s, c, t->rsp, n - 2, sw);
			break;
		case PH_STATUS:
			ret = on_status(t, s, c, t->rsp, n - 2, sw,
					i + 1 == rs->n);
			break;
		case PH_INSTALL:
			ret = on_install(s, c, t->rsp, n - 2, sw);
			break;
		case PH_CLEANUP:
			if (sw != 0x9000) {
				hex(s->loaded ? s->svc->info.aid : s->svc->app,
				    s->loaded ? s->svc->info.aid_len :
				    s->svc->app_len, what);
				set_install(s, REC_FAILED);
				end_session(t, s, r, false, "%s; %s stays on the card (DELETE answered %04X)",
					    s->cause, what, sw);
				return;
			}
			break;
		}
	}
	if (ret) {
		failure(t, s, r);
		return;
	}
	next_step(t, s, r);
}

/* Requests */

static struct session *find_session(struct tsm *t, const char *id)
{
	struct session *s;

	if (strlen(id) != 2 * ID_BYTES)
		return NULL;
	for (s = t->sessions; s; s = s->next)
		if (!CRYPTO_memcmp(s->id, id, 2 * ID_BYTES))
			return s;
	return NULL;
}

static const struct tsm_keys *find_keys(const struct tsm *t,
					const uint8_t *cin, size_t len)
{
	const struct tsm_keys *any = NULL;
	size_t i;

	for (i = 0; i < t->cfg.nkeys; i++) {
		const struct tsm_keys *k = &t->cfg.keys[i];

		if (k->any)
			any = k;
		else if (k->cin_len == len && !memcmp(k->cin, cin, len))
			return k;
	}
	return any;
}

static const struct tsm_service *find_service(const struct tsm *t,
					      const char *name)
{
	size_t i;

	for (i = 0; i < t->cfg.nservices; i++)
		if (!strcmp(t->cfg.services[i].name, name))
			return &t->cfg.services[i];
	return NULL;
}

static void expire_one(struct tsm *t, struct session *s)
{
	char line[TSM_LINE_MAX], why[TSM_LINE_MAX];

	snprintf(line, sizeof(line), "error; session abandoned after script %u (no answer for %u s)",
		 s->script_no, t->cfg.session_timeout);
	if (s->phase >= PH_INSTALL)
		set_install(s, REC_ABANDONED);
	record_end(t, s, line, why, sizeof(why));
	note(t, "session %.8s for %s on %s: %s", s->id, s->svc->name,
	     s->cin_hex, line);
	/* the session dropped: the install goes in the device's next one */
	install_done(t, s, "pending", line);
	session_unlink(t, s);
}

void tsm_expire(struct tsm *t)
{
	long long now = tsm_now(t);
	struct session *s, *next;

	for (s = t->sessions; s; s = next) {
		next = s->next;
		if (now - s->last < (long long)t->cfg.session_timeout)
			continue;
		if (s->ended)
			session_unlink(t, s);
		else
			expire_one(t, s);
	}
}

/*
 * The oldest session of @cin (@peer NULL) or of @peer whose card has not
 * proved its keys yet: the one a new session may take the place of.
 */
static struct session *unproven(struct tsm *t, const uint8_t *cin,
				size_t cin_len, const char *peer,
				unsigned int *count)
{
	struct session *s, *oldest = NULL;

	*count = 0;
	for (s = t->sessions; s; s = s->next) {
		if (s->ended)
			continue;
		if (peer ? strcmp(s->peer, peer) :
		    s->cin_len != cin_len || memcmp(s->cin, cin, cin_len))
			continue;
		(*count)++;
		if (!s->verified && (!oldest || s->last <= oldest->last))
			oldest = s;
	}
	return oldest;
}

/*
 * Bounds per CIN and per peer: whoever knows a CIN, or holds a socket,
 * can open sessions without any key, so neither may hold more than a few;
 * at the bound the oldest session that has not got past script 1 gives
 * way (a card that answered with the right cryptogram keeps its session).
 * 0: room made; 1: a 503 in @r.
 */
static int make_room(struct tsm *t, const struct tsm_request *rq,
		     const uint8_t *cin, size_t cin_len, const char *cin_hex,
		     struct tsm_reply *r)
{
	const char *peer = rq->peer ? rq->peer : "";
	struct session *by_peer, *by_cin;
	unsigned int np, nc;

	/* both bounds looked at before either session goes */
	by_peer = unproven(t, NULL, 0, peer, &np);
	by_cin = unproven(t, cin, cin_len, NULL, &nc);
	if (np < t->cfg.max_per_peer)
		by_peer = NULL;
	else if (!by_peer) {
		reply_text(r, 503, "too many sessions (%u) from %.64s: try again later",
			   np, peer[0] ? peer : "this peer");
		return 1;
	}
	if (nc < t->cfg.max_per_cin)
		by_cin = NULL;
	else if (!by_cin) {
		reply_text(r, 503, "too many sessions (%u) for CIN %s: try again later",
			   nc, cin_hex);
		return 1;
	}
	if (by_peer) {
		note(t, "session %.8s on %s gives way to a new one from %s (%u sessions from there)",
		     by_peer->id, by_peer->cin_hex, peer, np);
		/* it may be the CIN's too: then one goes for both */
		if (by_cin == by_peer)
			by_cin = NULL;
		session_unlink(t, by_peer);
	}
	if (by_cin) {
		note(t, "session %.8s on %s gives way to a new one (%u sessions for the CIN)",
		     by_cin->id, by_cin->cin_hex, nc);
		session_unlink(t, by_cin);
	}
	return 0;
}

/* The first POST: a new session for the service @name. */
static struct session *session_new(struct tsm *t, const struct tsm_request *rq,
				   const struct tsm_service *svc,
				   const struct tsm_keys *keys,
				   const uint8_t *cin, size_t cin_len,
				   const uint8_t *sd, size_t sd_len,
				   unsigned int channel, bool extended,
				   const char *se_name, const char *target,
				   struct tsm_reply *r);

static void begin(struct tsm *t, const struct tsm_request *rq,
		  const char *name, struct tsm_reply *r)
{
	const struct tsm_service *svc = find_service(t, name);
	uint8_t cin[TSM_CIN_MAX], sd[GP_AID_MAX];
	char cin_hex[2 * TSM_CIN_MAX + 1], se_name[REC_SE_NAME_MAX + 1];
	const struct tsm_keys *keys;
	size_t cin_len, sd_len;
	unsigned int channel = 0;
	bool extended = false;
	int ret;

	if (!svc) {
		reply_text(r, 404, "no service '%.64s' here", name);
		return;
	}
	if (!rq->from) {
		reply_text(r, 400, "no " RAM_H_FROM);
		return;
	}
	ret = tsm_parse_from(rq->from, cin, &cin_len, sd, &sd_len);
	if (ret == -ENOENT) {
		reply_text(r, 403, "the SE has no CIN: the TSM holds keys by CIN only");
		return;
	}
	if (ret) {
		reply_text(r, 400, RAM_H_FROM " '%.128s' is not //se-id/cin/HEX;//aa-id/aid/RID/PIX",
			   rq->from);
		return;
	}
	hex(cin, cin_len, cin_hex);
	keys = find_keys(t, cin, cin_len);
	if (!keys) {
		reply_text(r, 403, "no keys for CIN %s", cin_hex);
		return;
	}
	if (rq->se_info && tsm_parse_se_info(rq->se_info, &channel, se_name,
					     sizeof(se_name), &extended)) {
		reply_text(r, 400, RAM_H_SE_INFO " '%.128s' is not key=value;...",
			   rq->se_info);
		return;
	}
	if (!rq->se_info)
		se_name[0] = '\0';
	if (rq->len) {
		reply_text(r, 400, "the first POST carries no body");
		return;
	}
	session_new(t, rq, svc, keys, cin, cin_len, sd, sd_len, channel,
		    extended, se_name, NULL, r);
}

/*
 * A session of @svc for the card @cin (its security domain @sd, none:
 * the ISD) on @channel, script 1 in @r; on the SE @target of the device
 * (X-Secel-Targeted-SE) unless NULL.  The session, or NULL when @r says
 * why not.
 */
static struct session *session_new(struct tsm *t, const struct tsm_request *rq,
				   const struct tsm_service *svc,
				   const struct tsm_keys *keys,
				   const uint8_t *cin, size_t cin_len,
				   const uint8_t *sd, size_t sd_len,
				   unsigned int channel, bool extended,
				   const char *se_name, const char *target,
				   struct tsm_reply *r)
{
	char cin_hex[2 * TSM_CIN_MAX + 1], sid[2 * ID_BYTES + 1];
	uint8_t id[ID_BYTES];
	struct session *s;

	hex(cin, cin_len, cin_hex);
	if (make_room(t, rq, cin, cin_len, cin_hex, r))
		return NULL;
	if (tsm_nsessions(t) >= t->cfg.max_sessions)
		tsm_expire(t);
	if (tsm_nsessions(t) >= t->cfg.max_sessions) {
		reply_text(r, 503, "too many sessions (%u): try again later",
			   t->cfg.max_sessions);
		return NULL;
	}
	if (tsm_random(t, id, sizeof(id))) {
		reply_text(r, 500, "no random session id");
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		reply_text(r, 500, "out of memory");
		return NULL;
	}
	hex(id, sizeof(id), s->id);
	s->svc = svc;
	s->keys = keys;
	memcpy(s->cin, cin, cin_len);
	s->cin_len = cin_len;
	strcpy(s->cin_hex, cin_hex);
	if (sd_len) {
		memcpy(s->sd, sd, sd_len);
		s->sd_len = sd_len;
	} else {
		memcpy(s->sd, GP_ISD_AID, GP_ISD_AID_LEN);
		s->sd_len = GP_ISD_AID_LEN;
	}
	s->channel = channel;
	s->extended = extended;
	snprintf(s->se_name, sizeof(s->se_name), "%s", se_name);
	if (target)
		snprintf(s->target_se, sizeof(s->target_se), "%s", target);
	snprintf(s->peer, sizeof(s->peer), "%s", rq->peer ? rq->peer : "");
	s->last = tsm_now(t);
	s->next = t->sessions;
	t->sessions = s;
	t->nsessions++;
	memcpy(sid, s->id, sizeof(sid));
	script_info(t, s, r);
	/* --fault drop-session: the answer to script 1 finds no session */
	if (r->code == 200 && (t->cfg.faults & TSM_FAULT_DROP_SESSION)) {
		char why[TSM_LINE_MAX];

		record_end(t, s, "error; session dropped after script 1 (--fault drop-session)",
			   why, sizeof(why));
		session_unlink(t, s);
		return NULL;
	}
	if (r->code != 200)
		return NULL;
	s = find_session(t, sid);
	return s && !s->ended ? s : NULL;
}

static void cards(struct tsm *t, struct tsm_reply *r)
{
	char *json;
	size_t len;

	json = rec_json(&t->rec, &len);
	if (!json) {
		reply_text(r, 500, "out of memory");
		return;
	}
	tsm_reply_free(r);
	r->code = 200;
	r->content_type = "application/json";
	r->body = (uint8_t *)json;
	r->len = len;
	snprintf(r->log, sizeof(r->log), "200 %zu cards", t->rec.n);
}

static bool bearer_ok(const struct tsm *t, const char *auth)
{
	size_t n = strlen(t->cfg.cards_token);

	if (!auth || strncasecmp(auth, "Bearer ", 7))
		return false;
	auth += 7;
	return strlen(auth) == n && !CRYPTO_memcmp(auth, t->cfg.cards_token, n);
}

/*
 * GET /devices, /devices/ID: the backstage database as JSON, for the
 * bearer of the --cards-token token (401 without Authorization, 403
 * with another token).
 */
static void devices(struct tsm *t, const struct tsm_request *rq,
		    const char *path, struct tsm_reply *r)
{
	const char *rest = path + strlen("/devices");
	char err[TSM_LINE_MAX / 2], *json, *end;
	long long id = 0;
	size_t len;
	int ret;

	if (!rq->method || (strcmp(rq->method, "GET") &&
			    strcmp(rq->method, "HEAD"))) {
		reply_text(r, 405, "GET /devices");
		return;
	}
	if (!rq->authorization) {
		reply_text(r, 401, "GET /devices wants Authorization: Bearer and the token of --cards-token");
		return;
	}
	if (!bearer_ok(t, rq->authorization)) {
		reply_text(r, 403, "GET /devices: not the token of --cards-token");
		return;
	}
	if (*rest) {
		errno = 0;
		id = strtoll(rest + 1, &end, 10);
		if (*rest != '/' || errno || *end || id <= 0) {
			reply_text(r, 404, "nothing at '%.64s': /devices/ID, ID a device's number",
				   path);
			return;
		}
	}
	ret = tsm_db_json(t->cfg.db, id, &json, &len, err, sizeof(err));
	if (ret) {
		reply_text(r, ret == -ENOENT ? 404 : 500, "%s", err);
		return;
	}
	tsm_reply_free(r);
	r->code = 200;
	r->content_type = "application/json";
	r->body = (uint8_t *)json;
	r->len = len;
	snprintf(r->log, sizeof(r->log), "200 %s, %zu bytes", path, len);
}

/* X-Admin-Resume: whether @rq is the request answered last. */
static bool same_request(const struct session *s,
			 const struct tsm_request *rq)
{
	const char *st = rq->status ? rq->status : "";

	return rq->len == s->last_req_len && !strcmp(st, s->last_status) &&
	       (!rq->len || !memcmp(rq->body, s->last_req, rq->len));
}

static void replay(struct session *s, struct tsm_reply *r)
{
	*r = s->last_reply;
	r->body = NULL;
	if (s->last_reply.len) {
		r->body = malloc(s->last_reply.len);
		if (!r->body) {
			reply_text(r, 500, "out of memory");
			return;
		}
		memcpy(r->body, s->last_reply.body, r->len);
	}
	snprintf(r->log, sizeof(r->log), "session %.8s: %u again (%s: true)",
		 s->id, r->code, RAM_H_RESUME);
}

/* The request and its answer, for a resume; nothing kept without memory. */
static void keep_last(struct session *s, const struct tsm_request *rq,
		      const struct tsm_reply *r)
{
	uint8_t *req = NULL, *body = NULL;

	s->has_last = false;
	if ((rq->len && !(req = malloc(rq->len))) ||
	    (r->len && !(body = malloc(r->len)))) {
		free(req);
		return;
	}
	if (rq->len)
		memcpy(req, rq->body, rq->len);
	if (r->len)
		memcpy(body, r->body, r->len);
	free(s->last_req);
	free(s->last_reply.body);
	s->last_req = req;
	s->last_req_len = rq->len;
	snprintf(s->last_status, sizeof(s->last_status), "%s",
		 rq->status ? rq->status : "");
	s->last_reply = *r;
	s->last_reply.body = body;
	s->has_last = true;
}

int tsm_se_list_summary(const char *list, char *out, size_t room)
{
	const char *p = list, *e, *f, *fe;
	size_t len = 0;
	int k;

	if (!room)
		return -EINVAL;
	out[0] = '\0';
	while (*p == ' ')
		p++;
	if (!*p) {
		snprintf(out, room, "none");
		return 0;
	}
	for (;;) {
		char name[32] = "", state[16] = "";
		bool designated = false;

		e = strstr(p, ", ");
		if (!e)
			e = p + strlen(p);
		for (f = p; f < e; f = fe + 1) {
			size_t n;

			fe = memchr(f, ';', e - f);
			if (!fe)
				fe = e;
			n = fe - f;
			if (n > 5 && !strncmp(f, "name=", 5) && n - 5 < sizeof(name))
				snprintf(name, sizeof(name), "%.*s", (int)(n - 5), f + 5);
			else if (n > 6 && !strncmp(f, "state=", 6) &&
				 n - 6 < sizeof(state))
				snprintf(state, sizeof(state), "%.*s", (int)(n - 6), f + 6);
			else if (n == 12 && !strncmp(f, "designated=1", 12))
				designated = true;
			if (fe == e)
				break;
		}
		if (!name[0] || !state[0])
			return -EINVAL;
		k = snprintf(out + len, room - len, "%s%s %s%s", len ? ", " : "",
			     name, state, designated ? " designated" : "");
		if (k < 0 || (size_t)k >= room - len) {
			/* what fits, and that more did not */
			if (room > 4)
				strcpy(out + (len < room - 4 ? len : room - 4), "...");
			return 0;
		}
		len += k;
		if (!*e)
			return 0;
		p = e + 2;
	}
}

/*
 * An install a rule asked for on @device (--db): its session begins on
 * the SE it is for, script 1 in @r (200, X-Secel-Targeted-SE).  1 when
 * one began, 0 when there is none to do (@r untouched).  An install that
 * cannot begin (no such service, the SE's CIN not shown, no keys for it)
 * is recorded failed and the next is tried.
 */
static int backstage_install(struct tsm *t, const struct tsm_request *rq,
			     const char *device, struct tsm_reply *r)
{
	uint8_t cin[TSM_CIN_MAX], sd[GP_AID_MAX], c2[TSM_CIN_MAX];
	char err[TSM_LINE_MAX / 2], name[REC_SE_NAME_MAX + 1];
	const struct tsm_service *svc;
	const struct tsm_keys *keys;
	struct tsm_db_install in;
	size_t cin_len, sd_len = 0, c2_len;
	unsigned int channel = 0, k;
	bool extended;
	struct session *s;
	int ret;

	if (!t->cfg.db)
		return 0;
	/* the relay's SE: its channel; its SD, which the relay opens there too */
	if (!rq->se_info ||
	    tsm_parse_se_info(rq->se_info, &channel, name, sizeof(name),
			      &extended))
		channel = 0;
	if (!rq->from || tsm_parse_from(rq->from, c2, &c2_len, sd, &sd_len))
		sd_len = 0;
	if (!sd_len) {
		memcpy(sd, GP_ISD_AID, GP_ISD_AID_LEN);
		sd_len = GP_ISD_AID_LEN;
	}
	for (k = 0; k < TSM_DB_SEND_MAX; k++) {
		ret = tsm_db_install_next(t->cfg.db, device,
					  t->cfg.session_timeout, &in, err,
					  sizeof(err));
		if (ret == -ENOENT)
			return 0;
		if (ret) {
			note(t, "backstage %s: installs: %s", device, err);
			return 0;
		}
		svc = find_service(t, in.service);
		ret = in.cin[0] ? ram_unhex(in.cin, cin, sizeof(cin)) : -EINVAL;
		cin_len = ret > 0 ? (size_t)ret : 0;
		if (!svc) {
			snprintf(err, sizeof(err), "error; no service '%s' in this TSM (--service)",
				 in.service);
		} else if (!cin_len) {
			snprintf(err, sizeof(err), "error; the device does not show SE %s's CIN (its policy allows no identify on it)",
				 in.se);
		} else if (!(keys = find_keys(t, cin, cin_len))) {
			snprintf(err, sizeof(err), "error; no keys for CIN %s of SE %s",
				 in.cin, in.se);
		} else {
			/* short APDUs: the relay's SE says nothing of this one */
			s = session_new(t, rq, svc, keys, cin, cin_len, sd,
					sd_len, channel, false, in.se, in.se, r);
			if (s) {
				s->install = in.id;
				s->install_try = in.tries;
				note(t, "backstage %s: rule %lld installs %s on SE %s (install %lld, session %.8s)",
				     device, in.rule, svc->name, in.se, in.id,
				     s->id);
				return 1;
			}
			/* a 503 or 500: the install waits for the next session */
			tsm_db_install_done(t->cfg.db, in.id, in.tries,
					    "pending", r->log, NULL, 0);
			tsm_reply_free(r);
			memset(r, 0, sizeof(*r));
			return 0;
		}
		tsm_db_install_done(t->cfg.db, in.id, in.tries, "failed", err,
				    NULL, 0);
		note(t, "backstage %s: install %lld of %s on SE %s: %s", device,
		     in.id, in.service, in.se, err);
	}
	return 0;
}

/*
 * The backstage (tsm.rst): the first POST reports the SE list, recorded
 * in the database with --db (the rules run on it); the instructions
 * queued for the device (--db) and those of --control go back in a 204
 * with a Next-URI for their results; the answer to the results, or to a
 * first POST without instructions, ends with X-Secel-Result.
 */
static void backstage(struct tsm *t, const struct tsm_request *rq,
		      const char *path, struct tsm_reply *r)
{
	const char *res = rq->control_result, *rest;
	char list[TSM_LINE_MAX / 2], device[TSM_LINE_MAX / 2];
	char control[TSM_LINE_MAX], err[TSM_LINE_MAX / 2];
	bool results = strcmp(path, TSM_BACKSTAGE) != 0, ok = true;
	long long batch = 0;
	char *end;

	if (rq->len) {
		reply_text(r, 400, "the backstage POSTs carry no body");
		return;
	}
	if (!rq->se_list) {
		snprintf(list, sizeof(list), "not reported");
	} else if (tsm_se_list_summary(rq->se_list, list, sizeof(list))) {
		reply_text(r, 400, RAM_H_SE_LIST " '%.128s' is not name=..;state=..[, ...]",
			   rq->se_list);
		return;
	}
	/* the device: its client certificate, else what its agent says */
	snprintf(device, sizeof(device), "%s", rq->device ? rq->device :
		 rq->from ? rq->from : rq->peer ? rq->peer : "?");
	rest = path + strlen(TSM_BACKSTAGE_RESULT);
	if (results) {
		if (*rest == '/') {
			errno = 0;
			batch = strtoll(rest + 1, &end, 10);
			if (errno || *end || batch <= 0) {
				reply_text(r, 404, "nothing at '%.64s'", path);
				return;
			}
		} else if (*rest) {
			reply_text(r, 404, "nothing at '%.64s'", path);
			return;
		}
	}
	note(t, "backstage %s: SE list %s", device,
	     rq->se_list ? rq->se_list : "(none)");
	r->code = 204;
	if (!results) {
		control[0] = '\0';
		if (t->cfg.db && tsm_db_report(t->cfg.db, device, rq->se_list,
					       t->cfg.session_timeout, control,
					       sizeof(control), &batch, err,
					       sizeof(err))) {
			reply_text(r, 500, "%s", err);
			return;
		}
		/* the database's first: its results are matched in order */
		if (t->cfg.control && strlen(control) + 2 +
		    strlen(t->cfg.control) < sizeof(control))
			snprintf(control + strlen(control),
				 sizeof(control) - strlen(control), "%s%s",
				 control[0] ? ", " : "", t->cfg.control);
		if (control[0]) {
			if (batch)
				snprintf(r->next_uri, sizeof(r->next_uri),
					 "%s/%lld", TSM_BACKSTAGE_RESULT, batch);
			else
				snprintf(r->next_uri, sizeof(r->next_uri), "%s",
					 TSM_BACKSTAGE_RESULT);
			snprintf(r->control, sizeof(r->control), "%s", control);
			snprintf(r->log, sizeof(r->log), "204 backstage: control %.200s",
				 control);
			return;
		}
		if (backstage_install(t, rq, device, r))
			return;
		r->code = 204;
		snprintf(r->result, sizeof(r->result), "ok; SEs: %s", list);
		snprintf(r->log, sizeof(r->log), "204 backstage: %.480s", r->result);
		return;
	}
	if (!res) {
		res = "no " RAM_H_CONTROL_RESULT;
		ok = false;
	}
	if (t->cfg.db && batch &&
	    tsm_db_results(t->cfg.db, device, batch, rq->control_result,
			   rq->se_list, err, sizeof(err))) {
		reply_text(r, 500, "%s", err);
		return;
	}
	/* every item "OP [SE]: ok ..." */
	for (rest = res; ok && rest; rest = strstr(rest, ", ")) {
		const char *colon;

		if (*rest == ',')
			rest += 2;
		colon = strchr(rest, ':');
		ok = colon && !strncmp(colon, ": ok", 4);
	}
	/* the results are in the database; an install rule's goes on */
	if (t->cfg.db && batch && backstage_install(t, rq, device, r))
		return;
	r->code = 204;
	snprintf(r->result, sizeof(r->result), "%s; control: %.200s; SEs: %s",
		 ok ? "ok" : "error", res, list);
	snprintf(r->log, sizeof(r->log), "204 backstage: %.480s", r->result);
}

void tsm_handle(struct tsm *t, const struct tsm_request *rq,
		struct tsm_reply *r)
{
	const char *path = rq->path ? rq->path : "";
	bool post = rq->method && !strcmp(rq->method, "POST");
	uint8_t cin[TSM_CIN_MAX], sd[GP_AID_MAX];
	char id[2 * ID_BYTES + 1];
	size_t cin_len, sd_len;
	struct session *s;

	memset(r, 0, sizeof(*r));
	if (!strcmp(path, "/cards") && t->cfg.cards_token) {
		if (!rq->method || (strcmp(rq->method, "GET") &&
				    strcmp(rq->method, "HEAD"))) {
			reply_text(r, 405, "GET /cards");
			return;
		}
		/* the records name cards, their CPLC and what is on them */
		if (!bearer_ok(t, rq->authorization)) {
			reply_text(r, 401, "GET /cards wants Authorization: Bearer and the token of --cards-token");
			return;
		}
		cards(t, r);
		return;
	}
	if (t->cfg.db && t->cfg.cards_token &&
	    (!strcmp(path, "/devices") || !strncmp(path, "/devices/", 9))) {
		devices(t, rq, path, r);
		return;
	}
	if (!strcmp(path, TSM_BACKSTAGE) ||
	    !strncmp(path, TSM_BACKSTAGE_RESULT, strlen(TSM_BACKSTAGE_RESULT))) {
		if (!post) {
			reply_text(r, 405, "%s: Amendment B wants POST", path);
			return;
		}
		if (!rq->protocol || strcmp(rq->protocol, RAM_PROTOCOL)) {
			reply_text(r, 400, "no " RAM_H_PROTOCOL ": " RAM_PROTOCOL);
			return;
		}
		backstage(t, rq, path, r);
		return;
	}
	if (strncmp(path, TSM_SERVICE_PREFIX, strlen(TSM_SERVICE_PREFIX)) &&
	    strncmp(path, TSM_SESSION_PREFIX, strlen(TSM_SESSION_PREFIX))) {
		reply_text(r, 404, "nothing at '%.64s': POST to " TSM_SERVICE_PREFIX "SERVICE",
			   path);
		return;
	}
	if (!post) {
		reply_text(r, 405, "%s: Amendment B wants POST", path);
		return;
	}
	if (!rq->protocol || strcmp(rq->protocol, RAM_PROTOCOL)) {
		reply_text(r, 400, "no " RAM_H_PROTOCOL ": " RAM_PROTOCOL);
		return;
	}
	if (rq->len > TSM_BODY_MAX) {
		reply_text(r, 413, "a body longer than %d bytes", TSM_BODY_MAX);
		return;
	}
	if (!strncmp(path, TSM_SERVICE_PREFIX, strlen(TSM_SERVICE_PREFIX))) {
		begin(t, rq, path + strlen(TSM_SERVICE_PREFIX), r);
		return;
	}
	s = find_session(t, path + strlen(TSM_SESSION_PREFIX));
	if (s && rq->resume && s->has_last && same_request(s, rq)) {
		/* the agent lost the answer: the same again */
		replay(s, r);
		return;
	}
	if (!s || s->ended) {
		reply_text(r, 404, "no such session (it ended, or timed out after %u s)",
			   t->cfg.session_timeout);
		return;
	}
	if (rq->from && !s->target_se[0] &&
	    (tsm_parse_from(rq->from, cin, &cin_len, sd, &sd_len) ||
			 cin_len != s->cin_len ||
			 memcmp(cin, s->cin, cin_len))) {
		fail_http(t, s, r, 400, RAM_H_FROM " is not the one the session began with");
		return;
	}
	strcpy(id, s->id);
	on_response(t, s, rq, r);
	/* still there (going on, or ended): keep the exchange */
	s = find_session(t, id);
	if (s)
		keep_last(s, rq, r);
}

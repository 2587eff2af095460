// SPDX-License-Identifier: GPL-2.0
/*
 * test-tsm - host unit test of secel-tsm: its sessions against secel-vcard's
 * card model, no kernel.  A small relay here runs the TSM's scripts on a
 * logical channel of the card (the class byte coded the way the secel core
 * does it) and posts the answers back through tsm_handle(); at the end the
 * real secel-relay protocol loop (tools/relay/relay.c, libcurl) talks to
 * the real secel-tsm binary over HTTP and HTTPS on 127.0.0.1.
 *
 *   make -C tools/tsm test
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sqlite3.h>

#include "../relay/relay.h"
#include "../secel-vcard/card.h"
#include "records.h"
#include "tsm.h"

static int failures, checks;
static const char *section = "";

static void check(bool ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void check(bool ok, const char *fmt, ...)
{
	va_list ap;

	checks++;
	if (ok)
		return;
	failures++;
	fprintf(stderr, "FAIL [%s] ", section);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const uint8_t purse_elf[] = { 0xa0, 0x00, 0x00, 0x05, 0x53, 0x45,
				     0x43, 0x01 };
static const uint8_t purse_mod[] = { 0xa0, 0x00, 0x00, 0x05, 0x53, 0x45,
				     0x43, 0x01, 0x01 };
static const uint8_t store_elf[] = { 0xa0, 0x00, 0x00, 0x05, 0x53, 0x45,
				     0x43, 0x02 };
static const uint8_t store_mod[] = { 0xa0, 0x00, 0x00, 0x05, 0x53, 0x45,
				     0x43, 0x02, 0x01 };
#define PURSE_APP	"A00000055345430101"
#define PURSE_ELF	"A000000553454301"
#define STORE_APP	"A00000055345430201"
#define TEST_KEY	"404142434445464748494A4B4C4D4E4F"
#define ISD_FROM	";//aa-id/aid/A000000151/000000"

static char tmpdir[] = "/tmp/test-tsm.XXXXXX";

/* ---- the card ----------------------------------------------------------- */

static size_t make_lf(uint8_t *out, bool purse, size_t code)
{
	static uint8_t image[GP_LF_MAX];
	struct gp_loadfile lf = { .version = { 1, 0 } };
	size_t i;

	for (i = 0; i < code; i++)
		image[i] = i * 7;
	memcpy(lf.aid, purse ? purse_elf : store_elf, 8);
	lf.aid_len = 8;
	memcpy(lf.module, purse ? purse_mod : store_mod, 9);
	lf.module_len = 9;
	strcpy(lf.type, purse ? "secel.purse" : "secel.datastore");
	lf.code_len = code;
	return gp_lf_build(&lf, image, out, GP_LF_MAX);
}

/* What the core does: the channel into CLA, 61xx fetched. */
static int card_xfer(struct vcard *vc, unsigned int channel,
		     const uint8_t *cmd, size_t len, uint8_t *rsp,
		     size_t *rsp_len)
{
	static uint8_t buf[VC_CMD_MAX], out[VC_RSP_MAX];
	size_t n, total = 0;
	int cla;

	if (len > sizeof(buf) || len < 4)
		return -EINVAL;
	memcpy(buf, cmd, len);
	cla = gp_cla_channel(cmd[0], channel);
	if (cla < 0)
		return -EINVAL;
	buf[0] = cla;
	n = vcard_apdu(vc, buf, len, out);
	while (n == 2 && out[0] == 0x61) {
		uint8_t gr[5] = { cla & ~0x0c, 0xc0, 0x00, 0x00, out[1] };

		if (channel >= 4)
			gr[0] = cla & ~0x20;
		n = vcard_apdu(vc, gr, 5, out);
		if (n > 2) {
			if (total + n - 2 > *rsp_len)
				return -EMSGSIZE;
			memcpy(rsp + total, out, n - 2);
			total += n - 2;
			if (out[n - 2] == 0x61) {
				out[0] = 0x61;
				out[1] = out[n - 1];
				n = 2;
			}
		}
	}
	if (total + n > *rsp_len)
		return -EMSGSIZE;
	memcpy(rsp + total, out, n);
	*rsp_len = total + n;
	return 0;
}

static int gp_xfer(void *ctx, unsigned int channel, const uint8_t *cmd,
		   size_t len, uint8_t *rsp, size_t *rsp_len)
{
	return card_xfer(ctx, channel, cmd, len, rsp, rsp_len);
}

static uint16_t raw(struct vcard *vc, unsigned int channel, const char *hex,
		    uint8_t *data, size_t *data_len)
{
	uint8_t cmd[300], rsp[VC_RSP_MAX];
	size_t rn = sizeof(rsp);
	int n = ram_unhex(hex, cmd, sizeof(cmd));

	if (n < 4 || card_xfer(vc, channel, cmd, n, rsp, &rn))
		return 0;
	if (data) {
		memcpy(data, rsp, rn - 2);
		*data_len = rn - 2;
	}
	return (rsp[rn - 2] << 8) | rsp[rn - 1];
}

static void default_keys(struct gp_keyset *ks)
{
	unsigned int i;

	memset(ks, 0, sizeof(*ks));
	ks->kvn = 0x30;
	ks->len = 16;
	for (i = 0; i < 16; i++)
		ks->enc[i] = ks->mac[i] = ks->dek[i] = 0x40 + i;
}

static struct vcard *new_card(const uint8_t *cin, size_t cin_len,
			      const char *state)
{
	struct vc_config cfg;
	struct vcard *vc;
	char err[256];

	vc_config_defaults(&cfg);
	if (cin) {
		memcpy(cfg.cin.val, cin, cin_len);
		cfg.cin.len = cin_len;
	}
	vc = vcard_new(&cfg);
	if (vc && state && vc_state_load(vc, state, err, sizeof(err))) {
		fprintf(stderr, "state %s: %s\n", state, err);
		vcard_free(vc);
		return NULL;
	}
	return vc;
}

static int card_elfs(const struct vcard *vc)
{
	int i, n = 0;

	for (i = 0; i < VC_ELFS; i++)
		n += vc->st.elf[i].used;
	return n;
}

static int card_apps(const struct vcard *vc)
{
	int i, n = 0;

	for (i = 0; i < VC_INSTANCES; i++)
		n += vc->st.inst[i].used;
	return n;
}

static const struct vc_inst *card_app(const struct vcard *vc,
				      const uint8_t *aid, size_t len)
{
	int i = vc_find_instance(vc, aid, len);

	return i < 0 ? NULL : &vc->st.inst[i];
}

/* the content, not the sequence counter: "nothing changed" */
static bool same_content(const struct vc_persist *a, const struct vc_persist *b)
{
	return !memcmp(a->elf, b->elf, sizeof(a->elf)) &&
	       !memcmp(a->inst, b->inst, sizeof(a->inst)) &&
	       !memcmp(a->keys, b->keys, sizeof(a->keys));
}

/* Install with the host library, as secelctl gp would. */
static int gp_install_direct(struct vcard *vc, bool purse, const uint8_t *app,
			     size_t app_len, bool load)
{
	static uint8_t lf[GP_LF_MAX];
	struct gp_host h = { .xfer = gp_xfer, .ctx = vc };
	uint8_t params[40];
	struct gp_keyset ks;
	size_t n, pn;
	int ret;

	default_keys(&ks);
	ret = gp_open(&h, &ks, 0x03);
	if (ret)
		return ret;
	n = make_lf(lf, purse, 100);
	if (load) {
		ret = gp_load(&h, lf, n, 0);
		if (ret)
			return ret;
	}
	if (!app)
		return 0;
	if (purse)
		pn = ram_unhex("DF1010" TEST_KEY, params, sizeof(params));
	else
		pn = ram_unhex("DF200431323334", params, sizeof(params));
	return gp_install(&h, purse ? purse_elf : store_elf, 8,
			  purse ? purse_mod : store_mod, 9, app, app_len,
			  params, pn);
}

/* ---- the TSM ------------------------------------------------------------ */

struct env {
	struct tsm *t;
	struct tsm_config cfg;
	struct tsm_service svc[2];
	struct tsm_keys keys[4];
	size_t nkeys;
	long long clock;
	char records[PATH_MAX];
};

static long long fake_now(void *priv)
{
	return ((struct env *)priv)->clock;
}

static void service(struct tsm_service *svc, const char *name, bool purse,
		    size_t code, const char *params)
{
	char path[PATH_MAX], spec[PATH_MAX + 256], err[512];
	static uint8_t lf[GP_LF_MAX];
	size_t n = make_lf(lf, purse, code);
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.slf", tmpdir, name);
	f = fopen(path, "w");
	if (!f || fwrite(lf, 1, n, f) != n || fclose(f))
		abort();
	snprintf(spec, sizeof(spec), "%s:%s:%s%s%s", name, path,
		 purse ? PURSE_APP : STORE_APP, params ? ":" : "",
		 params ? params : "");
	if (tsm_parse_service(spec, svc, err, sizeof(err))) {
		fprintf(stderr, "service %s: %s\n", spec, err);
		abort();
	}
}

static void add_keys(struct env *e, const char *cin, const char *spec)
{
	struct tsm_keys *k = &e->keys[e->nkeys++];
	char err[256];

	memset(k, 0, sizeof(*k));
	if (!cin)
		k->any = true;
	else
		k->cin_len = ram_unhex(cin, k->cin, sizeof(k->cin));
	if (tsm_parse_keyset(spec, &k->ks, err, sizeof(err)))
		abort();
}

#define CARDS_TOKEN	"test-tsm-cards-token-0123456789"

static int env_start(struct env *e, uint8_t level, unsigned int faults,
		     bool records)
{
	char err[512];
	int ret;

	e->cfg.services = e->svc;
	e->cfg.nservices = e->svc[1].lf ? 2 : 1;
	e->cfg.keys = e->keys;
	e->cfg.nkeys = e->nkeys;
	e->cfg.level = level;
	e->cfg.faults = faults;
	e->cfg.now = fake_now;
	e->cfg.priv = e;
	e->cfg.records = records ? e->records : NULL;
	e->cfg.cards_token = CARDS_TOKEN;
	ret = tsm_new(&e->cfg, &e->t, err, sizeof(err));
	if (ret)
		fprintf(stderr, "tsm_new: %s\n", err);
	return ret;
}

/* A fresh environment: purse and data store services, default keys. */
static void env_init(struct env *e, const char *name, uint8_t level,
		     unsigned int faults)
{
	static unsigned int n;

	memset(e, 0, sizeof(*e));
	e->clock = 1000;
	snprintf(e->records, sizeof(e->records), "%s/records-%s-%u", tmpdir,
		 name, n++);
	service(&e->svc[0], "purse", true, 3000, "DF110400001388");
	service(&e->svc[1], "store", false, 200, "DF200431323334");
	add_keys(e, NULL, "30:" TEST_KEY ":" TEST_KEY ":" TEST_KEY);
	if (env_start(e, level, faults, true))
		abort();
}

static void env_free(struct env *e)
{
	tsm_free(e->t);
	tsm_service_free(&e->svc[0]);
	tsm_service_free(&e->svc[1]);
	e->t = NULL;
}

/* ---- the relay ---------------------------------------------------------- */

struct run {
	/* in */
	const char *service;
	const char *from;		/* NULL: the card's CIN */
	bool indefinite;		/* answer in the indefinite form */
	int die_after_loads;		/* the SE goes away after N LOADs */
	int flip_rsp;			/* flip a byte of answer N (1-based) */
	unsigned int flip_script;	/* ... of that script */
	bool no_channel;		/* the basic channel */
	bool lose_each;			/* every answer lost once: resumed */
	bool extended;			/* the SE carries extended APDUs */
	/* out */
	unsigned int code;		/* the last HTTP status */
	char result[TSM_LINE_MAX];
	char text[TSM_LINE_MAX];
	unsigned int scripts, apdus, loads;
	bool se_gone;
};

static void post(struct env *e, const char *path, const char *from,
		 const char *info, const char *status, const char *ct,
		 const uint8_t *body, size_t len, struct tsm_reply *r)
{
	struct tsm_request rq = {
		.method = "POST", .path = path, .protocol = RAM_PROTOCOL,
		.from = from, .se_info = info, .status = status,
		.content_type = ct, .body = body, .len = len,
	};

	tsm_handle(e->t, &rq, r);
	if (getenv("TEST_TSM_VERBOSE"))
		fprintf(stderr, "  %s -> %s\n", path, r->log);
}

/* The same POST again with X-Admin-Resume: true, after a lost answer. */
static void post_again(struct env *e, const char *path, const char *from,
		       const char *status, const uint8_t *body, size_t len,
		       struct tsm_reply *r)
{
	struct tsm_request rq = {
		.method = "POST", .path = path, .protocol = RAM_PROTOCOL,
		.from = from, .status = status,
		.content_type = len ? RAM_CT_RESPONSE : NULL,
		.body = body, .len = len, .resume = true,
	};

	tsm_reply_free(r);
	tsm_handle(e->t, &rq, r);
}

static unsigned int open_channel(struct vcard *vc)
{
	uint8_t d[16];
	size_t n;

	if (raw(vc, 0, "0070000001", d, &n) != 0x9000 || n != 1)
		return 0;
	if (raw(vc, d[0], "00A4040008A000000151000000", NULL, NULL) != 0x9000)
		return 0;
	return d[0];
}

static void close_channel(struct vcard *vc, unsigned int ch)
{
	char cmd[16];

	if (!ch)
		return;
	snprintf(cmd, sizeof(cmd), "007080%02X", ch);
	raw(vc, 0, cmd, NULL, NULL);
}

static void from_header(const struct vcard *vc, char *out, size_t room)
{
	char cin[2 * VC_ITEM_MAX + 1];

	ram_hex(vc->cfg.cin.val, vc->cfg.cin.len, cin);
	snprintf(out, room, "//se-id/cin/%s" ISD_FROM, cin);
}

/* One session, the way secel-relay runs it; 0 when the TSM ended it. */
static int run(struct env *e, struct vcard *vc, struct run *rn)
{
	static struct ram_script sc;
	static uint8_t rsp[VC_RSP_MAX];
	char path[128], from[600], info[128];
	struct ram_buf out = { 0 };
	struct tsm_reply r;
	const char *status = NULL;
	unsigned int ch = rn->no_channel ? 0 : open_channel(vc);
	struct ram_err err;
	size_t i, n, rl;
	int ret = -1;

	rn->code = 0;
	rn->result[0] = rn->text[0] = '\0';
	rn->scripts = rn->apdus = rn->loads = 0;
	rn->se_gone = false;
	if (rn->from)
		snprintf(from, sizeof(from), "%s", rn->from);
	else
		from_header(vc, from, sizeof(from));
	snprintf(info, sizeof(info), "name=eSE1;kind=virtual;transport=vse;channel=%u%s",
		 ch, rn->extended ? ";extended=1" : "");
	snprintf(path, sizeof(path), TSM_SERVICE_PREFIX "%s",
		 rn->service ? rn->service : "purse");
	post(e, path, from, info, NULL, NULL, NULL, 0, &r);
	for (;;) {
		rn->code = r.code;
		if (r.code != 200) {
			snprintf(rn->result, sizeof(rn->result), "%s", r.result);
			if (r.code != 204 && r.body)
				snprintf(rn->text, sizeof(rn->text), "%.*s",
					 (int)r.len, r.body);
			ret = r.code == 204 ? 0 : -1;
			break;
		}
		check(r.next_uri[0] && r.content_type &&
		      !strcmp(r.content_type, RAM_CT_SCRIPT),
		      "200 without Next-URI or of type %s", r.content_type);
		rn->scripts++;
		status = RAM_ST_OK;
		ret = ram_script_parse(r.body, r.len, &sc, &err);
		if (ret) {
			ret = ram_response_bad_format(&out, err.bad_format);
		} else {
			static uint8_t raw_rsp[RAM_SCRIPT_MAX];
			static size_t raw_len[RAM_SCRIPT_APDUS];
			size_t used = 0;

			for (i = 0, n = 0; i < sc.n; i++) {
				const uint8_t *c = sc.apdu[i].data;
				uint8_t sw1;

				if (c[1] == 0xe8 && rn->die_after_loads >= 0 &&
				    rn->loads == (unsigned int)rn->die_after_loads) {
					rn->se_gone = true;
					break;
				}
				rl = sizeof(rsp);
				if (card_xfer(vc, ch, c, sc.apdu[i].len, rsp,
					      &rl) || used + rl > sizeof(raw_rsp)) {
					rn->se_gone = true;
					break;
				}
				rn->apdus++;
				rn->loads += c[1] == 0xe8;
				if (rn->flip_rsp == (int)i + 1 &&
				    rn->flip_script == rn->scripts)
					rsp[0] ^= 0x01;
				memcpy(raw_rsp + used, rsp, rl);
				used += rl;
				raw_len[n++] = rl;
				sw1 = rsp[rl - 2];
				if ((sw1 == 0x90 && !rsp[rl - 1]) || sw1 == 0x62 ||
				    sw1 == 0x63)
					continue;
				if (sw1 == 0x69 && rsp[rl - 1] == 0x82)
					status = RAM_ST_SECURITY;
				break;
			}
			if (rn->se_gone)
				break;
			ret = ram_response_begin(&out, rn->indefinite, n);
			for (i = 0, used = 0; !ret && i < n;
			     used += raw_len[i], i++)
				ret = ram_response_add(&out, raw_rsp + used,
						       raw_len[i]);
			if (!ret)
				ret = ram_response_end(&out);
			if (ret)
				abort();
		}
		snprintf(path, sizeof(path), "%s", r.next_uri);
		tsm_reply_free(&r);
		post(e, path, from, NULL, status, RAM_CT_RESPONSE, out.data,
		     out.len, &r);
		if (rn->lose_each)
			post_again(e, path, from, status, out.data, out.len,
				   &r);
	}
	tsm_reply_free(&r);
	ram_buf_free(&out);
	if (!rn->se_gone)
		close_channel(vc, ch);
	return ret;
}

static bool starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* ---- tests -------------------------------------------------------------- */

static const struct rec_card *env_card(struct env *e, const struct vcard *vc);

static bool records_have(struct env *e, const char *what)
{
	struct tsm_request rq = { .method = "GET", .path = "/cards",
				  .authorization = "Bearer " CARDS_TOKEN };
	struct tsm_reply r;
	bool found;

	tsm_handle(e->t, &rq, &r);
	found = r.code == 200 && r.body && memmem(r.body, r.len, what,
						  strlen(what));
	tsm_reply_free(&r);
	return found;
}

/* The purse answers, and its key is the one in the records. */
static void purse_works(struct vcard *vc, const uint8_t key[16])
{
	uint8_t d[64], msg[64], mac[16];
	char cmd[128], h[17];
	size_t n, m = 0;

	check(raw(vc, 0, "00A4040009" PURSE_APP "00", NULL, NULL) == 0x9000,
	      "SELECT the purse");
	check(raw(vc, 0, "805C000008", d, &n) == 0x9000 && n == 8,
	      "GET BALANCE");
	msg[m++] = 0x52;
	memset(msg + m, 0, 4);		/* counter 0 */
	m += 4;
	msg[m++] = 0; msg[m++] = 0; msg[m++] = 0x01; msg[m++] = 0xf4; /* 500 */
	memcpy(msg + m, purse_mod, sizeof(purse_mod));
	m += sizeof(purse_mod);
	gp_aes_cmac(key, 16, msg, m, mac);
	ram_hex(mac, 8, h);
	snprintf(cmd, sizeof(cmd), "805200000C000001F4%s08", h);
	check(raw(vc, 0, cmd, d, &n) == 0x9000 && n == 8 && d[2] == 0x01 &&
	      d[3] == 0xf4, "CREDIT 500 with the TSM's purse key");
	raw(vc, 0, "00A4040008A00000015100000000", NULL, NULL);
}

static const struct rec_card *env_card(struct env *e, const struct vcard *vc)
{
	/* the records as a new TSM reads them from the directory */
	static struct records rec;
	char err[512];

	rec_free(&rec);
	if (rec_load(&rec, e->records, err, sizeof(err))) {
		check(false, "records: %s", err);
		return NULL;
	}
	return rec_card(&rec, vc->cfg.cin.val, vc->cfg.cin.len, false);
}

static void test_install_levels(void)
{
	static const uint8_t levels[] = { 0x01, 0x03, 0x11, 0x13, 0x33 };
	const struct rec_card *c;
	const struct rec_install *in;
	const struct vc_inst *ci;
	struct vc_persist before;
	struct run rn = { .die_after_loads = -1 };
	struct env e;
	struct vcard *vc;
	size_t i;
	int ret;

	for (i = 0; i < sizeof(levels); i++) {
		section = "install";
		env_init(&e, "levels", levels[i], 0);
		vc = new_card(NULL, 0, NULL);
		ret = run(&e, vc, &rn);
		check(!ret && !strcmp(rn.result, "ok; installed " PURSE_APP
				      " on 534543454C000001"),
		      "level %02X: %d %u %s %s", levels[i], ret, rn.code,
		      rn.result, rn.text);
		check(rn.scripts == 3, "level %02X: %u scripts", levels[i],
		      rn.scripts);
		ci = card_app(vc, purse_mod, sizeof(purse_mod));
		check(ci && ci->lifecycle == GP_LC_SELECTABLE &&
		      ci->purse.max == 5000 && card_elfs(vc) == 1,
		      "level %02X: the purse is on the card", levels[i]);
		check(tsm_nsessions(e.t) == 0, "session gone");
		c = env_card(&e, vc);
		in = c && c->ninst == 1 ? &c->inst[0] : NULL;
		check(in && in->state == REC_INSTALLED && in->has_key &&
		      !strcmp(in->service, "purse") && ci &&
		      !memcmp(in->key, ci->purse.key, 16),
		      "level %02X: installed, with the purse key, in the records",
		      levels[i]);
		check(c && c->sessions == 1 && c->cplc_len == 42 &&
		      c->kvn == 0x30 && !strcmp(c->se, "eSE1") && c->nev == 1,
		      "level %02X: card record", levels[i]);
		if (ci)
			purse_works(vc, ci->purse.key);

		/* once more: already there, the card as it was */
		section = "already installed";
		before = vc->st;
		ret = run(&e, vc, &rn);
		check(!ret && starts(rn.result, "ok; " PURSE_APP " already on "),
		      "level %02X: %d %s %s", levels[i], ret, rn.result,
		      rn.text);
		check(rn.scripts == 2, "already: %u scripts", rn.scripts);
		check(same_content(&before, &vc->st), "already: card changed");
		c = env_card(&e, vc);
		check(c && c->sessions == 2 && c->nev == 2 && c->ncontent >= 3,
		      "already: recorded");
		vcard_free(vc);
		env_free(&e);
	}
}

static void test_wrong_keys(void)
{
	struct run rn = { .die_after_loads = -1 };
	struct vc_persist before;
	struct env e;
	struct vcard *vc;
	int ret;

	section = "wrong keys";
	env_init(&e, "wrongkeys", 0x33, 0);
	env_free(&e);
	memset(&e, 0, sizeof(e));
	e.clock = 1000;
	snprintf(e.records, sizeof(e.records), "%s/records-wrongkeys", tmpdir);
	service(&e.svc[0], "purse", true, 300, NULL);
	add_keys(&e, "534543454C000001",
		 "30:" TEST_KEY ":" TEST_KEY ":000102030405060708090A0B0C0D0E0F");
	add_keys(&e, NULL, "30:000102030405060708090A0B0C0D0E0F");
	if (env_start(&e, 0x33, 0, true))
		abort();
	/* the card's MAC key is not the TSM's: the cryptogram fails */
	vc = new_card(NULL, 0, NULL);
	memset(vc->st.keys[0].mac, 0x55, 16);
	before = vc->st;
	ret = run(&e, vc, &rn);
	check(!ret && rn.code == 204 &&
	      !strcmp(rn.result, "error; card cryptogram does not verify (wrong keys for CIN 534543454C000001?)"),
	      "%d %u %s", ret, rn.code, rn.result);
	check(same_content(&before, &vc->st), "card changed");
	/* the card did not prove its keys: nothing of it is recorded */
	check(!records_have(&e, "card cryptogram does not verify") &&
	      !records_have(&e, "534543454C000001"),
	      "a card that did not authenticate recorded");
	vcard_free(vc);

	/* the '*' line's ENC key is wrong for another card: the challenge */
	{
		static const uint8_t cin[] = { 1, 2, 3, 4, 5, 6, 7, 8 };

		vc = new_card(cin, sizeof(cin), NULL);
		memset(vc->st.keys[0].mac, 0x00, 16);
		for (ret = 0; ret < 16; ret++)
			vc->st.keys[0].mac[ret] = ret;
		before = vc->st;
		ret = run(&e, vc, &rn);
		check(!ret && starts(rn.result, "error; card c"),
		      "other CIN: %d %s", ret, rn.result);
		check(same_content(&before, &vc->st), "card changed");
		vcard_free(vc);
	}

	/* a key version the card does not have */
	vc = new_card(NULL, 0, NULL);
	vc->st.keys[0].kvn = 0x31;
	ret = run(&e, vc, &rn);
	check(!ret && !strcmp(rn.result, "error; the card has no key version 30, which the TSM holds for CIN 534543454C000001"),
	      "kvn: %s", rn.result);
	vcard_free(vc);
	env_free(&e);
}

static void test_unknown_cin(void)
{
	struct run rn = { .die_after_loads = -1 };
	struct env e;
	struct vcard *vc;
	int ret;

	section = "unknown CIN";
	memset(&e, 0, sizeof(e));
	e.clock = 1000;
	snprintf(e.records, sizeof(e.records), "%s/records-unknown", tmpdir);
	service(&e.svc[0], "purse", true, 300, NULL);
	add_keys(&e, "0102030405060708", "30:" TEST_KEY);
	if (env_start(&e, 0x33, 0, true))
		abort();
	vc = new_card(NULL, 0, NULL);
	ret = run(&e, vc, &rn);
	check(ret && rn.code == 403 &&
	      !strcmp(rn.text, "no keys for CIN 534543454C000001\n"),
	      "%d %u '%s'", ret, rn.code, rn.text);
	check(!records_have(&e, "534543454C000001"), "recorded");
	check(card_elfs(vc) == 0, "card changed");

	/* an SE known by name only */
	rn.from = "//se-id/name/eSE1" ISD_FROM;
	ret = run(&e, vc, &rn);
	check(ret && rn.code == 403, "by name: %u %s", rn.code, rn.text);

	/* CIN mismatch: the keys are there for what is claimed */
	section = "CIN mismatch";
	rn.from = "//se-id/cin/0102030405060708" ISD_FROM;
	ret = run(&e, vc, &rn);
	check(!ret && !strcmp(rn.result, "error; the card's CIN 534543454C000001 is not 0102030405060708, which X-Admin-From claimed"),
	      "%d %s", ret, rn.result);
	check(rn.scripts == 1 && card_elfs(vc) == 0, "went on");
	check(!records_have(&e, "which X-Admin-From claimed"),
	      "recorded before the card authenticated");
	rn.from = NULL;
	vcard_free(vc);
	env_free(&e);

	/* --fault wrong-cin: the same, with the right claim */
	env_init(&e, "wrongcin", 0x33, TSM_FAULT_WRONG_CIN);
	vc = new_card(NULL, 0, NULL);
	ret = run(&e, vc, &rn);
	check(!ret && starts(rn.result, "error; the card's CIN 534543454C000001 is not 534543454C000000"),
	      "wrong-cin: %s", rn.result);
	vcard_free(vc);
	env_free(&e);
}

static void test_tamper_mac(void)
{
	struct run rn = { .die_after_loads = -1 };
	struct vc_persist before;
	struct env e;
	struct vcard *vc;
	int ret;

	section = "tampered MAC";
	env_init(&e, "tamper", 0x33, TSM_FAULT_TAMPER_MAC);
	vc = new_card(NULL, 0, NULL);
	before = vc->st;
	ret = run(&e, vc, &rn);
	check(!ret && !strcmp(rn.result, "error; INSTALL [for load]: card answered 6982 (security status not satisfied)"),
	      "%d %s", ret, rn.result);
	check(same_content(&before, &vc->st) && !card_elfs(vc) &&
	      !card_apps(vc), "something installed");
	check(records_have(&e, "\"state\": \"failed\""), "not recorded as failed");
	vcard_free(vc);
	env_free(&e);

	/* at level 01 too: the MAC alone */
	env_init(&e, "tamper01", 0x01, TSM_FAULT_TAMPER_MAC);
	vc = new_card(NULL, 0, NULL);
	ret = run(&e, vc, &rn);
	check(!ret && strstr(rn.result, "6982") && !card_elfs(vc),
	      "level 01: %s", rn.result);
	vcard_free(vc);
	env_free(&e);

	/* an answer altered on the way: its R-MAC gives it away */
	section = "tampered R-MAC";
	env_init(&e, "rmac", 0x33, 0);
	vc = new_card(NULL, 0, NULL);
	rn.flip_script = 2;
	rn.flip_rsp = 3;	/* GET STATUS of the applications */
	ret = run(&e, vc, &rn);
	check(!ret && !strcmp(rn.result, "error; GET STATUS 40 (applications): the answer's R-MAC or encryption does not verify"),
	      "%s", rn.result);
	/* the CPLC is read under the session: altered, it is refused */
	rn.flip_rsp = 2;
	ret = run(&e, vc, &rn);
	check(!ret && !strcmp(rn.result, "error; GET DATA 9F7F (CPLC): the answer's R-MAC or encryption does not verify"),
	      "CPLC: %s", rn.result);
	check(!card_elfs(vc), "installed anyway");
	rn.flip_script = 3;
	rn.flip_rsp = 1;	/* INSTALL [for load] */
	ret = run(&e, vc, &rn);
	check(!ret && strstr(rn.result, "INSTALL [for load]: the answer's R-MAC"),
	      "script 3: %s", rn.result);
	rn.flip_rsp = 0;
	vcard_free(vc);
	env_free(&e);
}

static void test_paging(void)
{
	struct run rn = { .die_after_loads = -1 };
	uint8_t aid[9];
	struct env e;
	struct vcard *vc;
	int ret, i;

	section = "paging";
	env_init(&e, "paging", 0x33, 0);
	vc = new_card(NULL, 0, NULL);
	memcpy(aid, store_mod, 9);
	for (i = 0; i < 13; i++) {
		aid[8] = 0x10 + i;
		ret = gp_install_direct(vc, false, aid, 9, i == 0);
		check(!ret, "data store %d: %d", i, ret);
	}
	ret = run(&e, vc, &rn);
	check(!ret && starts(rn.result, "ok; installed " PURSE_APP),
	      "%d %s", ret, rn.result);
	check(rn.scripts >= 4, "no paging: %u scripts", rn.scripts);
	check(card_apps(vc) == 14, "%d apps", card_apps(vc));
	/* the purse is on the last page now: found there */
	ret = run(&e, vc, &rn);
	check(!ret && starts(rn.result, "ok; " PURSE_APP " already on"),
	      "again: %s", rn.result);
	check(records_have(&e, "A0000005534543021C"), "page 3 not recorded");
	vcard_free(vc);
	env_free(&e);
}

static void test_killed_mid_load(void)
{
	struct run rn = { .die_after_loads = 5 };
	char state[PATH_MAX];
	struct env e;
	struct vcard *vc;
	int ret;

	section = "killed during LOAD";
	snprintf(state, sizeof(state), "%s/card.state", tmpdir);
	env_init(&e, "killed", 0x33, 0);
	vc = new_card(NULL, 0, state);
	ret = run(&e, vc, &rn);
	check(rn.se_gone && rn.loads == 5 && tsm_nsessions(e.t) == 1,
	      "%d %u %u", ret, rn.loads, rn.scripts);
	vcard_free(vc);		/* the card process dies */
	e.clock += TSM_TIMEOUT - 1;
	tsm_expire(e.t);
	check(tsm_nsessions(e.t) == 1, "dropped too early");
	e.clock += 1;
	tsm_expire(e.t);
	check(tsm_nsessions(e.t) == 0, "not dropped");
	check(records_have(&e, "\"state\": \"abandoned\"") &&
	      records_have(&e, "session abandoned after script 3"),
	      "abandoned not recorded");

	vc = new_card(NULL, 0, state);	/* restarts with its state file */
	check(vc && !card_elfs(vc) && !card_apps(vc), "half a package");
	rn.die_after_loads = -1;
	ret = run(&e, vc, &rn);
	check(!ret && starts(rn.result, "ok; installed"), "rerun: %s",
	      rn.result);
	check(card_elfs(vc) == 1 && card_apps(vc) == 1, "rerun: %d %d",
	      card_elfs(vc), card_apps(vc));
	check(records_have(&e, "\"state\": \"installed\""), "rerun recorded");
	vcard_free(vc);
	env_free(&e);
}

static void test_cleanup(void)
{
	struct run rn = { .die_after_loads = -1 };
	struct vc_persist before;
	struct env e;
	struct vcard *vc;
	int ret;

	section = "failure after the load";
	env_init(&e, "cleanup", 0x33, TSM_FAULT_BAD_PARAMS);
	vc = new_card(NULL, 0, NULL);
	before = vc->st;
	ret = run(&e, vc, &rn);
	check(!ret && !strcmp(rn.result, "error; INSTALL [for install and make selectable]: card answered 6A80 (incorrect values in command data); " PURSE_ELF " deleted again"),
	      "%d %s", ret, rn.result);
	check(rn.scripts == 4, "%u scripts", rn.scripts);
	check(same_content(&before, &vc->st), "the card is not as it was");
	vcard_free(vc);
	env_free(&e);

	/* a load file left there alone is deleted first */
	section = "stale load file";
	env_init(&e, "stale", 0x03, 0);
	vc = new_card(NULL, 0, NULL);
	ret = gp_install_direct(vc, true, NULL, 0, true);
	check(!ret && card_elfs(vc) == 1, "load: %d", ret);
	ret = run(&e, vc, &rn);
	check(!ret && starts(rn.result, "ok; installed"), "%s", rn.result);
	check(card_elfs(vc) == 1 && card_apps(vc) == 1, "%d %d",
	      card_elfs(vc), card_apps(vc));
	vcard_free(vc);

	/* one that others use is installed from */
	section = "load file in use";
	vc = new_card(NULL, 0, NULL);
	{
		uint8_t other[9];

		memcpy(other, purse_mod, 9);
		other[8] = 0x77;
		ret = gp_install_direct(vc, true, other, 9, true);
		check(!ret, "other purse: %d", ret);
	}
	ret = run(&e, vc, &rn);
	check(!ret && starts(rn.result, "ok; installed") && rn.loads == 0,
	      "%s, %u LOADs", rn.result, rn.loads);
	check(card_elfs(vc) == 1 && card_apps(vc) == 2, "%d %d",
	      card_elfs(vc), card_apps(vc));
	vcard_free(vc);
	env_free(&e);
}

static void test_scripts(void)
{
	struct run rn = { .die_after_loads = -1 };
	struct env e;
	struct vcard *vc;
	int ret;

	section = "bad script";
	env_init(&e, "badscript", 0x33, TSM_FAULT_BAD_SCRIPT);
	vc = new_card(NULL, 0, NULL);
	ret = run(&e, vc, &rn);
	check(!ret && !strcmp(rn.result, "error; the relay could not parse script 1 (bad format 01)"),
	      "%d %s", ret, rn.result);
	check(!records_have(&e, "could not parse script 1"),
	      "recorded before the card authenticated");
	vcard_free(vc);
	env_free(&e);

	section = "indefinite form, data store, basic channel";
	env_init(&e, "indef", 0x13, 0);
	vc = new_card(NULL, 0, NULL);
	rn.indefinite = true;
	rn.service = "store";
	rn.no_channel = true;
	ret = run(&e, vc, &rn);
	check(!ret && starts(rn.result, "ok; installed " STORE_APP),
	      "%s", rn.result);
	check(card_app(vc, store_mod, 9) != NULL, "not there");
	rn.indefinite = rn.no_channel = false;
	rn.service = NULL;
	vcard_free(vc);

	section = "no CPLC";
	vc = new_card(NULL, 0, NULL);
	vc->cfg.cplc.present = false;
	ret = run(&e, vc, &rn);
	/* GET DATA 9F7F refused stops script 2: a page more */
	check(!ret && starts(rn.result, "ok; installed") && rn.scripts == 5,
	      "%s, %u scripts", rn.result, rn.scripts);
	vcard_free(vc);
	env_free(&e);

	section = "drop-session";
	env_init(&e, "drop", 0x33, TSM_FAULT_DROP_SESSION);
	vc = new_card(NULL, 0, NULL);
	ret = run(&e, vc, &rn);
	check(ret && rn.code == 404 && starts(rn.text, "no such session"),
	      "%u %s", rn.code, rn.text);
	vcard_free(vc);
	env_free(&e);
}

static void test_http_errors(void)
{
	static const uint8_t junk[] = { 0xab, 0x03, 0x80, 0x01, 0x01 };
	struct tsm_request rq;
	struct tsm_reply r;
	char path[128];
	struct env e;
	int i;

	section = "HTTP errors";
	env_init(&e, "http", 0x33, 0);
	memset(&rq, 0, sizeof(rq));
	rq.method = "POST";
	rq.path = "/ram/purse";
	rq.from = "//se-id/cin/0102" ISD_FROM;
	tsm_handle(e.t, &rq, &r);
	check(r.code == 400 && r.len && r.body[r.len - 1] == '\n' &&
	      !memchr(r.body, '\n', r.len - 1), "no protocol: %u", r.code);
	tsm_reply_free(&r);
	rq.protocol = RAM_PROTOCOL;
	rq.path = "/ram/nothing";
	tsm_handle(e.t, &rq, &r);
	check(r.code == 404, "unknown service: %u", r.code);
	tsm_reply_free(&r);
	rq.path = "/session/00112233445566778899AABBCCDDEEFF";
	tsm_handle(e.t, &rq, &r);
	check(r.code == 404, "unknown session: %u", r.code);
	tsm_reply_free(&r);
	rq.path = "/ram/purse";
	rq.from = "//se-id/cin/01X2" ISD_FROM;
	tsm_handle(e.t, &rq, &r);
	check(r.code == 400, "bad From: %u", r.code);
	tsm_reply_free(&r);
	rq.from = "//se-id/cin/0102" ISD_FROM;
	rq.se_info = "channel=25";
	tsm_handle(e.t, &rq, &r);
	check(r.code == 400, "channel 25: %u", r.code);
	tsm_reply_free(&r);
	rq.se_info = NULL;
	rq.body = junk;
	rq.len = sizeof(junk);
	tsm_handle(e.t, &rq, &r);
	check(r.code == 400, "first POST with a body: %u", r.code);
	tsm_reply_free(&r);
	rq.len = 0;
	rq.method = "GET";
	tsm_handle(e.t, &rq, &r);
	check(r.code == 405, "GET: %u", r.code);
	tsm_reply_free(&r);
	rq.method = "POST";

	/* in a session: wrong type, bad script; both end it */
	for (i = 0; i < 4; i++) {
		post(&e, "/ram/purse", "//se-id/cin/0102" ISD_FROM, NULL, NULL,
		     NULL, NULL, 0, &r);
		check(r.code == 200, "begin: %u", r.code);
		snprintf(path, sizeof(path), "%s", r.next_uri);
		tsm_reply_free(&r);
		if (i == 0)
			post(&e, path, NULL, NULL, "ok", "text/plain", junk,
			     sizeof(junk), &r);
		else if (i == 1)
			post(&e, path, NULL, NULL, "ok", RAM_CT_RESPONSE, junk,
			     2, &r);
		else if (i == 2)
			post(&e, path, "//se-id/cin/0103" ISD_FROM, NULL, "ok",
			     RAM_CT_RESPONSE, junk, sizeof(junk), &r);
		else
			/* one R-APDU, 9000, of four: stopped without cause */
			post(&e, path, NULL, NULL, "ok", RAM_CT_RESPONSE,
			     (const uint8_t *)"\xab\x07\x80\x01\x01\x23\x02\x90\x00",
			     9, &r);
		check(r.code == 400, "case %d: %u %.*s", i, r.code, (int)r.len,
		      r.body);
		tsm_reply_free(&r);
		post(&e, path, NULL, NULL, "ok", RAM_CT_RESPONSE, junk,
		     sizeof(junk), &r);
		check(r.code == 404, "case %d: session not ended: %u", i,
		      r.code);
		tsm_reply_free(&r);
	}
	/* all of them before the card authenticated: none recorded */
	check(!records_have(&e, "HTTP 400") && !records_have(&e, "0102"),
	      "recorded before the card authenticated");

	/* bounded sessions (many peers, many CINs); abandoned ones go */
	for (i = 0; i < TSM_SESSIONS_MAX; i++) {
		char from[128], peer[32];

		snprintf(from, sizeof(from), "//se-id/cin/%04X" ISD_FROM, i);
		snprintf(peer, sizeof(peer), "10.0.%d.%d", i / 8, i % 8);
		memset(&rq, 0, sizeof(rq));
		rq.method = "POST";
		rq.path = "/ram/purse";
		rq.protocol = RAM_PROTOCOL;
		rq.from = from;
		rq.peer = peer;
		tsm_handle(e.t, &rq, &r);
		tsm_reply_free(&r);
	}
	check(tsm_nsessions(e.t) == TSM_SESSIONS_MAX, "%zu sessions",
	      tsm_nsessions(e.t));
	rq.from = "//se-id/cin/0102" ISD_FROM;
	rq.peer = "10.1.0.1";
	tsm_handle(e.t, &rq, &r);
	check(r.code == 503, "one too many: %u", r.code);
	tsm_reply_free(&r);
	e.clock += TSM_TIMEOUT;
	tsm_handle(e.t, &rq, &r);
	check(r.code == 200 && tsm_nsessions(e.t) == 1, "after the timeout: %u %zu",
	      r.code, tsm_nsessions(e.t));
	tsm_reply_free(&r);
	memset(&rq, 0, sizeof(rq));
	rq.method = "GET";
	rq.path = "/cards";
	rq.authorization = "Bearer " CARDS_TOKEN;
	tsm_handle(e.t, &rq, &r);
	check(r.code == 200 && r.content_type &&
	      !strcmp(r.content_type, "application/json") && r.len > 10 &&
	      !memcmp(r.body, "{\"cards\": [", 11), "GET /cards: %u", r.code);
	tsm_reply_free(&r);
	env_free(&e);
}

/* GET /cards: behind a token, and not there at all without one */
static void test_cards_access(void)
{
	struct tsm_request rq = { .method = "GET", .path = "/cards" };
	struct tsm_reply r;
	struct env e;

	section = "GET /cards";
	env_init(&e, "cards", 0x33, 0);
	tsm_handle(e.t, &rq, &r);
	check(r.code == 401, "without Authorization: %u", r.code);
	tsm_reply_free(&r);
	rq.authorization = "Bearer " CARDS_TOKEN "x";
	tsm_handle(e.t, &rq, &r);
	check(r.code == 401, "a wrong token: %u", r.code);
	tsm_reply_free(&r);
	rq.authorization = "Basic " CARDS_TOKEN;
	tsm_handle(e.t, &rq, &r);
	check(r.code == 401, "not Bearer: %u", r.code);
	tsm_reply_free(&r);
	rq.authorization = "bearer " CARDS_TOKEN;
	tsm_handle(e.t, &rq, &r);
	check(r.code == 200, "the token: %u", r.code);
	tsm_reply_free(&r);
	tsm_free(e.t);
	e.cfg.cards_token = NULL;
	if (tsm_new(&e.cfg, &e.t, NULL, 0))
		abort();
	tsm_handle(e.t, &rq, &r);
	check(r.code == 404, "without --cards-token: %u", r.code);
	tsm_reply_free(&r);
	env_free(&e);
}

/* A backstage POST with the SE list and the control results. */
static void backstage_post(struct env *e, const char *path, const char *list,
			   const char *results, struct tsm_reply *r)
{
	struct tsm_request rq = {
		.method = "POST", .path = path, .protocol = RAM_PROTOCOL,
		.se_list = list, .control_result = results, .peer = "127.0.0.1",
		.device = "sha256:d1",
	};

	tsm_handle(e->t, &rq, r);
}

static void test_backstage(void)
{
	const char *list = "name=eSE1;index=0;kind=physical;transport=t1-serial;state=listed;designated=1;atr=3B8A80, "
			   "name=VSE2;index=3;kind=virtual;transport=vse;state=reported";
	struct tsm_reply r;
	char sum[64];
	struct env e;

	section = "backstage";
	check(!tsm_se_list_summary(list, sum, sizeof(sum)) &&
	      !strcmp(sum, "eSE1 listed designated, VSE2 reported"),
	      "the list summed up: %s", sum);
	check(!tsm_se_list_summary("", sum, sizeof(sum)) && !strcmp(sum, "none"),
	      "an empty list: %s", sum);
	check(tsm_se_list_summary("index=0;state=listed", sum, sizeof(sum)) == -EINVAL,
	      "an entry without a name");
	check(!tsm_se_list_summary(list, sum, 20) && strstr(sum, "..."),
	      "a summary cut short says so: %s", sum);

	env_init(&e, "backstage", 0x33, 0);
	backstage_post(&e, TSM_BACKSTAGE, list, NULL, &r);
	check(r.code == 204 && !r.next_uri[0] && !r.control[0] &&
	      !strcmp(r.result, "ok; SEs: eSE1 listed designated, VSE2 reported"),
	      "without --control: the list, the end: %u '%s'", r.code, r.result);
	tsm_reply_free(&r);
	backstage_post(&e, TSM_BACKSTAGE, "name=;;", NULL, &r);
	check(r.code == 400, "a list that does not parse: %u", r.code);
	tsm_reply_free(&r);
	env_free(&e);

	env_init(&e, "backstage-control", 0x33, 0);
	tsm_free(e.t);
	e.cfg.control = "delete VSE2, designate eSE1";
	if (tsm_new(&e.cfg, &e.t, NULL, 0))
		abort();
	backstage_post(&e, TSM_BACKSTAGE, list, NULL, &r);
	check(r.code == 204 && !strcmp(r.next_uri, TSM_BACKSTAGE_RESULT) &&
	      !strcmp(r.control, "delete VSE2, designate eSE1") && !r.result[0],
	      "with --control: the instructions and a Next-URI: %u '%s' '%s'",
	      r.code, r.next_uri, r.control);
	tsm_reply_free(&r);
	backstage_post(&e, TSM_BACKSTAGE_RESULT, "name=eSE1;state=listed;designated=1",
		       "delete VSE2: ok deleted, designate eSE1: ok listed designated", &r);
	check(r.code == 204 && !r.next_uri[0] &&
	      !strcmp(r.result, "ok; control: delete VSE2: ok deleted, designate eSE1: ok listed designated; SEs: eSE1 listed designated"),
	      "every instruction done: ok: '%s'", r.result);
	tsm_reply_free(&r);
	backstage_post(&e, TSM_BACKSTAGE_RESULT, list,
		       "delete VSE2: EPERM, designate eSE1: ok listed designated", &r);
	check(r.code == 204 && !strncmp(r.result, "error; control: delete VSE2: EPERM", 34),
	      "a refused instruction makes the verdict an error: '%s'", r.result);
	tsm_reply_free(&r);
	backstage_post(&e, TSM_BACKSTAGE_RESULT, list, NULL, &r);
	check(r.code == 204 && !strncmp(r.result, "error; control: no X-Secel-Control-Result;", 42),
	      "no results: an error: '%s'", r.result);
	tsm_reply_free(&r);
	env_free(&e);
}

static bool db_shows(struct tsm_db *db, const char *what)
{
	char *buf = NULL, err[256];
	size_t len = 0;
	bool found;
	FILE *f = open_memstream(&buf, &len);

	tsm_db_show(db, f, err, sizeof(err));
	fclose(f);
	found = buf && strstr(buf, what);
	if (!found && getenv("TEST_TSM_VERBOSE"))
		fprintf(stderr, "database:\n%s", buf ? buf : "");
	free(buf);
	return found;
}

/*
 * The instructions sent and not answered went out an hour ago: their
 * lease has run out (the time is the database's, not the TSM's clock).
 */
static void db_age_sent(const char *path)
{
	sqlite3 *h;

	if (sqlite3_open(path, &h) != SQLITE_OK ||
	    sqlite3_exec(h, "UPDATE queue SET sent = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-3600 seconds') "
			 "WHERE sent IS NOT NULL AND done IS NULL", NULL, NULL, NULL) != SQLITE_OK)
		check(false, "%s: %s", path, sqlite3_errmsg(h));
	sqlite3_close(h);
}

static void test_backstage_db(void)
{
	const char *list = "name=eSE1;index=0;kind=physical;transport=t1-serial;state=listed;designated=1;cin=0102, "
			   "name=VSE2;index=3;kind=virtual;transport=vse;state=reported";
	const char *listed = "name=eSE1;index=0;kind=physical;transport=t1-serial;state=listed, "
			     "name=VSE2;index=3;kind=virtual;transport=vse;state=listed;designated=1";
	const char *rejected = "name=eSE1;index=0;kind=physical;transport=t1-serial;state=listed, "
			       "name=VSE2;index=3;kind=virtual;transport=vse;state=rejected";
	struct tsm_se_entry ses[4];
	struct tsm_reply r;
	char path[PATH_MAX], err[256];
	struct tsm_db *db;
	struct env e;
	size_t n = 0;

	section = "backstage database";
	check(!tsm_se_list_parse(list, ses, 4, &n) && n == 2 &&
	      !strcmp(ses[1].name, "VSE2") && ses[1].index == 3 &&
	      !strcmp(ses[1].kind, "virtual") && !strcmp(ses[1].state, "reported") &&
	      ses[0].designated && !ses[1].designated &&
	      !strcmp(ses[0].cin, "0102") && !ses[1].cin[0],
	      "the list parsed: %zu", n);
	check(tsm_se_list_parse(list, ses, 1, &n) == -E2BIG, "a list too long");
	check(tsm_se_list_parse("kind=virtual;state=listed", ses, 4, &n) == -EINVAL,
	      "an entry without a name");

	snprintf(path, sizeof(path), "%s/backstage.db", tmpdir);
	check(!tsm_db_open(path, &db, err, sizeof(err)), "open: %s", err);
	check(!tsm_db_rule_add(db, "new", "virtual", NULL, "designate", err, sizeof(err)) &&
	      !tsm_db_rule_add(db, "rejected", NULL, "VSE*", "delete", err, sizeof(err)),
	      "two rules: %s", err);
	check(tsm_db_rule_add(db, "gone", NULL, NULL, "delete", err, sizeof(err)) == -EINVAL &&
	      tsm_db_rule_add(db, "new", NULL, NULL, "install", err, sizeof(err)) == -EINVAL &&
	      tsm_db_rule_add(db, "new", NULL, NULL, "install:", err, sizeof(err)) == -EINVAL &&
	      tsm_db_rule_add(db, "new", NULL, NULL, "install:a b", err, sizeof(err)) == -EINVAL &&
	      tsm_db_rule_add(db, "rejected", NULL, NULL, "install:purse", err, sizeof(err)) == -EINVAL,
	      "an unknown event, an unknown instruction, an install without a service or on rejected");
	check(!tsm_db_queue(db, "sha256:d1", "inquire eSE1", err, sizeof(err)),
	      "the operator queues: %s", err);

	env_init(&e, "backstage-db", 0x33, 0);
	tsm_free(e.t);
	e.cfg.db = db;
	if (tsm_new(&e.cfg, &e.t, NULL, 0))
		abort();
	backstage_post(&e, TSM_BACKSTAGE, list, NULL, &r);
	check(r.code == 204 && !strcmp(r.control, "inquire eSE1, designate VSE2") &&
	      !strcmp(r.next_uri, TSM_BACKSTAGE_RESULT "/1"),
	      "the queue, then the rule on the new virtual SE: %u '%s' '%s'",
	      r.code, r.control, r.next_uri);
	tsm_reply_free(&r);
	check(db_shows(db, "se device=sha256:d1 name=VSE2 index=3 kind=virtual transport=vse state=reported designated=0") &&
	      db_shows(db, "name=eSE1 index=0 kind=physical transport=t1-serial state=listed designated=1 atr= cin=0102") &&
	      db_shows(db, "instruction=designate VSE2 origin=rule 1 sent=20"),
	      "the list and the instructions sent are recorded");
	backstage_post(&e, TSM_BACKSTAGE_RESULT "/1", listed,
		       "inquire eSE1: ok listed designated, designate VSE2: ok listed designated", &r);
	check(r.code == 204 && !strncmp(r.result, "ok; control: inquire eSE1", 25),
	      "the results: %u '%s'", r.code, r.result);
	tsm_reply_free(&r);
	check(db_shows(db, "instruction=designate VSE2 origin=rule 1 sent=") &&
	      db_shows(db, "result=designate VSE2: ok listed designated") &&
	      db_shows(db, "name=VSE2 index=3 kind=virtual transport=vse state=listed designated=1"),
	      "each result with its instruction, the list afresh");
	backstage_post(&e, TSM_BACKSTAGE_RESULT "/1", listed, "inquire eSE1: ok listed", &r);
	check(r.code == 500, "a batch answered already: %u", r.code);
	tsm_reply_free(&r);

	backstage_post(&e, TSM_BACKSTAGE, listed, NULL, &r);
	check(r.code == 204 && !r.control[0] && !strncmp(r.result, "ok; SEs: ", 9),
	      "nothing new: nothing to do: '%s' '%s'", r.control, r.result);
	tsm_reply_free(&r);
	backstage_post(&e, TSM_BACKSTAGE, rejected, NULL, &r);
	check(r.code == 204 && !strcmp(r.control, "delete VSE2"),
	      "an SE rejected: the rule deletes it: '%s'", r.control);
	tsm_reply_free(&r);
	/*
	 * another session of the device while that one is under way (here
	 * or in another TSM sharing the database): nothing goes twice
	 */
	backstage_post(&e, TSM_BACKSTAGE, rejected, NULL, &r);
	check(r.code == 204 && !r.control[0] && !strncmp(r.result, "ok; SEs: ", 9),
	      "an instruction under way is not sent again in its lease: '%s' '%s'",
	      r.control, r.result);
	tsm_reply_free(&r);
	/*
	 * the answer never came and the lease (the session timeout) ran
	 * out: sent again, and the rule does not fire twice
	 */
	db_age_sent(path);
	backstage_post(&e, TSM_BACKSTAGE, rejected, NULL, &r);
	check(r.code == 204 && !strcmp(r.control, "delete VSE2") &&
	      !strcmp(r.next_uri, TSM_BACKSTAGE_RESULT "/3"),
	      "an instruction without a result goes again: '%s' '%s'",
	      r.control, r.next_uri);
	tsm_reply_free(&r);
	db_age_sent(path);
	backstage_post(&e, TSM_BACKSTAGE, "name=eSE1;index=0;kind=physical;transport=x;state=listed", NULL, &r);
	check(r.code == 204 && !strcmp(r.control, "delete VSE2"), "still pending");
	tsm_reply_free(&r);
	check(!db_shows(db, "name=VSE2 index="), "an SE no longer listed leaves the records");
	tsm_free(e.t);
	e.t = NULL;
	tsm_db_close(db);

	/* it is all in the file */
	check(!tsm_db_open(path, &db, err, sizeof(err)) &&
	      db_shows(db, "name=eSE1 index=0 kind=physical transport=x state=listed") &&
	      db_shows(db, "rule id=2 event=rejected kind=- name=VSE* op=delete"),
	      "reopened, the same: %s", err);
	tsm_db_close(db);
	tsm_service_free(&e.svc[0]);
	tsm_service_free(&e.svc[1]);
}

/*
 * A backstage POST as the relay of SE eSE1 (CIN 0F0F, channel 0) sends
 * it; a 200 with a script is run on @vc, the SE it targets, until the
 * TSM ends the session.  The last reply in @r; the number of scripts.
 */
static unsigned int backstage_drive(struct env *e, const char *list,
				    struct vcard *vc, struct tsm_reply *r,
				    char *target, size_t room)
{
	static const char from[] = "//se-id/cin/0F0F" ISD_FROM;
	static uint8_t rsp[VC_RSP_MAX];
	static struct ram_script sc;
	struct tsm_request rq = {
		.method = "POST", .path = TSM_BACKSTAGE, .protocol = RAM_PROTOCOL,
		.se_list = list, .peer = "127.0.0.1", .device = "sha256:d1",
		.from = from, .se_info = "name=eSE1;kind=eSE;transport=vse;channel=0",
	};
	struct ram_buf out = { 0 };
	struct ram_err err;
	char path[128];
	unsigned int scripts = 0;
	size_t i, rl;

	target[0] = '\0';
	tsm_handle(e->t, &rq, r);
	while (r->code == 200 && vc && scripts < 16) {
		scripts++;
		snprintf(target, room, "%s", r->target_se);
		out.len = 0;
		if (ram_script_parse(r->body, r->len, &sc, &err) ||
		    ram_response_begin(&out, false, sc.n))
			abort();
		for (i = 0; i < sc.n; i++) {
			rl = sizeof(rsp);
			if (card_xfer(vc, 0, sc.apdu[i].data, sc.apdu[i].len,
				      rsp, &rl) ||
			    ram_response_add(&out, rsp, rl))
				abort();
		}
		if (ram_response_end(&out))
			abort();
		snprintf(path, sizeof(path), "%s", r->next_uri);
		tsm_reply_free(r);
		memset(&rq, 0, sizeof(rq));
		rq.method = "POST";
		rq.path = path;
		rq.protocol = RAM_PROTOCOL;
		rq.from = from;		/* the relay's SE, not the target */
		rq.device = "sha256:d1";
		rq.status = RAM_ST_OK;
		rq.content_type = RAM_CT_RESPONSE;
		rq.body = out.data;
		rq.len = out.len;
		tsm_handle(e->t, &rq, r);
	}
	ram_buf_free(&out);
	return scripts;
}

static bool body_has(const struct tsm_reply *r, const char *what)
{
	return r->body && memmem(r->body, r->len, what, strlen(what));
}

/*
 * "Install the purse on every new eSE": a rule install:purse; the TSM
 * runs the install on that SE (X-Secel-Targeted-SE) in the device's
 * backstage session, once, records how it went, tries again after a
 * session that dropped, and not again after success.
 */
static void test_backstage_install(void)
{
	static const uint8_t cin2[] = { 0x53, 0x45, 0x43, 0x02 };
	char path[PATH_MAX], err[256], list[512], target[32], exp[256];
	const struct vc_inst *ci;
	struct tsm_reply r;
	struct tsm_db *db;
	struct vcard *vc, *vc4;
	unsigned int n;
	struct env e;

	section = "backstage install rule";
	snprintf(path, sizeof(path), "%s/install.db", tmpdir);
	check(!tsm_db_open(path, &db, err, sizeof(err)), "open: %s", err);
	check(!tsm_db_rule_add(db, "new", "eSE", NULL, "install:purse", err, sizeof(err)) &&
	      !tsm_db_rule_add(db, "new", "SIM", NULL, "install:nosuch", err, sizeof(err)),
	      "install rules: %s", err);
	env_init(&e, "backstage-install", 0x33, 0);
	tsm_free(e.t);
	e.cfg.db = db;
	if (tsm_new(&e.cfg, &e.t, NULL, 0))
		abort();
	vc = new_card(cin2, sizeof(cin2), NULL);

	/* eSE2 is new: the purse goes on it; VSE3 (virtual) gets nothing */
	snprintf(list, sizeof(list),
		 "name=eSE1;index=0;kind=eSE;transport=vse;state=listed;designated=1, "
		 "name=eSE2;index=1;kind=eSE;transport=vse;state=listed;cin=53454302, "
		 "name=VSE3;index=2;kind=virtual;transport=vse;state=listed;cin=53454302");
	n = backstage_drive(&e, list, vc, &r, target, sizeof(target));
	check(n == 3 && !strcmp(target, "eSE2") && r.code == 204 &&
	      !strcmp(r.result, "ok; installed " PURSE_APP " on 53454302"),
	      "the rule installs on the new eSE2: %u scripts on '%s', %u '%s'",
	      n, target, r.code, r.result);
	tsm_reply_free(&r);
	ci = card_app(vc, purse_mod, sizeof(purse_mod));
	check(ci && ci->lifecycle == GP_LC_SELECTABLE, "the purse is on eSE2's card");
	check(db_shows(db, "install rule=1 device=sha256:d1 se=eSE2 service=purse state=ok tries=1 updated=20") &&
	      db_shows(db, "result=ok; installed " PURSE_APP " on 53454302") &&
	      !db_shows(db, "se=VSE3"),
	      "recorded: ok, once; nothing for the virtual SE");
	/* eSE1 was new too, but shows no CIN: failed, with the reason */
	check(db_shows(db, "se=eSE1 service=purse state=failed tries=1") &&
	      db_shows(db, "result=error; the device does not show SE eSE1's CIN"),
	      "an eSE without its CIN: failed, and why");

	/* the next session: nothing to install again */
	n = backstage_drive(&e, list, vc, &r, target, sizeof(target));
	check(n == 0 && r.code == 204 && !strncmp(r.result, "ok; SEs: ", 9),
	      "done once: the next session ends at once: %u '%s'", r.code, r.result);
	tsm_reply_free(&r);

	/* a SIM: the rule names a service this TSM does not have */
	snprintf(list + strlen(list), sizeof(list) - strlen(list),
		 ", name=SIM1;index=5;kind=SIM;transport=t0;state=listed;cin=0101");
	n = backstage_drive(&e, list, vc, &r, target, sizeof(target));
	check(n == 0 && r.code == 204 &&
	      db_shows(db, "se=SIM1 service=nosuch state=failed tries=1") &&
	      db_shows(db, "result=error; no service 'nosuch' in this TSM"),
	      "no such service: failed, and why: %u '%s'", r.code, r.result);
	tsm_reply_free(&r);

	/* eSE4: its session drops after script 1; the next one installs */
	vc4 = new_card((const uint8_t *)"\x53\x45\x43\x04", 4, NULL);
	snprintf(list + strlen(list), sizeof(list) - strlen(list),
		 ", name=eSE4;index=6;kind=eSE;transport=vse;state=listed;cin=53454304");
	n = backstage_drive(&e, list, NULL, &r, target, sizeof(target));
	check(r.code == 200 && !strcmp(r.target_se, "eSE4") &&
	      starts(r.next_uri, TSM_SESSION_PREFIX),
	      "eSE4: script 1 goes to it: %u '%s'", r.code, r.target_se);
	tsm_reply_free(&r);
	check(db_shows(db, "se=eSE4 service=purse state=running tries=1"),
	      "running while its session is");
	e.clock += TSM_TIMEOUT + 1;
	tsm_expire(e.t);
	check(db_shows(db, "se=eSE4 service=purse state=pending tries=1") &&
	      db_shows(db, "result=error; session abandoned after script 1"),
	      "the session dropped: pending again");
	n = backstage_drive(&e, list, vc4, &r, target, sizeof(target));
	snprintf(exp, sizeof(exp), "ok; installed %s on 53454304", PURSE_APP);
	check(n == 3 && !strcmp(target, "eSE4") && r.code == 204 &&
	      !strcmp(r.result, exp) &&
	      db_shows(db, "se=eSE4 service=purse state=ok tries=2"),
	      "retried in the next session: installed: %u '%s'", r.code, r.result);
	tsm_reply_free(&r);
	check(card_app(vc4, purse_mod, sizeof(purse_mod)) != NULL,
	      "the purse is on eSE4's card");

	/* eSE4 goes and comes back: it has the purse, nothing again */
	n = backstage_drive(&e, "name=eSE1;index=0;kind=eSE;transport=vse;state=listed",
			    vc4, &r, target, sizeof(target));
	tsm_reply_free(&r);
	n += backstage_drive(&e, list, vc4, &r, target, sizeof(target));
	check(n == 0 && r.code == 204 &&
	      db_shows(db, "se=eSE4 service=purse state=ok tries=2"),
	      "an SE back after its install: not installed twice: %u '%s'",
	      r.code, r.result);
	tsm_reply_free(&r);

	/* the operator's view: GET /devices behind the token */
	{
		struct tsm_request rq = { .method = "GET", .path = "/devices" };

		tsm_handle(e.t, &rq, &r);
		check(r.code == 401, "GET /devices without a token: %u", r.code);
		tsm_reply_free(&r);
		rq.authorization = "Bearer not-the-token";
		tsm_handle(e.t, &rq, &r);
		check(r.code == 403, "GET /devices with another token: %u", r.code);
		tsm_reply_free(&r);
		rq.authorization = "Bearer " CARDS_TOKEN;
		tsm_handle(e.t, &rq, &r);
		check(r.code == 200 && r.content_type &&
		      !strcmp(r.content_type, "application/json") && r.body &&
		      body_has(&r, "{\"devices\": [{\"id\": 1, \"identity\": \"sha256:d1\"") &&
		      body_has(&r, "{\"name\": \"eSE4\", \"index\": 6, \"kind\": \"eSE\"") &&
		      body_has(&r, "\"se\": \"eSE4\", \"service\": \"purse\", \"state\": \"ok\", \"tries\": 2") &&
		      body_has(&r, "\"rules\": [{\"id\": 1, \"event\": \"new\", \"kind\": \"eSE\", \"name\": null, \"op\": \"install:purse\"}"),
		      "GET /devices: the devices, their SEs, installs, rules: %u %.*s",
		      r.code, (int)r.len, r.body ? (char *)r.body : "");
		tsm_reply_free(&r);
		rq.path = "/devices/1";
		tsm_handle(e.t, &rq, &r);
		check(r.code == 200 && r.body && r.len > 2 && r.body[0] == '{' &&
		      body_has(&r, "\"queue\": [") &&
		      !body_has(&r, "\"rules\""),
		      "GET /devices/1: that device: %u", r.code);
		tsm_reply_free(&r);
		rq.path = "/devices/7";
		tsm_handle(e.t, &rq, &r);
		check(r.code == 404, "GET /devices/7, no such device: %u", r.code);
		tsm_reply_free(&r);
		rq.path = "/devices/x";
		tsm_handle(e.t, &rq, &r);
		check(r.code == 404, "GET /devices/x: %u", r.code);
		tsm_reply_free(&r);
		rq.method = "POST";
		rq.path = "/devices";
		tsm_handle(e.t, &rq, &r);
		check(r.code == 405, "POST /devices: %u", r.code);
		tsm_reply_free(&r);
	}

	vcard_free(vc);
	vcard_free(vc4);
	env_free(&e);
	tsm_db_close(db);
}

/* One first POST from @peer for @cin: the HTTP status. */
static unsigned int begin_from(struct env *e, const char *cin,
			       const char *peer, char *next, size_t room)
{
	char from[128];
	struct tsm_request rq = {
		.method = "POST", .path = "/ram/purse",
		.protocol = RAM_PROTOCOL, .from = from, .peer = peer,
	};
	struct tsm_reply r;
	unsigned int code;

	snprintf(from, sizeof(from), "//se-id/cin/%s" ISD_FROM, cin);
	tsm_handle(e->t, &rq, &r);
	code = r.code;
	if (next)
		snprintf(next, room, "%s", r.next_uri);
	tsm_reply_free(&r);
	return code;
}

/*
 * Whoever knows a CIN opens sessions without keys: 65 of them do not lock
 * the card's own session out, and one peer holds a few at most.
 */
static void test_session_bounds(void)
{
	struct run rn = { .die_after_loads = -1 };
	struct env e;
	struct vcard *vc;
	unsigned int i, ok = 0;
	int ret;

	section = "sessions per CIN";
	env_init(&e, "bounds", 0x33, 0);
	for (i = 0; i < 65; i++)
		ok += begin_from(&e, "534543454C000001", "10.9.9.9", NULL, 0) ==
		      200;
	check(tsm_nsessions(e.t) == TSM_PER_CIN_MAX,
	      "65 bodiless POSTs for one CIN hold %zu sessions", tsm_nsessions(e.t));
	printf("test-tsm: 65 first POSTs for one CIN: %u answered, %zu sessions held\n",
	       ok, tsm_nsessions(e.t));
	/* the card's own session, from elsewhere, goes through */
	vc = new_card(NULL, 0, NULL);
	ret = run(&e, vc, &rn);
	check(!ret && starts(rn.result, "ok; installed"), "after the flood: %s",
	      rn.result);
	check(begin_from(&e, "534543454C000001", "10.9.9.9", NULL, 0) == 200 &&
	      begin_from(&e, "534543454C000001", "10.9.9.9", NULL, 0) == 200 &&
	      tsm_nsessions(e.t) == TSM_PER_CIN_MAX, "flood again: %zu",
	      tsm_nsessions(e.t));
	vcard_free(vc);

	section = "sessions per peer";
	for (i = 0; i < 65; i++) {
		char cin[8];

		snprintf(cin, sizeof(cin), "%04X", i);
		begin_from(&e, cin, "10.7.7.7", NULL, 0);
	}
	/* and the two left for the CIN above */
	check(tsm_nsessions(e.t) == TSM_PER_PEER_MAX + TSM_PER_CIN_MAX,
	      "65 sessions from one peer hold %zu", tsm_nsessions(e.t));
	printf("test-tsm: 65 first POSTs from one peer, 65 CINs: %zu sessions held\n",
	       tsm_nsessions(e.t));
	env_free(&e);
}

/* X-Admin-Resume: the answer lost, the same request again */
static void test_resume(void)
{
	struct run rn = { .die_after_loads = -1 };
	struct tsm_request rq;
	struct tsm_reply r, again;
	char next[128];
	struct env e;

	section = "X-Admin-Resume";
	env_init(&e, "resume", 0x33, 0);
	check(begin_from(&e, "534543454C000001", "10.1.1.1", next,
			 sizeof(next)) == 200, "begin");
	/* a status that is not ok, without a body: the session ends well */
	memset(&rq, 0, sizeof(rq));
	rq.method = "POST";
	rq.path = next;
	rq.protocol = RAM_PROTOCOL;
	rq.status = "unknown-application";
	tsm_handle(e.t, &rq, &r);
	check(r.code == 204 && !strcmp(r.result, "error; the agent ran none of script 1 (unknown-application)"),
	      "bodiless status: %u %s", r.code, r.result);
	tsm_reply_free(&r);
	/* its 204 lost: the same request again gets the same answer */
	rq.resume = true;
	tsm_handle(e.t, &rq, &again);
	check(again.code == 204 && !strcmp(again.result, "error; the agent ran none of script 1 (unknown-application)"),
	      "the last answer again: %u %s", again.code, again.result);
	tsm_reply_free(&again);
	/* without X-Admin-Resume, or another request: no such session */
	rq.resume = false;
	tsm_handle(e.t, &rq, &again);
	check(again.code == 404, "an ended session without resume: %u",
	      again.code);
	tsm_reply_free(&again);
	rq.resume = true;
	rq.status = "security-error";
	tsm_handle(e.t, &rq, &again);
	check(again.code == 404, "another request resumed: %u", again.code);
	tsm_reply_free(&again);
	/* after the session timeout, it is gone */
	rq.status = "unknown-application";
	e.clock += TSM_TIMEOUT;
	tsm_expire(e.t);
	tsm_handle(e.t, &rq, &again);
	check(again.code == 404, "kept past the timeout: %u", again.code);
	tsm_reply_free(&again);

	/* a whole install, every answer lost once */
	{
		struct vcard *vc = new_card(NULL, 0, NULL);
		int ret;

		rn.lose_each = true;
		ret = run(&e, vc, &rn);
		check(!ret && starts(rn.result, "ok; installed"),
		      "every answer lost once: %s", rn.result);
		check(card_elfs(vc) == 1 && card_apps(vc) == 1, "%d %d",
		      card_elfs(vc), card_apps(vc));
		vcard_free(vc);
	}
	env_free(&e);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f))
		abort();
}

static void test_config(void)
{
	struct tsm_service svc;
	struct tsm_keys *k;
	char path[PATH_MAX + 64], err[512];
	size_t n;
	struct env e;
	struct vcard *vc;
	struct run rn = { .die_after_loads = -1 };
	int ret;

	section = "key file";
	snprintf(path, sizeof(path), "%s/keys", tmpdir);
	write_file(path, "# cards\n0102 30:" TEST_KEY ":" TEST_KEY ":" TEST_KEY
		   "  # one\n\n* 31:" TEST_KEY "\n");
	ret = tsm_read_keys(path, &k, &n, err, sizeof(err));
	check(!ret && n == 2 && !k[0].any && k[0].cin_len == 2 && k[1].any &&
	      k[1].ks.kvn == 0x31, "%d %s", ret, err);
	if (!ret)
		free(k);
	write_file(path, "0102 30:" TEST_KEY "\n0103 30:4041\n");
	ret = tsm_read_keys(path, &k, &n, err, sizeof(err));
	check(ret && strstr(err, "/keys:2: ENC key"), "short key: %s", err);
	write_file(path, "01Z2 30:" TEST_KEY "\n");
	ret = tsm_read_keys(path, &k, &n, err, sizeof(err));
	check(ret && strstr(err, "/keys:1: CIN"), "bad CIN: %s", err);
	write_file(path, "0102 80:" TEST_KEY "\n");
	ret = tsm_read_keys(path, &k, &n, err, sizeof(err));
	check(ret && strstr(err, "/keys:1: key version"), "kvn: %s", err);
	write_file(path, "0102 30:" TEST_KEY " extra\n");
	ret = tsm_read_keys(path, &k, &n, err, sizeof(err));
	check(ret && strstr(err, "/keys:1: not"), "extra: %s", err);
	write_file(path, "* 30:" TEST_KEY "\n* 30:" TEST_KEY "\n");
	ret = tsm_read_keys(path, &k, &n, err, sizeof(err));
	check(ret && strstr(err, "/keys:2:"), "twice: %s", err);
	write_file(path, "# none\n");
	ret = tsm_read_keys(path, &k, &n, err, sizeof(err));
	check(ret && strstr(err, "no keys"), "empty: %s", err);

	section = "services";
	check(tsm_parse_service("purse", &svc, err, sizeof(err)) &&
	      strstr(err, "NAME:LOADFILE"), "%s", err);
	check(tsm_parse_service("pu rse:/x:" PURSE_APP, &svc, err, sizeof(err)),
	      "bad name");
	check(tsm_parse_service("p:/nonexistent:" PURSE_APP, &svc, err,
				sizeof(err)) && strstr(err, "/nonexistent"),
	      "%s", err);
	check(tsm_parse_service("p:/etc/hostname:01", &svc, err, sizeof(err)) &&
	      strstr(err, "instance AID"), "%s", err);
	snprintf(path, sizeof(path), "p:%s/purse.slf:" PURSE_APP ":DF1010" TEST_KEY,
		 tmpdir);
	check(tsm_parse_service(path, &svc, err, sizeof(err)) &&
	      strstr(err, "DF10"), "purse key given: %s", err);
	snprintf(path, sizeof(path), "p:%s/keys:" PURSE_APP, tmpdir);
	check(tsm_parse_service(path, &svc, err, sizeof(err)) &&
	      strstr(err, "not a secel load file"), "%s", err);

	section = "records";
	env_init(&e, "persist", 0x33, 0);
	vc = new_card(NULL, 0, NULL);
	ret = run(&e, vc, &rn);
	check(!ret, "install: %s", rn.result);
	tsm_free(e.t);
	ret = env_start(&e, 0x33, 0, true);
	check(!ret && records_have(&e, "\"state\": \"installed\"") &&
	      records_have(&e, "534543454C000001"),
	      "records not read back");
	check(!records_have(&e, "purse_key\": \"") && records_have(&e,
		"\"purse_key\": true"), "purse key shown in GET /cards");
	tsm_free(e.t);
	snprintf(path, sizeof(path), "%s/card-534543454C000001", e.records);
	write_file(path, "secel-tsm-card 1\ncin 534543454C000001\nkvn 30\nseen 1 2 three\nend\n");
	ret = env_start(&e, 0x33, 0, true);
	check(ret, "a bad record taken");
	write_file(path, "secel-tsm-card 1\ncin 534543454C000001\nkvn 30\n");
	ret = env_start(&e, 0x33, 0, true);
	check(ret, "a record cut short taken");
	e.t = NULL;
	env_free(&e);
	vcard_free(vc);
	{
		char msg[512];
		struct records rec;

		snprintf(path, sizeof(path), "%s/card-534543454C000001",
			 e.records);
		unlink(path);
		snprintf(path, sizeof(path), "%s/card-01", e.records);
		write_file(path, "secel-tsm-card 1\ncin 01\nkvn 30\nseen 1 2 x\nend\n");
		ret = rec_load(&rec, e.records, msg, sizeof(msg));
		check(ret && strstr(msg, "card-01:4: not understood"),
		      "%s", msg);
	}

	section = "levels and blocks";
	memset(&e, 0, sizeof(e));
	service(&e.svc[0], "big", true, 30000, NULL);
	add_keys(&e, NULL, "30:" TEST_KEY);
	check(env_start(&e, 0x00, 0, false), "level 00 taken");
	check(env_start(&e, 0x31, 0, false), "level 31 taken");
	e.cfg.block = 16;
	check(env_start(&e, 0x33, 0, false), "257 blocks taken");
	e.cfg.block = 240;
	check(env_start(&e, 0x33, 0, false), "240 bytes at level 33 taken");
	e.cfg.block = 0;
	check(!env_start(&e, 0x33, 0, false), "default");
	env_free(&e);
}

/*
 * Issue 9 item 15: the LOAD block size.  Extended-length blocks when the
 * SE carries them and the card's 9F65 allows, short ones else, and a load
 * file that does not fit 256 blocks refused before the first one.
 */
static void test_load_blocks(void)
{
	struct run rn = { .die_after_loads = -1, .service = "big64" };
	size_t ext = scp03_data_room_field(0x33, 65535);
	struct vcard *vc;
	unsigned int ch;
	struct env e;
	uint8_t *lf;
	size_t over;
	bool x;
	int ret;

	section = "LOAD block size";
	check(tsm_load_block(0x33, 0, false, 65535) == 239,
	      "no extended APDUs on the SE: %zu",
	      tsm_load_block(0x33, 0, false, 65535));
	check(tsm_load_block(0x33, 0, true, 0) == 239 &&
	      tsm_load_block(0x33, 0, true, 255) == 239,
	      "no 9F65 above 255: short blocks");
	check(ext > 65000 && tsm_load_block(0x33, 0, true, 65535) == ext,
	      "9F65 65535 at level 33: %zu",
	      tsm_load_block(0x33, 0, true, 65535));
	check(tsm_load_block(0x01, 0, true, 1024) == 1016,
	      "9F65 1024 at level 01 (MAC only): %zu",
	      tsm_load_block(0x01, 0, true, 1024));
	check(tsm_load_block(0x33, 100, true, 65535) == 100,
	      "--block caps the extended block");
	check(tsm_load_blocks(65536, 239) == 275 &&
	      tsm_load_blocks(65536, ext) == 2 &&
	      tsm_load_blocks(61180, 239) == 256 &&
	      tsm_load_blocks(61181, 239) == 257,
	      "blocks: %zu %zu %zu %zu", tsm_load_blocks(65536, 239),
	      tsm_load_blocks(65536, ext), tsm_load_blocks(61180, 239),
	      tsm_load_blocks(61181, 239));
	check(!tsm_parse_se_info("name=a;channel=2;extended=1", &ch, NULL, 0,
				 &x) && x && ch == 2 &&
	      !tsm_parse_se_info("channel=2", &ch, NULL, 0, &x) && !x &&
	      tsm_parse_se_info("extended=yes", &ch, NULL, 0, &x) == -EINVAL,
	      "X-Secel-SE-Info extended=");

	/* a load file of 64 KiB: 275 short blocks, 2 extended ones */
	memset(&e, 0, sizeof(e));
	snprintf(e.records, sizeof(e.records), "%s/records-big64", tmpdir);
	lf = malloc(GP_LF_MAX);
	if (!lf)
		abort();
	over = make_lf(lf, true, 1000) - 1000;	/* the same at 64 KiB */
	free(lf);
	service(&e.svc[0], "big64", true, 65536 - over, "DF110400001388");
	add_keys(&e, NULL, "30:" TEST_KEY ":" TEST_KEY ":" TEST_KEY);
	check(e.svc[0].lf_len == 65536, "load file of %zu bytes",
	      e.svc[0].lf_len);
	check(!env_start(&e, 0x33, 0, true), "a 64 KiB load file taken");

	section = "extended LOAD blocks";
	vc = new_card(NULL, 0, NULL);
	vc->cfg.extended = true;
	rn.extended = true;
	ret = run(&e, vc, &rn);
	check(!ret && !strcmp(rn.result, "ok; installed " PURSE_APP
			      " on 534543454C000001"),
	      "extended: %d %u %s %s", ret, rn.code, rn.result, rn.text);
	check(rn.scripts == 3 && rn.loads == 2,
	      "extended: %u scripts, %u LOAD blocks", rn.scripts, rn.loads);
	check(card_elfs(vc) == 1 && card_app(vc, purse_mod, sizeof(purse_mod)),
	      "extended: the purse is on the card");
	vcard_free(vc);

	section = "short LOAD blocks refused";
	/* the SE carries short APDUs only */
	vc = new_card(NULL, 0, NULL);
	vc->cfg.extended = true;
	rn.extended = false;
	ret = run(&e, vc, &rn);
	check(rn.code == 204 && strstr(rn.result, "error; load file " PURSE_ELF
				       " of ") &&
	      strstr(rn.result, "needs 275 LOAD blocks of 239 bytes, at most 256 go (the SE does not carry extended-length APDUs); nothing sent"),
	      "short SE: %u %s %s", rn.code, rn.result, rn.text);
	check(rn.loads == 0 && card_elfs(vc) == 0, "short SE: %u LOADs sent",
	      rn.loads);
	vcard_free(vc);
	/* the card offers no extended APDUs (its 9F65 is FF) */
	vc = new_card(NULL, 0, NULL);
	rn.extended = true;
	ret = run(&e, vc, &rn);
	check(rn.code == 204 &&
	      strstr(rn.result, "at most 256 go (the card's FCI offers no extended-length APDUs (9F65)); nothing sent"),
	      "short card: %u %s %s", rn.code, rn.result, rn.text);
	check(rn.loads == 0 && card_elfs(vc) == 0,
	      "short card: %u LOADs sent", rn.loads);
	vcard_free(vc);
	env_free(&e);
}

/* ---- through HTTP: secel-relay's loop and the secel-tsm binary ---------- */

static struct vcard *http_card;
static unsigned int http_channel;

static int relay_xmit(void *priv, const uint8_t *cmd, size_t len,
		      uint8_t *rsp, size_t *rsp_len)
{
	(void)priv;
	return card_xfer(http_card, http_channel, cmd, len, rsp, rsp_len);
}

/* More arguments for start_tsm() (NULL-ended), and where its log goes. */
static const char *tsm_more[8];
static const char *tsm_log;

static pid_t start_tsm(const char *ready, const char *cert,
		       const char *key, char *url, size_t room)
{
	char keys[PATH_MAX], svc[PATH_MAX + 64], rec[PATH_MAX];
	const char *argv[32];
	int i, n = 0;
	pid_t pid;
	FILE *f;

	snprintf(keys, sizeof(keys), "%s/http-keys", tmpdir);
	write_file(keys, "* 30:" TEST_KEY "\n");
	snprintf(svc, sizeof(svc), "purse:%s/purse.slf:" PURSE_APP, tmpdir);
	snprintf(rec, sizeof(rec), "%s/http-records", tmpdir);
	argv[n++] = "secel-tsm";
	argv[n++] = "--listen";
	argv[n++] = "127.0.0.1:0";
	argv[n++] = "--keys";
	argv[n++] = keys;
	argv[n++] = "--service";
	argv[n++] = svc;
	argv[n++] = "--records";
	argv[n++] = rec;
	argv[n++] = "--ready-file";
	argv[n++] = ready;
	if (cert) {
		argv[n++] = "--tls-cert";
		argv[n++] = cert;
		argv[n++] = "--tls-key";
		argv[n++] = key;
	}
	for (i = 0; tsm_more[i]; i++)
		argv[n++] = tsm_more[i];
	if (getenv("TEST_TSM_VERBOSE"))
		argv[n++] = "-v";
	argv[n] = NULL;
	unlink(ready);
	pid = fork();
	if (!pid) {
		int fd = tsm_log ? open(tsm_log, O_WRONLY | O_CREAT | O_TRUNC, 0600) :
				   open("/dev/null", O_WRONLY);

		if (tsm_log || !getenv("TEST_TSM_VERBOSE"))
			dup2(fd, 2);
		execv("./secel-tsm", (char **)argv);
		_exit(127);
	}
	for (i = 0; i < 100; i++) {
		f = fopen(ready, "r");
		if (f) {
			if (fgets(url, room, f)) {
				url[strcspn(url, "\n")] = '\0';
				fclose(f);
				return pid;
			}
			fclose(f);
		}
		usleep(50000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

static void stop_tsm(pid_t pid)
{
	int st = 0;

	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
	check(WIFEXITED(st) && !WEXITSTATUS(st), "secel-tsm exit %d", st);
}

/*
 * One session of secel-relay's loop from SE eSE1 on @vc (a logical
 * channel of it), at most @rounds POSTs; @bs NULL: no backstage.
 */
static void relay_session(const char *url, const char *cacert,
			  struct vcard *vc, const struct relay_backstage *bs,
			  unsigned int rounds, struct relay_outcome *out)
{
	struct relay_se se = { .name = "eSE1", .kind = "virtual",
			       .transport = "vse" };
	static const uint8_t isd[] = { 0xa0, 0, 0, 1, 0x51, 0, 0, 0 };
	char from[512], info[1024];
	struct relay_cfg cfg;
	struct relay_card card = { .transmit = relay_xmit };

	http_card = vc;
	http_channel = open_channel(vc);
	se.channel = http_channel;
	se.cin.data = vc->cfg.cin.val;
	se.cin.len = vc->cfg.cin.len;
	relay_from_header(&se, isd, sizeof(isd), from, sizeof(from));
	relay_se_info_header(&se, info, sizeof(info));
	memset(&cfg, 0, sizeof(cfg));
	cfg.url = url;
	cfg.se_name = "eSE1";
	cfg.from = from;
	cfg.se_info = info;
	cfg.sd = isd;
	cfg.sd_len = sizeof(isd);
	cfg.cacert = cacert;
	cfg.backstage = bs;
	cfg.timeout = 20;
	cfg.max_rounds = rounds;
	relay_run(&cfg, &card, out);
	close_channel(vc, http_channel);
}

static void relay_once(const char *url, const char *cacert, struct vcard *vc,
		       struct relay_outcome *out)
{
	relay_session(url, cacert, vc, NULL, 64, out);
}

static unsigned int url_port(const char *url)
{
	const char *p = strrchr(url, ':');

	return p ? (unsigned int)atoi(p + 1) : 0;
}

/*
 * 130 connections from 127.0.0.1 that never send a request: how many the
 * TSM keeps open (the rest it closes at once).
 */
static unsigned int slow_connections_held(const char *url, int *fds,
					  unsigned int n)
{
	struct sockaddr_in sin;
	unsigned int i, held = 0;
	char c;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(url_port(url));
	for (i = 0; i < n; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (fds[i] >= 0 && connect(fds[i], (struct sockaddr *)&sin,
					   sizeof(sin))) {
			close(fds[i]);
			fds[i] = -1;
		}
	}
	usleep(500000);
	for (i = 0; i < n; i++) {
		if (fds[i] < 0)
			continue;
		if (recv(fds[i], &c, 1, MSG_DONTWAIT | MSG_PEEK) < 0 &&
		    (errno == EAGAIN || errno == EWOULDBLOCK))
			held++;
	}
	return held;
}

/*
 * The HTTP status a first POST (no body) for another CIN gets from the
 * TSM at @url when it comes from @from (a loopback address other than
 * the flooding one's); 0 when the connection is refused, reset or
 * closed without an answer, or none comes within 10 s.
 */
static unsigned int first_post_from(const char *url, const char *from)
{
	static const char req[] =
		"POST /ram/purse HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		"X-Admin-Protocol: " RAM_PROTOCOL "\r\n"
		"X-Admin-From: //se-id/cin/0102030405060709" ISD_FROM "\r\n"
		"Content-Length: 0\r\nConnection: close\r\n\r\n";
	struct timeval tv = { .tv_sec = 10 };
	struct sockaddr_in sin;
	unsigned int code = 0;
	char buf[64];
	ssize_t n;
	int fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return 0;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	if (inet_pton(AF_INET, from, &sin.sin_addr) != 1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)))
		goto out;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(url_port(url));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) != sizeof(req) - 1)
		goto out;
	n = recv(fd, buf, sizeof(buf) - 1, MSG_WAITALL);
	if (n > 0) {
		buf[n] = 0;
		if (sscanf(buf, "HTTP/1.1 %u", &code) != 1)
			code = 0;
	}
out:
	close(fd);
	return code;
}

/* Whether the TSM at @url completes a handshake at TLS version @v. */
static bool tls_accepts(const char *url, const char *v)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "timeout 10 openssl s_client -connect 127.0.0.1:%u -%s -cipher DEFAULT@SECLEVEL=0 < /dev/null > /dev/null 2>&1",
		 url_port(url), v);
	return system(cmd) == 0;
}

/* The backstage of a device whose relay's own SE is eSE1 (http_card). */
struct e2e_dev {
	const char *list;
	struct vcard *ese2;		/* the SE the install rule aims at */
	unsigned int ese2_channel;
	struct relay_card ese2_card;
};

static int e2e_xmit(void *priv, const uint8_t *cmd, size_t len,
		    uint8_t *rsp, size_t *rsp_len)
{
	struct e2e_dev *d = priv;

	return card_xfer(d->ese2, d->ese2_channel, cmd, len, rsp, rsp_len);
}

static int e2e_list(void *priv, const struct bs_tsm *tsm, char *out,
		    size_t room)
{
	const struct e2e_dev *d = priv;

	(void)tsm;
	snprintf(out, room, "%s", d->list);
	return 0;
}

static void e2e_control(void *priv, const struct bs_tsm *tsm,
			const struct bs_request *rq, char *result, size_t room)
{
	(void)priv;
	(void)tsm;
	bs_result_add(result, room, rq, -EPERM, 0, false);
}

static int e2e_target(void *priv, const struct bs_tsm *tsm, const char *se,
		      const struct relay_card **card, char *why, size_t room)
{
	struct e2e_dev *d = priv;

	(void)tsm;
	if (!se)
		return 0;
	if (strcmp(se, "eSE2")) {
		snprintf(why, room, "no SE %s", se);
		return -ENODEV;
	}
	d->ese2_card.transmit = e2e_xmit;
	d->ese2_card.priv = d;
	*card = &d->ese2_card;
	return 0;
}

/* One backstage session of the device at @url, at most @rounds POSTs. */
static void relay_backstage_once(const char *url, struct vcard *own,
				 struct e2e_dev *d, unsigned int rounds,
				 struct relay_outcome *out)
{
	struct relay_backstage bs = {
		.list = e2e_list, .control = e2e_control,
		.target = e2e_target, .priv = d,
	};
	char full[300];

	/* the target's channel: the first of a fresh SE, as the relay's */
	d->ese2_channel = open_channel(d->ese2);
	snprintf(full, sizeof(full), "%s" TSM_BACKSTAGE, url);
	memset(out, 0, sizeof(*out));
	relay_session(full, NULL, own, &bs, rounds, out);
	close_channel(d->ese2, d->ese2_channel);
}

/* Whether file @path has @what, within 30 s. */
static bool file_gets(const char *path, const char *what)
{
	char line[1024];
	int i;

	for (i = 0; i < 300; i++) {
		FILE *f = fopen(path, "r");

		while (f && fgets(line, sizeof(line), f))
			if (strstr(line, what)) {
				fclose(f);
				return true;
			}
		if (f)
			fclose(f);
		usleep(100000);
	}
	return false;
}

/*
 * An install rule's session dropped by the relay mid-install (after
 * script 1), end to end: two secel-tsm processes on one database; once
 * the dropped session's time is up the other TSM takes the install up
 * and completes it, and the first TSM's expiry of its session then
 * changes nothing: the purse is on the SE once, the install recorded ok
 * once, at its second try.
 */
static void test_http_install_retry(void)
{
	static const uint8_t cin2[] = { 0x53, 0x45, 0x43, 0x02 };
	char ready[PATH_MAX], url_a[256], url_b[256], path[PATH_MAX];
	char log_a[PATH_MAX], err[256];
	struct relay_outcome *out = calloc(1, sizeof(*out));
	struct e2e_dev d = {
		.list = "name=eSE1;index=0;kind=virtual;transport=vse;state=listed;designated=1, "
			"name=eSE2;index=1;kind=eSE;transport=vse;state=listed;cin=53454302",
	};
	struct vcard *own;
	struct tsm_db *db;
	pid_t a, b;
	sqlite3 *h;

	section = "HTTP install retry";
	snprintf(path, sizeof(path), "%s/retry.db", tmpdir);
	if (tsm_db_open(path, &db, err, sizeof(err)) ||
	    tsm_db_rule_add(db, "new", "eSE", NULL, "install:purse", err, sizeof(err))) {
		check(false, "%s", err);
		free(out);
		return;
	}
	snprintf(ready, sizeof(ready), "%s/ready", tmpdir);
	snprintf(log_a, sizeof(log_a), "%s/tsm-a.log", tmpdir);
	tsm_more[0] = "--db";
	tsm_more[1] = path;
	tsm_more[2] = "--session-timeout";
	tsm_more[3] = "1";
	tsm_log = log_a;
	a = start_tsm(ready, NULL, NULL, url_a, sizeof(url_a));
	tsm_more[2] = NULL;
	tsm_log = NULL;
	b = start_tsm(ready, NULL, NULL, url_b, sizeof(url_b));
	tsm_more[0] = NULL;
	check(a > 0 && b > 0, "two secel-tsm on %s", path);
	own = new_card(NULL, 0, NULL);
	d.ese2 = new_card(cin2, sizeof(cin2), NULL);
	if (a <= 0 || b <= 0 || !own || !d.ese2)
		goto out;

	/* A: the relay goes away after script 1 of the install */
	relay_backstage_once(url_a, own, &d, 2, out);
	check(!out->ok && out->scripts == 1 && strstr(out->error, "--max-rounds"),
	      "the session dropped after script 1: %u scripts, %s", out->scripts,
	      out->error);
	check(db_shows(db, "se=eSE2 service=purse state=running tries=1"),
	      "the install running, its first try");
	/* its session timeout on the database's clock is over (an hour ago) */
	if (sqlite3_open(path, &h) != SQLITE_OK ||
	    sqlite3_exec(h, "UPDATE installs SET started = started - 3600", NULL, NULL, NULL) != SQLITE_OK)
		check(false, "%s: %s", path, sqlite3_errmsg(h));
	sqlite3_close(h);

	/* B: the device's next session; the install again, to the end */
	relay_backstage_once(url_b, own, &d, 64, out);
	check(out->ok && out->scripts == 3 &&
	      !strcmp(out->result, "ok; installed " PURSE_APP " on 53454302"),
	      "the next session, at the other TSM, installs: %u scripts, %s / %s",
	      out->scripts, out->result, out->error);
	check(card_apps(d.ese2) == 1 && card_elfs(d.ese2) == 1 &&
	      card_app(d.ese2, purse_mod, sizeof(purse_mod)),
	      "the purse is on eSE2, once: %d %d", card_apps(d.ese2),
	      card_elfs(d.ese2));
	check(db_shows(db, "se=eSE2 service=purse state=ok tries=2"),
	      "recorded ok, at its second try");

	/* A's own timeout gives its session up: the row is not its any more */
	check(file_gets(log_a, "attempt 1 is no longer running"),
	      "A's expiry of the dropped session is refused");
	check(db_shows(db, "se=eSE2 service=purse state=ok tries=2") &&
	      !db_shows(db, "state=pending"),
	      "and the install stays ok, once");
	relay_backstage_once(url_a, own, &d, 64, out);
	check(out->ok && out->scripts == 0 && starts(out->result, "ok; SEs: "),
	      "A's next session: nothing to install: %u %s / %s", out->scripts,
	      out->result, out->error);
	check(card_apps(d.ese2) == 1 && db_shows(db, "tries=2"),
	      "still once");
out:
	if (a > 0)
		stop_tsm(a);
	if (b > 0)
		stop_tsm(b);
	vcard_free(own);
	vcard_free(d.ese2);
	tsm_db_close(db);
	free(out);
}

static void test_http(void)
{
	char ready[PATH_MAX], url[256], full[300], cert[PATH_MAX], key[PATH_MAX];
	char cmd[3 * PATH_MAX];
	struct relay_outcome *out = calloc(1, sizeof(*out));
	struct vcard *vc;
	pid_t pid;

	section = "HTTP";
	curl_global_init(CURL_GLOBAL_DEFAULT);
	snprintf(ready, sizeof(ready), "%s/ready", tmpdir);
	pid = start_tsm(ready, NULL, NULL, url, sizeof(url));
	check(pid > 0, "secel-tsm did not start");
	if (pid > 0) {
		vc = new_card(NULL, 0, NULL);
		snprintf(full, sizeof(full), "%s/ram/purse", url);
		relay_once(full, NULL, vc, out);
		check(out->ok && starts(out->result, "ok; installed " PURSE_APP),
		      "%s / %s", out->result, out->error);
		check(out->scripts == 3 && card_elfs(vc) == 1 &&
		      card_apps(vc) == 1, "%u scripts", out->scripts);
		relay_once(full, NULL, vc, out);
		check(out->ok && strstr(out->result, "already on"), "again: %s",
		      out->result);
		snprintf(full, sizeof(full), "%s/ram/other", url);
		relay_once(full, NULL, vc, out);
		check(!out->ok && strstr(out->error, "HTTP 404: no service 'other' here"),
		      "404: %s", out->error);

		section = "connections per peer";
		{
			int fds[130];
			unsigned int i, held, code;

			held = slow_connections_held(url, fds, 130);
			printf("test-tsm: 130 silent connections from 127.0.0.1: %u held open\n",
			       held);
			check(held >= 1 && held <= 8, "%u held", held);
			/*
			 * while they are held, a client elsewhere is served
			 * (before the per-peer bound they took 128 of the
			 * 128 connections and it was turned away)
			 */
			code = first_post_from(url, "127.0.0.2");
			printf("test-tsm: a first POST from 127.0.0.2 meanwhile: HTTP %u\n",
			       code);
			check(code == 200, "a first POST from another peer while they are held: %u",
			      code);
			for (i = 0; i < 130; i++)
				if (fds[i] >= 0)
					close(fds[i]);
			usleep(200000);
			snprintf(full, sizeof(full), "%s/ram/purse", url);
			relay_once(full, NULL, vc, out);
			check(out->ok, "a session after them: %s", out->error);
		}
		vcard_free(vc);
		stop_tsm(pid);
	}

	section = "HTTPS";
	snprintf(cert, sizeof(cert), "%s/cert.pem", tmpdir);
	snprintf(key, sizeof(key), "%s/key.pem", tmpdir);
	snprintf(cmd, sizeof(cmd), "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout %s -out %s >/dev/null 2>&1",
		 key, cert);
	if (system(cmd)) {
		printf("test-tsm: no openssl command: HTTPS not tested\n");
		free(out);
		curl_global_cleanup();
		return;
	}
	pid = start_tsm(ready, cert, key, url, sizeof(url));
	check(pid > 0 && starts(url, "https://"), "secel-tsm with TLS: %s", url);
	if (pid > 0) {
		vc = new_card(NULL, 0, NULL);
		snprintf(full, sizeof(full), "%s/ram/purse", url);
		relay_once(full, cert, vc, out);
		check(out->ok && starts(out->result, "ok; installed"),
		      "%s / %s", out->result, out->error);
		relay_once(full, NULL, vc, out);
		check(!out->ok && starts(out->error, "TSM https://") &&
		      !strchr(out->error, '\n') && card_apps(vc) == 1,
		      "without the CA: %s", out->error);
		section = "TLS versions";
		check(!tls_accepts(url, "tls1") && !tls_accepts(url, "tls1_1"),
		      "TLS 1.0 or 1.1 accepted");
		check(tls_accepts(url, "tls1_2"), "TLS 1.2 refused");
		vcard_free(vc);
		stop_tsm(pid);
	}
	free(out);
	curl_global_cleanup();
}

int main(void)
{
	char cmd[PATH_MAX + 16];

	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_install_levels();
	test_wrong_keys();
	test_unknown_cin();
	test_tamper_mac();
	test_paging();
	test_killed_mid_load();
	test_cleanup();
	test_scripts();
	test_http_errors();
	test_cards_access();
	test_backstage();
	test_backstage_db();
	test_backstage_install();
	test_session_bounds();
	test_resume();
	test_config();
	test_load_blocks();
	test_http();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	test_http_install_retry();
	curl_global_cleanup();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd))
		fprintf(stderr, "test-tsm: %s left\n", tmpdir);
	printf("test-tsm: %d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: what secel-tsm reads from a relay, without the socket:
 * its own header parsers (X-Admin-From, X-Secel-SE-Info, X-Secel-SE-List
 * on the SE info string) on the input's
 * strings, then a session through tsm_handle(): the first POST, then
 * response scripts from the input to each script the TSM sends, until
 * it stops giving an X-Admin-Next-URI.
 *
 * Input: [flags] X-Admin-From '\0' X-Secel-SE-Info '\0' Content-Type
 * '\0' X-Admin-Script-Status '\0', then bodies { [len hi lo] bytes }.
 * flags: bit 0 the input's X-Admin-From in the first POST (else a valid
 * one), bit 1 the input's SE info (else none), bit 2 the input's
 * Content-Type (else the response type), bit 3 send the status, bit 4
 * security level 33 (else 03), bit 5 GET /cards at the end, bit 6 the
 * clock jumps past the session timeout before the last POST, bit 7 the
 * input's X-Admin-From on the later POSTs too.
 *
 * Every reply has a known code; a 200 carries a command script that
 * parses and a next URI, a 204 an X-Secel-Result, an error a text line.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gp.h"
#include "ram.h"
#include "tsm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t purse_elf[] = { 0xa0, 0, 0, 0x01, 0x51, 0x53, 0x45, 0x50 };
static const uint8_t purse_mod[] = { 0xa0, 0, 0, 0x01, 0x51, 0x53, 0x45, 0x50, 0x01 };
static const uint8_t purse_app[] = { 0xa0, 0, 0, 0x01, 0x51, 0x53, 0x45, 0x43,
				     0x45, 0x50, 0x55 };

static struct tsm_service svc;
static struct tsm_keys keys;
static struct ram_script script;
static long long clock_now;
static unsigned int rnd;

static long long fake_now(void *priv)
{
	(void)priv;
	return clock_now;
}

static int fake_random(void *priv, uint8_t *buf, size_t len)
{
	size_t i;

	(void)priv;
	for (i = 0; i < len; i++)
		buf[i] = rnd++ * 13 + 1;
	return 0;
}

static void init(void)
{
	static uint8_t lf[1024], code[300];
	struct gp_loadfile info = { .version = { 1, 0 } };
	const char *why;
	char err[256];
	size_t i, n;

	for (i = 0; i < sizeof(code); i++)
		code[i] = i * 7;
	memcpy(info.aid, purse_elf, sizeof(purse_elf));
	info.aid_len = sizeof(purse_elf);
	memcpy(info.module, purse_mod, sizeof(purse_mod));
	info.module_len = sizeof(purse_mod);
	strcpy(info.type, "secel.purse");
	info.code_len = sizeof(code);
	n = gp_lf_build(&info, code, lf, sizeof(lf));
	strcpy(svc.name, "purse");
	svc.lf = lf;
	svc.lf_len = n;
	if (!n || gp_lf_parse(lf, n, &svc.info, &why))
		abort();
	memcpy(svc.app, purse_app, sizeof(purse_app));
	svc.app_len = sizeof(purse_app);
	svc.purse = true;
	keys.any = true;
	if (tsm_parse_keyset("30:404142434445464748494A4B4C4D4E4F", &keys.ks,
			     err, sizeof(err)))
		abort();
}

/* NUL-terminated field at *@p, or NULL at the end of the input */
static const char *field(const uint8_t **p, size_t *left)
{
	const uint8_t *nul = memchr(*p, 0, *left);
	const char *s = (const char *)*p;

	if (!nul)
		return NULL;
	*left -= nul + 1 - *p;
	*p = nul + 1;
	return s;
}

static void check_parsers(const char *from, const char *info)
{
	uint8_t cin[TSM_CIN_MAX], sd[GP_AID_MAX];
	size_t cin_len, sd_len, i;
	unsigned int channel;
	bool extended = false;
	char name[33];
	int ret;

	if (from) {
		ret = tsm_parse_from(from, cin, &cin_len, sd, &sd_len);
		if (!ret && (cin_len < 1 || cin_len > TSM_CIN_MAX ||
			     (sd_len && (sd_len < 5 || sd_len > 16))))
			abort();
		if (ret && ret != -EINVAL && ret != -ENOENT)
			abort();
	}
	if (info) {
		ret = tsm_parse_se_info(info, &channel, name, sizeof(name),
					&extended);
		if (!ret) {
			if (channel > 19 || strlen(name) >= sizeof(name))
				abort();
			for (i = 0; name[i]; i++)
				if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.",
					    name[i]))
					abort();
		} else if (ret != -EINVAL) {
			abort();
		}
		/* the same string as an X-Secel-SE-List */
		{
			struct tsm_se_entry ses[4];
			char sum[64];
			size_t n = 99;

			ret = tsm_se_list_parse(info, ses, 4, &n);
			if (!ret && n > 4)
				abort();
			if (ret && ret != -EINVAL && ret != -E2BIG)
				abort();
			for (i = 0; !ret && i < n; i++)
				if (!ses[i].name[0] || !ses[i].state[0] ||
				    strlen(ses[i].name) >= sizeof(ses[i].name))
					abort();
			ret = tsm_se_list_summary(info, sum, sizeof(sum));
			if ((!ret && strlen(sum) >= sizeof(sum)) ||
			    (ret && ret != -EINVAL))
				abort();
		}
	}
}

static void check_reply(const struct tsm_reply *r)
{
	struct ram_err err;

	switch (r->code) {
	case 200:
		if (!r->content_type)
			abort();
		if (!strcmp(r->content_type, "application/json"))
			break;
		if (strcmp(r->content_type, RAM_CT_SCRIPT) || !r->next_uri[0] ||
		    strncmp(r->next_uri, TSM_SESSION_PREFIX,
			    strlen(TSM_SESSION_PREFIX)))
			abort();
		if (ram_script_parse(r->body, r->len, &script, &err) &&
		    (err.bad_format != RAM_BAD_TAG || script.n))
			abort();	/* only --fault bad-script is malformed */
		break;
	case 204:
		if (!r->result[0] || r->next_uri[0] || r->len)
			abort();
		break;
	case 400: case 403: case 404: case 405: case 413: case 500: case 503:
		if (!r->len || r->body[r->len - 1] != '\n' || r->next_uri[0])
			abort();
		break;
	default:
		abort();
	}
	if (!r->log[0])
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char valid_from[] =
		"//se-id/cin/534543454C000001;//aa-id/aid/A000000151/000000";
	struct tsm_config cfg = { 0 };
	struct tsm_request rq = { 0 };
	struct tsm_reply r = { 0 };
	const char *from, *info, *ctype, *status;
	char next[sizeof(r.next_uri)], err[256];
	const uint8_t *p;
	size_t left, len, rounds = 0;
	uint8_t flags;
	struct tsm *t;

	if (!svc.lf)
		init();
	if (size < 1)
		return 0;
	flags = data[0];
	p = data + 1;
	left = size - 1;
	from = field(&p, &left);
	info = from ? field(&p, &left) : NULL;
	ctype = info ? field(&p, &left) : NULL;
	status = ctype ? field(&p, &left) : NULL;
	check_parsers(from, info);

	clock_now = 1000;
	rnd = 0;
	cfg.services = &svc;
	cfg.nservices = 1;
	cfg.keys = &keys;
	cfg.nkeys = 1;
	cfg.level = flags & 16 ? 0x33 : 0x03;
	cfg.now = fake_now;
	cfg.random = fake_random;
	cfg.cards_token = "fuzz-cards-token-0123456789";
	if (tsm_new(&cfg, &t, err, sizeof(err)))
		abort();

	rq.method = "POST";
	rq.path = "/ram/purse";
	rq.protocol = RAM_PROTOCOL;
	rq.from = flags & 1 && from ? from : valid_from;
	rq.se_info = flags & 2 ? info : NULL;
	tsm_handle(t, &rq, &r);
	check_reply(&r);

	while (r.code == 200 && r.next_uri[0] && left >= 2 && rounds++ < 16) {
		len = (size_t)p[0] << 8 | p[1];
		p += 2;
		left -= 2;
		if (len > left)
			len = left;
		strcpy(next, r.next_uri);
		tsm_reply_free(&r);
		memset(&rq, 0, sizeof(rq));
		rq.method = "POST";
		rq.path = next;
		rq.protocol = RAM_PROTOCOL;
		rq.from = flags & 128 ? from : NULL;
		rq.content_type = flags & 4 ? ctype : RAM_CT_RESPONSE;
		rq.status = flags & 8 ? status : NULL;
		rq.body = p;
		rq.len = len;
		p += len;
		left -= len;
		if (flags & 64 && left < 2)
			clock_now += 100000;
		tsm_handle(t, &rq, &r);
		check_reply(&r);
	}
	tsm_reply_free(&r);
	if (flags & 32) {
		memset(&rq, 0, sizeof(rq));
		rq.method = "GET";
		rq.path = "/cards";
		rq.authorization = "Bearer fuzz-cards-token-0123456789";
		tsm_handle(t, &rq, &r);
		check_reply(&r);
		tsm_reply_free(&r);
	}
	tsm_expire(t);
	tsm_free(t);
	return 0;
}

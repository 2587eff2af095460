// SPDX-License-Identifier: GPL-2.0
/*
 * test-relay - host unit test of secel-relay's protocol loop: the real
 * libcurl code against a TSM on 127.0.0.1 (libmicrohttpd) that answers
 * what each test lays out, and a fake card in place of the SE's channel.
 * No kernel, no network beyond loopback.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>
#include <microhttpd.h>

#include "../ram/ram.h"
#include <linux/secel.h>

#include "backstage.h"
#include "daemon.h"
#include "relay.h"

static int failed, passed;

#define CHECK(cond, ...) do {						\
	if (cond) {							\
		passed++;						\
	} else {							\
		failed++;						\
		printf("FAIL %s:%d: ", __FILE__, __LINE__);		\
		printf(__VA_ARGS__);					\
		printf("\n");						\
	}								\
} while (0)

/* ---- the TSM ---------------------------------------------------------- */

struct canned {
	unsigned int code;
	const char *ctype;
	struct ram_buf body;	/* or: */
	const char *text;
	const char *next, *target, *result;
	const char *control;		/* X-Secel-Control */
	const char *target_se;		/* X-Secel-Targeted-SE */
	const char *poll;		/* X-Secel-Poll */
	unsigned int delay_ms;
	size_t big;		/* a body of this many bytes */
	bool drop;		/* close the connection without an answer */
	bool close;		/* Connection: close (the next POST on a new one) */
};

struct seen {
	char path[512];
	char protocol[128], from[512], se_info[2048], status[64], ctype[128];
	char accept[128], resume[32];
	char se_list[2048], control_result[2048];
	bool has_se_info, has_ctype, has_status, has_resume;
	bool has_se_list, has_control_result;
	uint8_t body[8192];
	size_t body_len;
};

#define MAX_SEEN	16

static struct {
	struct MHD_Daemon *d;
	unsigned int port;
	struct canned answer[8];
	size_t n_answers;
	struct seen seen[MAX_SEEN];
	size_t n_seen;
} tsm;

static void get_header(struct MHD_Connection *c, const char *name, char *out,
		       size_t room, bool *has)
{
	const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);

	if (has)
		*has = v != NULL;
	snprintf(out, room, "%s", v ? v : "");
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c,
			       const char *url, const char *method,
			       const char *version, const char *upload,
			       size_t *upload_size, void **con_cls)
{
	struct seen *r = *con_cls;
	struct MHD_Response *resp;
	const struct canned *a;
	size_t i;
	enum MHD_Result ret;
	char *big = NULL;

	(void)cls;
	(void)version;
	if (!r) {
		if (tsm.n_seen == MAX_SEEN || strcmp(method, "POST"))
			return MHD_NO;
		r = &tsm.seen[tsm.n_seen++];
		memset(r, 0, sizeof(*r));
		snprintf(r->path, sizeof(r->path), "%s", url);
		/* the query too, for the Next-URI tests */
		if (MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "q"))
			snprintf(r->path, sizeof(r->path), "%s?q=%s", url,
				 MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "q"));
		get_header(c, RAM_H_PROTOCOL, r->protocol, sizeof(r->protocol), NULL);
		get_header(c, RAM_H_FROM, r->from, sizeof(r->from), NULL);
		get_header(c, RAM_H_SE_INFO, r->se_info, sizeof(r->se_info),
			   &r->has_se_info);
		get_header(c, RAM_H_STATUS, r->status, sizeof(r->status),
			   &r->has_status);
		get_header(c, "Content-Type", r->ctype, sizeof(r->ctype),
			   &r->has_ctype);
		get_header(c, "Accept", r->accept, sizeof(r->accept), NULL);
		get_header(c, RAM_H_RESUME, r->resume, sizeof(r->resume),
			   &r->has_resume);
		get_header(c, RAM_H_SE_LIST, r->se_list, sizeof(r->se_list),
			   &r->has_se_list);
		get_header(c, RAM_H_CONTROL_RESULT, r->control_result,
			   sizeof(r->control_result), &r->has_control_result);
		*con_cls = r;
		return MHD_YES;
	}
	if (*upload_size) {
		size_t n = *upload_size;

		if (r->body_len + n > sizeof(r->body))
			n = sizeof(r->body) - r->body_len;
		memcpy(r->body + r->body_len, upload, n);
		r->body_len += n;
		*upload_size = 0;
		return MHD_YES;
	}

	i = (size_t)(r - tsm.seen);
	a = &tsm.answer[i < tsm.n_answers ? i : tsm.n_answers - 1];
	if (a->delay_ms)
		usleep(a->delay_ms * 1000);
	if (a->drop)
		return MHD_NO;
	if (a->big) {
		big = malloc(a->big);
		memset(big, 0x22, a->big);
		resp = MHD_create_response_from_buffer(a->big, big,
						       MHD_RESPMEM_MUST_FREE);
	} else if (a->text) {
		resp = MHD_create_response_from_buffer(strlen(a->text),
						       (void *)a->text,
						       MHD_RESPMEM_MUST_COPY);
	} else {
		resp = MHD_create_response_from_buffer(a->body.len, a->body.data,
						       MHD_RESPMEM_MUST_COPY);
	}
	if (a->ctype)
		MHD_add_response_header(resp, "Content-Type", a->ctype);
	if (a->next)
		MHD_add_response_header(resp, RAM_H_NEXT_URI, a->next);
	if (a->target)
		MHD_add_response_header(resp, RAM_H_TARGET, a->target);
	if (a->result)
		MHD_add_response_header(resp, RAM_H_RESULT, a->result);
	if (a->control)
		MHD_add_response_header(resp, RAM_H_CONTROL, a->control);
	if (a->target_se)
		MHD_add_response_header(resp, RAM_H_TARGET_SE, a->target_se);
	if (a->poll)
		MHD_add_response_header(resp, RAM_H_POLL, a->poll);
	if (a->close)
		MHD_add_response_header(resp, "Connection", "close");
	ret = MHD_queue_response(c, a->code, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void tsm_start(void)
{
	struct sockaddr_in sin;
	const union MHD_DaemonInfo *info;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	tsm.d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD,
				 0, NULL, NULL, handler, NULL,
				 MHD_OPTION_SOCK_ADDR, &sin, MHD_OPTION_END);
	if (!tsm.d) {
		printf("cannot start the loopback TSM\n");
		exit(2);
	}
	info = MHD_get_daemon_info(tsm.d, MHD_DAEMON_INFO_BIND_PORT);
	tsm.port = info->port;
}

static void tsm_reset(void)
{
	size_t i;

	for (i = 0; i < sizeof(tsm.answer) / sizeof(tsm.answer[0]); i++)
		ram_buf_free(&tsm.answer[i].body);
	memset(tsm.answer, 0, sizeof(tsm.answer));
	tsm.n_answers = 0;
	tsm.n_seen = 0;
}

static size_t unhex(const char *h, uint8_t *out, size_t room)
{
	int n = ram_unhex(h, out, room);

	if (n < 0) {
		printf("bad hex in test: %s\n", h);
		exit(2);
	}
	return n;
}

/* An answer with a command script of the C-APDUs given, NULL-ended. */
static struct canned *script(bool indefinite, const char *next, ...)
{
	struct canned *a = &tsm.answer[tsm.n_answers++];
	uint8_t apdu[512];
	const char *h;
	va_list ap;

	a->code = 200;
	a->ctype = RAM_CT_SCRIPT;
	a->next = next;
	ram_script_begin(&a->body, indefinite);
	va_start(ap, next);
	while ((h = va_arg(ap, const char *)))
		ram_script_add(&a->body, apdu, unhex(h, apdu, sizeof(apdu)));
	va_end(ap);
	ram_script_end(&a->body);
	return a;
}

/* An answer with @hex as the body, as it is. */
static struct canned *raw(unsigned int code, const char *ctype,
			  const char *hex, const char *next)
{
	struct canned *a = &tsm.answer[tsm.n_answers++];
	uint8_t b[512];

	a->code = code;
	a->ctype = ctype;
	a->next = next;
	ram_buf_put(&a->body, b, unhex(hex, b, sizeof(b)));
	return a;
}

static struct canned *end(unsigned int code, const char *result)
{
	struct canned *a = &tsm.answer[tsm.n_answers++];

	a->code = code;
	a->result = result;
	return a;
}

static struct canned *text(unsigned int code, const char *body)
{
	struct canned *a = &tsm.answer[tsm.n_answers++];

	a->code = code;
	a->ctype = "text/plain";
	a->text = body;
	return a;
}

/* Whether what the TSM got in POST @i is @hex. */
static bool body_is(size_t i, const char *hex)
{
	uint8_t b[4096];
	size_t n = unhex(hex, b, sizeof(b));

	return i < tsm.n_seen && tsm.seen[i].body_len == n &&
	       !memcmp(tsm.seen[i].body, b, n);
}

static const char *body_hex(size_t i)
{
	static char out[2 * 8192 + 1];

	if (i >= tsm.n_seen)
		return "(no such POST)";
	ram_hex(tsm.seen[i].body, tsm.seen[i].body_len, out);
	return out;
}

/* ---- the card --------------------------------------------------------- */

struct rule {
	const char *cmd, *rsp;
};

static struct {
	const struct rule *rules;
	char sent[32][2 * 512 + 1];
	size_t n;
	size_t fail_at;		/* 1-based; 0: never */
	int fail_errno;
} card;

static int fake_transmit(void *priv, const uint8_t *cmd, size_t len,
			 uint8_t *rsp, size_t *rsp_len)
{
	char hex[2 * 512 + 1];
	const struct rule *r;
	const char *answer = "9000";

	(void)priv;
	ram_hex(cmd, len > 512 ? 512 : len, hex);
	if (card.n < 32)
		snprintf(card.sent[card.n], sizeof(card.sent[0]), "%s", hex);
	card.n++;
	if (card.n == card.fail_at)
		return -card.fail_errno;
	for (r = card.rules; r && r->cmd; r++)
		if (!strcmp(r->cmd, hex))
			answer = r->rsp;
	*rsp_len = unhex(answer, rsp, *rsp_len);
	return 0;
}

static void card_reset(const struct rule *rules)
{
	memset(&card, 0, sizeof(card));
	card.rules = rules;
}

static bool sent_is(const char *const *want)
{
	size_t i;

	for (i = 0; want[i]; i++)
		if (i >= card.n || strcmp(card.sent[i], want[i]))
			return false;
	return card.n == i;
}

static const char *sent_list(void)
{
	static char out[4096];
	size_t i, len = 0;

	out[0] = '\0';
	for (i = 0; i < card.n && i < 32; i++)
		len += snprintf(out + len, sizeof(out) - len, "%s%s",
				i ? " " : "", card.sent[i]);
	return out;
}

/* ---- running a session ------------------------------------------------ */

static const uint8_t isd[] = { 0xa0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00, 0x00 };
static const uint8_t test_atr[] = { 0x3b, 0x8a, 0x80, 0x01, 0x53, 0x45, 0x43 };
static const uint8_t test_cplc[] = { 0x47, 0x90, 0x50, 0x40 };
static const uint8_t test_cin[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08 };
static const uint8_t test_card_data[] = { 0x73, 0x02, 0x06, 0x00 };

static struct relay_se test_se = {
	.name = "eSE1",
	.kind = "virtual",
	.transport = "vse",
	.channel = 2,
	.atr = { test_atr, sizeof(test_atr) },
	.cplc = { test_cplc, sizeof(test_cplc) },
	.cin = { test_cin, sizeof(test_cin) },
	.card_data = { test_card_data, sizeof(test_card_data) },
};

static char log_text[65536];
static char url[256];

static const struct relay_backstage *test_backstage;

static int run_url(const char *u, unsigned int max_rounds, long timeout,
		   bool verbose, struct relay_outcome *o)
{
	static char from[512], info[2048];
	struct relay_card c = { .transmit = fake_transmit };
	struct relay_cfg cfg;
	char *buf = NULL;
	size_t len = 0;
	FILE *log;
	int ret;

	relay_from_header(&test_se, isd, sizeof(isd), from, sizeof(from));
	relay_se_info_header(&test_se, info, sizeof(info));
	log = open_memstream(&buf, &len);
	memset(&cfg, 0, sizeof(cfg));
	cfg.url = u;
	cfg.se_name = "eSE1";
	cfg.from = from;
	cfg.se_info = info;
	cfg.sd = isd;
	cfg.sd_len = sizeof(isd);
	cfg.timeout = timeout;
	cfg.max_rounds = max_rounds;
	cfg.verbose = verbose;
	cfg.log = log;
	cfg.backstage = test_backstage;
	ret = relay_run(&cfg, &c, o);
	fclose(log);
	snprintf(log_text, sizeof(log_text), "%s", buf ? buf : "");
	free(buf);
	return ret;
}

static int run(struct relay_outcome *o)
{
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/ram/purse", tsm.port);
	return run_url(url, 64, 10, false, o);
}

static struct relay_outcome out;

/* ---- the tests -------------------------------------------------------- */

static void test_headers(void)
{
	struct relay_se bare = {
		.name = "SIM1", .kind = "physical", .transport = "ccid",
		.channel = 1,
		.atr = { test_atr, sizeof(test_atr) },
	};
	char h[1024];

	CHECK(!relay_from_header(&test_se, isd, sizeof(isd), h, sizeof(h)) &&
	      !strcmp(h, "//se-id/cin/0102030405060708;//aa-id/aid/A000000151/000000"),
	      "X-Admin-From with a CIN: %s", h);
	CHECK(!relay_from_header(&bare, isd, sizeof(isd), h, sizeof(h)) &&
	      !strcmp(h, "//se-id/name/SIM1;//aa-id/aid/A000000151/000000"),
	      "X-Admin-From without a CIN: %s", h);
	CHECK(!relay_se_info_header(&test_se, h, sizeof(h)) &&
	      !strcmp(h, "name=eSE1;kind=virtual;transport=vse;channel=2;atr=3B8A8001534543;cplc=47905040;cin=0102030405060708;card-data=73020600"),
	      "X-Secel-SE-Info, IIN left out: %s", h);
	CHECK(!relay_se_info_header(&bare, h, sizeof(h)) &&
	      !strcmp(h, "name=SIM1;kind=physical;transport=ccid;channel=1;atr=3B8A8001534543"),
	      "X-Secel-SE-Info with the ATR only: %s", h);
	bare.extended = true;
	CHECK(!relay_se_info_header(&bare, h, sizeof(h)) &&
	      !strcmp(h, "name=SIM1;kind=physical;transport=ccid;channel=1;atr=3B8A8001534543;extended=1"),
	      "X-Secel-SE-Info of an SE with extended-length APDUs: %s", h);
	CHECK(relay_se_info_header(&bare, h, strlen(h)) == -EMSGSIZE,
	      "X-Secel-SE-Info: no room left for extended=1");
	bare.extended = false;
	CHECK(relay_se_info_header(&test_se, h, 40) == -EMSGSIZE,
	      "X-Secel-SE-Info too long for the buffer");
	CHECK(!relay_check_url("http://127.0.0.1/x") &&
	      !relay_check_url("https://tsm.example.com/ram") &&
	      relay_check_url("ftp://x/") && relay_check_url("/ram/x") &&
	      relay_check_url("tsm.example.com"), "URL check");
}

/* Three rounds: the first POST, a definite and an indefinite script. */
static void test_session(void)
{
	static const struct rule rules[] = {
		{ "80CA004500", "5A080102030405060708" "9000" },
		{ "80CA9F7F00", "9F7F2A4790" "9000" },
		{ "80CA00E000", "6A88" },
		{ "8050000008112233445566778800", "0000112233445566778899AA" "9000" },
		{ NULL, NULL }
	};
	static const char *const want[] = {
		"80CA004500", "80CA9F7F00", "80CA00E000",
		"8050000008112233445566778800", NULL
	};
	const struct seen *r;
	int ret;

	tsm_reset();
	card_reset(rules);
	script(false, "next/2", "80CA004500", "80CA9F7F00", "80CA00E000", NULL);
	script(true, "/ram/s/3", "8050000008112233445566778800", NULL);
	end(204, "ok; nothing to install");
	ret = run(&out);

	CHECK(ret == 0 && out.ok && !out.error[0], "session: %d, %s", ret,
	      out.error);
	CHECK(!strcmp(out.result, "ok; nothing to install"), "result: %s",
	      out.result);
	CHECK(out.rounds == 3 && out.scripts == 2 && out.apdus == 4,
	      "counts: %u rounds, %u scripts, %lu APDUs", out.rounds,
	      out.scripts, out.apdus);
	CHECK(tsm.n_seen == 3, "%zu POSTs", tsm.n_seen);
	CHECK(sent_is(want), "APDUs in order: %s", sent_list());

	r = &tsm.seen[0];
	CHECK(!strcmp(r->path, "/ram/purse"), "first POST to %s", r->path);
	CHECK(!strcmp(r->protocol, RAM_PROTOCOL), "X-Admin-Protocol: %s",
	      r->protocol);
	CHECK(!strcmp(r->from, "//se-id/cin/0102030405060708;//aa-id/aid/A000000151/000000"),
	      "first POST X-Admin-From: %s", r->from);
	CHECK(r->has_se_info &&
	      !strcmp(r->se_info, "name=eSE1;kind=virtual;transport=vse;channel=2;atr=3B8A8001534543;cplc=47905040;cin=0102030405060708;card-data=73020600"),
	      "first POST X-Secel-SE-Info: %s", r->se_info);
	CHECK(!r->body_len && !r->has_ctype && !r->has_status,
	      "first POST without body (%zu), Content-Type (%s), status",
	      r->body_len, r->ctype);
	CHECK(!strcmp(r->accept, RAM_CT_SCRIPT), "Accept: %s", r->accept);

	r = &tsm.seen[1];
	CHECK(!strcmp(r->path, "/ram/next/2"), "relative Next-URI: %s", r->path);
	CHECK(!strcmp(r->ctype, RAM_CT_RESPONSE), "Content-Type: %s", r->ctype);
	CHECK(!strcmp(r->status, RAM_ST_OK), "X-Admin-Script-Status: %s",
	      r->status);
	CHECK(!r->has_se_info && !strcmp(r->from, tsm.seen[0].from),
	      "later POSTs: X-Admin-From, no SE-Info");
	CHECK(body_is(1, "AB 1E 8001 03 230C 5A0801020304050607089000 2307 9F7F2A47909000 2302 6A88"),
	      "definite response script: %s", body_hex(1));

	r = &tsm.seen[2];
	CHECK(!strcmp(r->path, "/ram/s/3"), "absolute-path Next-URI: %s",
	      r->path);
	CHECK(body_is(2, "AF80 230E 0000112233445566778899AA9000 0000"),
	      "indefinite script, indefinite response: %s", body_hex(2));
}

static void test_stop_on_error(void)
{
	static const struct rule rules[] = {
		{ "80F22000", "6310" },
		{ "80F24000", "6283" },
		{ "80F28000", "6A80" },
		{ NULL, NULL }
	};
	static const char *const want[] = {
		"80CA006600", "80F22000", "80F24000", "80F28000", NULL
	};

	tsm_reset();
	card_reset(rules);
	script(false, "r", "80CA006600", "80F22000", "80F24000", "80F28000",
	       "80F21000", "80F20000", NULL);
	end(204, "ok; done");
	CHECK(run(&out) == 0, "stop on error: %s", out.error);
	CHECK(sent_is(want), "stops after 6A80, goes on after 6310 and 6283: %s",
	      sent_list());
	CHECK(body_is(1, "AB 13 8001 04 2302 9000 2302 6310 2302 6283 2302 6A80"),
	      "answers up to the failed one, 4 executed: %s", body_hex(1));
	CHECK(!strcmp(tsm.seen[1].status, RAM_ST_OK), "status %s",
	      tsm.seen[1].status);
}

static void test_bad_format(void)
{
	tsm_reset();
	card_reset(NULL);
	raw(200, RAM_CT_SCRIPT, "AA 03 81 01 00", "1");	  /* unknown tag */
	raw(200, RAM_CT_SCRIPT, "AA 06 22 09 00A40400", "2"); /* wrong length */
	raw(200, RAM_CT_SCRIPT, "AE 80 22 04 00A40400", "3"); /* no 00 00 */
	raw(200, RAM_CT_SCRIPT, "", "4");
	end(204, "ok; told");
	CHECK(run(&out) == 0, "bad format session: %s", out.error);
	CHECK(card.n == 0, "no APDU of a malformed script is sent: %s",
	      sent_list());
	CHECK(body_is(1, "AB 06 8001 00 9001 01"), "bad format 01: %s",
	      body_hex(1));
	CHECK(body_is(2, "AB 06 8001 00 9001 02"), "bad format 02: %s",
	      body_hex(2));
	CHECK(body_is(3, "AB 06 8001 00 9001 03"), "bad format 03: %s",
	      body_hex(3));
	CHECK(body_is(4, "AB 06 8001 00 9001 03"), "empty script: %s",
	      body_hex(4));
	CHECK(!strcmp(tsm.seen[1].status, RAM_ST_OK), "status %s",
	      tsm.seen[1].status);
	CHECK(strstr(log_text, "/ram/purse: script 1: tag 81 at offset 2") &&
	      strstr(log_text, "answered bad format 01") &&
	      strstr(log_text, "script 2: C-APDU at offset 2"),
	      "the reason on standard error: %s", log_text);
}

static void test_target(void)
{
	static const struct rule rules[] = {
		{ "00A4040008A000000151000001", "6A82" },
		{ "00A4040008A000000151000002", "9000" },
		{ "00A4040008A000000151000003", "6982" },
		{ NULL, NULL }
	};
	static const char *const want[] = {
		"80CA004500",			/* target = ISD: no SELECT */
		"00A4040008A000000151000001",	/* 6A82: nothing run */
		"00A4040008A000000151000002",	/* selected: run */
		"80CA006600",
		"80CA006601",			/* selected still */
		"00A4040008A000000151000003",	/* 6982 */
		NULL
	};

	tsm_reset();
	card_reset(rules);
	script(false, "1", "80CA004500", NULL)->target = "//aid/A000000151/000000";
	script(true, "2", "80CA004500", NULL)->target = "//aid/A000000151/000001";
	script(false, "3", "80CA006600", NULL)->target = "//aid/A000000151/000002";
	script(false, "4", "80CA006601", NULL)->target = "//aid/A000000151/000002";
	script(false, "5", "80CA006602", NULL)->target = "//aid/A000000151/000003";
	end(204, "ok; done");
	CHECK(run(&out) == 0, "targeted applications: %s", out.error);
	CHECK(sent_is(want), "SELECT only when another is targeted: %s",
	      sent_list());
	CHECK(!strcmp(tsm.seen[1].status, RAM_ST_OK), "ISD targeted: %s",
	      tsm.seen[1].status);
	CHECK(!strcmp(tsm.seen[2].status, RAM_ST_UNKNOWN_APP) &&
	      !tsm.seen[2].body_len && !tsm.seen[2].has_ctype &&
	      !tsm.seen[2].has_se_info,
	      "6A82: unknown-application without a body: %s %s",
	      tsm.seen[2].status, body_hex(2));
	CHECK(!strcmp(tsm.seen[3].status, RAM_ST_OK) &&
	      body_is(3, "AB 07 8001 01 2302 9000"), "selected and run: %s %s",
	      tsm.seen[3].status, body_hex(3));
	CHECK(!strcmp(tsm.seen[5].status, RAM_ST_SECURITY) &&
	      !tsm.seen[5].body_len && !tsm.seen[5].has_ctype,
	      "SELECT 6982: security-error without a body: %s %s",
	      tsm.seen[5].status, body_hex(5));

	/* without X-Secel-Result, a script not run fails the session */
	tsm_reset();
	card_reset(rules);
	script(false, "1", "80CA004500", NULL)->target = "//aid/A000000151/000001";
	end(204, NULL);
	{
		char want[256];

		snprintf(want, sizeof(want), "TSM http://127.0.0.1:%u/ram/purse: script 1 not run: unknown-application (X-Admin-Targeted-Application //aid/A000000151/000001)",
			 tsm.port);
		CHECK(run(&out) == 1 && !strcmp(out.error, want),
		      "a standard TSM, the application not there: %s",
		      out.error);
	}

	/* a SELECT in a script changes what is selected */
	tsm_reset();
	card_reset(NULL);
	script(false, "1", "00A4040008A000000151000002", NULL);
	script(false, "2", "80CA004500", NULL)->target = "//aid/A000000151/000000";
	end(204, "ok; done");
	CHECK(run(&out) == 0 && card.n == 3 &&
	      !strcmp(card.sent[1], "00A4040008A000000151000000"),
	      "the ISD selected again after the script selected another: %s",
	      sent_list());

	tsm_reset();
	card_reset(NULL);
	script(false, "1", "80CA004500", NULL)->target = "//aid/A0000001/51";
	CHECK(run(&out) == 1 && card.n == 0 &&
	      strstr(out.error, "X-Admin-Targeted-Application '//aid/A0000001/51' is no //aid/RID/PIX"),
	      "malformed target: %s", out.error);
}

static void test_security_error(void)
{
	static const struct rule rules[] = {
		{ "84F28000024F0000", "6982" },
		{ NULL, NULL }
	};

	tsm_reset();
	card_reset(rules);
	script(false, "1", "80CA004500", "84F28000024F0000", "84F24000024F0000",
	       NULL);
	end(204, "error; the SCP03 session is gone");
	CHECK(run(&out) == 1, "security error session ends in error");
	CHECK(card.n == 2, "stops at 6982: %s", sent_list());
	/* the script ran: the card's 6982 goes back with status ok */
	CHECK(!strcmp(tsm.seen[1].status, RAM_ST_OK) &&
	      body_is(1, "AB 0B 8001 02 2302 9000 2302 6982"),
	      "6982 answered: %s %s", tsm.seen[1].status, body_hex(1));
	CHECK(!strcmp(out.result, "error; the SCP03 session is gone"),
	      "result: %s", out.result);
	snprintf(url, sizeof(url), "TSM http://127.0.0.1:%u/ram/1: error; the SCP03 session is gone",
		 tsm.port);
	CHECK(!strcmp(out.error, url), "error line: %s", out.error);
	CHECK(!out.ok, "not ok");
}

static void test_http_errors(void)
{
	char want[512];

	tsm_reset();
	card_reset(NULL);
	text(403, "no keys for the card 0102030405060708\r\nsecond line\n");
	CHECK(run(&out) == 1, "403 ends the session");
	snprintf(want, sizeof(want),
		 "TSM http://127.0.0.1:%u/ram/purse: HTTP 403: no keys for the card 0102030405060708",
		 tsm.port);
	CHECK(!strcmp(out.error, want), "403 message: %s", out.error);

	tsm_reset();
	card_reset(NULL);
	script(false, "sessions/7", "80CA004500", NULL);
	text(404, "unknown session 7");
	CHECK(run(&out) == 1 && card.n == 1, "404 after a script");
	snprintf(want, sizeof(want),
		 "TSM http://127.0.0.1:%u/ram/sessions/7: HTTP 404: unknown session 7",
		 tsm.port);
	CHECK(!strcmp(out.error, want), "404 names the Next-URI: %s",
	      out.error);

	tsm_reset();
	card_reset(NULL);
	end(500, NULL);
	CHECK(run(&out) == 1 && strstr(out.error, "/ram/purse: HTTP 500") &&
	      !strstr(out.error, "HTTP 500:"), "500 without a body: %s",
	      out.error);

	tsm_reset();
	card_reset(NULL);
	text(200, "<html>hello</html>")->next = "x";
	CHECK(run(&out) == 1 && card.n == 0 &&
	      strstr(out.error, "HTTP 200 of type 'text/plain', not application/vnd.globalplatform.card-content-mgt;version=1.0"),
	      "200 that is no script: %s", out.error);
}

static void test_rounds(void)
{
	tsm_reset();
	card_reset(NULL);
	script(false, "again", "80CA004500", NULL);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/ram/purse", tsm.port);
	CHECK(run_url(url, 3, 10, false, &out) == 1, "a TSM that never ends");
	CHECK(out.rounds == 3 && out.scripts == 2 && card.n == 2 &&
	      tsm.n_seen == 3, "3 rounds, 2 scripts run: %u %u %zu %zu",
	      out.rounds, out.scripts, card.n, tsm.n_seen);
	CHECK(strstr(out.error, "/ram/again: the session is not over after 3 rounds (--max-rounds)"),
	      "too many rounds: %s", out.error);
}

static void test_results(void)
{
	tsm_reset();
	card_reset(NULL);
	end(204, "error; card 0102030405060708 unknown");
	CHECK(run(&out) == 1 && !out.ok &&
	      !strcmp(out.result, "error; card 0102030405060708 unknown") &&
	      strstr(out.error, "/ram/purse: error; card 0102030405060708 unknown"),
	      "error result: %s", out.error);

	/* a standard TSM ends with 204 and nothing of secel's */
	tsm_reset();
	card_reset(NULL);
	end(204, NULL);
	CHECK(run(&out) == 0 && out.ok &&
	      !strcmp(out.result, "ok; 0 scripts, 0 APDUs"),
	      "204 without X-Secel-Result: %s %s", out.result, out.error);

	tsm_reset();
	card_reset(NULL);
	script(false, "n", "80CA004500", NULL);
	end(204, NULL);
	CHECK(run(&out) == 0 && out.ok &&
	      !strcmp(out.result, "ok; 1 script, 1 APDU"),
	      "a script, then 204: %s %s", out.result, out.error);

	tsm_reset();
	card_reset(NULL);
	end(204, "okay; not quite");
	CHECK(run(&out) == 1, "'okay' is not ok");

	tsm_reset();
	card_reset(NULL);
	end(204, "ok");
	CHECK(run(&out) == 0 && out.ok, "bare ok");

	/* 200 without a Next-URI: the last script, run and not answered */
	tsm_reset();
	card_reset(NULL);
	script(false, NULL, "80CA004500", NULL)->result = "ok; installed";
	CHECK(run(&out) == 0 && !strcmp(out.result, "ok; installed") &&
	      card.n == 1 && out.rounds == 1 && tsm.n_seen == 1,
	      "200 without Next-URI: %d %zu %zu", out.ok, card.n, tsm.n_seen);

	/* 204 with a Next-URI goes on: an empty POST there */
	tsm_reset();
	card_reset(NULL);
	script(false, "a", "80CA004500", NULL);
	end(204, NULL)->next = "b";
	script(true, NULL, "80CA9F7F00", NULL);
	CHECK(run(&out) == 0 && out.ok && card.n == 2 && tsm.n_seen == 3 &&
	      !strcmp(out.result, "ok; 2 scripts, 2 APDUs"),
	      "204 with Next-URI, then the last script: %s %s %zu %zu",
	      out.result, out.error, card.n, tsm.n_seen);
	CHECK(tsm.n_seen == 3 && !strcmp(tsm.seen[2].path, "/ram/b") &&
	      !tsm.seen[2].body_len && !tsm.seen[2].has_status &&
	      !tsm.seen[2].has_ctype,
	      "the POST after 204: %s, %zu bytes, status %s",
	      tsm.seen[2].path, tsm.seen[2].body_len, tsm.seen[2].status);
}

/*
 * The connection breaks before an answer: the same POST, resumed.  (On a
 * reused connection libcurl itself sends a request again, once, when
 * nothing at all came back; the answers before a drop close their
 * connection so that the relay's own resume is what is tested.)
 */
static void test_resume(void)
{
	tsm_reset();
	card_reset(NULL);
	script(false, "a", "80CA004500", NULL)->close = true;
	end(204, NULL)->drop = true;
	end(204, NULL);
	CHECK(run(&out) == 0 && out.ok && out.resumed == 1 && card.n == 1,
	      "resumed once: %s, %u resumed, %zu APDUs", out.error, out.resumed,
	      card.n);
	CHECK(tsm.n_seen == 3 && !tsm.seen[1].has_resume &&
	      !strcmp(tsm.seen[2].resume, "true") &&
	      !strcmp(tsm.seen[2].path, tsm.seen[1].path) &&
	      tsm.seen[2].body_len == tsm.seen[1].body_len &&
	      !memcmp(tsm.seen[2].body, tsm.seen[1].body, tsm.seen[1].body_len) &&
	      !strcmp(tsm.seen[2].status, RAM_ST_OK),
	      "the same answers again with X-Admin-Resume: %zu '%s' %s",
	      tsm.n_seen, tsm.seen[2].resume, body_hex(2));

	/* the first POST too */
	tsm_reset();
	card_reset(NULL);
	end(204, NULL)->drop = true;
	end(204, NULL);
	CHECK(run(&out) == 0 && tsm.n_seen == 2 && tsm.seen[1].has_resume &&
	      tsm.seen[1].has_se_info && !tsm.seen[1].body_len,
	      "first POST resumed: %s", out.error);

	/* a TSM that keeps dropping: given up after RELAY_RESUMES */
	tsm_reset();
	card_reset(NULL);
	end(204, NULL)->drop = true;
	CHECK(run(&out) == 1 && tsm.n_seen == 1 + RELAY_RESUMES &&
	      strstr(out.error, "/ram/purse: ") &&
	      strstr(log_text, "posting again with X-Admin-Resume: true"),
	      "gives up: %zu POSTs, %s", tsm.n_seen, out.error);
}

static void test_se_errors(void)
{
	tsm_reset();
	card_reset(NULL);
	card.fail_at = 2;
	card.fail_errno = ENODEV;
	script(false, "1", "80CA004500", "80CA9F7F00", "80CA00E000", NULL);
	end(204, "ok; done");
	CHECK(run(&out) == 1 &&
	      !strcmp(out.error, "SE eSE1: script 1 APDU 2 (80CA9F7F00): the SE is gone"),
	      "SE unplugged: %s", out.error);
	CHECK(tsm.n_seen == 1 && card.n == 2,
	      "no more POSTs, no more APDUs: %zu %zu", tsm.n_seen, card.n);

	tsm_reset();
	card_reset(NULL);
	card.fail_at = 1;
	card.fail_errno = ETIMEDOUT;
	script(false, "1", "80E60C0024" "0102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F2021222324", NULL);
	end(204, "ok; done");
	CHECK(run(&out) == 1 &&
	      !strcmp(out.error, "SE eSE1: script 1 APDU 1 (80E60C00240102030405060708090A0B...): the SE did not answer"),
	      "SE timeout: %s", out.error);

	tsm_reset();
	card_reset(NULL);
	card.fail_at = 1;
	card.fail_errno = ENODEV;
	script(false, "1", "80CA004500", NULL)->target = "//aid/A000000151/000002";
	CHECK(run(&out) == 1 &&
	      !strcmp(out.error, "SE eSE1: script 1 SELECT (00A4040008A000000151000002): the SE is gone"),
	      "SE gone at SELECT: %s", out.error);
}

static void test_transport(void)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	char u[128];
	int fd;

	/* a port nobody listens on: bind one, close it */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (struct sockaddr *)&sin, sizeof(sin));
	getsockname(fd, (struct sockaddr *)&sin, &sl);
	close(fd);
	snprintf(u, sizeof(u), "http://127.0.0.1:%u/ram/x", ntohs(sin.sin_port));
	snprintf(url, sizeof(url), "TSM %s: ", u);
	card_reset(NULL);
	CHECK(run_url(u, 64, 5, false, &out) == 1 &&
	      !strncmp(out.error, url, strlen(url)) &&
	      strstr(out.error, "onnect"), "connection refused: %s", out.error);
	CHECK(!strchr(out.error, '\n'), "one line");

	tsm_reset();
	card_reset(NULL);
	end(204, "ok")->delay_ms = 1500;
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/ram/slow", tsm.port);
	CHECK(run_url(url, 64, 1, false, &out) == 1 &&
	      strstr(out.error, "/ram/slow: ") &&
	      strstr(out.error, "timed out"), "timeout: %s", out.error);

	tsm_reset();
	card_reset(NULL);
	raw(200, RAM_CT_SCRIPT, "", "x")->big = RAM_SCRIPT_MAX + 1;
	CHECK(run(&out) == 1 && card.n == 0 &&
	      strstr(out.error, "/ram/purse: answer longer than 1048576 bytes"),
	      "answer over RAM_SCRIPT_MAX: %s", out.error);

	tsm_reset();
	card_reset(NULL);
	raw(200, RAM_CT_SCRIPT, "AA 00", "x")->big = RAM_SCRIPT_MAX;
	end(204, "ok");
	CHECK(run(&out) == 0 && body_is(1, "AB 06 8001 00 9001 01"),
	      "an answer of RAM_SCRIPT_MAX bytes is read: %s", out.error);
}

static void test_next_uri(void)
{
	char want[128];

	tsm_reset();
	card_reset(NULL);
	script(false, "../other/a", "80CA004500", NULL);
	script(false, "b?q=7", "80CA004500", NULL);
	snprintf(want, sizeof(want), "http://127.0.0.1:%u/abs/c", tsm.port);
	script(false, want, "80CA004500", NULL);
	script(false, "//127.0.0.1:1/x", "80CA004500", NULL);
	run(&out);
	CHECK(tsm.n_seen == 4 && !strcmp(tsm.seen[1].path, "/other/a") &&
	      !strcmp(tsm.seen[2].path, "/other/b?q=7") &&
	      !strcmp(tsm.seen[3].path, "/abs/c"),
	      "Next-URI forms: %s %s %s", tsm.seen[1].path, tsm.seen[2].path,
	      tsm.seen[3].path);
	CHECK(strstr(out.error, "TSM http://127.0.0.1:1/x: "),
	      "scheme-relative Next-URI: %s", out.error);

	tsm_reset();
	card_reset(NULL);
	script(false, "ftp://127.0.0.1/x", "80CA004500", NULL);
	CHECK(run(&out) == 1 && tsm.n_seen == 1 &&
	      strstr(out.error, "X-Admin-Next-URI 'ftp://127.0.0.1/x': not an http or https URL"),
	      "ftp Next-URI: %s", out.error);
}

static void test_verbose(void)
{
	static const struct rule rules[] = {
		{ "80CA004500", "5A0101" "9000" },
		{ NULL, NULL }
	};

	tsm_reset();
	card_reset(rules);
	script(false, "n", "80CA004500", NULL);
	end(204, "ok; quiet");
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/ram/purse", tsm.port);
	CHECK(run_url(url, 64, 10, true, &out) == 0, "verbose session");
	CHECK(strstr(log_text, "> POST http://127.0.0.1:") &&
	      strstr(log_text, "< HTTP 200, ") &&
	      strstr(log_text, "X-Admin-Next-URI: n") &&
	      strstr(log_text, "script 1 APDU 1 > 80CA004500") &&
	      strstr(log_text, "script 1 APDU 1 < 5A01019000") &&
	      strstr(log_text, "X-Secel-Result: ok; quiet"),
	      "exchanges and APDUs: %s", log_text);
}

/* ---- the backstage ---------------------------------------------------- */

static const struct bs_se se_a = {
	.index = 0, .name = "eSE1", .kind = "physical", .transport = "t1-serial",
	.state = SECEL_STATE_LISTED, .designated = true, .atr = "3B8A80",
};
static const struct bs_se se_b = {
	.index = 3, .name = "VSE2", .kind = "virtual", .transport = "vse",
	.state = SECEL_STATE_REPORTED, .atr = "",
};

static const struct bs_tsm tsm_one = {
	.subject = "/CN=tsm.example/O=secel",
	.fingerprint = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
};
static const struct bs_tsm tsm_none;

static void test_policy_lines(void)
{
	struct bs_rule r;
	char err[256];

	CHECK(bs_policy_parse_line("  # a comment\n", &r, err, sizeof(err)) == 1 &&
	      bs_policy_parse_line("\n", &r, err, sizeof(err)) == 1,
	      "comments and blank lines are no rules");
	CHECK(!bs_policy_parse_line("allow any inquire\n", &r, err, sizeof(err)) &&
	      r.any_tsm && r.ops == 1u << BS_INQUIRE && !r.kind[0] &&
	      !r.name[0] && !r.state, "allow any inquire: %s", err);
	CHECK(!bs_policy_parse_line("allow subject=\"/CN=tsm.example/O=A B\" delete,designate kind=virtual name=VSE* state=listed",
				    &r, err, sizeof(err)) &&
	      !strcmp(r.subject, "/CN=tsm.example/O=A B") &&
	      r.ops == ((1u << BS_DELETE) | (1u << BS_DESIGNATE)) &&
	      !strcmp(r.kind, "virtual") && !strcmp(r.name, "VSE*") &&
	      r.state == SECEL_STATE_LISTED,
	      "a quoted subject, two operations, three conditions: %s", err);
	CHECK(!bs_policy_parse_line("allow sha256=00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff all",
				    &r, err, sizeof(err)) &&
	      !strcmp(r.fingerprint, tsm_one.fingerprint) &&
	      r.ops == (1u << BS_OPS) - 1,
	      "a fingerprint with colons and upper case, all: %s", err);
	CHECK(bs_policy_parse_line("deny any all", &r, err, sizeof(err)) == -EINVAL &&
	      strstr(err, "'allow'"), "only allow rules: %s", err);
	CHECK(bs_policy_parse_line("allow nobody inquire", &r, err, sizeof(err)) == -EINVAL &&
	      strstr(err, "no TSM"), "an unknown TSM form: %s", err);
	CHECK(bs_policy_parse_line("allow any reboot", &r, err, sizeof(err)) == -EINVAL &&
	      strstr(err, "'reboot' is no operation"), "an unknown operation: %s", err);
	CHECK(bs_policy_parse_line("allow sha256=0011 all", &r, err, sizeof(err)) == -EINVAL &&
	      strstr(err, "SHA-256"), "a short fingerprint: %s", err);
	CHECK(bs_policy_parse_line("allow any delete state=gone", &r, err, sizeof(err)) == -EINVAL &&
	      strstr(err, "state 'gone'"), "an unknown state: %s", err);
	CHECK(bs_policy_parse_line("allow any delete kind=usb", &r, err, sizeof(err)) == -EINVAL,
	      "an unknown kind");
	CHECK(bs_policy_parse_line("allow any delete colour=red", &r, err, sizeof(err)) == -EINVAL,
	      "an unknown condition");
	CHECK(bs_policy_parse_line("allow subject=\"/CN=x delete", &r, err, sizeof(err)) == -EINVAL,
	      "a quote left open");
	CHECK(bs_policy_parse_line("allow any", &r, err, sizeof(err)) == -EINVAL,
	      "a rule without operations");
}

static void test_policy_decisions(void)
{
	struct bs_policy *p = calloc(1, sizeof(*p));
	char path[] = "/tmp/test-relay-policy.XXXXXX", err[512];
	unsigned int line = 99;
	FILE *f;
	int fd;

	bs_policy_default(p);
	CHECK(bs_allowed(p, &tsm_none, BS_INQUIRE, &se_a, &line) && line == 0,
	      "the default lets anyone inquire");
	CHECK(!bs_allowed(p, &tsm_one, BS_DELETE, &se_a, NULL) &&
	      !bs_allowed(p, &tsm_one, BS_ADD, &se_b, NULL) &&
	      !bs_allowed(p, &tsm_one, BS_DESIGNATE, &se_b, NULL) &&
	      !bs_allowed(p, &tsm_one, BS_CLEAR, NULL, NULL),
	      "the default allows nothing but inquiry");

	fd = mkstemp(path);
	f = fdopen(fd, "w");
	fprintf(f, "# the test policy\n"
		"allow any inquire\n"
		"allow subject=/CN=tsm.example/* delete,add kind=virtual\n"
		"\n"
		"allow sha256=%s designate,clear state=listed\n",
		tsm_one.fingerprint);
	fclose(f);
	CHECK(!bs_policy_read(path, p, err, sizeof(err)) && p->n == 3,
	      "a policy file of three rules: %s", err);
	CHECK(bs_allowed(p, &tsm_one, BS_DELETE, &se_b, &line) && line == 3,
	      "delete of a virtual SE by subject, rule of line 3 (%u)", line);
	CHECK(!bs_allowed(p, &tsm_one, BS_DELETE, &se_a, NULL),
	      "no delete of a physical SE");
	CHECK(!bs_allowed(p, &tsm_none, BS_DELETE, &se_b, NULL),
	      "a TSM without a certificate matches no subject");
	CHECK(bs_allowed(p, &tsm_one, BS_DESIGNATE, &se_a, &line) && line == 5,
	      "designate by fingerprint, state listed");
	CHECK(!bs_allowed(p, &tsm_one, BS_DESIGNATE, &se_b, NULL),
	      "no designate of a reported SE");
	CHECK(!bs_allowed(p, &tsm_one, BS_CLEAR, NULL, NULL),
	      "a rule with conditions does not match clear without an SE");
	f = fopen(path, "w");
	fprintf(f, "allow any inquire\nallow any frobnicate\n");
	fclose(f);
	CHECK(bs_policy_read(path, p, err, sizeof(err)) == -EINVAL &&
	      strstr(err, ":2: 'frobnicate' is no operation"),
	      "a bad line named by file and line: %s", err);
	unlink(path);
	CHECK(bs_policy_read(path, p, err, sizeof(err)) == -ENOENT,
	      "a policy file that is not there");
	free(p);
}

static void test_control_headers(void)
{
	struct bs_request rq[BS_REQUESTS_MAX];
	struct bs_se two[2] = { se_a, se_b };
	char h[1024], err[256];
	size_t n = 0;

	CHECK(!bs_control_parse("delete VSE2, designate eSE1,clear , inquire SIM1",
				rq, BS_REQUESTS_MAX, &n, err, sizeof(err)) &&
	      n == 4 && rq[0].op == BS_DELETE && !strcmp(rq[0].se, "VSE2") &&
	      rq[1].op == BS_DESIGNATE && !strcmp(rq[1].se, "eSE1") &&
	      rq[2].op == BS_CLEAR && !rq[2].se[0] &&
	      rq[3].op == BS_INQUIRE && !strcmp(rq[3].se, "SIM1"),
	      "four instructions: %s", err);
	CHECK(bs_control_parse("delete", rq, BS_REQUESTS_MAX, &n, err, sizeof(err)) == -EINVAL &&
	      strstr(err, "wants an SE name"), "delete without an SE: %s", err);
	CHECK(bs_control_parse("clear eSE1", rq, BS_REQUESTS_MAX, &n, err, sizeof(err)) == -EINVAL,
	      "clear with an SE");
	CHECK(bs_control_parse("format eSE1", rq, BS_REQUESTS_MAX, &n, err, sizeof(err)) == -EINVAL &&
	      strstr(err, "'format'"), "an unknown instruction: %s", err);
	CHECK(bs_control_parse("delete a;b", rq, BS_REQUESTS_MAX, &n, err, sizeof(err)) == -EINVAL,
	      "an SE name with a separator in it");
	CHECK(bs_control_parse("delete ABCDEFGHIJKLMNOP", rq, BS_REQUESTS_MAX, &n, err, sizeof(err)) == -EINVAL,
	      "an SE name longer than the kernel's");
	CHECK(bs_control_parse("delete A,, delete B", rq, BS_REQUESTS_MAX, &n, err, sizeof(err)) == -EINVAL,
	      "an empty instruction");
	CHECK(bs_control_parse("clear, clear, clear", rq, 2, &n, err, sizeof(err)) == -EINVAL,
	      "more instructions than room");
	CHECK(bs_control_parse("script VSE2", rq, BS_REQUESTS_MAX, &n, err, sizeof(err)) == -EINVAL,
	      "script is a policy operation, not an instruction");

	CHECK(!bs_list_header(two, 2, h, sizeof(h)) &&
	      !strcmp(h, "name=eSE1;index=0;kind=physical;transport=t1-serial;state=listed;designated=1;atr=3B8A80, "
		      "name=VSE2;index=3;kind=virtual;transport=vse;state=reported"),
	      "X-Secel-SE-List of two: %s", h);
	CHECK(!bs_list_header(two, 0, h, sizeof(h)) && !h[0], "an empty list");
	two[1].cin = "534543454C000001";
	CHECK(!bs_list_header(two + 1, 1, h, sizeof(h)) &&
	      !strcmp(h, "name=VSE2;index=3;kind=virtual;transport=vse;state=reported;cin=534543454C000001"),
	      "a CIN the policy shows: %s", h);
	two[1].cin = NULL;
	CHECK(bs_control_parse("identify VSE2", rq, BS_REQUESTS_MAX, &n, err, sizeof(err)) == -EINVAL,
	      "identify is a policy operation, not an instruction");
	CHECK(bs_list_header(two, 2, h, 60) == -EMSGSIZE, "a list too long");

	h[0] = '\0';
	rq[0].op = BS_DELETE;
	strcpy(rq[0].se, "VSE2");
	rq[1].op = BS_CLEAR;
	rq[1].se[0] = '\0';
	CHECK(!bs_result_add(h, sizeof(h), &rq[0], 0, SECEL_STATE_DELETED, false) &&
	      !bs_result_add(h, sizeof(h), &rq[0], ENODEV, 0, false) &&
	      !bs_result_add(h, sizeof(h), &rq[1], EPERM, 0, false) &&
	      !strcmp(h, "delete VSE2: ok deleted, delete VSE2: ENODEV, clear: EPERM"),
	      "results: %s", h);
}

/* the fake device: eSE1 and VSE2; GONE vanished; delete eSE1 forbidden */
static int fake_list(void *priv, const struct bs_tsm *who, char *out,
		     size_t room)
{
	struct bs_se two[2] = { se_a, se_b };

	(void)priv;
	(void)who;
	return bs_list_header(two, 2, out, room);
}

static void fake_control(void *priv, const struct bs_tsm *who,
			 const struct bs_request *rq, char *result, size_t room)
{
	(void)priv;
	(void)who;
	if (!strcmp(rq->se, "GONE"))
		bs_result_add(result, room, rq, ENODEV, 0, false);
	else if (rq->op == BS_DELETE && !strcmp(rq->se, "eSE1"))
		bs_result_add(result, room, rq, EPERM, 0, false);
	else
		bs_result_add(result, room, rq, 0, SECEL_STATE_LISTED,
			      rq->op == BS_DESIGNATE);
}

/* the other SE scripts may be aimed at: it counts and answers 6A88 */
static unsigned int other_apdus;

static int other_transmit(void *priv, const uint8_t *cmd, size_t len,
			  uint8_t *rsp, size_t *rsp_len)
{
	(void)priv;
	(void)cmd;
	(void)len;
	other_apdus++;
	rsp[0] = 0x6a;
	rsp[1] = 0x88;
	*rsp_len = 2;
	return 0;
}

static const struct relay_card other_card = { .transmit = other_transmit };

static int fake_target(void *priv, const struct bs_tsm *who, const char *se,
		       const struct relay_card **card, char *why, size_t room)
{
	(void)priv;
	(void)who;
	if (!se)
		return 0;
	if (!strcmp(se, "VSE2")) {
		*card = &other_card;
		return 0;
	}
	snprintf(why, room, "no SE named '%s'", se);
	return -ENODEV;
}

static const struct relay_backstage fake_backstage = {
	.list = fake_list,
	.control = fake_control,
	.target = fake_target,
};

/*
 * A 204 with instructions and a Next-URI: carried out in order, one that
 * fails does not stop the others, the results and a fresh list go with
 * the next POST.
 */
static void test_control_session(void)
{
	const char *list = "name=eSE1;index=0;kind=physical;transport=t1-serial;state=listed;designated=1;atr=3B8A80, "
			   "name=VSE2;index=3;kind=virtual;transport=vse;state=reported";
	int ret;

	tsm_reset();
	tsm.answer[0] = *end(204, NULL);
	tsm.answer[0].next = "/backstage/result";
	tsm.answer[0].control = "delete GONE, delete eSE1, designate VSE2";
	tsm.answer[1] = *end(204, "ok; done");
	tsm.n_answers = 2;
	test_backstage = &fake_backstage;
	ret = run(&out);
	test_backstage = NULL;
	CHECK(!ret && out.controls == 3, "the session went on: %d, %u controls, %s",
	      ret, out.controls, out.error);
	CHECK(tsm.n_seen == 2 && tsm.seen[0].has_se_list &&
	      !strcmp(tsm.seen[0].se_list, list) && tsm.seen[1].has_se_list &&
	      !tsm.seen[0].has_control_result,
	      "the list on both bodiless POSTs: '%s'", tsm.seen[0].se_list);
	CHECK(tsm.seen[1].has_control_result &&
	      !strcmp(tsm.seen[1].control_result,
		      "delete GONE: ENODEV, delete eSE1: EPERM, designate VSE2: ok listed designated"),
	      "the results, in order: '%s'", tsm.seen[1].control_result);

	/* a relay without a backstage refuses, and says so */
	tsm_reset();
	tsm.answer[0] = *end(204, NULL);
	tsm.answer[0].next = "/backstage/result";
	tsm.answer[0].control = "delete VSE2";
	tsm.answer[1] = *end(204, "ok; done");
	tsm.n_answers = 2;
	ret = run(&out);
	CHECK(!ret && !tsm.seen[0].has_se_list &&
	      !strncmp(tsm.seen[1].control_result, "refused:", 8),
	      "no backstage: no list, instructions refused: '%s'",
	      tsm.seen[1].control_result);

	/* a malformed header: nothing done, the reason goes back */
	tsm_reset();
	tsm.answer[0] = *end(204, NULL);
	tsm.answer[0].next = "/backstage/result";
	tsm.answer[0].control = "delete VSE2, explode VSE2";
	tsm.answer[1] = *end(204, "ok; done");
	tsm.n_answers = 2;
	test_backstage = &fake_backstage;
	ret = run(&out);
	test_backstage = NULL;
	CHECK(!ret && out.controls == 0 &&
	      !strncmp(tsm.seen[1].control_result, "malformed: 'explode'", 20),
	      "a malformed X-Secel-Control runs nothing: '%s'",
	      tsm.seen[1].control_result);
}

/*
 * X-Secel-Targeted-SE: that script on the other SE, the next one (no
 * header) on the relay's own again; an SE that is gone: the script is not
 * run, unknown-application, and why in X-Secel-Control-Result.
 */
static void test_targeted_se(void)
{
	int ret;

	tsm_reset();
	card_reset(NULL);
	other_apdus = 0;
	script(false, "/s/2", "80CA004500", "80CA9F7F00", NULL)->target_se = "VSE2";
	script(false, "/s/3", "80CA004500", NULL);
	script(false, "/s/4", "80CA004500", NULL)->target_se = "GONE";
	end(204, NULL);
	test_backstage = &fake_backstage;
	ret = run(&out);
	test_backstage = NULL;
	CHECK(other_apdus == 1 && card.n == 1,
	      "script 1 on VSE2 (%u APDUs, stopped at 6A88), script 2 on the own SE (%zu)",
	      other_apdus, card.n);
	CHECK(body_is(1, "AB 07 8001 01 2302 6A88"), "VSE2's answer: %s",
	      body_hex(1));
	CHECK(!strcmp(tsm.seen[3].status, RAM_ST_UNKNOWN_APP) &&
	      !tsm.seen[3].body_len &&
	      !strcmp(tsm.seen[3].control_result, "script GONE: ENODEV"),
	      "an SE that is gone: '%s' '%s'", tsm.seen[3].status,
	      tsm.seen[3].control_result);
	CHECK(ret == 1 && strstr(out.error, "script 3 not run: X-Secel-Targeted-SE GONE: ENODEV"),
	      "and the relay says so: %s", out.error);

	/* a relay without targeting runs nothing on another SE */
	tsm_reset();
	card_reset(NULL);
	script(false, "/s/2", "80CA004500", NULL)->target_se = "VSE2";
	end(204, NULL);
	ret = run(&out);
	CHECK(ret == 1 && card.n == 0 &&
	      !strcmp(tsm.seen[1].control_result, "script VSE2: EPERM"),
	      "no backstage: EPERM, nothing sent: %zu '%s'", card.n,
	      tsm.seen[1].control_result);
}

/*
 * The daemon's delays.  Which uevents start a session is libsecel's
 * monitor's (tools/libsecel/test-libsecel.c tests its parser).
 */
static void test_daemon_rules(void)
{
	static const struct {
		const char *v;
		unsigned long want;
	} polls[] = {
		{ "600", 600 }, { "1", 1 }, { "604800", 604800 },
		{ "0", 0 }, { "604801", 0 }, { "-5", 0 }, { "10s", 0 },
		{ " ", 0 }, { "99999999999999999999", 0 },
	};
	size_t i;

	/* X-Secel-Poll: whole seconds from 1 to a week, else not said */
	for (i = 0; i < sizeof(polls) / sizeof(polls[0]); i++) {
		tsm_reset();
		card_reset(NULL);
		end(204, "ok; SEs: ")->poll = polls[i].v;
		CHECK(run(&out) == 0 && out.poll == polls[i].want,
		      "X-Secel-Poll '%s': %lu, not %lu", polls[i].v, out.poll,
		      polls[i].want);
	}
	tsm_reset();
	card_reset(NULL);
	script(false, "n", "80CA004500", NULL)->poll = "120";
	end(204, "ok");
	CHECK(run(&out) == 0 && out.poll == 120,
	      "X-Secel-Poll of an earlier answer holds: %lu", out.poll);

	CHECK(relay_backoff(30, 3600, 1) == 30 && relay_backoff(30, 3600, 2) == 60 &&
	      relay_backoff(30, 3600, 3) == 120, "backoff doubles: %lu %lu %lu",
	      relay_backoff(30, 3600, 1), relay_backoff(30, 3600, 2),
	      relay_backoff(30, 3600, 3));
	CHECK(relay_backoff(30, 3600, 8) == 3600 && relay_backoff(30, 3600, 1000) == 3600,
	      "backoff capped: %lu", relay_backoff(30, 3600, 1000));
	CHECK(relay_backoff(100, 50, 1) == 50, "a first delay over the cap: %lu",
	      relay_backoff(100, 50, 1));
}

int main(void)
{
	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	unsetenv("https_proxy");
	unsetenv("HTTPS_PROXY");
	unsetenv("all_proxy");
	unsetenv("ALL_PROXY");
	curl_global_init(CURL_GLOBAL_DEFAULT);
	tsm_start();

	test_headers();
	test_session();
	test_stop_on_error();
	test_bad_format();
	test_target();
	test_security_error();
	test_http_errors();
	test_rounds();
	test_results();
	test_resume();
	test_se_errors();
	test_transport();
	test_next_uri();
	test_verbose();
	test_policy_lines();
	test_policy_decisions();
	test_control_headers();
	test_control_session();
	test_targeted_se();
	test_daemon_rules();

	MHD_stop_daemon(tsm.d);
	tsm_reset();
	curl_global_cleanup();
	printf("secel-relay unit test: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * secel-relay - the Amendment B session: POSTs to the TSM with libcurl,
 * the TSM's command scripts run on the SE's channel, the answers back
 * (Documentation/secel/tsm.rst).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>

#include "../ram/ram.h"
#include "../secelctl/se.h"
#include "relay.h"

/* The largest response APDU: 65536 data bytes and SW1 SW2. */
#define RSP_MAX		65538

#define CT_SCRIPT_TYPE	"application/vnd.globalplatform.card-content-mgt"

/* What the TSM answered to one POST. */
struct answer {
	long code;
	struct ram_buf body;
	bool too_big;
	bool overlong;		/* a header of ours did not fit */
	bool has_next, has_target, has_result, has_control, has_target_se;
	char next[RELAY_LINE_MAX];
	char target_se[64];
	char control[RELAY_LINE_MAX];
	char target[128];
	char result[RELAY_LINE_MAX];
	char ctype[256];
	unsigned long poll;	/* X-Secel-Poll, 0 when not said */
};

struct session {
	const struct relay_cfg *cfg;
	const struct relay_card *card;		/* the script's SE */
	const struct relay_card *own;		/* the relay's own SE */
	char card_name[64];			/* the script's SE, "" own */
	struct relay_outcome *out;
	CURL *curl;
	char *url;
	char errbuf[CURL_ERROR_SIZE];
	struct answer a;
	uint8_t selected[16];	/* on the channel; length 0: not known */
	size_t selected_len;
	unsigned int script_no;
	/* the first script that did not run ok: "TSM <url>: script N ..." */
	char not_ok[RELAY_LINE_MAX];
	struct ram_script script;
	struct ram_buf raw;	/* the R-APDUs of a script, one after another */
	size_t raw_len[RAM_SCRIPT_APDUS];
	/* results of the last answer's control instructions, for the next POST */
	char ctl_result[RELAY_LINE_MAX];
	char list[RELAY_LIST_MAX];
	struct curl_slist *list_hdrs;	/* the request on_connected adds to */
	bool list_fresh;		/* make the list anew, not a resume */
	bool who_known;			/* on_connected read the certificate */
	uint8_t rsp[RSP_MAX];
};

static int fail(struct session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct session *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->out->error, sizeof(s->out->error), fmt, ap);
	va_end(ap);
	return -1;
}

static void logf_(struct session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void logf_(struct session *s, const char *fmt, ...)
{
	va_list ap;

	if (!s->cfg->log)
		return;
	fprintf(s->cfg->log, "secel-relay: ");
	va_start(ap, fmt);
	vfprintf(s->cfg->log, fmt, ap);
	va_end(ap);
	fputc('\n', s->cfg->log);
}

static void log_hex(struct session *s, const char *prefix, const uint8_t *p,
		    size_t n)
{
	size_t i;

	if (!s->cfg->log)
		return;
	fprintf(s->cfg->log, "secel-relay: %s", prefix);
	for (i = 0; i < n; i++)
		fprintf(s->cfg->log, "%02X", p[i]);
	fputc('\n', s->cfg->log);
}

/* Up to 16 bytes of @p in hex, "..." when there are more. */
static const char *short_hex(const uint8_t *p, size_t n, char out[36])
{
	ram_hex(p, n > 16 ? 16 : n, out);
	if (n > 16)
		strcat(out, "...");
	return out;
}

int relay_from_header(const struct relay_se *se, const uint8_t *sd,
		      size_t sd_len, char *out, size_t room)
{
	char cin[2 * 64 + 1], aid[64];
	int n;

	/* "//aid/RID/PIX", of which "/aid/RID/PIX" follows "//aa-id" */
	if (ram_aid_format(sd, sd_len, aid, sizeof(aid)) < 0)
		return -EINVAL;
	if (se->cin.len > 64)
		return -EMSGSIZE;
	if (se->cin.len) {
		ram_hex(se->cin.data, se->cin.len, cin);
		n = snprintf(out, room, "//se-id/cin/%s;//aa-id%s", cin,
			     aid + 1);
	} else {
		n = snprintf(out, room, "//se-id/name/%s;//aa-id%s", se->name,
			     aid + 1);
	}
	return n < 0 || (size_t)n >= room ? -EMSGSIZE : 0;
}

int relay_se_info_header(const struct relay_se *se, char *out, size_t room)
{
	const struct {
		const char *key;
		const struct relay_item *item;
	} items[] = {
		{ "atr", &se->atr },
		{ "cplc", &se->cplc },
		{ "iin", &se->iin },
		{ "cin", &se->cin },
		{ "card-data", &se->card_data },
	};
	size_t i, len;
	int n;

	n = snprintf(out, room, "name=%s;kind=%s;transport=%s;channel=%u",
		     se->name, se->kind, se->transport, se->channel);
	if (n < 0 || (size_t)n >= room)
		return -EMSGSIZE;
	len = n;
	for (i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
		const struct relay_item *it = items[i].item;

		if (!it->len)
			continue;
		if (len + 2 + strlen(items[i].key) + 2 * it->len >= room)
			return -EMSGSIZE;
		len += sprintf(out + len, ";%s=", items[i].key);
		ram_hex(it->data, it->len, out + len);
		len += 2 * it->len;
	}
	if (se->extended) {
		if (len + sizeof(";extended=1") - 1 >= room)
			return -EMSGSIZE;
		strcpy(out + len, ";extended=1");
	}
	return 0;
}

static bool scheme_is(const char *scheme, const char *want)
{
	return scheme && !strcasecmp(scheme, want);
}

int relay_check_url(const char *url)
{
	CURLU *u = curl_url();
	char *scheme = NULL;
	int ret = -EINVAL;

	if (!u)
		return -ENOMEM;
	if (!curl_url_set(u, CURLUPART_URL, url, 0) &&
	    !curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) &&
	    (scheme_is(scheme, "http") || scheme_is(scheme, "https")))
		ret = 0;
	curl_free(scheme);
	curl_url_cleanup(u);
	return ret;
}

static size_t on_body(char *data, size_t size, size_t n, void *priv)
{
	struct answer *a = priv;
	size_t len = size * n;

	if (a->body.len + len > RAM_SCRIPT_MAX) {
		a->too_big = true;
		return 0;
	}
	if (ram_buf_put(&a->body, data, len))
		return 0;
	return len;
}

static void take(struct answer *a, char *dst, size_t room, const char *v,
		 bool *has)
{
	if (strlen(v) >= room) {
		a->overlong = true;
		return;
	}
	strcpy(dst, v);
	*has = *v != '\0';
}

/* X-Secel-Poll: whole seconds, 1 to RELAY_POLL_MAX; else 0 (ignored). */
static unsigned long poll_seconds(const char *v)
{
	unsigned long n;
	char *end;

	if (*v < '0' || *v > '9')
		return 0;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || *end || !n || n > RELAY_POLL_MAX)
		return 0;
	return n;
}

static size_t on_header(char *data, size_t size, size_t n, void *priv)
{
	struct answer *a = priv;
	size_t len = size * n, l;
	char line[RELAY_LINE_MAX + 64], *colon, *v, *e;
	bool dummy;

	if (!strncmp(data, "HTTP/", len < 5 ? len : 5)) {
		/* a new answer (after a 100 Continue, say): start again */
		a->has_next = a->has_target = a->has_result = false;
		a->has_control = a->has_target_se = false;
		a->overlong = false;
		a->ctype[0] = '\0';
		return len;
	}
	l = len < sizeof(line) - 1 ? len : sizeof(line) - 1;
	memcpy(line, data, l);
	line[l] = '\0';
	colon = strchr(line, ':');
	if (!colon)
		return len;
	*colon = '\0';
	for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
		;
	for (e = v + strlen(v); e > v && (e[-1] == '\r' || e[-1] == '\n' ||
					   e[-1] == ' ' || e[-1] == '\t'); e--)
		;
	*e = '\0';
	if (len >= sizeof(line) - 1 && (!strcasecmp(line, RAM_H_NEXT_URI) ||
					 !strcasecmp(line, RAM_H_TARGET) ||
					 !strcasecmp(line, RAM_H_RESULT) ||
					 !strcasecmp(line, RAM_H_CONTROL))) {
		a->overlong = true;
		return len;
	}
	if (!strcasecmp(line, RAM_H_NEXT_URI))
		take(a, a->next, sizeof(a->next), v, &a->has_next);
	else if (!strcasecmp(line, RAM_H_TARGET))
		take(a, a->target, sizeof(a->target), v, &a->has_target);
	else if (!strcasecmp(line, RAM_H_RESULT))
		take(a, a->result, sizeof(a->result), v, &a->has_result);
	else if (!strcasecmp(line, RAM_H_CONTROL))
		take(a, a->control, sizeof(a->control), v, &a->has_control);
	else if (!strcasecmp(line, RAM_H_TARGET_SE))
		take(a, a->target_se, sizeof(a->target_se), v, &a->has_target_se);
	else if (!strcasecmp(line, "Content-Type"))
		take(a, a->ctype, sizeof(a->ctype), v, &dummy);
	else if (!strcasecmp(line, RAM_H_POLL))
		a->poll = poll_seconds(v);
	return len;
}

static int add_header(struct curl_slist **h, const char *name,
		      const char *value)
{
	struct curl_slist *n;
	char *line;

	if (asprintf(&line, "%s:%s%s", name, *value ? " " : "", value) < 0)
		return -ENOMEM;
	n = curl_slist_append(*h, line);
	free(line);
	if (!n)
		return -ENOMEM;
	*h = n;
	return 0;
}

/*
 * The TSM's identity for the policy: its certificate of this answer's
 * connection (a reused connection shows none: the last one stays).
 */
static void who_answered(struct session *s)
{
	struct curl_certinfo *ci = NULL;
	struct curl_slist *l;

	if (s->who_known) {
		/* on_connected saw this connection's certificate */
		s->who_known = false;
		return;
	}
	if (strncasecmp(s->url, "https:", 6)) {
		memset(&s->out->tsm, 0, sizeof(s->out->tsm));
		return;
	}
	if (curl_easy_getinfo(s->curl, CURLINFO_CERTINFO, &ci) || !ci ||
	    ci->num_of_certs < 1)
		return;
	for (l = ci->certinfo[0]; l; l = l->next)
		if (!strncmp(l->data, "Cert:", 5)) {
			if (bs_tsm_from_pem(l->data + 5, &s->out->tsm))
				memset(&s->out->tsm, 0, sizeof(s->out->tsm));
			return;
		}
}

/*
 * CURLOPT_PREREQFUNCTION: the connection is up, the request not yet
 * written.  The TSM's certificate is known now, so the SE list it may see
 * goes into this very request: appended to the header list curl reads
 * when it writes the request.
 */
static int on_connected(void *priv, char *conn_ip, char *local_ip,
			int conn_port, int local_port)
{
	struct session *s = priv;
	const struct relay_backstage *bs = s->cfg->backstage;
	char *line;

	(void)conn_ip;
	(void)local_ip;
	(void)conn_port;
	(void)local_port;
	s->who_known = false;
	who_answered(s);
	s->who_known = true;
	if (!s->list_hdrs)
		return CURL_PREREQFUNC_OK;
	if (s->list_fresh &&
	    bs->list(bs->priv, &s->out->tsm, s->list, sizeof(s->list)))
		s->list[0] = '\0';
	if (s->list[0] && asprintf(&line, "%s: %s", RAM_H_SE_LIST, s->list) >= 0) {
		/* appended at the tail: the head curl holds stays the same */
		if (!curl_slist_append(s->list_hdrs, line))
			s->list[0] = '\0';
		free(line);
	}
	if (s->cfg->verbose && s->list[0])
		logf_(s, ">   %s: %s", RAM_H_SE_LIST, s->list);
	s->list_hdrs = NULL;
	return CURL_PREREQFUNC_OK;
}

/*
 * One POST to s->url.  @status NULL: a POST that asks for a script (the
 * first, and after a 204 with a Next-URI), with the SE's information and
 * no body; "ok": the response script in @body; any other status: no body
 * (Amendment B).  @resume: X-Admin-Resume, the same request again after
 * the connection broke.  0 with s->a filled, -1 with the error set, or 1
 * when the connection broke before an answer came (@curl_rc says how).
 */
static int post_once(struct session *s, const struct ram_buf *body,
		     const char *status, bool resume)
{
	const struct relay_cfg *cfg = s->cfg;
	struct answer *a = &s->a;
	struct curl_slist *h = NULL;
	bool has_body = status && !strcmp(status, RAM_ST_OK);
	size_t len = has_body ? body->len : 0;
	CURLcode rc;
	int ret;

	a->code = 0;
	a->body.len = 0;
	a->too_big = a->overlong = false;
	a->has_next = a->has_target = a->has_result = false;
	a->has_control = a->has_target_se = false;
	a->ctype[0] = '\0';
	a->poll = 0;

	ret = add_header(&h, RAM_H_PROTOCOL, RAM_PROTOCOL);
	if (!ret)
		ret = add_header(&h, RAM_H_FROM, cfg->from);
	if (!ret && !status)
		ret = add_header(&h, RAM_H_SE_INFO, cfg->se_info);
	/*
	 * The list afresh on every POST that asks for a script, made once
	 * the connection is up (on_connected), when the TSM's certificate
	 * is known; the same again on a resume.
	 */
	s->list_hdrs = NULL;
	if (!ret && !status && cfg->backstage) {
		if (!resume)
			s->list[0] = '\0';
		s->list_hdrs = h;
		s->list_fresh = !resume || !s->list[0];
	}
	if (!ret && s->ctl_result[0])
		ret = add_header(&h, RAM_H_CONTROL_RESULT, s->ctl_result);
	/* no body: no Content-Type (curl would say a form) */
	if (!ret)
		ret = add_header(&h, "Content-Type", has_body ? RAM_CT_RESPONSE : "");
	if (!ret && status)
		ret = add_header(&h, RAM_H_STATUS, status);
	if (!ret && resume)
		ret = add_header(&h, RAM_H_RESUME, "true");
	if (!ret)
		ret = add_header(&h, "Accept", RAM_CT_SCRIPT);
	if (!ret)
		ret = add_header(&h, "Expect", "");
	if (ret) {
		curl_slist_free_all(h);
		return fail(s, "out of memory");
	}

	curl_easy_setopt(s->curl, CURLOPT_URL, s->url);
	curl_easy_setopt(s->curl, CURLOPT_POST, 1L);
	curl_easy_setopt(s->curl, CURLOPT_POSTFIELDS,
			 len ? (const char *)body->data : "");
	curl_easy_setopt(s->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, h);

	if (cfg->verbose) {
		logf_(s, "> POST %s, %zu bytes", s->url, len);
		logf_(s, ">   %s: %s", RAM_H_FROM, cfg->from);
		if (status)
			logf_(s, ">   %s: %s", RAM_H_STATUS, status);
		else
			logf_(s, ">   %s: %s", RAM_H_SE_INFO, cfg->se_info);
		if (s->ctl_result[0])
			logf_(s, ">   %s: %s", RAM_H_CONTROL_RESULT, s->ctl_result);
		if (resume)
			logf_(s, ">   %s: true", RAM_H_RESUME);
	}
	s->errbuf[0] = '\0';
	rc = curl_easy_perform(s->curl);
	curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(h);
	s->out->rounds++;
	if (a->too_big)
		return fail(s, "TSM %s: answer longer than %d bytes (RAM_SCRIPT_MAX)",
			    s->url, RAM_SCRIPT_MAX);
	if (rc != CURLE_OK) {
		fail(s, "TSM %s: %s", s->url,
		     s->errbuf[0] ? s->errbuf : curl_easy_strerror(rc));
		/* sent, perhaps, but no whole answer came back */
		if (rc == CURLE_GOT_NOTHING || rc == CURLE_RECV_ERROR ||
		    rc == CURLE_SEND_ERROR || rc == CURLE_PARTIAL_FILE)
			return 1;
		return -1;
	}
	curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &a->code);
	who_answered(s);
	if (a->poll)
		s->out->poll = a->poll;
	if (a->overlong)
		return fail(s, "TSM %s: HTTP %ld: a header longer than %d bytes",
			    s->url, a->code, RELAY_LINE_MAX - 1);
	if (cfg->verbose) {
		logf_(s, "< HTTP %ld, %zu bytes%s%s", a->code, a->body.len,
		      a->ctype[0] ? ", " : "", a->ctype);
		if (a->has_next)
			logf_(s, "<   %s: %s", RAM_H_NEXT_URI, a->next);
		if (a->has_target)
			logf_(s, "<   %s: %s", RAM_H_TARGET, a->target);
		if (a->has_result)
			logf_(s, "<   %s: %s", RAM_H_RESULT, a->result);
		if (a->has_control)
			logf_(s, "<   %s: %s", RAM_H_CONTROL, a->control);
		if (a->has_target_se)
			logf_(s, "<   %s: %s", RAM_H_TARGET_SE, a->target_se);
	}
	return 0;
}

/*
 * A POST, and the same again with X-Admin-Resume: true while the
 * connection breaks before the answer (Amendment B: the agent navigates
 * the last URI again; the server continues or starts over).
 */
static int post(struct session *s, const struct ram_buf *body,
		const char *status)
{
	unsigned int i;
	int ret;

	for (i = 0;; i++) {
		ret = post_once(s, body, status, i > 0);
		if (ret <= 0)
			return ret;
		if (i >= RELAY_RESUMES || s->out->rounds >= s->cfg->max_rounds)
			return -1;
		logf_(s, "%s; posting again with %s: true", s->out->error,
		      RAM_H_RESUME);
		s->out->error[0] = '\0';
		s->out->resumed++;
		usleep(200000 * (i + 1));
	}
}

/* "TSM <url>: HTTP <code>: <first line of the text body>" */
static int http_error(struct session *s)
{
	struct answer *a = &s->a;
	char line[256];
	size_t i, n = 0;

	if (!strncasecmp(a->ctype, "text/", 5) || !a->ctype[0]) {
		for (i = 0; i < a->body.len && n < sizeof(line) - 1; i++) {
			uint8_t c = a->body.data[i];

			if (c == '\r' || c == '\n')
				break;
			line[n++] = c < 0x20 || c == 0x7f ? '?' : c;
		}
	}
	while (n && line[n - 1] == ' ')
		n--;
	line[n] = '\0';
	if (n)
		return fail(s, "TSM %s: HTTP %ld: %s", s->url, a->code, line);
	return fail(s, "TSM %s: HTTP %ld", s->url, a->code);
}

/*
 * The TSM ended the session (no Next-URI).  Amendment B has no verdict
 * of its own: the session went well when every script ran (status ok,
 * parsed).  secel-tsm, which reads the answers itself, says how it went
 * in X-Secel-Result; when that is there, it is the verdict.
 */
static int finish(struct session *s)
{
	struct relay_outcome *o = s->out;
	struct answer *a = &s->a;
	const char *v = a->result;

	if (a->has_result) {
		snprintf(o->result, sizeof(o->result), "%s", v);
		if (strncmp(v, "ok", 2) || (v[2] && v[2] != ';' && v[2] != ' '))
			return fail(s, "TSM %s: %s", s->url, v);
	} else if (s->not_ok[0]) {
		return fail(s, "%s", s->not_ok);
	} else {
		snprintf(o->result, sizeof(o->result), "ok; %u script%s, %lu APDU%s",
			 o->scripts, o->scripts == 1 ? "" : "s", o->apdus,
			 o->apdus == 1 ? "" : "s");
	}
	o->ok = true;
	return 0;
}

/* Send one APDU: 0 with *@rlen set, or -1 (the SE failed: stop). */
static int xmit(struct session *s, const uint8_t *cmd, size_t len,
		const char *what, size_t *rlen)
{
	char label[64], hex[36];
	int ret;

	snprintf(label, sizeof(label), "  script %u %s > ", s->script_no, what);
	if (s->cfg->verbose)
		log_hex(s, label, cmd, len);
	*rlen = sizeof(s->rsp);
	ret = s->card->transmit(s->card->priv, cmd, len, s->rsp, rlen);
	s->out->apdus++;
	if (ret)
		return fail(s, "SE %s: script %u %s (%s): %s",
			    s->card_name[0] ? s->card_name : s->cfg->se_name,
			    s->script_no, what, short_hex(cmd, len, hex),
			    se_hint(-ret));
	if (*rlen < 2 || *rlen > sizeof(s->rsp))
		return fail(s, "SE %s: script %u %s (%s): answer of %zu bytes",
			    s->card_name[0] ? s->card_name : s->cfg->se_name,
			    s->script_no, what,
			    short_hex(cmd, len, hex), *rlen);
	if (s->cfg->verbose) {
		snprintf(label, sizeof(label), "  script %u %s < ", s->script_no,
			 what);
		log_hex(s, label, s->rsp, *rlen);
	}
	return 0;
}

static bool sw_goes_on(const uint8_t *rsp, size_t len)
{
	uint8_t sw1 = rsp[len - 2], sw2 = rsp[len - 1];

	return (sw1 == 0x90 && !sw2) || sw1 == 0x62 || sw1 == 0x63;
}

/*
 * A SELECT in a script changes what the channel has selected: by name,
 * first occurrence, in the clear and successful, it is that AID; any
 * other SELECT leaves it unknown.
 */
static void track_select(struct session *s, const uint8_t *cmd, size_t len,
			 bool ok)
{
	if (cmd[1] != 0xa4)
		return;
	s->selected_len = 0;
	if (ok && cmd[0] == 0x00 && cmd[2] == 0x04 && !(cmd[3] & 0x03) &&
	    len >= 5 && cmd[4] >= 5 && cmd[4] <= 16 && len >= 5u + cmd[4]) {
		memcpy(s->selected, cmd + 5, cmd[4]);
		s->selected_len = cmd[4];
	}
}

/*
 * X-Admin-Targeted-Application: SELECT it on the channel unless it is
 * selected already.  0: selected; 1: it could not be (*@status says
 * why); -1: stop.
 */
static int target(struct session *s, const char **status)
{
	uint8_t aid[16], cmd[5 + 16];
	size_t rlen;
	int n;

	n = ram_aid_parse(s->a.target, aid, sizeof(aid));
	if (n < 0)
		return fail(s, "TSM %s: %s '%s' is no //aid/RID/PIX", s->url,
			    RAM_H_TARGET, s->a.target);
	if ((size_t)n == s->selected_len && !memcmp(aid, s->selected, n))
		return 0;
	cmd[0] = 0x00;
	cmd[1] = 0xa4;
	cmd[2] = 0x04;
	cmd[3] = 0x00;
	cmd[4] = n;
	memcpy(cmd + 5, aid, n);
	if (xmit(s, cmd, 5 + n, "SELECT", &rlen))
		return -1;
	if (sw_goes_on(s->rsp, rlen)) {
		memcpy(s->selected, aid, n);
		s->selected_len = n;
		return 0;
	}
	s->selected_len = 0;
	*status = s->rsp[rlen - 2] == 0x69 && s->rsp[rlen - 1] == 0x82 ?
		  RAM_ST_SECURITY : RAM_ST_UNKNOWN_APP;
	if (!s->not_ok[0])
		snprintf(s->not_ok, sizeof(s->not_ok), "TSM %.900s: script %u not run: %s (%s %.128s)",
			 s->url, s->script_no, *status, RAM_H_TARGET,
			 s->a.target);
	if (s->cfg->verbose)
		logf_(s, "  script %u: SELECT %s answered %02X%02X: %s",
		      s->script_no, s->a.target, s->rsp[rlen - 2],
		      s->rsp[rlen - 1], *status);
	return 1;
}

/*
 * X-Secel-Targeted-SE: the script runs on that SE (or on the relay's own
 * without the header).  0: aimed; 1: it could not be (*@status
 * unknown-application, the reason in X-Secel-Control-Result).
 */
static int aim(struct session *s, const char **status)
{
	const struct relay_backstage *bs = s->cfg->backstage;
	const char *want = s->a.has_target_se ? s->a.target_se : "";
	const struct relay_card *card = NULL;
	char why[256], item[RELAY_LINE_MAX / 4];
	size_t len;
	int ret;

	if (!strcmp(want, s->card_name))
		return 0;
	if (!*want) {
		ret = bs && bs->target ? bs->target(bs->priv, &s->out->tsm, NULL,
						     &card, why, sizeof(why)) : 0;
		s->card = s->own;
	} else if (!bs || !bs->target) {
		ret = -EPERM;
		snprintf(why, sizeof(why), "this relay runs scripts on its own SE only");
	} else {
		ret = bs->target(bs->priv, &s->out->tsm, want, &card, why,
				 sizeof(why));
		if (!ret)
			s->card = card;
	}
	if (!ret) {
		snprintf(s->card_name, sizeof(s->card_name), "%s", want);
		/*
		 * what that channel has selected is not tracked across
		 * switches: unknown, so a Targeted-Application is SELECTed
		 */
		s->selected_len = 0;
		if (*want)
			logf_(s, "script %u on SE %s", s->script_no, want);
		return 0;
	}
	*status = RAM_ST_UNKNOWN_APP;
	snprintf(item, sizeof(item), "script %s: %s", want, bs_errno_name(-ret));
	len = strlen(s->ctl_result);
	snprintf(s->ctl_result + len, sizeof(s->ctl_result) - len, "%s%s",
		 len ? ", " : "", item);
	if (!s->not_ok[0])
		snprintf(s->not_ok, sizeof(s->not_ok), "TSM %.900s: script %u not run: %s %s: %s (%.200s)",
			 s->url, s->script_no, RAM_H_TARGET_SE, want,
			 bs_errno_name(-ret), why);
	logf_(s, "TSM %s: script %u not run: %s %s: %s (%s)", s->url,
	      s->script_no, RAM_H_TARGET_SE, want, bs_errno_name(-ret), why);
	return 1;
}

/* The script in s->a.body into the response @rsp; -1: stop. */
static int run_script(struct session *s, struct ram_buf *rsp,
		      const char **status)
{
	struct answer *a = &s->a;
	struct ram_err err;
	size_t i, n = 0, rlen, off;
	bool indef;
	int ret;

	s->script_no++;
	s->out->scripts++;
	*status = RAM_ST_OK;
	memset(&err, 0, sizeof(err));
	ret = ram_script_parse(a->body.data, a->body.len, &s->script, &err);
	if (ret == -E2BIG || ret == -EMSGSIZE) {
		err.bad_format = RAM_BAD_LENGTH;
		snprintf(err.why, sizeof(err.why), "more than %d C-APDUs",
			 RAM_SCRIPT_APDUS);
		ret = -EBADMSG;
	}
	if (ret == -EBADMSG) {
		logf_(s, "TSM %s: script %u: %s; answered bad format %02X",
		      s->url, s->script_no, err.why, err.bad_format);
		if (!s->not_ok[0])
			snprintf(s->not_ok, sizeof(s->not_ok), "TSM %.900s: script %u could not be parsed (%.128s)",
				 s->url, s->script_no, err.why);
		if (ram_response_bad_format(rsp, err.bad_format))
			return fail(s, "out of memory");
		return 0;
	}
	if (ret)
		return fail(s, "TSM %s: script %u: %s", s->url, s->script_no,
			    strerror(-ret));
	indef = a->body.data[0] == RAM_TAG_CMD_INDEF;

	ret = aim(s, status);
	if (!ret)
		ret = a->has_target ? target(s, status) : 0;
	if (ret < 0)
		return -1;
	if (ret)
		return 0;	/* not run: a status and no body */
	s->raw.len = 0;
	for (i = 0; !ret && i < s->script.n; i++) {
		const struct ram_apdu *c = &s->script.apdu[i];
		char what[32];
		bool goes_on;

		snprintf(what, sizeof(what), "APDU %zu", i + 1);
		if (xmit(s, c->data, c->len, what, &rlen))
			return -1;
		if (ram_buf_put(&s->raw, s->rsp, rlen))
			return fail(s, "TSM %s: script %u: the answers are longer than %d bytes (RAM_SCRIPT_MAX)",
				    s->url, s->script_no, RAM_SCRIPT_MAX);
		s->raw_len[n++] = rlen;
		goes_on = sw_goes_on(s->rsp, rlen);
		track_select(s, c->data, c->len, goes_on);
		/* the script ran, even if the card refused a command: the
		 * answer, 6982 too, goes back with status ok */
		if (!goes_on)
			break;
	}

	ret = ram_response_begin(rsp, indef, n);
	for (i = 0, off = 0; !ret && i < n; off += s->raw_len[i], i++)
		ret = ram_response_add(rsp, s->raw.data + off, s->raw_len[i]);
	if (!ret)
		ret = ram_response_end(rsp);
	if (ret == -ENOMEM)
		return fail(s, "out of memory");
	if (ret || rsp->len > RAM_SCRIPT_MAX)
		return fail(s, "TSM %s: script %u: the response script is longer than %d bytes (RAM_SCRIPT_MAX)",
			    s->url, s->script_no, RAM_SCRIPT_MAX);
	return 0;
}

static bool is_script_type(const char *ct)
{
	size_t n = strlen(CT_SCRIPT_TYPE);

	return !strncasecmp(ct, CT_SCRIPT_TYPE, n) &&
	       (!ct[n] || ct[n] == ';' || ct[n] == ' ');
}

/* X-Admin-Next-URI, resolved against the URL just posted to. */
static int next_url(struct session *s)
{
	char *res = NULL, *scheme = NULL;
	CURLUcode rc;
	CURLU *u;
	bool was_https = !strncasecmp(s->url, "https:", 6);

	u = curl_url();
	if (!u)
		return fail(s, "out of memory");
	rc = curl_url_set(u, CURLUPART_URL, s->url, 0);
	if (!rc)
		rc = curl_url_set(u, CURLUPART_URL, s->a.next, 0);
	if (!rc)
		rc = curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
	if (!rc)
		rc = curl_url_get(u, CURLUPART_URL, &res, 0);
	curl_url_cleanup(u);
	if (rc) {
		curl_free(scheme);
		return fail(s, "TSM %s: %s '%s': %s", s->url, RAM_H_NEXT_URI,
			    s->a.next, curl_url_strerror(rc));
	}
	if (!scheme_is(scheme, "https") && (was_https || !scheme_is(scheme, "http"))) {
		curl_free(scheme);
		curl_free(res);
		return fail(s, "TSM %s: %s '%s': %s", s->url, RAM_H_NEXT_URI,
			    s->a.next, was_https ? "leaves HTTPS" :
			    "not an http or https URL");
	}
	curl_free(scheme);
	free(s->url);
	s->url = strdup(res);
	curl_free(res);
	if (!s->url)
		return fail(s, "out of memory");
	return 0;
}

/*
 * X-Secel-Control of the answer just in: each instruction carried out in
 * order, before the script; the results go with the next POST.  One that
 * fails does not stop the others, nor the session.
 */
static void control(struct session *s)
{
	const struct relay_backstage *bs = s->cfg->backstage;
	struct bs_request rq[BS_REQUESTS_MAX];
	char err[256];
	size_t n, i;

	s->ctl_result[0] = '\0';
	if (!s->a.has_control)
		return;
	if (!bs) {
		snprintf(s->ctl_result, sizeof(s->ctl_result),
			 "refused: this relay takes no control instructions");
		return;
	}
	if (bs_control_parse(s->a.control, rq, BS_REQUESTS_MAX, &n, err,
			     sizeof(err))) {
		snprintf(s->ctl_result, sizeof(s->ctl_result), "malformed: %s",
			 err);
		logf_(s, "TSM %s: %s '%.200s': %s", s->url, RAM_H_CONTROL,
		      s->a.control, err);
	} else {
		for (i = 0; i < n; i++) {
			bs->control(bs->priv, &s->out->tsm, &rq[i],
				    s->ctl_result, sizeof(s->ctl_result));
			s->out->controls++;
		}
	}
	snprintf(s->out->control, sizeof(s->out->control), "%s",
		 s->ctl_result);
}

static int loop(struct session *s)
{
	const struct relay_cfg *cfg = s->cfg;
	struct ram_buf rsp = { 0 };
	const char *status = NULL;
	int ret;

	for (;;) {
		snprintf(s->out->url, sizeof(s->out->url), "%s", s->url);
		ret = post(s, &rsp, status);
		if (ret)
			break;
		s->ctl_result[0] = '\0';
		if (s->a.code != 200 && s->a.code != 204) {
			ret = http_error(s);
			break;
		}
		control(s);
		/* no Next-URI: the session ends (after the script in a 200) */
		if (s->a.has_next && s->out->rounds >= cfg->max_rounds) {
			ret = fail(s, "TSM %s: the session is not over after %u rounds (--max-rounds)",
				   s->url, s->out->rounds);
			break;
		}
		if (s->a.code == 204) {
			/* no script; a Next-URI goes on with an empty POST */
			if (!s->a.has_next) {
				ret = finish(s);
				break;
			}
			status = NULL;
			ret = next_url(s);
			if (ret)
				break;
			continue;
		}
		if (!is_script_type(s->a.ctype)) {
			ret = fail(s, "TSM %s: HTTP 200 of type '%s', not %s",
				   s->url, s->a.ctype, RAM_CT_SCRIPT);
			break;
		}
		ret = run_script(s, &rsp, &status);
		if (!ret && !s->a.has_next) {
			ret = finish(s);
			break;
		}
		if (!ret)
			ret = next_url(s);
		if (ret)
			break;
	}
	ram_buf_free(&rsp);
	return ret;
}

int relay_run(const struct relay_cfg *cfg, const struct relay_card *card,
	      struct relay_outcome *out)
{
	struct session *s;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	snprintf(out->url, sizeof(out->url), "%s", cfg->url);
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(out->error, sizeof(out->error), "out of memory");
		return 1;
	}
	s->cfg = cfg;
	s->card = card;
	s->own = card;
	s->out = out;
	if (cfg->sd_len && cfg->sd_len <= sizeof(s->selected)) {
		memcpy(s->selected, cfg->sd, cfg->sd_len);
		s->selected_len = cfg->sd_len;
	}
	s->url = strdup(cfg->url);
	s->curl = curl_easy_init();
	if (!s->url || !s->curl) {
		fail(s, "out of memory");
		goto out;
	}
	curl_easy_setopt(s->curl, CURLOPT_ERRORBUFFER, s->errbuf);
	curl_easy_setopt(s->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(s->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(s->curl, CURLOPT_TIMEOUT, cfg->timeout);
	curl_easy_setopt(s->curl, CURLOPT_USERAGENT,
			 "secel-relay/" RELAY_VERSION);
	curl_easy_setopt(s->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(s->curl, CURLOPT_WRITEDATA, &s->a);
	curl_easy_setopt(s->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(s->curl, CURLOPT_HEADERDATA, &s->a);
	if (cfg->cacert)
		curl_easy_setopt(s->curl, CURLOPT_CAINFO, cfg->cacert);
	if (cfg->cert)
		curl_easy_setopt(s->curl, CURLOPT_SSLCERT, cfg->cert);
	if (cfg->key)
		curl_easy_setopt(s->curl, CURLOPT_SSLKEY, cfg->key);
	/* the TSM's certificate, for the backstage policy */
	curl_easy_setopt(s->curl, CURLOPT_CERTINFO, 1L);
	curl_easy_setopt(s->curl, CURLOPT_PREREQFUNCTION, on_connected);
	curl_easy_setopt(s->curl, CURLOPT_PREREQDATA, s);
	ret = loop(s);
out:
	if (s->curl)
		curl_easy_cleanup(s->curl);
	ram_buf_free(&s->a.body);
	ram_buf_free(&s->raw);
	free(s->url);
	free(s);
	return ret || !out->ok ? 1 : 0;
}

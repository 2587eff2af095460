// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: what secel-relay reads from a TSM, without the network:
 * relay.c is compiled in whole, and one TSM answer goes through the
 * same steps as in loop(): its header lines into on_header() as libcurl
 * hands them over (not NUL-terminated), its body through on_body(), then
 * finish(), http_error(), or the script run on a fake card and
 * X-Admin-Next-URI resolved.
 *
 * Input: [flags] header lines '\n'-separated, '\0', [body length hi lo]
 * body, then the card's answers [n][n bytes] (SW 9000, or from the flag
 * bits: 6310 / 6982 / 6A82); past the end the card answers 9000.
 * flags: bits 0-1 HTTP 200 / 204 / 500 / 200, bit 2 -v, bit 3 http (not
 * https) URL, bit 4 the relay knows the ISD is selected, bit 5 the first
 * answer is the largest the SE gives (65536 bytes and SW).
 *
 * A script run with status ok answers with a response script that parses
 * (another status, the targeted application not selected, has none): bad
 * format when the script did not parse, else as many R-APDUs as the
 * count says and no more than there were C-APDUs, in the script's form.
 */
#include "../relay/relay.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct feed {
	const uint8_t *p;
	size_t left;
	bool big;
};

static int fake_transmit(void *priv, const uint8_t *cmd, size_t len,
			 uint8_t *rsp, size_t *rsp_len)
{
	static const uint8_t sws[4][2] = {
		{ 0x90, 0x00 }, { 0x63, 0x10 }, { 0x69, 0x82 }, { 0x6a, 0x82 },
	};
	struct feed *f = priv;
	size_t n = 0;
	int sw = 0;

	if (!len || *rsp_len < RSP_MAX)
		abort();
	(void)cmd;
	if (f->big) {
		f->big = false;
		memset(rsp, 0x5a, RSP_MAX - 2);
		n = RSP_MAX - 2;
	} else if (f->left) {
		n = f->p[0] & 0x3f;
		sw = f->p[0] >> 6;
		if (n > f->left - 1)
			n = f->left - 1;
		memcpy(rsp, f->p + 1, n);
		f->p += 1 + n;
		f->left -= 1 + n;
	}
	rsp[n] = sws[sw][0];
	rsp[n + 1] = sws[sw][1];
	*rsp_len = n + 2;
	return 0;
}

static struct session s;
static struct relay_outcome out;
static struct ram_response resp;
static FILE *devnull;

static void check_response(const struct ram_buf *rsp, bool parsed,
			   bool indef)
{
	struct ram_err err;

	if (ram_response_parse(rsp->data, rsp->len, &resp, &err))
		abort();
	if (!parsed) {
		if (!resp.bad_format || resp.n)
			abort();
		return;
	}
	if (resp.bad_format || resp.n > s.script.n)
		abort();
	if (indef ? resp.has_count : !resp.has_count || resp.executed != resp.n)
		abort();
}

static void headers(const uint8_t *p, size_t len)
{
	size_t at = 0, e;
	char *line;

	while (at < len) {
		for (e = at; e < len && p[e] != '\n'; e++)
			;
		if (e < len)
			e++;	/* with its '\n', as libcurl gives it */
		line = malloc(e - at);
		if (!line)
			abort();
		memcpy(line, p + at, e - at);
		if (on_header(line, 1, e - at, &s.a) != e - at)
			abort();
		free(line);
		at = e;
	}
}

static void se_headers(const uint8_t *p, size_t len)
{
	struct relay_se se = {
		.name = "se0", .kind = "virtual", .transport = "vcard",
		.channel = 1,
	};
	char buf[300];
	size_t room;

	if (len < 2)
		return;
	room = 1 + p[0] % sizeof(buf);
	se.cin.data = p + 1;
	se.cin.len = (p[1] & 0x7f) < len - 1 ? p[1] & 0x7f : len - 1;
	se.atr = se.cin;
	memset(buf, 0, sizeof(buf));
	if (!relay_from_header(&se, p + 1, (len - 1) % 20, buf, room) &&
	    strlen(buf) >= room)
		abort();
	memset(buf, 0, sizeof(buf));
	if (!relay_se_info_header(&se, buf, room) && strlen(buf) >= room)
		abort();
	/* the bytes as an X-Secel-Control header and a policy line */
	{
		struct bs_request rq[4];
		struct bs_rule rule;
		char err[256];
		size_t n = 99, i;
		int ret;

		memcpy(buf, p, len < sizeof(buf) - 1 ? len : sizeof(buf) - 1);
		buf[len < sizeof(buf) - 1 ? len : sizeof(buf) - 1] = '\0';
		ret = bs_control_parse(buf, rq, 4, &n, err, sizeof(err));
		if (!ret && (n < 1 || n > 4))
			abort();
		for (i = 0; !ret && i < n; i++)
			if (rq[i].op >= BS_OPS ||
			    strlen(rq[i].se) >= sizeof(rq[i].se) ||
			    (rq[i].op != BS_CLEAR && !rq[i].se[0]))
				abort();
		ret = bs_policy_parse_line(buf, &rule, err, sizeof(err));
		if (ret < -EINVAL || ret > 1 ||
		    (!ret && (!rule.ops || rule.ops >= 1u << BS_OPS)))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long codes[4] = { 200, 204, 500, 200 };
	static struct relay_cfg cfg;
	static struct relay_card card;
	struct ram_buf rsp = { 0 };
	const uint8_t *nul;
	const char *status = NULL;
	struct feed f;
	size_t blen, i;
	uint8_t flags;
	bool parsed;
	int ret;

	if (size < 1)
		return 0;
	flags = data[0];
	if (!devnull)
		devnull = fopen("/dev/null", "w");
	memset(&cfg, 0, sizeof(cfg));
	cfg.url = flags & 8 ? "http://tsm.example/ram/purse" :
				"https://tsm.example/ram/purse";
	cfg.se_name = "se0";
	cfg.verbose = flags & 4;
	cfg.log = devnull;
	cfg.max_rounds = 8;
	card.transmit = fake_transmit;
	card.priv = &f;

	memset(&s, 0, sizeof(s));
	memset(&out, 0, sizeof(out));
	s.cfg = &cfg;
	s.card = &card;
	s.out = &out;
	if (flags & 16) {
		memcpy(s.selected, "\xa0\x00\x00\x01\x51\x00\x00\x00", 8);
		s.selected_len = 8;
	}
	s.url = strdup(cfg.url);
	if (!s.url)
		return 0;

	data++;
	size--;
	nul = memchr(data, 0, size);
	headers(data, nul ? (size_t)(nul - data) : size);
	if (nul) {
		size -= nul + 1 - data;
		data = nul + 1;
	} else {
		size = 0;
	}
	blen = size >= 2 ? (size_t)data[0] << 8 | data[1] : 0;
	if (size >= 2) {
		data += 2;
		size -= 2;
	}
	if (blen > size)
		blen = size;
	/* the body in pieces, as libcurl may deliver it */
	for (i = 0; i < blen; i += 7) {
		size_t n = blen - i < 7 ? blen - i : 7;

		if (on_body((char *)data + i, 1, n, &s.a) != n)
			abort();
	}
	f.p = data + blen;
	f.left = size - blen;
	f.big = flags & 32;
	se_headers(f.p, f.left);
	s.a.code = codes[flags & 3];

	ret = 0;
	if (s.a.overlong) {
		ret = fail(&s, "a header too long");
	} else if (s.a.code == 204 || (s.a.code == 200 && !s.a.has_next)) {
		ret = finish(&s);
	} else if (s.a.code != 200) {
		ret = http_error(&s);
	} else if (!is_script_type(s.a.ctype)) {
		ret = fail(&s, "type '%s'", s.a.ctype);
	} else {
		parsed = s.a.body.len &&
			 !ram_script_parse(s.a.body.data, s.a.body.len,
					   &s.script, NULL);
		ret = run_script(&s, &rsp, &status);
		if (!ret) {
			if (!status)
				abort();
			/* another status than ok goes without a body */
			if (!strcmp(status, RAM_ST_OK))
				check_response(&rsp, parsed,
					       parsed && s.a.body.data[0] == RAM_TAG_CMD_INDEF);
			ret = next_url(&s);
			if (!ret && strncasecmp(s.url, "http", 4))
				abort();
		}
	}
	if (ret && !out.error[0])
		abort();	/* a failure says why */
	if (!ret && out.error[0])
		abort();

	ram_buf_free(&rsp);
	ram_buf_free(&s.a.body);
	ram_buf_free(&s.raw);
	free(s.url);
	return 0;
}

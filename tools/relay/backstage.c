// SPDX-License-Identifier: GPL-2.0
/*
 * secel-relay's backstage: the SE list header, the control instructions
 * and their results, the policy file (Documentation/secel/tsm.rst).
 */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <linux/secel.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "backstage.h"

static const char *const op_names[BS_OPS] = {
	[BS_INQUIRE] = "inquire",
	[BS_ADD] = "add",
	[BS_VERIFY] = "verify",
	[BS_DELETE] = "delete",
	[BS_DESIGNATE] = "designate",
	[BS_CLEAR] = "clear",
	[BS_SCRIPT] = "script",
	[BS_IDENTIFY] = "identify",
};

static const char *const state_names[] = {
	[SECEL_STATE_REPORTED] = "reported",
	[SECEL_STATE_VERIFYING] = "verifying",
	[SECEL_STATE_LISTED] = "listed",
	[SECEL_STATE_REJECTED] = "rejected",
	[SECEL_STATE_DELETED] = "deleted",
};

#define NSTATES (sizeof(state_names) / sizeof(state_names[0]))

const char *bs_op_name(enum bs_op op)
{
	return op < BS_OPS ? op_names[op] : "?";
}

static int op_parse(const char *s, size_t len)
{
	int i;

	for (i = 0; i < BS_OPS; i++)
		if (strlen(op_names[i]) == len && !strncmp(s, op_names[i], len))
			return i;
	return -1;
}

const char *bs_state_name(unsigned int state)
{
	return state && state < NSTATES ? state_names[state] : "unknown";
}

unsigned int bs_state_parse(const char *name)
{
	unsigned int i;

	for (i = 1; i < NSTATES; i++)
		if (!strcmp(name, state_names[i]))
			return i;
	return 0;
}

const char *bs_errno_name(int err)
{
	const char *n = strerrorname_np(err);

	return n ? n : "EUNKNOWN";
}

static int why(char *err, size_t room, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int why(char *err, size_t room, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, room, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

void bs_policy_default(struct bs_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->rules[0].ops = 1u << BS_INQUIRE;
	p->rules[0].any_tsm = true;
	p->n = 1;
	snprintf(p->source, sizeof(p->source), "default");
}

/*
 * The next word of @*s into @out: up to white space, or "..." quoted
 * (key="a value" too).  0 at the end of the line, 1 with a word, -1 when
 * it does not fit or a quote is open.
 */
static int word(const char **s, char *out, size_t room)
{
	const char *p = *s;
	size_t n = 0;
	bool quoted = false;

	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p || *p == '#' || *p == '\n' || *p == '\r')
		return 0;
	for (; *p; p++) {
		if (*p == '"') {
			quoted = !quoted;
			continue;
		}
		if (!quoted && (*p == ' ' || *p == '\t' || *p == '\n' ||
				*p == '\r'))
			break;
		if (n + 1 >= room)
			return -1;
		out[n++] = *p;
	}
	if (quoted)
		return -1;
	out[n] = '\0';
	*s = p;
	return 1;
}

/* "AB:cd:..." or "abcd..." into 64 lower-case hex digits; 0 or -1 */
static int fingerprint_norm(const char *in, char out[65])
{
	size_t n = 0;

	for (; *in; in++) {
		if (*in == ':')
			continue;
		if (!isxdigit((unsigned char)*in) || n >= 64)
			return -1;
		out[n++] = tolower((unsigned char)*in);
	}
	out[n] = '\0';
	return n == 64 ? 0 : -1;
}

static int parse_ops(const char *w, unsigned int *ops, char *err, size_t room)
{
	const char *p = w, *e;
	int op;

	*ops = 0;
	if (!strcmp(w, "all")) {
		*ops = (1u << BS_OPS) - 1;
		return 0;
	}
	for (;;) {
		e = strchr(p, ',');
		if (!e)
			e = p + strlen(p);
		op = op_parse(p, e - p);
		if (op < 0)
			return why(err, room, "'%.*s' is no operation (inquire, add, verify, delete, designate, clear, script, identify, all)",
				   (int)(e - p), p);
		*ops |= 1u << op;
		if (!*e)
			return 0;
		p = e + 1;
	}
}

int bs_policy_parse_line(const char *line, struct bs_rule *r, char *err,
			 size_t room)
{
	char w[BS_SUBJECT_MAX + 16], *v;
	const char *s = line;
	int ret;

	memset(r, 0, sizeof(*r));
	ret = word(&s, w, sizeof(w));
	if (!ret)
		return 1;
	if (ret < 0 || strcmp(w, "allow"))
		return why(err, room, "a rule begins with 'allow'");
	/* who */
	ret = word(&s, w, sizeof(w));
	if (ret <= 0)
		return why(err, room, "'allow' wants a TSM: any, subject=GLOB or sha256=FINGERPRINT");
	if (!strcmp(w, "any")) {
		r->any_tsm = true;
	} else if (!strncmp(w, "subject=", 8) && w[8]) {
		if (strlen(w + 8) >= sizeof(r->subject))
			return why(err, room, "subject too long");
		strcpy(r->subject, w + 8);
	} else if (!strncmp(w, "sha256=", 7)) {
		if (fingerprint_norm(w + 7, r->fingerprint))
			return why(err, room, "'%.80s' is no SHA-256 fingerprint (64 hex digits, colons allowed)",
				   w + 7);
	} else {
		return why(err, room, "'%.80s' is no TSM: any, subject=GLOB or sha256=FINGERPRINT",
			   w);
	}
	/* what */
	ret = word(&s, w, sizeof(w));
	if (ret <= 0)
		return why(err, room, "the rule names no operations");
	if (parse_ops(w, &r->ops, err, room))
		return -EINVAL;
	/* on which SEs */
	while ((ret = word(&s, w, sizeof(w))) > 0) {
		v = strchr(w, '=');
		if (!v || !v[1])
			return why(err, room, "'%.80s' is not kind=, name= or state=", w);
		*v++ = '\0';
		if (!strcmp(w, "kind")) {
			if (strcmp(v, "virtual") && strcmp(v, "physical"))
				return why(err, room, "kind '%.32s' is neither virtual nor physical",
					   v);
			strcpy(r->kind, v);
		} else if (!strcmp(w, "name")) {
			if (strlen(v) >= sizeof(r->name))
				return why(err, room, "name pattern too long");
			strcpy(r->name, v);
		} else if (!strcmp(w, "state")) {
			r->state = bs_state_parse(v);
			if (!r->state)
				return why(err, room, "state '%.32s' is none of reported, verifying, listed, rejected, deleted",
					   v);
		} else {
			return why(err, room, "'%.80s' is not kind, name or state", w);
		}
	}
	if (ret < 0)
		return why(err, room, "a word too long or a quote not closed");
	return 0;
}

int bs_policy_read(const char *path, struct bs_policy *p, char *err,
		   size_t room)
{
	char line[2048], e[256];
	unsigned int no = 0;
	struct bs_rule r;
	FILE *f;
	int ret;

	memset(p, 0, sizeof(*p));
	snprintf(p->source, sizeof(p->source), "%s", path);
	f = fopen(path, "re");
	if (!f) {
		ret = -errno;
		snprintf(err, room, "%s: %s", path, strerror(-ret));
		return ret;
	}
	while (fgets(line, sizeof(line), f)) {
		no++;
		if (!strchr(line, '\n') && !feof(f)) {
			fclose(f);
			snprintf(err, room, "%s:%u: line too long", path, no);
			return -EINVAL;
		}
		ret = bs_policy_parse_line(line, &r, e, sizeof(e));
		if (ret < 0) {
			fclose(f);
			snprintf(err, room, "%s:%u: %s", path, no, e);
			return ret;
		}
		if (ret)
			continue;
		if (p->n >= BS_RULES_MAX) {
			fclose(f);
			snprintf(err, room, "%s:%u: more than %d rules", path,
				 no, BS_RULES_MAX);
			return -E2BIG;
		}
		r.line = no;
		p->rules[p->n++] = r;
	}
	fclose(f);
	return 0;
}

static bool tsm_matches(const struct bs_rule *r, const struct bs_tsm *tsm)
{
	if (r->any_tsm)
		return true;
	if (r->fingerprint[0])
		return tsm->fingerprint[0] &&
		       !strcmp(r->fingerprint, tsm->fingerprint);
	return tsm->subject[0] && !fnmatch(r->subject, tsm->subject, 0);
}

static bool se_matches(const struct bs_rule *r, const struct bs_se *se)
{
	if (!se)
		return !r->kind[0] && !r->name[0] && !r->state;
	if (r->kind[0] && strcmp(r->kind, se->kind))
		return false;
	if (r->name[0] && fnmatch(r->name, se->name, 0))
		return false;
	return !r->state || r->state == se->state;
}

bool bs_allowed(const struct bs_policy *p, const struct bs_tsm *tsm,
		enum bs_op op, const struct bs_se *se, unsigned int *line)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		const struct bs_rule *r = &p->rules[i];

		if ((r->ops & (1u << op)) && tsm_matches(r, tsm) &&
		    se_matches(r, se)) {
			if (line)
				*line = r->line;
			return true;
		}
	}
	return false;
}

/* Names in headers: what the kernel allows, anything else as '?'. */
static void clean(char *out, const char *in, size_t room)
{
	size_t n = 0;

	for (; *in && n + 1 < room; in++)
		out[n++] = isalnum((unsigned char)*in) || *in == '-' ||
			   *in == '_' || *in == '.' ? *in : '?';
	out[n] = '\0';
}

int bs_list_header(const struct bs_se *ses, size_t n, char *out, size_t room)
{
	char name[BS_NAME_MAX * 2], kind[16], tr[32], atr[80], cin[80];
	size_t i, len = 0;
	int k;

	if (room)
		out[0] = '\0';
	for (i = 0; i < n; i++) {
		const struct bs_se *se = &ses[i];

		clean(name, se->name, sizeof(name));
		clean(kind, se->kind, sizeof(kind));
		clean(tr, se->transport, sizeof(tr));
		clean(atr, se->atr ? se->atr : "", sizeof(atr));
		clean(cin, se->cin ? se->cin : "", sizeof(cin));
		k = snprintf(out + len, room - len,
			     "%sname=%s;index=%u;kind=%s;transport=%s;state=%s%s%s%s%s%s",
			     i ? ", " : "", name, se->index, kind, tr,
			     bs_state_name(se->state),
			     se->designated ? ";designated=1" : "",
			     atr[0] ? ";atr=" : "", atr, cin[0] ? ";cin=" : "",
			     cin);
		if (k < 0 || (size_t)k >= room - len)
			return -EMSGSIZE;
		len += k;
	}
	return 0;
}

int bs_control_parse(const char *hdr, struct bs_request *reqs, size_t max,
		     size_t *n, char *err, size_t room)
{
	const char *p = hdr, *e, *sp;
	size_t len;
	int op;

	*n = 0;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		e = strchr(p, ',');
		if (!e)
			e = p + strlen(p);
		len = e - p;
		while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (!len)
			return why(err, room, "an empty instruction");
		if (*n >= max)
			return why(err, room, "more than %zu instructions", max);
		sp = memchr(p, ' ', len);
		op = op_parse(p, sp ? (size_t)(sp - p) : len);
		/*
		 * scripts are aimed with X-Secel-Targeted-SE, identifiers
		 * shown in the list: policy operations, not instructions
		 */
		if (op == BS_SCRIPT || op == BS_IDENTIFY)
			op = -1;
		if (op < 0)
			return why(err, room, "'%.*s' is no instruction (inquire, add, verify, delete, designate, clear)",
				   (int)(sp ? sp - p : (long)len), p);
		reqs[*n].op = op;
		reqs[*n].se[0] = '\0';
		if (op == BS_CLEAR) {
			if (sp)
				return why(err, room, "clear takes no SE");
		} else {
			const char *name = sp;
			size_t nlen, i;

			if (!sp)
				return why(err, room, "%s wants an SE name",
					   op_names[op]);
			while (*name == ' ')
				name++;
			nlen = p + len - name;
			if (!nlen || nlen >= BS_NAME_MAX)
				return why(err, room, "%s: an SE name of 1 to %d characters",
					   op_names[op], BS_NAME_MAX - 1);
			for (i = 0; i < nlen; i++)
				if (!isalnum((unsigned char)name[i]) &&
				    name[i] != '-' && name[i] != '_' &&
				    name[i] != '.')
					return why(err, room, "%s: '%.*s' is no SE name",
						   op_names[op], (int)nlen, name);
			memcpy(reqs[*n].se, name, nlen);
			reqs[*n].se[nlen] = '\0';
		}
		(*n)++;
		if (!*e)
			return 0;
		p = e + 1;
	}
}

int bs_result_add(char *out, size_t room, const struct bs_request *rq,
		  int err, unsigned int state, bool designated)
{
	size_t len = strlen(out);
	int k;

	if (err)
		k = snprintf(out + len, room - len, "%s%s%s%s: %s",
			     len ? ", " : "", op_names[rq->op],
			     rq->se[0] ? " " : "", rq->se, bs_errno_name(err));
	else
		k = snprintf(out + len, room - len, "%s%s%s%s: ok %s%s",
			     len ? ", " : "", op_names[rq->op],
			     rq->se[0] ? " " : "", rq->se, bs_state_name(state),
			     designated ? " designated" : "");
	if (k < 0 || (size_t)k >= room - len) {
		out[len] = '\0';
		return -EMSGSIZE;
	}
	return 0;
}

int bs_tsm_from_pem(const char *pem, struct bs_tsm *tsm)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	X509 *x = NULL;
	BIO *b;

	memset(tsm, 0, sizeof(*tsm));
	b = BIO_new_mem_buf(pem, -1);
	if (b)
		x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	if (!x)
		return -EINVAL;
	X509_NAME_oneline(X509_get_subject_name(x), tsm->subject,
			  sizeof(tsm->subject));
	if (!X509_digest(x, EVP_sha256(), md, &mdlen) || mdlen != 32) {
		X509_free(x);
		memset(tsm, 0, sizeof(*tsm));
		return -EINVAL;
	}
	for (i = 0; i < mdlen; i++)
		sprintf(tsm->fingerprint + 2 * i, "%02x", md[i]);
	X509_free(x);
	return 0;
}

const char *bs_tsm_describe(const struct bs_tsm *tsm, char *out, size_t room)
{
	if (!tsm->fingerprint[0])
		snprintf(out, room, "an unauthenticated TSM");
	else
		snprintf(out, room, "TSM subject %s sha256 %s", tsm->subject,
			 tsm->fingerprint);
	return out;
}

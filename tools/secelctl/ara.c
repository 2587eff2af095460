// SPDX-License-Identifier: GPL-2.0
/*
 * secelctl acl load-ara - the ARA-M's rules (GlobalPlatform Secure Element
 * Access Control v1.1) parsed and turned into the kernel's ordered,
 * first-match rules.
 *
 * SEAC decides for a device application with certificate hash H and an
 * SE application A in this order: a rule for (A, H); NEVER when some
 * rule names A with another specific hash; a rule for (A, every
 * application); a rule for (every SE application, H); NEVER when a rule
 * for every SE application names another specific hash; a rule for
 * (every, every); else no access.  Rules with the same (AID, hash) merge,
 * the most restrictive winning: NEVER over filters over ALWAYS, filters
 * put together.  The kernel reads its table in order, first match wins,
 * so each AID gets a block in that same order (see ara_translate()).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ara.h"
#include "secelctl.h"

static char ara_err[256];

static const char *fail(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static const char *fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ara_err, sizeof(ara_err), fmt, ap);
	va_end(ap);
	return ara_err;
}

/* One BER-TLV at @p (@end bounds it): tag, value offset and length. */
struct tlv {
	unsigned int tag;
	const uint8_t *val;
	size_t len;
	const uint8_t *next;
};

static const char *tlv_read(const uint8_t *base, const uint8_t *p,
			    const uint8_t *end, const char *in,
			    struct tlv *t)
{
	size_t off = p - base, n, i;

	if (p >= end)
		return fail("offset %zu: %s truncated (no tag)", off, in);
	t->tag = *p++;
	if ((t->tag & 0x1f) == 0x1f) {
		for (i = 0; ; i++) {
			if (p >= end)
				return fail("offset %zu: %s truncated in a tag",
					    off, in);
			if (i == 2)
				return fail("offset %zu: %s: a tag longer than 3 bytes",
					    off, in);
			t->tag = t->tag << 8 | *p;
			if (!(*p++ & 0x80))
				break;
		}
	}
	if (p >= end)
		return fail("offset %zu: %s: tag %X truncated (no length)", off,
			    in, t->tag);
	n = *p++;
	if (n & 0x80) {
		unsigned int k = n & 0x7f;

		if (!k || k > 3)
			return fail("offset %zu: %s: tag %X has a bad length byte %02zX",
				    off, in, t->tag, n);
		if ((size_t)(end - p) < k)
			return fail("offset %zu: %s: tag %X truncated in its length",
				    off, in, t->tag);
		for (n = 0; k; k--)
			n = n << 8 | *p++;
	}
	if ((size_t)(end - p) < n)
		return fail("offset %zu: %s: tag %X says %zu bytes, %zu follow",
			    off, in, t->tag, n, (size_t)(end - p));
	t->val = p;
	t->len = n;
	t->next = p + n;
	return NULL;
}

const char *ara_total_len(const uint8_t *buf, size_t len, size_t *total)
{
	const uint8_t *p = buf, *end = buf + len;
	size_t n;
	unsigned int k;

	/* only the header: the value comes in several answers */
	if (len < 3 || buf[0] != 0xff || buf[1] != 0x40)
		return fail("the answer does not begin with FF40 (response-ALL-AR-DO)");
	p += 2;
	n = *p++;
	if (n & 0x80) {
		k = n & 0x7f;
		if (!k || k > 3)
			return fail("FF40 has a bad length byte %02zX", n);
		if ((size_t)(end - p) < k)
			return fail("FF40 truncated in its length");
		for (n = 0; k; k--)
			n = n << 8 | *p++;
	}
	*total = (size_t)(p - buf) + n;
	if (*total > ARA_MAX_DATA)
		return fail("FF40 says %zu bytes, more than %d", n,
			    ARA_MAX_DATA);
	return NULL;
}

static const char *ara_ref_do(const uint8_t *base, const struct tlv *e1,
			      struct ara_rule *r)
{
	const uint8_t *p = e1->val, *end = e1->val + e1->len;
	bool have_aid = false, have_hash = false;
	const char *e;
	struct tlv t;

	while (p < end) {
		e = tlv_read(base, p, end, "REF-DO (E1)", &t);
		if (e)
			return e;
		switch (t.tag) {
		case 0x4f:
		case 0xc0:
			if (have_aid)
				return fail("offset %zu: REF-DO has two AID-REF-DOs",
					    (size_t)(p - base));
			have_aid = true;
			if (t.tag == 0xc0) {
				if (t.len)
					return fail("offset %zu: AID-REF-DO C0 (implicitly selected) has %zu bytes, not 0",
						    (size_t)(p - base), t.len);
				r->aid_kind = ARA_AID_DEFAULT;
			} else if (!t.len) {
				r->aid_kind = ARA_AID_ALL;
			} else if (t.len < SECEL_AID_MIN ||
				   t.len > SECEL_AID_MAX) {
				return fail("offset %zu: AID-REF-DO 4F has %zu bytes, not 0 or 5 to 16",
					    (size_t)(p - base), t.len);
			} else {
				r->aid_kind = ARA_AID_ONE;
				memcpy(r->aid, t.val, t.len);
				r->aid_len = t.len;
			}
			break;
		case 0xc1:
			if (have_hash)
				return fail("offset %zu: REF-DO has two DeviceAppID-REF-DOs",
					    (size_t)(p - base));
			have_hash = true;
			if (t.len && t.len != 20 && t.len != 32)
				return fail("offset %zu: DeviceAppID-REF-DO C1 has %zu bytes, not 0, 20 (SHA-1) or 32 (SHA-256)",
					    (size_t)(p - base), t.len);
			memcpy(r->hash, t.val, t.len);
			r->hash_len = t.len;
			break;
		case 0xca:
			return fail("offset %zu: REF-DO has a PKG-REF-DO (CA, an Android package name), which Linux identities cannot express",
				    (size_t)(p - base));
		default:
			return fail("offset %zu: REF-DO has an unknown tag %X",
				    (size_t)(p - base), t.tag);
		}
		p = t.next;
	}
	if (!have_aid)
		return fail("offset %zu: REF-DO without an AID-REF-DO (4F or C0)",
			    (size_t)(e1->val - base));
	if (!have_hash)
		return fail("offset %zu: REF-DO without a DeviceAppID-REF-DO (C1)",
			    (size_t)(e1->val - base));
	return NULL;
}

static const char *ara_ar_do(const uint8_t *base, const struct tlv *e3,
			     struct ara_rule *r)
{
	const uint8_t *p = e3->val, *end = e3->val + e3->len;
	bool have_apdu = false;
	const char *e;
	struct tlv t;
	size_t i;

	r->nfc = -1;
	while (p < end) {
		size_t off = p - base;

		e = tlv_read(base, p, end, "AR-DO (E3)", &t);
		if (e)
			return e;
		switch (t.tag) {
		case 0xd0:
			if (have_apdu)
				return fail("offset %zu: AR-DO has two APDU-AR-DOs",
					    off);
			have_apdu = true;
			if (t.len == 1) {
				if (t.val[0] > 1)
					return fail("offset %zu: APDU-AR-DO D0 is %02X, not 00 (never) or 01 (always)",
						    off, t.val[0]);
				r->apdu = t.val[0] ? ARA_APDU_ALWAYS :
					  ARA_APDU_NEVER;
				break;
			}
			if (!t.len || t.len % 8)
				return fail("offset %zu: APDU-AR-DO D0 has %zu bytes, not 1 or a multiple of 8",
					    off, t.len);
			if (t.len / 8 > ARA_MAX_FILTERS)
				return fail("offset %zu: APDU-AR-DO D0 has %zu filters, more than %d",
					    off, t.len / 8, ARA_MAX_FILTERS);
			r->apdu = ARA_APDU_FILTER;
			r->nr_filters = t.len / 8;
			for (i = 0; i < r->nr_filters; i++) {
				memcpy(r->filters[i].header, t.val + 8 * i, 4);
				memcpy(r->filters[i].mask, t.val + 8 * i + 4, 4);
			}
			break;
		case 0xd1:
			if (t.len != 1 || t.val[0] > 1)
				return fail("offset %zu: NFC-AR-DO D1 is not one byte 00 or 01",
					    off);
			r->nfc = t.val[0];
			break;
		case 0xdb:
			if (t.len != 8)
				return fail("offset %zu: PERM-AR-DO DB has %zu bytes, not 8",
					    off, t.len);
			r->perm = true;
			break;
		default:
			return fail("offset %zu: AR-DO has an unknown tag %X", off,
				    t.tag);
		}
		p = t.next;
	}
	return NULL;
}

const char *ara_parse(const uint8_t *buf, size_t len, struct ara_rules *out)
{
	const uint8_t *p, *end, *q, *qend;
	struct ara_rule *grown;
	struct tlv all, e2, t;
	const char *e;
	bool ref, ar;

	memset(out, 0, sizeof(*out));
	e = tlv_read(buf, buf, buf + len, "the answer", &all);
	if (e)
		return e;
	if (all.tag != 0xff40)
		return fail("offset 0: tag %X, not FF40 (response-ALL-AR-DO)",
			    all.tag);
	if (all.next != buf + len)
		return fail("offset %zu: %zu bytes after FF40",
			    (size_t)(all.next - buf),
			    (size_t)(buf + len - all.next));
	p = all.val;
	end = all.val + all.len;
	while (p < end) {
		struct ara_rule r;

		e = tlv_read(buf, p, end, "FF40", &e2);
		if (e)
			goto bad;
		if (e2.tag != 0xe2) {
			e = fail("offset %zu: FF40 holds tag %X, not E2 (REF-AR-DO)",
				 (size_t)(p - buf), e2.tag);
			goto bad;
		}
		memset(&r, 0, sizeof(r));
		ref = ar = false;
		q = e2.val;
		qend = e2.val + e2.len;
		while (q < qend) {
			e = tlv_read(buf, q, qend, "REF-AR-DO (E2)", &t);
			if (e)
				goto bad;
			if (t.tag == 0xe1 && !ref) {
				ref = true;
				e = ara_ref_do(buf, &t, &r);
			} else if (t.tag == 0xe3 && !ar) {
				ar = true;
				e = ara_ar_do(buf, &t, &r);
			} else {
				e = fail("offset %zu: REF-AR-DO holds %s tag %X",
					 (size_t)(q - buf),
					 t.tag == 0xe1 || t.tag == 0xe3 ?
					 "a second" : "an unknown", t.tag);
			}
			if (e)
				goto bad;
			q = t.next;
		}
		if (!ref || !ar) {
			e = fail("offset %zu: REF-AR-DO without %s",
				 (size_t)(p - buf),
				 ref ? "an AR-DO (E3)" : "a REF-DO (E1)");
			goto bad;
		}
		grown = realloc(out->r, (out->n + 1) * sizeof(*grown));
		if (!grown) {
			e = fail("out of memory");
			goto bad;
		}
		out->r = grown;
		out->r[out->n++] = r;
		p = e2.next;
	}
	return NULL;
bad:
	ara_rules_free(out);
	return e;
}

void ara_rules_free(struct ara_rules *rules)
{
	free(rules->r);
	rules->r = NULL;
	rules->n = 0;
}

static void hex_out(FILE *f, const uint8_t *p, size_t n)
{
	while (n--)
		fprintf(f, "%02X", *p++);
}

static void filter_out(FILE *f, const struct secel_acl_filter *flt)
{
	hex_out(f, flt->header, 4);
	fputc('/', f);
	hex_out(f, flt->mask, 4);
}

void ara_rules_json(FILE *f, const struct ara_rules *rules)
{
	static const char *const apdu[] = {
		[ARA_APDU_ABSENT] = "absent", [ARA_APDU_NEVER] = "never",
		[ARA_APDU_ALWAYS] = "always",
	};
	size_t i, k;

	fputc('[', f);
	for (i = 0; i < rules->n; i++) {
		const struct ara_rule *r = &rules->r[i];

		fprintf(f, "%s{\"aid\": \"", i ? ", " : "");
		if (r->aid_kind == ARA_AID_ALL)
			fprintf(f, "all");
		else if (r->aid_kind == ARA_AID_DEFAULT)
			fprintf(f, "default");
		else
			hex_out(f, r->aid, r->aid_len);
		fprintf(f, "\", \"hash\": \"");
		if (r->hash_len)
			hex_out(f, r->hash, r->hash_len);
		else
			fprintf(f, "all");
		fprintf(f, "\", \"apdu\": ");
		if (r->apdu == ARA_APDU_FILTER) {
			fputc('[', f);
			for (k = 0; k < r->nr_filters; k++) {
				fprintf(f, "%s\"", k ? ", " : "");
				filter_out(f, &r->filters[k]);
				fputc('"', f);
			}
			fputc(']', f);
		} else {
			fprintf(f, "\"%s\"", apdu[r->apdu]);
		}
		fprintf(f, ", \"nfc\": %s, \"perm\": %s}",
			r->nfc < 0 ? "null" : r->nfc ? "\"always\"" :
			"\"never\"", r->perm ? "true" : "false");
	}
	fputc(']', f);
}

/* ---- the map file ---- */

const char *ara_map_parse_line(const char *line, struct ara_map *map)
{
	char buf[256], *w[3], *save = NULL, *tok, *hash;
	struct ara_map_entry ent, *grown;
	size_t n = 0, i, len;

	if (strlen(line) >= sizeof(buf))
		return "line too long";
	strcpy(buf, line);
	hash = strchr(buf, '#');
	if (hash)
		*hash = '\0';
	for (tok = strtok_r(buf, " \t\r\n", &save); tok;
	     tok = strtok_r(NULL, " \t\r\n", &save)) {
		if (n == 2)
			return fail("more than a hash and an identity: '%s'",
				    tok);
		w[n++] = tok;
	}
	if (!n)
		return NULL;
	if (n != 2)
		return "a hash (or '*') and an identity: HASH uid=N|user=U|gid=N|group=G|anyone";
	memset(&ent, 0, sizeof(ent));
	if (strcmp(w[0], "*")) {
		if (hex_parse(w[0], ent.hash, sizeof(ent.hash), &len) ||
		    (len != 20 && len != 32))
			return fail("'%s' is not a SHA-1 or SHA-256 hash (40 or 64 hex digits)",
				    w[0]);
		ent.hash_len = len;
	}
	if (!strcmp(w[1], "anyone")) {
		ent.who = SECEL_ACL_WHO_ANY;
	} else {
		char *val = strchr(w[1], '=');
		bool user;

		if (!val)
			return fail("unknown identity '%s'", w[1]);
		*val++ = '\0';
		if (!strcmp(w[1], "uid") || !strcmp(w[1], "user"))
			user = true;
		else if (!strcmp(w[1], "gid") || !strcmp(w[1], "group"))
			user = false;
		else
			return fail("unknown identity '%s='", w[1]);
		ent.who = user ? SECEL_ACL_WHO_UID : SECEL_ACL_WHO_GID;
		if (acl_id(val, user, &ent.id))
			return fail("unknown %s '%s'", user ? "user" : "group",
				    val);
	}
	for (i = 0; i < map->n; i++)
		if (map->e[i].hash_len == ent.hash_len &&
		    !memcmp(map->e[i].hash, ent.hash, ent.hash_len))
			return fail("'%s' is mapped twice", w[0]);
	grown = realloc(map->e, (map->n + 1) * sizeof(*grown));
	if (!grown)
		return "out of memory";
	map->e = grown;
	map->e[map->n++] = ent;
	return NULL;
}

void ara_map_free(struct ara_map *map)
{
	free(map->e);
	map->e = NULL;
	map->n = 0;
}

/* ---- translation ---- */

/* The merged rule of one (AID, hash) pair. */
struct ara_key {
	const struct ara_rule *first;	/* its AID and hash */
	enum ara_apdu apdu;		/* NEVER, ALWAYS or FILTER */
	unsigned int nr_filters;
	struct secel_acl_filter filters[ARA_MAX_FILTERS];
};

static bool same_aid(const struct ara_rule *a, const struct ara_rule *b)
{
	return a->aid_kind == b->aid_kind && a->aid_len == b->aid_len &&
	       !memcmp(a->aid, b->aid, a->aid_len);
}

static bool same_hash(const struct ara_rule *a, const struct ara_rule *b)
{
	return a->hash_len == b->hash_len &&
	       !memcmp(a->hash, b->hash, a->hash_len);
}

static const char *aid_text(const struct ara_rule *r)
{
	static char buf[2 * SECEL_AID_MAX + 1];
	size_t i;

	if (r->aid_kind == ARA_AID_ALL)
		return "every application";
	if (r->aid_kind == ARA_AID_DEFAULT)
		return "the implicitly selected application";
	for (i = 0; i < r->aid_len; i++)
		sprintf(buf + 2 * i, "%02X", r->aid[i]);
	return buf;
}

static const char *hash_text(const struct ara_rule *r)
{
	static char buf[2 * 32 + 1];
	size_t i;

	for (i = 0; i < r->hash_len; i++)
		sprintf(buf + 2 * i, "%02X", r->hash[i]);
	return buf;
}

/* Merge the filters of @r into @k; the most restrictive access wins. */
static const char *ara_merge(struct ara_key *k, const struct ara_rule *r)
{
	enum ara_apdu a = r->apdu == ARA_APDU_ABSENT ? ARA_APDU_NEVER : r->apdu;
	unsigned int i, j;

	if (k->apdu == ARA_APDU_NEVER || a == ARA_APDU_NEVER) {
		k->apdu = ARA_APDU_NEVER;
		k->nr_filters = 0;
		return NULL;
	}
	if (a == ARA_APDU_ALWAYS)
		return NULL;	/* ALWAYS adds nothing to ALWAYS or filters */
	if (k->apdu == ARA_APDU_ALWAYS)
		k->nr_filters = 0;
	k->apdu = ARA_APDU_FILTER;
	for (i = 0; i < r->nr_filters; i++) {
		for (j = 0; j < k->nr_filters; j++)
			if (!memcmp(&k->filters[j], &r->filters[i],
				    sizeof(r->filters[i])))
				break;
		if (j < k->nr_filters)
			continue;
		if (k->nr_filters == ARA_MAX_FILTERS)
			return fail("the rules for %s hold more than %d APDU filters",
				    aid_text(r), ARA_MAX_FILTERS);
		k->filters[k->nr_filters++] = r->filters[i];
	}
	return NULL;
}

static const struct ara_map_entry *map_find(const struct ara_map *map,
					    const uint8_t *hash, size_t len)
{
	size_t i;

	for (i = 0; i < map->n; i++)
		if (map->e[i].hash_len == len &&
		    !memcmp(map->e[i].hash, hash, len))
			return &map->e[i];
	return NULL;
}

struct emit {
	const char *se;
	struct secel_acl_rule *rules;
	uint32_t count;
};

static const char *emit(struct emit *em, const struct ara_rule *aid,
			uint32_t who, uint32_t id, const struct ara_key *k)
{
	struct secel_acl_rule *r, *grown;
	unsigned int i;

	if (em->count >= SECEL_ACL_MAX_RULES)
		return fail("more than %d kernel rules", SECEL_ACL_MAX_RULES);
	grown = realloc(em->rules, (em->count + 1) * sizeof(*grown));
	if (!grown)
		return "out of memory";
	em->rules = grown;
	r = &grown[em->count++];
	memset(r, 0, sizeof(*r));
	r->se_match = SECEL_ACL_SE_NAME;
	snprintf(r->se_name, sizeof(r->se_name), "%s", em->se);
	if (!aid) {
		r->app = SECEL_ACL_APP_PREFIX;	/* every application */
	} else if (aid->aid_kind == ARA_AID_DEFAULT) {
		r->app = SECEL_ACL_APP_NONE;
	} else if (aid->aid_kind == ARA_AID_ALL) {
		r->app = SECEL_ACL_APP_PREFIX;
	} else {
		r->app = SECEL_ACL_APP_AID;
		r->aid_len = aid->aid_len;
		memcpy(r->aid, aid->aid, aid->aid_len);
	}
	r->who = who;
	r->id = who == SECEL_ACL_WHO_ANY ? 0 : id;
	if (!k || k->apdu == ARA_APDU_NEVER) {
		r->action = SECEL_ACL_DENY;
	} else if (k->apdu == ARA_APDU_ALWAYS) {
		r->action = SECEL_ACL_ALLOW;
	} else {
		r->action = SECEL_ACL_FILTER;
		r->nr_filters = k->nr_filters;
		for (i = 0; i < k->nr_filters; i++)
			r->filters[i] = k->filters[i];
	}
	return NULL;
}

/*
 * The block of one AID: the rules for specific hashes (those the map
 * names, in the card's order), then "deny anyone" when any rule names a
 * specific hash (SEAC's NEVER for the others, which comes before the rule
 * for every device application); else the rule for every device
 * application.
 */
static const char *emit_block(struct emit *em, const struct ara_key *keys,
			      size_t nkeys, const struct ara_rule *aid,
			      const struct ara_map *map, bool strict,
			      FILE *notes)
{
	static const uint8_t no_hash[1];
	const struct ara_map_entry *star = map_find(map, no_hash, 0), *m;
	const struct ara_key *any = NULL;
	bool specific = false;
	const char *e = NULL;
	size_t i;

	for (i = 0; i < nkeys; i++) {
		const struct ara_rule *r = keys[i].first;

		if (!same_aid(r, aid))
			continue;
		if (!r->hash_len) {
			any = &keys[i];
			continue;
		}
		specific = true;
		m = map_find(map, r->hash, r->hash_len);
		if (!m) {
			if (strict)
				return fail("hash %s (rule for %s) is not in the map (--strict)",
					    hash_text(r), aid_text(r));
			if (notes)
				fprintf(notes, "secelctl: acl load-ara: hash %s (rule for %s) is not in the map: skipped, it gives no one access\n",
					hash_text(r), aid_text(r));
			continue;
		}
		e = emit(em, aid, m->who, m->id, &keys[i]);
		if (e)
			return e;
	}
	/* the rule for every device application is then never reached */
	if (specific)
		return emit(em, aid, SECEL_ACL_WHO_ANY, 0, NULL);
	if (any) {
		uint32_t who = star ? star->who : SECEL_ACL_WHO_ANY;

		e = emit(em, aid, who, star ? star->id : 0, any);
		if (e)
			return e;
		/* '*' is some Linux identities: the rest get nothing here */
		if (who != SECEL_ACL_WHO_ANY && any->apdu != ARA_APDU_NEVER)
			e = emit(em, aid, SECEL_ACL_WHO_ANY, 0, NULL);
	}
	return e;
}

const char *ara_translate(const struct ara_rules *rules,
			  const struct ara_map *map, const char *se,
			  bool strict, FILE *notes,
			  struct secel_acl_rule **out, uint32_t *count)
{
	static const struct secel_acl_filter get_data = {
		.header = { 0x80, 0xca, 0x00, 0x00 },
		.mask = { 0xff, 0xff, 0x00, 0x00 },
	};
	struct ara_key *keys = NULL, ara_read;
	struct ara_rule aram;
	struct emit em = { .se = se, .rules = *out, .count = *count };
	size_t nkeys = 0, i, j;
	const char *e = NULL;
	int pass;

	if (!se[0] || strlen(se) >= SECEL_NAME_LEN)
		return fail("SE name '%s' does not fit a rule", se);
	keys = calloc(rules->n ? rules->n : 1, sizeof(*keys));
	if (!keys)
		return "out of memory";
	for (i = 0; i < rules->n; i++) {
		const struct ara_rule *r = &rules->r[i];

		for (j = 0; j < nkeys; j++)
			if (same_aid(keys[j].first, r) &&
			    same_hash(keys[j].first, r))
				break;
		if (j == nkeys) {
			keys[nkeys].first = r;
			keys[nkeys].apdu = ARA_APDU_ALWAYS;
			nkeys++;
		}
		/* from ALWAYS, the first rule of a key is taken as it is */
		e = ara_merge(&keys[j], r);
		if (e)
			goto out;
		if (r->nfc >= 0 && notes)
			fprintf(notes, "secelctl: acl load-ara: the NFC-AR-DO of the rule for %s is ignored: secel has no NFC events\n",
				aid_text(r));
		if (r->perm && notes)
			fprintf(notes, "secelctl: acl load-ara: the PERM-AR-DO (Android carrier privileges) of the rule for %s is ignored\n",
				aid_text(r));
	}
	for (i = 0; i < nkeys; i++) {
		unsigned int b, f;

		if (keys[i].apdu != ARA_APDU_FILTER)
			continue;
		if (keys[i].nr_filters > SECEL_ACL_MAX_FILTERS) {
			e = fail("the rules for %s hold %u APDU filters; a kernel rule takes %d",
				 aid_text(keys[i].first), keys[i].nr_filters,
				 SECEL_ACL_MAX_FILTERS);
			goto out;
		}
		for (f = 0; f < keys[i].nr_filters; f++)
			for (b = 0; b < 4; b++)
				if (keys[i].filters[f].header[b] &
				    ~keys[i].filters[f].mask[b]) {
					e = fail("an APDU filter for %s has header bits outside its mask, which SEAC never matches and the kernel refuses",
						 aid_text(keys[i].first));
					goto out;
				}
	}

	/* root may read the rules again: GET DATA on the ARA-M */
	memset(&aram, 0, sizeof(aram));
	aram.aid_kind = ARA_AID_ONE;
	memcpy(aram.aid, ARA_M_AID, ARA_M_AID_LEN);
	aram.aid_len = ARA_M_AID_LEN;
	memset(&ara_read, 0, sizeof(ara_read));
	ara_read.apdu = ARA_APDU_FILTER;
	ara_read.nr_filters = 1;
	ara_read.filters[0] = get_data;
	e = emit(&em, &aram, SECEL_ACL_WHO_UID, 0, &ara_read);
	if (e)
		goto out;

	/* the implicitly selected application, each AID, then every one */
	for (pass = 0; pass < 3; pass++) {
		for (i = 0; i < nkeys; i++) {
			const struct ara_rule *r = keys[i].first;

			if ((pass == 0 && r->aid_kind != ARA_AID_DEFAULT) ||
			    (pass == 1 && r->aid_kind != ARA_AID_ONE) ||
			    (pass == 2 && r->aid_kind != ARA_AID_ALL))
				continue;
			/* one block per AID, at its first key */
			for (j = 0; j < i; j++)
				if (same_aid(keys[j].first, r))
					break;
			if (j < i)
				continue;
			e = emit_block(&em, keys, nkeys, r, map, strict,
				       notes);
			if (e)
				goto out;
		}
	}
	/* no rule: no access (SEAC), whatever the table's default */
	e = emit(&em, NULL, SECEL_ACL_WHO_ANY, 0, NULL);
out:
	free(keys);
	*out = em.rules;
	*count = em.count;
	return e;
}

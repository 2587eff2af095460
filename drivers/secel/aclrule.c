// SPDX-License-Identifier: GPL-2.0
/*
 * secel - access rules: their validation and the decision they give
 *
 * Pure functions of their input, like the parsers, so that KUnit tests
 * them and tools/fuzz can build them.  The rule table's life and the
 * enforcement on the exchanges are in acl.c.
 *
 * A decision is about a set of applications, the target: one AID
 * (SECEL_ACL_SEL_EXACT), every AID that begins with some bytes
 * (SECEL_ACL_SEL_PREFIX: what a SELECT by next occurrence may reach, or
 * a SELECT whose answer does not name the application), a SELECT by
 * first occurrence (SECEL_ACL_SEL_NAME: the AID given, or any that
 * begins with it), or an application the core does not know
 * (SECEL_ACL_SEL_UNKNOWN).  The rules are read in order; the first rule
 * for the SE and the caller whose applications cover the whole target
 * decides.  A rule that covers part of the target decides too when it
 * does not plainly allow: the card may pick exactly that part.  When no
 * rule decides, the SE's default is taken: allow when no rule names the
 * SE at all, else the table's default.
 */
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/string.h>

#include "secel-parse.h"

enum secel_acl_rel {
	SECEL_ACL_DISJOINT,
	SECEL_ACL_OVERLAP,
	SECEL_ACL_COVER,
};

/**
 * secel_acl_rule_check() - is a rule from userspace well formed?
 * @r: the rule
 *
 * Return: 0, or -EINVAL for a value out of range, a length that does not
 * fit, or a reserved field or padding that is not zero.
 */
int secel_acl_rule_check(const struct secel_acl_rule *r)
{
	unsigned int i;

	if (r->se_match & ~(SECEL_ACL_SE_NAME | SECEL_ACL_SE_KIND |
			    SECEL_ACL_SE_CIN))
		return -EINVAL;
	if ((r->se_match & SECEL_ACL_SE_KIND) &&
	    r->se_kind != SECEL_KIND_PHYSICAL && r->se_kind != SECEL_KIND_VIRTUAL)
		return -EINVAL;
	if (!(r->se_match & SECEL_ACL_SE_KIND) && r->se_kind)
		return -EINVAL;
	if (strnlen(r->se_name, SECEL_NAME_LEN) == SECEL_NAME_LEN)
		return -EINVAL;
	if (!!(r->se_match & SECEL_ACL_SE_NAME) != !!r->se_name[0])
		return -EINVAL;
	for (i = strlen(r->se_name); i < SECEL_NAME_LEN; i++)
		if (r->se_name[i])
			return -EINVAL;
	if (r->se_match & SECEL_ACL_SE_CIN) {
		if (!r->se_cin_len || r->se_cin_len > SECEL_CIN_MAX)
			return -EINVAL;
	} else if (r->se_cin_len) {
		return -EINVAL;
	}
	for (i = r->se_cin_len; i < SECEL_CIN_MAX; i++)
		if (r->se_cin[i])
			return -EINVAL;
	if (r->pad[0] || r->pad[1] || r->flags)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(r->reserved); i++)
		if (r->reserved[i])
			return -EINVAL;
	switch (r->app) {
	case SECEL_ACL_APP_AID:
		if (r->aid_len < SECEL_AID_MIN || r->aid_len > SECEL_AID_MAX)
			return -EINVAL;
		break;
	case SECEL_ACL_APP_PREFIX:
		if (r->aid_len > SECEL_AID_MAX)
			return -EINVAL;
		break;
	case SECEL_ACL_APP_NONE:
		if (r->aid_len)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	for (i = r->aid_len; i < SECEL_AID_MAX; i++)
		if (r->aid[i])
			return -EINVAL;
	switch (r->who) {
	case SECEL_ACL_WHO_ANY:
		if (r->id)
			return -EINVAL;
		break;
	case SECEL_ACL_WHO_UID:
	case SECEL_ACL_WHO_GID:
		/* (uid_t)-1 is no identity: it would match nobody */
		if (r->id == (u32)-1)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	switch (r->action) {
	case SECEL_ACL_ALLOW:
	case SECEL_ACL_DENY:
		if (r->nr_filters)
			return -EINVAL;
		break;
	case SECEL_ACL_FILTER:
		if (!r->nr_filters || r->nr_filters > SECEL_ACL_MAX_FILTERS)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	for (i = r->nr_filters; i < SECEL_ACL_MAX_FILTERS; i++)
		if (memchr_inv(&r->filters[i], 0, sizeof(r->filters[i])))
			return -EINVAL;
	for (i = 0; i < r->nr_filters; i++) {
		unsigned int b;

		/* a header bit outside the mask could never match */
		for (b = 0; b < 4; b++)
			if (r->filters[i].header[b] & ~r->filters[i].mask[b])
				return -EINVAL;
	}
	return 0;
}

static bool secel_acl_se_match(const struct secel_acl_rule *r,
			       const struct secel_acl_se *se)
{
	if ((r->se_match & SECEL_ACL_SE_KIND) && r->se_kind != se->kind)
		return false;
	if ((r->se_match & SECEL_ACL_SE_NAME) &&
	    strncmp(r->se_name, se->name, SECEL_NAME_LEN))
		return false;
	if ((r->se_match & SECEL_ACL_SE_CIN) &&
	    (r->se_cin_len != se->cin_len ||
	     memcmp(r->se_cin, se->cin, se->cin_len)))
		return false;
	return true;
}

static bool secel_acl_who_match(const struct secel_acl_rule *r,
				const struct secel_acl_who *who)
{
	switch (r->who) {
	case SECEL_ACL_WHO_UID:
		return r->id == who->uid;
	case SECEL_ACL_WHO_GID:
		return who->in_group(r->id, who->arg);
	default:
		return true;
	}
}

static bool secel_aid_begins(const u8 *aid, u8 len, const u8 *pfx, u8 plen)
{
	return plen <= len && !memcmp(aid, pfx, plen);
}

/* How the applications of @r relate to the target @t. */
static enum secel_acl_rel secel_acl_relation(const struct secel_acl_rule *r,
					     const struct secel_acl_target *t)
{
	if (r->app == SECEL_ACL_APP_NONE)
		return t->sel == SECEL_ACL_SEL_UNKNOWN ? SECEL_ACL_COVER :
							 SECEL_ACL_DISJOINT;
	if (t->sel == SECEL_ACL_SEL_UNKNOWN)
		/* the empty prefix is every application, known or not */
		return r->app == SECEL_ACL_APP_PREFIX && !r->aid_len ?
		       SECEL_ACL_COVER : SECEL_ACL_OVERLAP;
	if (r->app == SECEL_ACL_APP_AID) {
		if (t->sel == SECEL_ACL_SEL_EXACT)
			return t->aid_len == r->aid_len &&
			       !memcmp(t->aid, r->aid, r->aid_len) ?
			       SECEL_ACL_COVER : SECEL_ACL_DISJOINT;
		/* every AID beginning with the target's bytes */
		if (!secel_aid_begins(r->aid, r->aid_len, t->aid, t->aid_len))
			return SECEL_ACL_DISJOINT;
		/*
		 * A first-occurrence SELECT of the rule's very AID is judged
		 * by the rule; what the card really picked is judged by its
		 * answer (acl.c).
		 */
		if (t->aid_len == SECEL_AID_MAX ||
		    (t->sel == SECEL_ACL_SEL_NAME && t->aid_len == r->aid_len))
			return SECEL_ACL_COVER;
		return SECEL_ACL_OVERLAP;
	}
	/* SECEL_ACL_APP_PREFIX */
	if (secel_aid_begins(t->aid, t->aid_len, r->aid, r->aid_len))
		return SECEL_ACL_COVER;
	if (t->sel != SECEL_ACL_SEL_EXACT &&
	    secel_aid_begins(r->aid, r->aid_len, t->aid, t->aid_len))
		return SECEL_ACL_OVERLAP;
	return SECEL_ACL_DISJOINT;
}

/**
 * secel_acl_decide() - what the rules say about a caller and a target
 * @rules: the rule table, each rule valid (secel_acl_rule_check())
 * @count: number of rules
 * @flags: the table's SECEL_ACL_DEFAULT_ALLOW
 * @se: the SE
 * @who: the caller
 * @t: the applications the command may reach
 * @filter: set to the deciding rule when the answer is SECEL_ACL_FILTER
 *
 * Return: SECEL_ACL_ALLOW, SECEL_ACL_DENY or SECEL_ACL_FILTER.
 */
u32 secel_acl_decide(const struct secel_acl_rule *rules, u32 count, u32 flags,
		     const struct secel_acl_se *se,
		     const struct secel_acl_who *who,
		     const struct secel_acl_target *t,
		     const struct secel_acl_rule **filter)
{
	bool se_has_rules = false;
	u32 i;

	*filter = NULL;
	for (i = 0; i < count; i++) {
		const struct secel_acl_rule *r = &rules[i];

		if (!secel_acl_se_match(r, se))
			continue;
		se_has_rules = true;
		if (!secel_acl_who_match(r, who))
			continue;
		switch (secel_acl_relation(r, t)) {
		case SECEL_ACL_DISJOINT:
			continue;
		case SECEL_ACL_OVERLAP:
			/* the card may pick the part this rule restricts */
			if (r->action == SECEL_ACL_ALLOW)
				continue;
			return SECEL_ACL_DENY;
		case SECEL_ACL_COVER:
			if (r->action == SECEL_ACL_FILTER)
				*filter = r;
			return r->action;
		}
	}
	if (!se_has_rules || (flags & SECEL_ACL_DEFAULT_ALLOW))
		return SECEL_ACL_ALLOW;
	return SECEL_ACL_DENY;
}

/**
 * secel_acl_filter_match() - does a command pass a SECEL_ACL_FILTER rule?
 * @r: the rule
 * @hdr: the command's CLA INS P1 P2, CLA in basic-channel form
 *
 * Return: true when one of the rule's patterns matches.
 */
bool secel_acl_filter_match(const struct secel_acl_rule *r, const u8 *hdr)
{
	u32 i;
	int b;

	for (i = 0; i < r->nr_filters && i < SECEL_ACL_MAX_FILTERS; i++) {
		for (b = 0; b < 4; b++)
			if ((hdr[b] & r->filters[i].mask[b]) !=
			    r->filters[i].header[b])
				break;
		if (b == 4)
			return true;
	}
	return false;
}

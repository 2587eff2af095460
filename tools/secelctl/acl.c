// SPDX-License-Identifier: GPL-2.0
/*
 * secelctl acl - the kernel's access rules, written by hand
 *
 * One rule a line (or a command-line argument), words separated by
 * blanks, '#' starts a comment:
 *
 *   [se=NAME] [kind=physical|virtual] [cin=HEX]
 *   [aid=HEX | prefix=HEX | prefix= | none]
 *   [uid=N | user=NAME | gid=N | group=NAME | anyone]
 *   allow | deny | filter=HEADER/MASK[,HEADER/MASK...]
 *
 * and a line "default allow" or "default deny" sets what no rule decides
 * on an SE some rule names (deny unless said).  The parser and the
 * printer have no kernel in them: test-util checks that one reads what
 * the other writes.
 */
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "secelctl.h"

/**
 * acl_id() - a uid or gid from the command line or a map file
 * @s: decimal digits, or a user (@user) or group name to look up
 * @user: a user's id rather than a group's
 * @id: the id
 *
 * Return: 0, or -1 for a name the system does not know.
 */
int acl_id(const char *s, bool user, uint32_t *id)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s >= '0' && *s <= '9' && !*end && !errno && v < 0xffffffffUL) {
		*id = v;
		return 0;
	}
	if (user) {
		struct passwd *pw = getpwnam(s);

		if (!pw)
			return -1;
		*id = pw->pw_uid;
	} else {
		struct group *gr = getgrnam(s);

		if (!gr)
			return -1;
		*id = gr->gr_gid;
	}
	return 0;
}

static const char *acl_filters(char *s, struct secel_acl_rule *r)
{
	char *tok, *save = NULL;
	uint8_t hm[4];
	size_t n;

	for (tok = strtok_r(s, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *slash = strchr(tok, '/');
		struct secel_acl_filter *f;

		if (r->nr_filters == SECEL_ACL_MAX_FILTERS)
			return "more than 8 filters";
		f = &r->filters[r->nr_filters++];
		if (slash)
			*slash = '\0';
		if (hex_parse(tok, hm, 4, &n) || n != 4)
			return "a filter's header is not 4 hex bytes";
		memcpy(f->header, hm, 4);
		if (!slash) {
			memset(f->mask, 0xff, 4);
			continue;
		}
		if (hex_parse(slash + 1, hm, 4, &n) || n != 4)
			return "a filter's mask is not 4 hex bytes";
		memcpy(f->mask, hm, 4);
		for (n = 0; n < 4; n++)
			if (f->header[n] & ~f->mask[n])
				return "a filter's header has bits outside its mask";
	}
	if (!r->nr_filters)
		return "filter= needs HEADER/MASK";
	return NULL;
}

const char *acl_rule_parse(const char *line, struct secel_acl_rule *r)
{
	static char err[96];
	char buf[512], *tok, *save = NULL, *val;
	bool have_app = false, have_who = false;
	const char *e;
	size_t n;

	memset(r, 0, sizeof(*r));
	r->app = SECEL_ACL_APP_PREFIX;	/* every application */
	if (strlen(line) >= sizeof(buf))
		return "rule too long";
	strcpy(buf, line);
	for (tok = strtok_r(buf, " \t\n", &save); tok;
	     tok = strtok_r(NULL, " \t\n", &save)) {
		val = strchr(tok, '=');
		if (val)
			*val++ = '\0';
		if (!strcmp(tok, "se") && val) {
			if (!*val || strlen(val) >= SECEL_NAME_LEN)
				return "se= needs a name of 1 to 15 characters";
			r->se_match |= SECEL_ACL_SE_NAME;
			strcpy(r->se_name, val);
		} else if (!strcmp(tok, "kind") && val) {
			r->se_match |= SECEL_ACL_SE_KIND;
			if (!strcmp(val, "physical"))
				r->se_kind = SECEL_KIND_PHYSICAL;
			else if (!strcmp(val, "virtual"))
				r->se_kind = SECEL_KIND_VIRTUAL;
			else
				return "kind= is physical or virtual";
		} else if (!strcmp(tok, "cin") && val) {
			e = hex_parse(val, r->se_cin, SECEL_CIN_MAX, &n);
			if (e || !n)
				return "cin= needs 1 to 32 hex bytes";
			r->se_match |= SECEL_ACL_SE_CIN;
			r->se_cin_len = n;
		} else if ((!strcmp(tok, "aid") || !strcmp(tok, "prefix")) &&
			   val) {
			if (have_app)
				return "more than one application";
			have_app = true;
			e = hex_parse(val, r->aid, SECEL_AID_MAX, &n);
			if (e)
				return "aid= and prefix= need at most 16 hex bytes";
			r->aid_len = n;
			r->app = tok[0] == 'a' ? SECEL_ACL_APP_AID :
				 SECEL_ACL_APP_PREFIX;
			if (r->app == SECEL_ACL_APP_AID && n < SECEL_AID_MIN)
				return "aid= needs 5 to 16 hex bytes";
		} else if (!strcmp(tok, "none") && !val) {
			if (have_app)
				return "more than one application";
			have_app = true;
			r->app = SECEL_ACL_APP_NONE;
		} else if ((!strcmp(tok, "uid") || !strcmp(tok, "user") ||
			    !strcmp(tok, "gid") || !strcmp(tok, "group")) &&
			   val) {
			bool user = tok[0] == 'u';

			if (have_who)
				return "more than one uid=, gid= or anyone";
			have_who = true;
			r->who = user ? SECEL_ACL_WHO_UID : SECEL_ACL_WHO_GID;
			if (acl_id(val, user, &r->id)) {
				snprintf(err, sizeof(err), "unknown %s '%s'",
					 user ? "user" : "group", val);
				return err;
			}
		} else if (!strcmp(tok, "anyone") && !val) {
			if (have_who)
				return "more than one uid=, gid= or anyone";
			have_who = true;
		} else if ((!strcmp(tok, "allow") || !strcmp(tok, "deny")) &&
			   !val) {
			if (r->action)
				return "more than one action";
			r->action = tok[0] == 'a' ? SECEL_ACL_ALLOW :
				    SECEL_ACL_DENY;
		} else if (!strcmp(tok, "filter") && val) {
			if (r->action)
				return "more than one action";
			r->action = SECEL_ACL_FILTER;
			e = acl_filters(val, r);
			if (e)
				return e;
		} else {
			snprintf(err, sizeof(err), "unknown word '%s%s%s'",
				 tok, val ? "=" : "", val ? val : "");
			return err;
		}
	}
	if (!r->action)
		return "no action: allow, deny or filter=";
	return NULL;
}

void acl_rule_print(FILE *f, const struct secel_acl_rule *r)
{
	uint32_t i;
	int b;

	if (r->se_match & SECEL_ACL_SE_NAME)
		fprintf(f, "se=%.*s ", SECEL_NAME_LEN, r->se_name);
	if (r->se_match & SECEL_ACL_SE_KIND)
		fprintf(f, "kind=%s ", r->se_kind == SECEL_KIND_VIRTUAL ?
			"virtual" : "physical");
	if (r->se_match & SECEL_ACL_SE_CIN) {
		fprintf(f, "cin=");
		for (i = 0; i < r->se_cin_len && i < SECEL_CIN_MAX; i++)
			fprintf(f, "%02X", r->se_cin[i]);
		fputc(' ', f);
	}
	if (r->app == SECEL_ACL_APP_NONE) {
		fprintf(f, "none ");
	} else {
		fprintf(f, "%s=", r->app == SECEL_ACL_APP_AID ? "aid" : "prefix");
		for (i = 0; i < r->aid_len && i < SECEL_AID_MAX; i++)
			fprintf(f, "%02X", r->aid[i]);
		fputc(' ', f);
	}
	if (r->who == SECEL_ACL_WHO_UID)
		fprintf(f, "uid=%u ", r->id);
	else if (r->who == SECEL_ACL_WHO_GID)
		fprintf(f, "gid=%u ", r->id);
	else
		fprintf(f, "anyone ");
	if (r->action == SECEL_ACL_ALLOW) {
		fprintf(f, "allow\n");
		return;
	}
	if (r->action == SECEL_ACL_DENY) {
		fprintf(f, "deny\n");
		return;
	}
	fprintf(f, "filter=");
	for (i = 0; i < r->nr_filters && i < SECEL_ACL_MAX_FILTERS; i++) {
		fprintf(f, "%s", i ? "," : "");
		for (b = 0; b < 4; b++)
			fprintf(f, "%02X", r->filters[i].header[b]);
		fputc('/', f);
		for (b = 0; b < 4; b++)
			fprintf(f, "%02X", r->filters[i].mask[b]);
	}
	fputc('\n', f);
}

/* A blank or comment line: 1; "default allow|deny": 0 with @flags set. */
static int acl_directive(const char *line, uint32_t *flags)
{
	char w1[16], w2[16];
	const char *p = line + strspn(line, " \t");
	int n;

	if (!*p || *p == '#' || *p == '\n')
		return 1;
	n = sscanf(p, "%15s %15s", w1, w2);
	if (n == 2 && !strcmp(w1, "default")) {
		if (!strcmp(w2, "allow"))
			*flags |= SECEL_ACL_DEFAULT_ALLOW;
		else if (!strcmp(w2, "deny"))
			*flags &= ~SECEL_ACL_DEFAULT_ALLOW;
		else
			return -1;
		return 0;
	}
	return -1;
}

int acl_table_parse_line(const char *line, struct secel_acl_rule **rules,
			 uint32_t *count, uint32_t *flags, const char **err)
{
	struct secel_acl_rule r, *grown;
	char copy[512];
	char *hash;
	int d;

	snprintf(copy, sizeof(copy), "%s", line);
	hash = strchr(copy, '#');
	if (hash)
		*hash = '\0';
	d = acl_directive(copy, flags);
	if (d >= 0)
		return 0;
	*err = acl_rule_parse(copy, &r);
	if (*err)
		return -1;
	if (*count >= SECEL_ACL_MAX_RULES) {
		*err = "more than 1024 rules";
		return -1;
	}
	grown = realloc(*rules, (*count + 1) * sizeof(**rules));
	if (!grown) {
		*err = "out of memory";
		return -1;
	}
	*rules = grown;
	grown[(*count)++] = r;
	return 0;
}

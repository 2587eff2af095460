/* SPDX-License-Identifier: GPL-2.0 */
/*
 * secelctl acl load-ara - GlobalPlatform SEAC rules read from an ARA-M,
 * parsed and turned into the kernel's access rules.  No kernel and no
 * card in here: test-util checks it on the host.
 */
#ifndef SECELCTL_ARA_H
#define SECELCTL_ARA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/secel.h>

/* A00000015141434C00: the ARA-M */
#define ARA_M_AID	"\xA0\x00\x00\x01\x51\x41\x43\x4C\x00"
#define ARA_M_AID_LEN	9
/* most filters one rule may carry before translation refuses */
#define ARA_MAX_FILTERS	64
/* an answer longer than this is refused (FF40 with a 3-byte length) */
#define ARA_MAX_DATA	65536

enum ara_aid_kind {
	ARA_AID_ALL,		/* 4F, empty: every SE application */
	ARA_AID_DEFAULT,	/* C0: the implicitly selected application */
	ARA_AID_ONE,		/* 4F, 5 to 16 bytes */
};

enum ara_apdu {
	ARA_APDU_ABSENT,	/* no APDU-AR-DO: no APDU access */
	ARA_APDU_NEVER,
	ARA_APDU_ALWAYS,
	ARA_APDU_FILTER,
};

/* One REF-AR-DO as the card gave it. */
struct ara_rule {
	enum ara_aid_kind aid_kind;
	uint8_t aid[SECEL_AID_MAX];
	size_t aid_len;
	uint8_t hash[32];
	size_t hash_len;	/* 0: every device application */
	enum ara_apdu apdu;
	unsigned int nr_filters;
	struct secel_acl_filter filters[ARA_MAX_FILTERS];
	int nfc;		/* -1 absent, 0 never, 1 always */
	bool perm;		/* an Android PERM-AR-DO (DB) was there */
};

struct ara_rules {
	struct ara_rule *r;
	size_t n;
};

/*
 * The length of the whole answer whose first part is @buf (@len bytes):
 * the FF40 tag, its length and that many bytes.  NULL, or why not.
 */
const char *ara_total_len(const uint8_t *buf, size_t len, size_t *total);

/*
 * Parse a whole response-ALL-AR-DO (FF40 L V, nothing after it) into
 * @out (malloc'd; free with ara_rules_free()).  NULL, or a one-line reason
 * that names the offset and the data object.
 */
const char *ara_parse(const uint8_t *buf, size_t len, struct ara_rules *out);
void ara_rules_free(struct ara_rules *rules);

/* The parsed rules as a JSON array, one object per REF-AR-DO. */
void ara_rules_json(FILE *f, const struct ara_rules *rules);

/* The --map file: certificate hashes to Linux identities. */
struct ara_map_entry {
	uint8_t hash[32];
	size_t hash_len;	/* 0: '*', every device application */
	uint32_t who;		/* SECEL_ACL_WHO_* */
	uint32_t id;
};

struct ara_map {
	struct ara_map_entry *e;
	size_t n;
};

/* One line of a map file; blank and comment lines add nothing. */
const char *ara_map_parse_line(const char *line, struct ara_map *map);
void ara_map_free(struct ara_map *map);

/*
 * Turn @rules into kernel rules for the SE named @se, appended to *@out
 * (realloc'd, *@count of them).  Hashes that @map does not name are
 * reported on @notes and their rules give no one access (with @strict:
 * refused).  NULL, or why the rules cannot be expressed.
 */
const char *ara_translate(const struct ara_rules *rules,
			  const struct ara_map *map, const char *se,
			  bool strict, FILE *notes,
			  struct secel_acl_rule **out, uint32_t *count);

#endif

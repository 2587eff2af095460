/* SPDX-License-Identifier: GPL-2.0 */
/*
 * secel-relay's backstage: the SE list it reports to the TSM, the control
 * instructions the TSM sends back (add, verify, delete, designate, clear,
 * inquire) and the local policy that says which TSM may ask for which of
 * them on which SE (Documentation/secel/tsm.rst, "The backstage").
 *
 * Everything here is text in, text out, so that the host unit test reads
 * policies and headers without a kernel; main.c runs the operations on
 * /dev/secel-ctl.
 */
#ifndef SECEL_RELAY_BACKSTAGE_H
#define SECEL_RELAY_BACKSTAGE_H

#include <stdbool.h>
#include <stddef.h>

#define BS_DEFAULT_POLICY	"/etc/secel/relay.conf"
#define BS_NAME_MAX		16	/* SECEL_NAME_LEN */
#define BS_REQUESTS_MAX		16	/* control instructions per answer */
#define BS_RULES_MAX		256
#define BS_SUBJECT_MAX		512
#define BS_GLOB_MAX		64

/* What a TSM may ask for; one bit each in a rule. */
enum bs_op {
	BS_INQUIRE,	/* the list, and one SE afresh */
	BS_ADD,
	BS_VERIFY,
	BS_DELETE,
	BS_DESIGNATE,
	BS_CLEAR,	/* no SE designated */
	BS_SCRIPT,	/* run scripts on it (X-Secel-Targeted-SE) */
	BS_IDENTIFY,	/* see its identifiers (CIN) in the list */
	BS_OPS
};

/* The TSM as its TLS certificate names it; both "" over plain HTTP. */
struct bs_tsm {
	char subject[BS_SUBJECT_MAX];	/* "/CN=tsm.example/O=..." */
	char fingerprint[65];		/* SHA-256 of the DER, lower-case hex */
};

/* One "allow" line of the policy. */
struct bs_rule {
	unsigned int ops;		/* 1 << enum bs_op */
	bool any_tsm;
	char subject[BS_SUBJECT_MAX];	/* a glob, "" unless given */
	char fingerprint[65];		/* "" unless given */
	char kind[16];			/* "", "virtual", "physical" */
	char name[BS_GLOB_MAX];		/* a glob, "" for any */
	unsigned int state;		/* SECEL_STATE_*, 0 for any */
	unsigned int line;
};

struct bs_policy {
	struct bs_rule rules[BS_RULES_MAX];
	size_t n;
	char source[256];		/* the file, or "default" */
};

/* What the policy and the list header know of one SE. */
struct bs_se {
	unsigned int index;
	const char *name;
	const char *kind;		/* "virtual", "physical" */
	const char *transport;
	unsigned int state;		/* SECEL_STATE_* */
	bool designated;
	const char *atr;		/* hex, "" when unknown */
	const char *cin;		/* hex, NULL or "" when not shown */
};

/* One control instruction: "delete eSE2", "clear". */
struct bs_request {
	enum bs_op op;
	char se[BS_NAME_MAX];		/* "" for clear */
};

const char *bs_op_name(enum bs_op op);
/* "reported", "listed", ...; "unknown" for anything else */
const char *bs_state_name(unsigned int state);
/* the SECEL_STATE_* of a name, 0 when it is none */
unsigned int bs_state_parse(const char *name);
/* "EPERM", "ENODEV", ...: the symbolic name of errno @err */
const char *bs_errno_name(int err);

/* The default: every TSM may inquire, nothing else. */
void bs_policy_default(struct bs_policy *p);
/*
 * One line of the policy file into @r: 0; 1 for a blank or comment line;
 * -EINVAL with the reason in @err (without the file and line).
 */
int bs_policy_parse_line(const char *line, struct bs_rule *r, char *err,
			 size_t room);
/*
 * The policy file @path: 0; -ENOENT when it does not exist (the caller
 * decides whether that means the default); another -errno with
 * "PATH:LINE: reason" or "PATH: strerror" in @err.
 */
int bs_policy_read(const char *path, struct bs_policy *p, char *err,
		   size_t room);
/*
 * Whether @tsm may do @op on @se (NULL for clear when no SE is
 * designated: only rules without SE conditions match then).  On a match
 * the rule's line in *@line (0 for the default), may be NULL.
 */
bool bs_allowed(const struct bs_policy *p, const struct bs_tsm *tsm,
		enum bs_op op, const struct bs_se *se, unsigned int *line);

/*
 * X-Secel-SE-List: "name=eSE1;index=0;kind=virtual;transport=vse;
 * state=listed;designated=1;atr=3B...;cin=..., name=..." (entries joined
 * with ", ", designated=1 only when it is, atr and cin when known).  0 or
 * -EMSGSIZE.
 */
int bs_list_header(const struct bs_se *ses, size_t n, char *out, size_t room);

/*
 * X-Secel-Control: "delete eSE2, designate eSE1, clear, inquire SIM1".
 * 0 with *@n requests, or -EINVAL with the reason in @err.
 */
int bs_control_parse(const char *hdr, struct bs_request *reqs, size_t max,
		     size_t *n, char *err, size_t room);

/*
 * One item of X-Secel-Control-Result: "delete eSE2: ok deleted",
 * "designate eSE1: ok listed designated", "delete eSE3: ENODEV".  @err 0
 * for success with @state and @designated, else a positive errno.
 * Appended to @out (joined with ", "); 0 or -EMSGSIZE.
 */
int bs_result_add(char *out, size_t room, const struct bs_request *rq,
		  int err, unsigned int state, bool designated);

/* Who the TSM is, from its certificate in PEM; 0 or -EINVAL. */
int bs_tsm_from_pem(const char *pem, struct bs_tsm *tsm);
/* "subject /CN=..., sha256 ab12..." or "an unauthenticated TSM" */
const char *bs_tsm_describe(const struct bs_tsm *tsm, char *out, size_t room);

#endif

// SPDX-License-Identifier: GPL-2.0
/*
 * secel_ioctl_fuzz - random ioctls on every secel node, for the
 * reliability lane (debug kernel: KASAN, lockdep, kmemleak, UBSAN).
 *
 *   secel_ioctl_fuzz [-n CALLS] [-s SEED]
 *
 * CALLS and SEED default to $SECEL_FUZZ_CALLS (else 1,000,000) and
 * $SECEL_FUZZ_SEED (else the time).
 *
 * Four virtual SEs served by vse_card threads (a normal card, one that
 * answers garbage or, from time to time, normally, one taking extended
 * APDUs, one that answers slowly and now and then too late) and a "raw"
 * card the fuzzer serves itself, badly, from its card file descriptor
 * (read, write and poll with random sizes, contents and pointers; it is
 * unplugged and created again every thousand calls or so, with a file
 * of its /dev/secelN left open, which must then fail with ENODEV).
 * /dev/secel-ctl, /dev/secel-vse, two descriptors of each /dev/secelN and
 * every card descriptor are opened.  Each call is one of:
 *
 *  - a known ioctl of the node, its struct mostly sensible with random
 *    APDU bytes, lengths, channels and flags, or all random; its inner
 *    pointers (APDU, response, AID, item and list buffers) sometimes NULL,
 *    unmapped, read-only, a kernel address, or straddling the end of a
 *    mapping into a PROT_NONE page;
 *  - a known ioctl whose struct pointer itself is bad in one of those
 *    ways, or points to a sensible struct on a read-only page;
 *  - magic 0xE7 with a random number, size and direction, or a random
 *    ioctl number of another magic (VFS-level magics left out);
 *  - a write() of random bytes to a card, a poll() of any node.
 *
 * Checks: every call returns (an alarm per phase turns a hang into a
 * failure); a bad struct pointer fails with EFAULT; a read-only struct
 * that the kernel must write back never succeeds; a call that succeeds
 * read and wrote only memory it could; a sensible struct with an
 * unreadable APDU or AID fails with EFAULT; an unknown ioctl is ENOTTY;
 * every errno is one the ioctl can give.  At the end the SE list
 * (SECEL_CTL_LIST), /sys/class/secel and /dev agree on exactly the SEs
 * created, no file left a logical channel behind, every file closes and
 * every SE goes away with its card.  Runs as root (ADD, DELETE, VERIFY,
 * DESIGNATE and RESET run too); sets secel_vse.timeout_ms to 500 while it
 * runs.  KTAP on stdout; a figure line '# ioctl fuzz: ...'.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "secel_test.h"
#include "vse_card.h"

enum { C_NORMAL, C_GARBAGE, C_EXTENDED, C_SLOW, NCARDS };

#define FDS_PER_SE	2
#define BIG		(70 * 1024)
#define MAX_NODES	(2 + NCARDS * FDS_PER_SE + NCARDS + 1)
#define FUZZ_TIMEOUT_MS	"500"
#define N_TESTS		8

enum node_kind { NODE_CTL, NODE_VSE, NODE_SE, NODE_CARD };

struct node {
	int fd;
	enum node_kind kind;
	int se;			/* card number for NODE_SE, -1 for the raw card */
};

static struct node nodes[MAX_NODES];
static unsigned int nnodes, raw_node;
static struct vse_card *cards[NCARDS];

/* The raw card: served (badly) by the fuzzer itself. */
static struct {
	int fd;			/* card fd, O_NONBLOCK */
	unsigned int index;
	int se_fd;		/* a /dev/secelN of it, kept across unplug */
	bool have_req;		/* a request was read and not answered */
	struct secel_vse_msg req;
	unsigned long created, reads, answered;
} raw = { .fd = -1, .se_fd = -1 };

static long page;
static uint8_t *region;		/* RW page, PROT_NONE page after it */
static uint8_t *ro_page, *unmapped;
static uint8_t *big, *big2;
static unsigned long long rng;
static char saved_timeout[32];

static const char *const test_names[N_TESTS + 2] = {
	"", "ioctl_fuzz_every_call_returns", "ioctl_fuzz_errnos",
	"ioctl_fuzz_bad_pointers", "ioctl_fuzz_card_fds",
	"ioctl_fuzz_unplugged_ses", "ioctl_fuzz_list_matches_sysfs",
	"ioctl_fuzz_no_channel_left", "ioctl_fuzz_ses_go_with_their_cards",
	"ioctl_fuzz",
};

/* what the alarm reports: the test under way and what it was doing */
static volatile const char *phase = "setup";
static volatile int test_no = 1;

static unsigned long calls, successes, transmits_ok, efaults, enottys;
static unsigned long unexpected_errno, unexpected_ptr, unexpected_card,
		     unexpected_gone;

/* Where the time goes: calls by what they were, and the slow ones. */
#define N_ACCOUNTS	64
static struct {
	char what[48];
	unsigned long n, n_slow;
	long long us;
} accounts[N_ACCOUNTS];

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static void account(const char *what, const char *on, long long t0)
{
	long long us = now_us() - t0;
	char key[48];
	int i;

	snprintf(key, sizeof(key), "%s%s%s", what, on ? " on " : "",
		 on ? on : "");
	for (i = 0; i < N_ACCOUNTS && accounts[i].what[0] &&
	     strcmp(accounts[i].what, key); i++)
		;
	if (i == N_ACCOUNTS)
		return;
	strcpy(accounts[i].what, key);
	accounts[i].n++;
	accounts[i].us += us;
	if (us >= 50000)
		accounts[i].n_slow++;
}

/* The accounts that took a second or more, longest first. */
static void print_accounts(void)
{
	int i, best;

	for (;;) {
		best = -1;
		for (i = 0; i < N_ACCOUNTS && accounts[i].what[0]; i++)
			if (accounts[i].us >= 1000000 &&
			    (best < 0 || accounts[i].us > accounts[best].us))
				best = i;
		if (best < 0)
			return;
		printf("# time: %s: %lu calls (%lu of 50 ms or more), %lld ms\n",
		       accounts[best].what, accounts[best].n, accounts[best].n_slow,
		       accounts[best].us / 1000);
		accounts[best].us = 0;
	}
}

static const char *const card_names[NCARDS] = {
	"normal", "garbage", "extended", "slow",
};

static uint32_t rnd(void)
{
	/* xorshift64* */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 2685821657736338717ULL) >> 32);
}

static uint32_t below(uint32_t n)
{
	return n ? rnd() % n : 0;
}

static void fill(void *p, size_t n)
{
	uint8_t *b = p;

	while (n--)
		*b++ = rnd();
}

static void on_alarm(int sig)
{
	char msg[200];
	int n;

	(void)sig;
	n = snprintf(msg, sizeof(msg),
		     "not ok %d %s # hung in %s after %lu calls\n",
		     test_no, test_names[test_no], phase, calls);
	if (write(1, msg, n) < 0)
		_exit(2);
	if (saved_timeout[0])
		param_write(PARAM_TIMEOUT_MS, saved_timeout);
	_exit(1);
}

/* Enter a phase that must end within @seconds. */
static void watch(const char *what, unsigned int seconds)
{
	phase = what;
	alarm(seconds);
}

static int tests_failed;

/* The result of test number test_no, then on to the next. */
static void result(bool ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void result(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d %s", ok ? "" : "not ", test_no, test_names[test_no]);
	if (fmt) {
		printf(" # ");
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
	}
	printf("\n");
	fflush(stdout);
	if (!ok)
		tests_failed++;
	test_no++;
}

enum ptr_class { P_VALID, P_NULL, P_UNMAPPED, P_RO, P_STRADDLE, P_KERNEL,
		 P_CLASSES };

static const char *const ptr_names[] = {
	"valid", "NULL", "unmapped", "read-only", "straddling", "kernel",
};

/* A pointer of class @c for an object of @size bytes. */
static void *ptr_of(enum ptr_class c, size_t size)
{
	size_t k;

	switch (c) {
	case P_NULL:
		return NULL;
	case P_UNMAPPED:
		return unmapped + below(page);
	case P_RO:
		return ro_page + below(size < (size_t)page ? page - size : 1);
	case P_STRADDLE:
		/* starts in the RW page, ends in the PROT_NONE page */
		k = size > 1 ? 1 + below(size - 1) : 1;
		if (k > (size_t)page)
			k = page;
		return region + page - k;
	case P_KERNEL:
		return (void *)(0xffffffff81000000UL + below(page));
	default:
		return NULL;
	}
}

/* What a user buffer lets the kernel do. */
struct room {
	size_t rd;		/* bytes readable from the pointer on */
	size_t wr;		/* bytes writable */
	enum ptr_class c;
};

static struct room room_of(enum ptr_class c, const void *p)
{
	const uint8_t *b = p;
	struct room r = { 0, 0, c };

	switch (c) {
	case P_VALID:
		r.rd = r.wr = BIG;
		break;
	case P_RO:
		r.rd = ro_page + page - b;
		break;
	case P_STRADDLE:
		r.rd = r.wr = region + page - b;
		break;
	default:
		break;
	}
	return r;
}

/* Inner pointers: mostly @valid (BIG bytes), sometimes bad. */
static uint64_t inner_ptr(void *valid, size_t size, struct room *r)
{
	enum ptr_class c = below(20) < 17 ? P_VALID : 1 + below(P_CLASSES - 1);
	void *p = c == P_VALID ? valid : ptr_of(c, size ? size : 1);

	*r = room_of(c, p);
	return (uintptr_t)p;
}

/* The errnos each ioctl can give (besides ENOMEM, which any can). */
static const int e_version[] = { EFAULT, 0 };
static const int e_info[] = { EFAULT, ENODEV, 0 };
static const int e_item[] = { EFAULT, EINVAL, EPERM, ENODEV, ENODATA,
			      EMSGSIZE, 0 };
static const int e_transmit[] = { EFAULT, EINVAL, ENXIO, EPERM, EOPNOTSUPP,
				  EMSGSIZE, ENODEV, ENOLINK, EPROTO,
				  ETIMEDOUT, ENODATA, ECANCELED, EACCES, 0 };
static const int e_open[] = { EFAULT, EINVAL, ENODEV, ENOLINK, EBUSY,
			      EMFILE, EOPNOTSUPP, EIO, ENOENT, EPROTO,
			      ETIMEDOUT, EMSGSIZE, ECANCELED, EACCES, 0 };
static const int e_close[] = { EFAULT, EINVAL, ENXIO, ENODEV, EIO, EPROTO,
			       ETIMEDOUT, ECANCELED, 0 };
static const int e_reset[] = { EFAULT, EINVAL, EPERM, ENODEV, EPROTO,
			       ETIMEDOUT, 0 };
static const int e_list[] = { EFAULT, EINVAL, 0 };
static const int e_ctl[] = { EFAULT, EINVAL, EPERM, ENODEV, EALREADY,
			     ENOENT, EBUSY, EPROTO, ETIMEDOUT, 0 };
static const int e_acl[] = { EFAULT, EINVAL, EPERM, EPROTO, E2BIG, 0 };
static const int e_vse_new[] = { EFAULT, EINVAL, EPERM, ENOSPC, EMFILE, 0 };

struct known_cmd {
	unsigned long cmd;
	const char *name;
	const int *errnos;
};

static const struct known_cmd se_cmds[] = {
	{ SECEL_IOC_VERSION, "VERSION", e_version },
	{ SECEL_IOC_GET_INFO, "GET_INFO", e_info },
	{ SECEL_IOC_GET_ITEM, "GET_ITEM", e_item },
	{ SECEL_IOC_TRANSMIT, "TRANSMIT", e_transmit },
	{ SECEL_IOC_OPEN_CHANNEL, "OPEN_CHANNEL", e_open },
	{ SECEL_IOC_CLOSE_CHANNEL, "CLOSE_CHANNEL", e_close },
	{ SECEL_IOC_RESET, "RESET", e_reset },
};

static const struct known_cmd ctl_cmds[] = {
	{ SECEL_IOC_VERSION, "VERSION", e_version },
	{ SECEL_CTL_LIST, "CTL_LIST", e_list },
	{ SECEL_CTL_ADD, "CTL_ADD", e_ctl },
	{ SECEL_CTL_VERIFY, "CTL_VERIFY", e_ctl },
	{ SECEL_CTL_INQUIRE, "CTL_INQUIRE", e_ctl },
	{ SECEL_CTL_DELETE, "CTL_DELETE", e_ctl },
	{ SECEL_CTL_DESIGNATE, "CTL_DESIGNATE", e_ctl },
	{ SECEL_CTL_ACL_SET, "CTL_ACL_SET", e_acl },
	{ SECEL_CTL_ACL_GET, "CTL_ACL_GET", e_acl },
};

static const struct known_cmd vse_cmds[] = {
	{ SECEL_IOC_VERSION, "VERSION", e_version },
	{ SECEL_VSE_IOC_NEW, "VSE_IOC_NEW", e_vse_new },
};

static const struct known_cmd *node_cmds(const struct node *n, size_t *count)
{
	switch (n->kind) {
	case NODE_SE:
		*count = sizeof(se_cmds) / sizeof(se_cmds[0]);
		return se_cmds;
	case NODE_CTL:
		*count = sizeof(ctl_cmds) / sizeof(ctl_cmds[0]);
		return ctl_cmds;
	case NODE_VSE:
		*count = sizeof(vse_cmds) / sizeof(vse_cmds[0]);
		return vse_cmds;
	default:
		*count = 0;	/* a card fd has no ioctls */
		return NULL;
	}
}

static const struct known_cmd *lookup(const struct node *n, unsigned long cmd)
{
	const struct known_cmd *t;
	size_t i, c;

	t = node_cmds(n, &c);
	for (i = 0; i < c; i++)
		if (t[i].cmd == cmd)
			return &t[i];
	return NULL;
}

static bool in_set(const int *set, int e)
{
	if (e == ENOMEM)
		return true;
	for (; *set; set++)
		if (*set == e)
			return true;
	return false;
}

static const char *const kind_names[] = { "ctl", "vse", "se", "card" };

static void report(unsigned long *counter, const struct node *n,
		   const char *what, int ret, int e, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static void report(unsigned long *counter, const struct node *n,
		   const char *what, int ret, int e, const char *fmt, ...)
{
	va_list ap;

	/* the first ten of each kind are printed */
	if ((*counter)++ >= 10)
		return;
	printf("# unexpected: %s on %s node: ret %d errno %d (%s): ", what,
	       n ? kind_names[n->kind] : "-", ret, ret < 0 ? e : 0,
	       ret < 0 ? strerror(e) : "-");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* A random APDU, mostly well formed, in @buf; returns its length. */
static size_t random_apdu(uint8_t *buf)
{
	static const uint8_t ins[] = { 0xa4, 0xca, 0x10, 0x11, 0x20, 0x30,
				       0xc0, 0x70, 0x00, 0xb0 };
	size_t nc, len;

	buf[0] = below(4) ? (below(2) ? 0x80 : 0x00) : rnd();
	buf[1] = below(4) ? ins[below(sizeof(ins))] : rnd();
	buf[2] = rnd();
	buf[3] = rnd();
	switch (below(6)) {
	case 0:
		return 4;
	case 1:
		buf[4] = rnd();
		return 5;
	case 2:
		nc = 1 + below(255);
		buf[4] = nc;
		fill(buf + 5, nc);
		return 5 + nc + below(2);
	case 3:
		nc = 1 + below(4000);
		buf[4] = 0;
		buf[5] = nc >> 8;
		buf[6] = nc;
		fill(buf + 7, nc);
		return 7 + nc + 2 * below(2);
	case 4:
		len = below(16);
		fill(buf, len);
		return len;
	default:
		len = below(BIG);
		fill(buf, len);
		return len;
	}
}

/*
 * What make_arg() built: whether every field but the inner pointers is
 * sensible (@clean), and what the inner input and output pointers allow.
 */
struct expect {
	bool sensible;		/* built field by field, not all random */
	bool clean;		/* sensible and every field valid */
	struct room in, out;
	uint32_t in_len;	/* bytes the kernel must read from in */
	uint32_t out_len;	/* room the struct claims at out */
};

static unsigned int random_index(void)
{
	uint32_t r = below(100);

	/* rarely the raw card: verifying it waits for the timeout */
	if (r == 0)
		return raw.index;
	if (r < 80)
		return cards[below(NCARDS)]->index;
	return rnd() % 64;
}

/*
 * Access rules for SECEL_CTL_ACL_SET: mostly valid ones about the fuzzed
 * cards' applications, so that exchanges are judged by real tables,
 * sometimes a field out of range.  Root keeps most of its reach (a rule
 * for uid 0 first, often), or nothing would get through.
 */
static void random_rules(struct secel_acl_rule *r, uint32_t n)
{
	static const uint8_t isd[] = { 0xa0, 0x00, 0x00, 0x01, 0x51, 0x00,
				       0x00, 0x00 };
	uint32_t i;

	memset(r, 0, n * sizeof(*r));
	for (i = 0; i < n; i++) {
		const uint8_t *aid = below(2) ? isd :
				     (const uint8_t *)VSE_TEST_AID;
		size_t len = aid == isd ? sizeof(isd) : VSE_TEST_AID_LEN;

		if (i == 0 && below(4)) {
			r[i].app = SECEL_ACL_APP_PREFIX;
			r[i].who = SECEL_ACL_WHO_UID;
			r[i].action = SECEL_ACL_ALLOW;
			continue;
		}
		r[i].app = 1 + below(3);
		if (r[i].app == SECEL_ACL_APP_AID)
			r[i].aid_len = len;
		else if (r[i].app == SECEL_ACL_APP_PREFIX)
			r[i].aid_len = below(len + 1);
		memcpy(r[i].aid, aid, r[i].aid_len);
		r[i].who = below(3);
		if (r[i].who)
			r[i].id = below(2) ? 0 : below(70000);
		r[i].action = 1 + below(3);
		if (r[i].action == SECEL_ACL_FILTER) {
			r[i].nr_filters = 1 + below(SECEL_ACL_MAX_FILTERS);
			r[i].filters[0].header[0] = 0x80;
			memset(r[i].filters[0].mask, below(2) ? 0xff : 0, 4);
			r[i].filters[0].header[0] &= r[i].filters[0].mask[0];
		}
		if (below(3) == 0) {
			r[i].se_match = SECEL_ACL_SE_KIND;
			r[i].se_kind = 1 + below(2);
		}
		if (below(6) == 0) {
			r[i].se_match |= SECEL_ACL_SE_NAME;
			snprintf(r[i].se_name, sizeof(r[i].se_name), "VSE%u",
				 below(5));
		}
		if (below(20) == 0)	/* one bad field */
			fill((uint8_t *)&r[i] + below(sizeof(r[i])), 1);
	}
}

/* Fill the struct for @cmd with mostly sensible, sometimes random values. */
static void make_arg(const struct node *n, unsigned long cmd, void *arg,
		     size_t size, struct expect *x)
{
	memset(x, 0, sizeof(*x));
	fill(arg, size);
	if (below(8) == 0)
		return;		/* all random */
	x->sensible = true;
	if (cmd == SECEL_IOC_TRANSMIT) {
		struct secel_transmit *tx = arg;

		memset(tx, 0, sizeof(*tx));
		tx->cmd_len = random_apdu(big);
		tx->cmd_ptr = inner_ptr(big, tx->cmd_len, &x->in);
		tx->rsp_len = below(3) ? SECEL_RESP_MAX : below(300);
		tx->rsp_ptr = inner_ptr(big2, tx->rsp_len, &x->out);
		tx->channel = below(2) ? 0 : below(4) ? below(4) : rnd();
		tx->flags = below(8) ? below(2) : rnd();
		if (below(8) == 0) {
			/* fetch a response kept after EMSGSIZE */
			tx->flags = SECEL_TX_KEPT;
			tx->cmd_len = 0;
		}
		x->in_len = tx->cmd_len;
		x->out_len = tx->rsp_len;
		if (tx->flags == SECEL_TX_KEPT)
			x->clean = tx->cmd_len == 0 && tx->rsp_len >= 2 &&
				   tx->channel < SECEL_MAX_CHANNELS;
		else
			x->clean = tx->cmd_len >= 4 &&
				   tx->cmd_len <= SECEL_APDU_MAX &&
				   tx->rsp_len >= 2 &&
				   tx->channel < SECEL_MAX_CHANNELS &&
				   tx->flags <= SECEL_TX_RAW;
	} else if (cmd == SECEL_IOC_OPEN_CHANNEL) {
		struct secel_channel_open *o = arg;

		memset(o, 0, sizeof(*o));
		o->aid_len = below(3) ? VSE_TEST_AID_LEN : below(20);
		memcpy(big, VSE_TEST_AID, VSE_TEST_AID_LEN);
		o->aid_ptr = inner_ptr(big, o->aid_len, &x->in);
		o->rsp_len = below(300);
		o->rsp_ptr = inner_ptr(big2, o->rsp_len, &x->out);
		o->p2 = below(4) ? 0 : rnd();
		x->in_len = o->aid_len;
		x->out_len = o->rsp_len;
		x->clean = (o->aid_len == 0 || (o->aid_len >= SECEL_AID_MIN &&
						o->aid_len <= SECEL_AID_MAX)) &&
			   o->rsp_len >= 2;
	} else if (cmd == SECEL_IOC_CLOSE_CHANNEL) {
		struct secel_channel_close *c = arg;

		c->channel = below(21);
		c->flags = below(8) ? 0 : rnd();
	} else if (cmd == SECEL_IOC_GET_ITEM) {
		struct secel_item *it = arg;

		memset(it, 0, sizeof(*it));
		it->item = below(8);
		it->buf_len = below(300);
		it->buf_ptr = inner_ptr(big2, it->buf_len, &x->out);
		x->out_len = it->buf_len;
	} else if (cmd == SECEL_IOC_RESET) {
		struct secel_reset *r = arg;

		memset(r, 0, sizeof(*r));
		r->flags = below(2);
	} else if (cmd == SECEL_CTL_LIST) {
		struct secel_list *l = arg;

		memset(l, 0, sizeof(*l));
		l->count = below(40);
		l->entries_ptr = inner_ptr(big2, l->count *
					   sizeof(struct secel_list_entry),
					   &x->out);
		l->flags = below(2);
		x->out_len = l->count;
	} else if (cmd == SECEL_CTL_ACL_SET || cmd == SECEL_CTL_ACL_GET) {
		struct secel_acl_table *t = arg;

		memset(t, 0, sizeof(*t));
		t->version = below(30) ? SECEL_ACL_VERSION : rnd();
		t->rule_size = below(30) ? sizeof(struct secel_acl_rule) :
			       below(400);
		t->count = below(3) ? below(6) : below(4) ? below(40) :
			   below(3000);
		if (cmd == SECEL_CTL_ACL_SET) {
			random_rules((struct secel_acl_rule *)big,
				     t->count < BIG / sizeof(struct secel_acl_rule) ?
				     t->count : 0);
			t->flags = below(2) ? SECEL_ACL_DEFAULT_ALLOW :
				   below(8) ? 0 : rnd();
		}
		t->rules_ptr = inner_ptr(cmd == SECEL_CTL_ACL_SET ? big : big2,
					 t->count *
					 sizeof(struct secel_acl_rule),
					 cmd == SECEL_CTL_ACL_SET ? &x->in :
					 &x->out);
		x->in_len = x->out_len = t->count;
	} else if (n->kind == NODE_CTL && cmd != SECEL_IOC_VERSION) {
		struct secel_ctl *c = arg;

		memset(c, 0, sizeof(*c));
		c->index = random_index();
		c->flags = below(8) ? 0 : rnd();
	} else if (cmd == SECEL_VSE_IOC_NEW) {
		struct secel_vse_new *v = arg;

		memset(v, 0, sizeof(*v));
		v->atr_len = below(3) ? vse_good_atr_len : below(40);
		memcpy(v->atr, vse_good_atr, vse_good_atr_len);
		if (below(2))
			memcpy(v->name_prefix, "FZ", 3);
		v->flags = below(8) ? 0 : rnd();
	}
}

/* Checks of a call with a valid struct pointer and a sensible struct. */
static void check_sensible(const struct node *n, const struct known_cmd *k,
			   const void *arg, const struct expect *x, int ret,
			   int e)
{
	const char *what = k->name;

	if (k->cmd == SECEL_IOC_TRANSMIT) {
		const struct secel_transmit *tx = arg;

		if (!ret && (x->in.rd < x->in_len || tx->rsp_len > x->out.wr))
			report(&unexpected_ptr, n, what, ret, e,
			       "succeeded with command %s (%u of %zu bytes readable), response %s (%u bytes into %zu writable)",
			       ptr_names[x->in.c], x->in_len, x->in.rd,
			       ptr_names[x->out.c], tx->rsp_len, x->out.wr);
		else if (!ret && (tx->rsp_len < 2 || tx->rsp_len > x->out_len))
			report(&unexpected_errno, n, what, ret, e,
			       "response of %u bytes for a buffer of %u",
			       tx->rsp_len, x->out_len);
		else if (x->clean && x->in.rd < x->in_len && ret &&
			 e != EFAULT && e != ENOMEM)
			report(&unexpected_ptr, n, what, ret, e,
			       "%s command pointer (%zu of %u bytes readable): not EFAULT",
			       ptr_names[x->in.c], x->in.rd, x->in_len);
	} else if (k->cmd == SECEL_IOC_OPEN_CHANNEL) {
		const struct secel_channel_open *o = arg;

		if (!ret && (x->in.rd < x->in_len || o->rsp_len > x->out.wr))
			report(&unexpected_ptr, n, what, ret, e,
			       "succeeded with AID %s (%u of %zu bytes readable), response %s (%u bytes into %zu writable)",
			       ptr_names[x->in.c], x->in_len, x->in.rd,
			       ptr_names[x->out.c], o->rsp_len, x->out.wr);
		else if (!ret && (o->channel < 1 ||
				  o->channel >= SECEL_MAX_CHANNELS ||
				  o->rsp_len < 2 || o->rsp_len > x->out_len))
			report(&unexpected_errno, n, what, ret, e,
			       "channel %u, response of %u bytes for %u",
			       o->channel, o->rsp_len, x->out_len);
		else if (x->clean && x->in.rd < x->in_len && ret &&
			 e != EFAULT)
			report(&unexpected_ptr, n, what, ret, e,
			       "%s AID pointer (%zu of %u bytes readable): not EFAULT",
			       ptr_names[x->in.c], x->in.rd, x->in_len);
	} else if (k->cmd == SECEL_IOC_GET_ITEM) {
		const struct secel_item *it = arg;

		if (!ret && (it->buf_len > x->out.wr || !it->buf_len ||
			     it->buf_len > x->out_len))
			report(&unexpected_ptr, n, what, ret, e,
			       "succeeded with %u bytes into a %s buffer of %u (%zu writable)",
			       it->buf_len, ptr_names[x->out.c], x->out_len,
			       x->out.wr);
	} else if (k->cmd == SECEL_CTL_ACL_GET) {
		const struct secel_acl_table *t = arg;
		size_t n_out = t->count < x->out_len ? t->count : x->out_len;

		if (!ret && n_out * sizeof(struct secel_acl_rule) > x->out.wr)
			report(&unexpected_ptr, n, what, ret, e,
			       "succeeded with %zu rules into a %s buffer (%zu bytes writable)",
			       n_out, ptr_names[x->out.c], x->out.wr);
	} else if (k->cmd == SECEL_CTL_ACL_SET) {
		const struct secel_acl_table *t = arg;

		if (!ret && t->count &&
		    x->in.rd < t->count * sizeof(struct secel_acl_rule))
			report(&unexpected_ptr, n, what, ret, e,
			       "succeeded with %u rules from a %s buffer (%zu bytes readable)",
			       t->count, ptr_names[x->in.c], x->in.rd);
	} else if (k->cmd == SECEL_CTL_LIST) {
		const struct secel_list *l = arg;
		size_t n_out = l->count < x->out_len ? l->count : x->out_len;

		if (!ret && n_out * sizeof(struct secel_list_entry) >
			    x->out.wr)
			report(&unexpected_ptr, n, what, ret, e,
			       "succeeded with %zu entries into a %s buffer (%zu bytes writable)",
			       n_out, ptr_names[x->out.c], x->out.wr);
	}
}

/*
 * SECEL_CTL_DESIGNATE with SECEL_DESIGNATE_CLEAR writes nothing back (the
 * ABI says so): on a read-only page it may succeed.  @arg is readable.
 */
static bool no_writeback(unsigned long cmd, const void *arg)
{
	const struct secel_ctl *c = arg;

	return cmd == SECEL_CTL_DESIGNATE &&
	       c->flags == SECEL_DESIGNATE_CLEAR;
}

static void one_ioctl(struct node *n)
{
	static union {
		uint8_t raw[4096];
		struct secel_transmit tx;
		struct secel_vse_new vn;
		struct secel_version ver;
		struct secel_info info;
	} argbuf;
	const struct known_cmd *t, *k;
	unsigned long cmd;
	enum ptr_class pc = P_VALID;
	bool ro_struct = false;
	struct expect x = { 0 };
	size_t size, count;
	void *arg = &argbuf;
	uint32_t r = below(100);
	int ret, e, dir;
	char sysfs[64];
	long long t0;

	t = node_cmds(n, &count);
	if (r < 70 && count) {
		cmd = t[below(count)].cmd;
		/* new SEs are slow to verify: rarely */
		if (cmd == SECEL_VSE_IOC_NEW && below(50))
			cmd = SECEL_IOC_VERSION;
		/* a deleted SE takes no APDUs until ADD: delete seldom */
		if (cmd == SECEL_CTL_DELETE && below(20))
			cmd = SECEL_CTL_ADD;
		if (below(5) == 0)
			pc = 1 + below(P_CLASSES - 1);
		else if (below(12) == 0)
			ro_struct = true;
	} else if (r < 90) {
		dir = below(4);
		size = below(4) ? below(600) : below(0x4000);
		cmd = _IOC(dir, SECEL_IOC_MAGIC, below(4) ? below(0x48) :
			   below(256), size);
		if (below(3) == 0)
			pc = 1 + below(P_CLASSES - 1);
	} else {
		uint8_t magic;

		do
			magic = rnd();
		while (magic == 'T' || magic == 'X' || magic == 'f' ||
		       magic == 0x94 || magic == 0x12 || magic == 'v' ||
		       magic == 0x00 || magic == SECEL_IOC_MAGIC);
		cmd = _IOC(below(4), magic, rnd() & 0xff, below(600));
		if (below(3) == 0)
			pc = 1 + below(P_CLASSES - 1);
	}
	k = lookup(n, cmd);
	size = _IOC_SIZE(cmd);
	if (size > sizeof(argbuf))
		size = sizeof(argbuf);
	if (ro_struct) {
		/* a sensible struct on a read-only page */
		t0 = now_us();
		arg = ro_page + below(page - size);
		mprotect(ro_page, page, PROT_READ | PROT_WRITE);
		make_arg(n, cmd, arg, size, &x);
		mprotect(ro_page, page, PROT_READ);
		account("mprotect", NULL, t0);
	} else if (pc == P_VALID) {
		make_arg(n, cmd, arg, size, &x);
	} else {
		arg = ptr_of(pc, size ? size : 1);
	}

	phase = k ? k->name : "an unknown ioctl";
	t0 = now_us();
	ret = ioctl(n->fd, cmd, arg);
	e = errno;
	calls++;
	if (n->kind == NODE_CTL && k && cmd != SECEL_CTL_LIST &&
	    cmd != SECEL_IOC_VERSION && cmd != SECEL_CTL_ACL_SET &&
	    cmd != SECEL_CTL_ACL_GET && pc == P_VALID && !ro_struct)
		account(k->name, ((struct secel_ctl *)arg)->index == raw.index ?
			"raw" : "ctl", t0);
	else
		account(k ? k->name : "unknown", n->kind == NODE_SE ?
			card_names[n->se] : kind_names[n->kind], t0);
	if (ret == 0 && cmd == SECEL_VSE_IOC_NEW && !ro_struct &&
	    pc == P_VALID) {
		/* unplug it at once: it must go with its card */
		snprintf(sysfs, sizeof(sysfs), SECEL_CLASS_DIR "/secel%u",
			 argbuf.vn.index);
		if (access(sysfs, F_OK))
			report(&unexpected_gone, n, "VSE_IOC_NEW", ret, 0,
			       "new secel%u not in sysfs", argbuf.vn.index);
		if (close(argbuf.vn.fd))
			report(&unexpected_gone, n, "VSE_IOC_NEW", ret, 0,
			       "closing the card fd: %s", strerror(errno));
		if (!access(sysfs, F_OK))
			report(&unexpected_gone, n, "VSE_IOC_NEW", ret, 0,
			       "secel%u stays after its card closed",
			       argbuf.vn.index);
	}
	if (!ret)
		successes++;
	if (!ret && cmd == SECEL_IOC_TRANSMIT)
		transmits_ok++;
	if (ret < 0 && e == EFAULT)
		efaults++;
	if (ret < 0 && e == ENOTTY)
		enottys++;

	if (!k) {
		if (ret != -1 || e != ENOTTY)
			report(&unexpected_errno, n, "unknown ioctl", ret, e,
			       "cmd %#lx not ENOTTY", cmd);
		return;
	}
	if (ret != 0 && ret != -1) {
		report(&unexpected_errno, n, k->name, ret, e,
		       "returned neither 0 nor -1");
		return;
	}
	if (pc != P_VALID && pc != P_RO) {
		/* the struct itself cannot be read nor written back */
		if (ret == 0 || e != EFAULT)
			report(&unexpected_ptr, n, k->name, ret, e,
			       "%s struct pointer %p: not EFAULT",
			       ptr_names[pc], arg);
		return;
	}
	if ((pc == P_RO || ro_struct) && (_IOC_DIR(cmd) & _IOC_READ) &&
	    !no_writeback(cmd, arg)) {
		/* the answer cannot be written back: never a success */
		if (ret == 0 || (e != EFAULT && (cmd == SECEL_IOC_VERSION ||
						 cmd == SECEL_IOC_GET_INFO)))
			report(&unexpected_ptr, n, k->name, ret, e,
			       "struct on a read-only page");
		else if (!in_set(k->errnos, e))
			report(&unexpected_errno, n, k->name, ret, e,
			       "struct on a read-only page: errno not one %s gives",
			       k->name);
		return;
	}
	if (ret < 0 && !in_set(k->errnos, e)) {
		report(&unexpected_errno, n, k->name, ret, e,
		       "not an errno %s gives", k->name);
		return;
	}
	if (cmd == SECEL_IOC_VERSION &&
	    (ret || argbuf.ver.abi_version != SECEL_ABI_VERSION))
		report(&unexpected_errno, n, k->name, ret, e,
		       "ABI version %u", argbuf.ver.abi_version);
	if (cmd == SECEL_IOC_GET_INFO &&
	    (ret || argbuf.info.index != cards[n->se]->index))
		report(&unexpected_errno, n, k->name, ret, e,
		       "index %u for secel%u", argbuf.info.index,
		       cards[n->se]->index);
	if (x.sensible)
		check_sensible(n, k, arg, &x, ret, e);
}

/* A write of random bytes to a served card: never taken as an answer. */
static void one_card_write(void)
{
	struct vse_card *c = cards[below(NCARDS)];
	enum ptr_class pc = below(8) ? P_VALID : 1 + below(P_CLASSES - 1);
	static uint8_t buf[300];
	size_t len = below(sizeof(buf));
	const void *p;
	ssize_t ret;
	int e;

	fill(buf, len);
	p = pc == P_VALID ? buf : ptr_of(pc, len);
	phase = "write to a card fd";
	ret = write(c->fd, p, len);
	e = errno;
	calls++;
	if (ret >= 0)
		report(&unexpected_card, NULL, "card write", (int)ret, 0,
		       "%zu random bytes from a %s pointer taken", len,
		       ptr_names[pc]);
	else if (len < sizeof(struct secel_vse_msg) && e != EINVAL &&
		 (pc != P_KERNEL || e != EFAULT))	/* the VFS's EFAULT */
		report(&unexpected_card, NULL, "card write", -1, e,
		       "%zu bytes, shorter than a header: not EINVAL", len);
	else if (len >= sizeof(struct secel_vse_msg) && pc != P_VALID &&
		 pc != P_RO && (pc != P_STRADDLE ||
				room_of(pc, p).rd < sizeof(struct secel_vse_msg)) &&
		 e != EFAULT)
		report(&unexpected_card, NULL, "card write", -1, e,
		       "%s header: not EFAULT", ptr_names[pc]);
	else if (e != EINVAL && e != ESTALE && e != EFAULT && e != ENOMEM)
		report(&unexpected_card, NULL, "card write", -1, e,
		       "not an errno a card write gives");
}

static void one_poll(void)
{
	struct node *n = &nodes[below(nnodes)];
	struct pollfd pfd = { .fd = n->fd, .events = POLLIN | POLLOUT };
	int ret;

	if (n->fd < 0)
		return;
	phase = "poll";
	ret = poll(&pfd, 1, 0);
	calls++;
	if (ret != 1 || !(pfd.revents & POLLOUT) ||
	    (pfd.revents & (POLLERR | POLLHUP | POLLNVAL)))
		report(&unexpected_card, n, "poll", ret, errno,
		       "revents %#x", pfd.revents);
}

static void raw_close_se_fd(void)
{
	if (raw.se_fd >= 0 && close(raw.se_fd))
		report(&unexpected_gone, NULL, "close", -1, errno,
		       "a /dev/secelN of the raw card");
	raw.se_fd = -1;
}

static void raw_create(void)
{
	struct secel_vse_new req;

	memset(&req, 0, sizeof(req));
	req.atr_len = vse_good_atr_len;
	memcpy(req.atr, vse_good_atr, vse_good_atr_len);
	memcpy(req.name_prefix, "RAW", 4);
	phase = "creating the raw card";
	if (ioctl(nodes[1].fd, SECEL_VSE_IOC_NEW, &req)) {
		report(&unexpected_gone, &nodes[1], "VSE_IOC_NEW", -1, errno,
		       "the raw card");
		raw.fd = -1;
		return;
	}
	raw.fd = req.fd;
	raw.index = req.index;
	raw.have_req = false;
	raw.created++;
	fcntl(raw.fd, F_SETFL, O_NONBLOCK);
	nodes[raw_node].fd = raw.fd;
	/* a file of its /dev/secelN, opened while it is verified */
	raw.se_fd = secel_open_se(raw.index);
	if (raw.se_fd < 0) {
		report(&unexpected_gone, NULL, "open", -1, -raw.se_fd,
		       "/dev/secel%u of the raw card", raw.index);
		raw.se_fd = -1;
	}
}

/* Unplug the raw card; its open /dev/secelN must fail with ENODEV. */
static void raw_unplug(void)
{
	uint8_t apdu[] = { 0x00, 0xa4, 0x04, 0x00, 0x00 }, rsp[64];
	struct secel_info info;
	uint32_t rl = sizeof(rsp), ch;
	char sysfs[64];
	int ret;

	if (raw.fd < 0)
		return;
	phase = "unplugging the raw card";
	if (close(raw.fd))
		report(&unexpected_gone, NULL, "close", -1, errno,
		       "the raw card fd");
	raw.fd = -1;
	nodes[raw_node].fd = -1;
	snprintf(sysfs, sizeof(sysfs), SECEL_CLASS_DIR "/secel%u", raw.index);
	if (!access(sysfs, F_OK))
		report(&unexpected_gone, NULL, "unplug", 0, 0,
		       "secel%u stays after its card closed", raw.index);
	if (raw.se_fd < 0)
		return;
	ret = secel_get_info(raw.se_fd, &info);
	if (ret != -ENODEV)
		report(&unexpected_gone, NULL, "GET_INFO", ret, -ret,
		       "on an unplugged SE: not ENODEV");
	ret = secel_transmit(raw.se_fd, apdu, sizeof(apdu), rsp, &rl, 0, 0);
	if (ret != -ENODEV)
		report(&unexpected_gone, NULL, "TRANSMIT", ret, -ret,
		       "on an unplugged SE: not ENODEV");
	ret = secel_open_channel(raw.se_fd, NULL, 0, rsp, &rl, &ch);
	if (ret != -ENODEV)
		report(&unexpected_gone, NULL, "OPEN_CHANNEL", ret, -ret,
		       "on an unplugged SE: not ENODEV");
	raw_close_se_fd();
}

/* The fuzzer as the raw card: read, answer, poll, badly. */
static void one_raw(void)
{
	static uint8_t buf[600];
	struct secel_vse_msg *m = (struct secel_vse_msg *)buf;
	enum ptr_class pc = below(3) ? P_VALID : 1 + below(P_CLASSES - 1);
	size_t len, need;
	struct pollfd pfd;
	bool answer;
	void *p;
	ssize_t ret;
	int e;

	if (raw.fd < 0)
		return;
	calls++;
	switch (below(3)) {
	case 0:
		phase = "read from the raw card";
		len = below(4) ? sizeof(buf) : below(64);
		p = pc == P_VALID ? buf : ptr_of(pc, len);
		ret = read(raw.fd, p, len);
		e = errno;
		raw.reads++;
		if (ret < 0 && e != EAGAIN && e != EMSGSIZE && e != EFAULT) {
			report(&unexpected_card, NULL, "raw card read", -1, e,
			       "%zu bytes into a %s buffer", len,
			       ptr_names[pc]);
		} else if (ret >= 0 && pc != P_VALID) {
			need = ret;
			if (pc != P_STRADDLE || room_of(pc, p).wr < need)
				report(&unexpected_card, NULL, "raw card read",
				       (int)ret, 0,
				       "a request read into a %s buffer",
				       ptr_names[pc]);
		} else if (ret >= 0 && ((size_t)ret < sizeof(*m) ||
					m->len != ret - sizeof(*m) ||
					m->type < SECEL_VSE_MSG_APDU ||
					m->type > SECEL_VSE_MSG_POWER_OFF)) {
			report(&unexpected_card, NULL, "raw card read",
			       (int)ret, 0, "malformed request");
		} else if (ret >= 0) {
			raw.req = *m;
			raw.have_req = true;
		}
		break;
	case 1:
		phase = "write to the raw card";
		answer = raw.have_req && below(3);
		if (answer) {
			m->type = raw.req.type;
			m->seq = raw.req.seq;
			m->flags = 0;
			switch (below(4)) {
			case 0:
				m->len = below(300);
				fill(buf + sizeof(*m), m->len);
				break;
			case 1:
				m->len = 2;
				fill(buf + sizeof(*m), 2);
				break;
			default:	/* a card that works */
				m->len = 2;
				buf[sizeof(*m)] = 0x90;
				buf[sizeof(*m) + 1] = 0x00;
			}
			if (raw.req.type == SECEL_VSE_MSG_POWER_OFF)
				m->len = 0;
			len = sizeof(*m) + m->len;
		} else {
			len = below(sizeof(buf));
			fill(buf, len);
		}
		p = pc == P_VALID ? buf : ptr_of(pc, len);
		ret = write(raw.fd, p, len);
		e = errno;
		if (ret >= 0 && (!answer || pc != P_VALID ||
				 (size_t)ret != len))
			report(&unexpected_card, NULL, "raw card write",
			       (int)ret, 0, "%s%zu bytes from a %s pointer",
			       answer ? "answer of " : "random ", len,
			       ptr_names[pc]);
		else if (ret < 0 && e != EINVAL && e != ESTALE &&
			 e != EFAULT && e != ENOMEM)
			report(&unexpected_card, NULL, "raw card write", -1, e,
			       "not an errno a card write gives");
		if (ret >= 0) {
			raw.have_req = false;
			raw.answered++;
		} else if (answer && pc == P_VALID && e == ESTALE) {
			raw.have_req = false;	/* the kernel gave up */
		}
		break;
	default:
		phase = "poll of the raw card";
		pfd.fd = raw.fd;
		pfd.events = POLLIN | POLLOUT;
		if (poll(&pfd, 1, 0) != 1 || !(pfd.revents & POLLOUT) ||
		    (pfd.revents & (POLLERR | POLLHUP | POLLNVAL)))
			report(&unexpected_card, NULL, "raw card poll", 0, 0,
			       "revents %#x", pfd.revents);
	}
}

/* From time to time: a slow card that is too slow, garbage that works. */
static void change_weather(void)
{
	uint32_t r = below(20);

	/* 700 ms is beyond the 500 ms timeout: ETIMEDOUT, ESTALE answers */
	vse_card_set_delay(cards[C_SLOW], r == 0 ? 700 : r < 8 ? 0 :
			   1 + below(10));
	vse_card_set_mode(cards[C_GARBAGE], below(3) ? VSE_MODE_GARBAGE :
			  VSE_MODE_NORMAL);
}

static int list_indexes(int ctl, unsigned int *idx, unsigned int room)
{
	struct secel_list_entry e[64];
	struct secel_list l = { .entries_ptr = (uintptr_t)e, .count = 64,
				.flags = SECEL_LIST_ALL };
	unsigned int i, n = 0;

	if (ioctl(ctl, SECEL_CTL_LIST, &l))
		return -errno;
	for (i = 0; i < l.count && i < 64 && n < room; i++)
		idx[n++] = e[i].index;
	return n;
}

static int dir_indexes(const char *dir_name, const char *fmt,
		       unsigned int *idx, unsigned int room)
{
	struct dirent *d;
	unsigned int n = 0, v;
	char tail;
	DIR *dir = opendir(dir_name);

	if (!dir)
		return -errno;
	while ((d = readdir(dir)) && n < room)
		if (sscanf(d->d_name, fmt, &v, &tail) == 1)
			idx[n++] = v;
	closedir(dir);
	return n;
}

static bool same_set(const unsigned int *a, int na, const unsigned int *b,
		     int nb)
{
	int i, j;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++) {
		for (j = 0; j < nb && b[j] != a[i]; j++)
			;
		if (j == nb)
			return false;
	}
	return true;
}

/* The list, sysfs and /dev name exactly the SEs we made; why not in @why. */
static bool list_consistent(int ctl, char *why, size_t len)
{
	unsigned int want[NCARDS + 1], la[128], sa[128], da[128];
	int nl = 0, ns = 0, nd = 0, nw = 0, i, tries;

	for (i = 0; i < NCARDS; i++)
		want[nw++] = cards[i]->index;
	if (raw.fd >= 0)
		want[nw++] = raw.index;
	for (tries = 0; tries < 50; tries++) {
		nl = list_indexes(ctl, la, 128);
		ns = dir_indexes(SECEL_CLASS_DIR, "secel%u%c", sa, 128);
		nd = dir_indexes("/dev", "secel%u%c", da, 128);
		if (nl >= 0 && same_set(la, nl, want, nw) &&
		    same_set(sa, ns, want, nw) && same_set(da, nd, want, nw))
			return true;
		usleep(100000);
	}
	snprintf(why, len, "%d SEs made, list has %d, sysfs %d, /dev %d", nw,
		 nl, ns, nd);
	return false;
}

/*
 * Once every file is closed, no logical channel may be left to a file:
 * opening channels until the card has none must end in EBUSY (the card's
 * 6A81), never in EPROTO (the card handing out a channel the core still
 * gives to a closed file).  After a power cycle (DELETE, ADD) the card has
 * all 19 free again.
 */
static bool channels_free(int ctl, int c, char *why, size_t len)
{
	unsigned int index = cards[c]->index;
	uint8_t rsp[300];
	uint32_t rl, ch;
	int fds[5], f, ret = 0, round, opened, tries;

	for (round = 0; round < 2; round++) {
		if (round) {
			secel_ctl(ctl, SECEL_CTL_DELETE, index, 0, NULL);
			ret = secel_ctl(ctl, SECEL_CTL_ADD, index, 0, NULL);
		} else {
			for (tries = 0; tries < 5; tries++) {
				ret = secel_ctl(ctl, SECEL_CTL_ADD, index, 0,
						NULL);
				if (!ret || ret == -EALREADY)
					break;
			}
		}
		if (ret && ret != -EALREADY) {
			snprintf(why, len, "secel%u: ADD: %s", index,
				 strerror(-ret));
			return false;
		}
		/* a file may hold only a few channels: 4 on each of 5 */
		for (f = 0; f < 5; f++)
			fds[f] = -1;
		for (opened = 0; opened < SECEL_MAX_CHANNELS; opened++) {
			f = opened / 4;
			if (fds[f] < 0) {
				fds[f] = secel_open_se(index);
				if (fds[f] < 0) {
					ret = fds[f];
					break;
				}
			}
			rl = sizeof(rsp);
			ret = secel_open_channel(fds[f], NULL, 0, rsp, &rl,
						 &ch);
			if (ret)
				break;
		}
		for (f = 0; f < 5; f++)
			if (fds[f] >= 0)
				close(fds[f]);
		if (ret != -EBUSY || (round && opened != SECEL_MAX_CHANNELS - 1)) {
			snprintf(why, len,
				 "secel%u%s: %d channels opened, then %s",
				 index, round ? " after a power cycle" : "",
				 opened, ret ? strerror(-ret) : "no failure");
			return false;
		}
	}
	return true;
}

int main(int argc, char **argv)
{
	const char *env_calls = getenv("SECEL_FUZZ_CALLS");
	const char *env_seed = getenv("SECEL_FUZZ_SEED");
	unsigned long n_calls = env_calls ? strtoul(env_calls, NULL, 10) :
				1000000;
	unsigned long seed = env_seed && *env_seed ?
			     strtoul(env_seed, NULL, 10) :
			     (unsigned long)time(NULL);
	unsigned long apdus[NCARDS], write_errors[NCARDS];
	struct vse_card_opts o[NCARDS];
	long long t0, elapsed;
	int opt, i, j, ctl, fd, bad_close = 0;
	char why[160];
	bool ok;

	while ((opt = getopt(argc, argv, "n:s:")) != -1) {
		if (opt == 'n')
			n_calls = strtoul(optarg, NULL, 10);
		else if (opt == 's')
			seed = strtoul(optarg, NULL, 10);
		else
			return 2;
	}
	rng = seed * 2654435761ULL + 1;
	printf("KTAP version 1\n1..%d\n", N_TESTS);
	printf("# seed %lu, %lu calls (secel_ioctl_fuzz -n %lu -s %lu)\n",
	       seed, n_calls, n_calls, seed);
	fflush(stdout);
	if (geteuid() || access(SECEL_CTL_DEV, F_OK) ||
	    access(SECEL_VSE_DEV, F_OK)) {
		for (i = 1; i <= N_TESTS; i++)
			printf("ok %d %s # SKIP needs root and both modules\n",
			       i, test_names[i]);
		return 4;
	}
	signal(SIGALRM, on_alarm);
	watch("setup", 120);

	page = sysconf(_SC_PAGESIZE);
	/*
	 * Seven pages, each bad one fenced by PROT_NONE pages so that what
	 * lies past it is known: guard, RW (region), PROT_NONE, read-only,
	 * PROT_NONE, a hole (unmapped), PROT_NONE.
	 */
	region = mmap(NULL, 7 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		      -1, 0);
	big = malloc(BIG);
	big2 = malloc(BIG);
	if (region == MAP_FAILED || !big || !big2) {
		printf("Bail out! no memory\n");
		return 1;
	}
	region += page;
	ro_page = region + 2 * page;
	unmapped = region + 4 * page;
	if (mprotect(region, page, PROT_READ | PROT_WRITE) ||
	    mprotect(ro_page, page, PROT_READ | PROT_WRITE) ||
	    munmap(unmapped, page)) {
		printf("Bail out! mprotect: %s\n", strerror(errno));
		return 1;
	}
	fill(ro_page, page);
	mprotect(ro_page, page, PROT_READ);

	if (param_read(PARAM_TIMEOUT_MS, saved_timeout, sizeof(saved_timeout)) ||
	    param_write(PARAM_TIMEOUT_MS, FUZZ_TIMEOUT_MS)) {
		printf("Bail out! cannot set %s\n", PARAM_TIMEOUT_MS);
		return 1;
	}
	memset(o, 0, sizeof(o));
	o[C_GARBAGE].mode = VSE_MODE_GARBAGE;
	o[C_EXTENDED].flags = SECEL_VSE_EXTENDED_LENGTH;
	for (i = 0; i < NCARDS; i++) {
		cards[i] = vse_card_new(&o[i]);
		if (!cards[i] || !secel_wait_state(cards[i]->index,
						   i == C_GARBAGE ? "rejected" :
						   "listed", 10000)) {
			printf("Bail out! card %d did not come up\n",
			       i);
			param_write(PARAM_TIMEOUT_MS, saved_timeout);
			return 1;
		}
	}
	ctl = open(SECEL_CTL_DEV, O_RDWR | O_CLOEXEC);
	nodes[nnodes++] = (struct node){ ctl, NODE_CTL, -1 };
	nodes[nnodes++] = (struct node){ open(SECEL_VSE_DEV, O_RDWR |
					       O_CLOEXEC), NODE_VSE, -1 };
	for (i = 0; i < NCARDS; i++) {
		for (j = 0; j < FDS_PER_SE; j++) {
			fd = secel_open_se(cards[i]->index);
			if (fd < 0) {
				printf("Bail out! open /dev/secel%u: %s\n",
				       cards[i]->index, strerror(-fd));
				param_write(PARAM_TIMEOUT_MS, saved_timeout);
				return 1;
			}
			nodes[nnodes++] = (struct node){ fd, NODE_SE, i };
		}
		nodes[nnodes++] = (struct node){ cards[i]->fd, NODE_CARD, i };
	}
	raw_node = nnodes;
	nodes[nnodes++] = (struct node){ -1, NODE_CARD, -1 };
	if (ctl < 0 || nodes[1].fd < 0) {
		printf("Bail out! cannot open %s and %s\n", SECEL_CTL_DEV,
		       SECEL_VSE_DEV);
		param_write(PARAM_TIMEOUT_MS, saved_timeout);
		return 1;
	}
	raw_create();

	t0 = now_ms();
	while (calls < n_calls) {
		uint32_t r = below(1000);

		if (!(calls % 1000))
			watch("fuzzing", 120);	/* 1000 calls in 2 minutes */
		if (!(calls % 5000))
			change_weather();
		if (r < 930) {
			struct node *n = &nodes[below(nnodes)];

			if (n->fd >= 0)
				one_ioctl(n);
		} else if (r < 950) {
			long long t1 = now_us();

			one_poll();
			account("poll", NULL, t1);
		} else if (r < 965) {
			long long t1 = now_us();

			one_card_write();
			account("card write", NULL, t1);
		} else if (r < 999) {
			long long t1 = now_us();

			one_raw();
			account("raw card read, write or poll", NULL, t1);
		} else {
			long long t1 = now_us();

			raw_unplug();
			raw_create();
			account("raw card unplug and create", NULL, t1);
		}
	}
	elapsed = now_ms() - t0;
	/* the checks below and the suites after this one need no rules */
	{
		struct secel_acl_table none = {
			.version = SECEL_ACL_VERSION,
			.rule_size = sizeof(struct secel_acl_rule),
		};

		if (ioctl(ctl, SECEL_CTL_ACL_SET, &none))
			printf("# clearing the access rules: %s\n",
			       strerror(errno));
	}
	/* a hang ends in the alarm; a run where nothing got through is no fuzzing */
	result(successes && transmits_ok, "%lu calls, %lu succeeded, %lu APDUs answered",
	       calls, successes, transmits_ok);

	watch("checking", 300);
	for (i = 0; i < NCARDS; i++) {
		apdus[i] = vse_card_apdus(cards[i]);
		pthread_mutex_lock(&cards[i]->lock);
		write_errors[i] = cards[i]->write_errors;
		pthread_mutex_unlock(&cards[i]->lock);
	}
	print_accounts();
	printf("# %lu succeeded (%lu APDUs), %lu EFAULT, %lu ENOTTY; card APDUs: normal %lu, garbage %lu, extended %lu, slow %lu (%lu late answers refused); raw card made %lu times, %lu requests read, %lu answered\n",
	       successes, transmits_ok, efaults, enottys, apdus[C_NORMAL],
	       apdus[C_GARBAGE], apdus[C_EXTENDED], apdus[C_SLOW],
	       write_errors[C_SLOW], raw.created, raw.reads, raw.answered);
	/* late answers of the slow card were refused as stale */
	pthread_mutex_lock(&cards[C_SLOW]->lock);
	if (cards[C_SLOW]->write_errors &&
	    cards[C_SLOW]->last_write_errno != ESTALE) {
		printf("# slow card: a late answer refused with %s, not ESTALE\n",
		       strerror(cards[C_SLOW]->last_write_errno));
		unexpected_card++;
	}
	pthread_mutex_unlock(&cards[C_SLOW]->lock);

	result(!unexpected_errno, "%lu unexpected",
	       unexpected_errno);
	result(!unexpected_ptr, "%lu unexpected", unexpected_ptr);
	result(!unexpected_card, "%lu unexpected",
	       unexpected_card);
	result(!unexpected_gone, "%lu unexpected",
	       unexpected_gone);

	/* calm cards for the checks */
	param_write(PARAM_TIMEOUT_MS, saved_timeout);
	vse_card_set_delay(cards[C_SLOW], 0);
	vse_card_set_mode(cards[C_GARBAGE], VSE_MODE_GARBAGE);

	ok = list_consistent(ctl, why, sizeof(why));
	result(ok, "%s", ok ? "SE list, sysfs and /dev agree" : why);

	for (i = 2; i < (int)nnodes; i++)
		if (nodes[i].kind == NODE_SE && close(nodes[i].fd))
			bad_close++;
	raw_close_se_fd();
	ok = !bad_close;
	snprintf(why, sizeof(why), "%d /dev/secelN files failed to close",
		 bad_close);
	for (i = 0; ok && i < NCARDS; i++)
		if (i != C_GARBAGE)
			ok = channels_free(ctl, i, why, sizeof(why));
	result(ok, "%s", ok ? "every channel free" : why);

	ok = true;
	if (raw.fd >= 0) {
		raw_unplug();
		ok = !unexpected_gone;
	}
	for (i = 0; i < NCARDS; i++) {
		unsigned int idx = cards[i]->index;

		vse_card_free(cards[i]);
		if (ok && !secel_wait_gone(idx, 10000)) {
			snprintf(why, sizeof(why), "secel%u stays", idx);
			ok = false;
		}
	}
	if (ok && (close(nodes[0].fd) || close(nodes[1].fd))) {
		snprintf(why, sizeof(why), "closing a node: %s",
			 strerror(errno));
		ok = false;
	}
	result(ok, "%s", ok ? "every file closed" : why);
	alarm(0);
	printf("# ioctl fuzz: %lu calls, seed %lu, %lld s, %lu unexpected\n",
	       calls, seed, elapsed / 1000,
	       unexpected_errno + unexpected_ptr + unexpected_card +
	       unexpected_gone);
	return tests_failed ? 1 : 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * secel - access control: the rule table and its enforcement
 *
 * The table is global, replaced as a whole through /dev/secel-ctl and read
 * under RCU: an exchange is judged by the table it found, old or new.
 *
 * Enforcement sits on the two ioctls that reach the card, TRANSMIT and
 * OPEN_CHANNEL, before anything is sent.  The core follows which
 * application each logical channel of the SE has selected (se->acl_chan,
 * under io_lock):
 *
 *  - SELECT by DF name (P1 04) is judged by the AID it names: the AID
 *    itself for the first occurrence, every AID beginning with it for the
 *    others (next, last, previous).  Once the card answered, the channel
 *    has selected the application whose DF name (tag 84) the answer gives,
 *    or, when it gives none, any application beginning with the AID.  A
 *    SELECT the card refused leaves the channel as it was.
 *  - SELECT of an EF under the current DF (P1 02) stays in the current
 *    application and is judged as one of its commands.  Every other
 *    SELECT (by file identifier, child or parent DF, path) may leave the
 *    application: it is judged as reaching an unknown application and
 *    leaves the channel's application unknown.
 *  - A chained SELECT (CLA b5) and the SELECT that ends a chain carry only
 *    part of the name, and one under secure messaging (CLA b4-b3) no
 *    plain name at all: unknown too.  ENVELOPE may wrap any command,
 *    SELECT included: it leaves the channel's application unknown.
 *  - After power-on, reset, and on a channel opened without an AID, the
 *    card's default application is selected: unknown.
 *  - GET RESPONSE belongs to the exchange it continues: it passes when
 *    the channel's previous command was allowed for the same caller;
 *    otherwise it is judged like any other command.  ENVELOPE is judged
 *    by the channel's application each time (each may carry a command).
 *  - Any other command is judged by the channel's application.
 *
 * The caller is the task making the call (its effective uid and groups),
 * not the file's opener: a descriptor passed on or inherited carries no
 * rights of its own.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "secel-internal.h"

#define SECEL_INS_SELECT	0xa4
#define SECEL_INS_GET_RESPONSE	0xc0

/**
 * struct secel_acl_table_k - one generation of the rule table
 * @rcu: freed after a grace period
 * @count: number of rules
 * @flags: SECEL_ACL_DEFAULT_ALLOW or zero
 * @generation: bumped by each replacement
 * @has_cin: a rule selects SEs by CIN
 * @rules: the rules, in order
 */
struct secel_acl_table_k {
	struct rcu_head rcu;
	u32 count;
	u32 flags;
	u32 generation;
	bool has_cin;
	struct secel_acl_rule rules[];
};

static struct secel_acl_table_k __rcu *secel_acl_table;
static DEFINE_MUTEX(secel_acl_lock);	/* writers of secel_acl_table */
static u32 secel_acl_generation;

/* What a command from userspace is, for the rules. */
enum secel_acl_kind {
	SECEL_ACL_CMD,		/* a command to the channel's application */
	SECEL_ACL_SEL_BY_NAME,	/* SELECT P1 04: the target is named */
	SECEL_ACL_SEL_AWAY,	/* SELECT that may leave the application */
	SECEL_ACL_CONT,		/* GET RESPONSE */
	SECEL_ACL_ENVELOPE,	/* ENVELOPE: may carry a SELECT */
};

static bool secel_acl_in_group(u32 gid, void *arg)
{
	return in_egroup_p(make_kgid(&init_user_ns, gid));
}

static u32 secel_acl_caller(void)
{
	return from_kuid_munged(&init_user_ns, current_euid());
}

/**
 * secel_acl_caller_is() - may the caller take what @uid was given?
 * @uid: the effective uid an exchange was allowed for
 *
 * A response kept for SECEL_TX_KEPT belongs to the exchange that made it:
 * while rules are in force, only a caller of the same uid takes it (a
 * descriptor shared after fork is no way around the rules).
 *
 * Return: true when no rules are in force or the caller's uid is @uid.
 */
bool secel_acl_caller_is(u32 uid)
{
	return !rcu_access_pointer(secel_acl_table) ||
	       secel_acl_caller() == uid;
}

/**
 * secel_acl_caller_id() - the caller's identity for the rules
 *
 * Return: the effective uid, in the initial user namespace.
 */
u32 secel_acl_caller_id(void)
{
	return secel_acl_caller();
}

/**
 * secel_acl_forget_locked() - the card chose the application itself
 * @se: the SE; caller holds io_lock
 * @channel: the channel, or -1 for every channel (power-on, reset)
 */
void secel_acl_forget_locked(struct secel_se *se, int channel)
{
	unsigned int ch;

	for (ch = 0; ch < SECEL_MAX_CHANNELS; ch++)
		if (channel < 0 || ch == channel)
			memset(&se->acl_chan[ch], 0, sizeof(se->acl_chan[ch]));
}

/* The target of a SELECT by DF name: @aid as given, P2 as given. */
static void secel_acl_name_target(struct secel_acl_target *t, const u8 *aid,
				  u32 aid_len, u8 p2)
{
	memset(t, 0, sizeof(*t));
	if (!aid_len || aid_len > SECEL_AID_MAX)
		return;		/* the default application, or no AID */
	t->sel = (p2 & 0x03) ? SECEL_ACL_SEL_PREFIX : SECEL_ACL_SEL_NAME;
	t->aid_len = aid_len;
	memcpy(t->aid, aid, aid_len);
}

static void secel_acl_describe(const struct secel_acl_target *t, char *buf,
			       size_t size)
{
	static const char * const what[] = {
		[SECEL_ACL_SEL_UNKNOWN] = "unknown application",
		[SECEL_ACL_SEL_EXACT] = "AID",
		[SECEL_ACL_SEL_PREFIX] = "AIDs beginning",
		[SECEL_ACL_SEL_NAME] = "SELECT AID",
	};

	if (t->sel == SECEL_ACL_SEL_UNKNOWN)
		snprintf(buf, size, "%s", what[0]);
	else
		snprintf(buf, size, "%s %*phN", what[t->sel], t->aid_len,
			 t->aid);
}

/*
 * Judge a caller reaching @t with the command header @hdr (NULL for the
 * SELECT that names @t: a SECEL_ACL_FILTER rule lets it select).
 * Return: 0 or -EACCES.
 */
static int secel_acl_judge(struct secel_se *se, unsigned int channel,
			   const struct secel_acl_target *t, const u8 *hdr)
{
	struct secel_acl_table_k *tab;
	const struct secel_acl_rule *filter;
	struct secel_acl_who who = {
		.uid = secel_acl_caller(),
		.in_group = secel_acl_in_group,
	};
	struct secel_acl_se ase = {
		.kind = se->desc.kind,
		.name = se->name,
	};
	u8 cin[SECEL_CIN_MAX];
	bool ok = true, need_cin;
	char what[64];
	u32 verdict;

	rcu_read_lock();
	tab = rcu_dereference(secel_acl_table);
	need_cin = tab && tab->has_cin;
	rcu_read_unlock();
	if (!tab)
		return 0;
	/* the CIN lives under the list lock, a mutex: copy it first */
	if (need_cin) {
		secel_info_lock();
		if (se->items[SECEL_ITEM_CIN].data &&
		    se->items[SECEL_ITEM_CIN].len <= sizeof(cin)) {
			ase.cin_len = se->items[SECEL_ITEM_CIN].len;
			memcpy(cin, se->items[SECEL_ITEM_CIN].data,
			       ase.cin_len);
			ase.cin = cin;
		}
		secel_info_unlock();
	}

	rcu_read_lock();
	tab = rcu_dereference(secel_acl_table);
	if (tab) {
		verdict = secel_acl_decide(tab->rules, tab->count, tab->flags,
					   &ase, &who, t, &filter);
		if (verdict == SECEL_ACL_DENY)
			ok = false;
		else if (verdict == SECEL_ACL_FILTER && hdr)
			ok = secel_acl_filter_match(filter, hdr);
	}
	rcu_read_unlock();
	if (ok)
		return 0;

	secel_acl_describe(t, what, sizeof(what));
	dev_notice_ratelimited(&se->dev,
			       "access denied: uid %u pid %d comm %s, %s, channel %u, %s, INS %02X\n",
			       who.uid, task_pid_nr(current), current->comm,
			       se->name, channel, what, hdr ? hdr[1] : 0xa4);
	return -EACCES;
}

/**
 * secel_acl_check_transmit() - may the caller send this command?
 * @se: the SE; caller holds io_lock
 * @channel: the logical channel
 * @cmd: the command, valid, in basic-channel form
 * @a: its parse
 * @ac: filled in for secel_acl_after_transmit()
 *
 * Return: 0, or -EACCES (logged) when the rules refuse it.
 */
int secel_acl_check_transmit(struct secel_se *se, unsigned int channel,
			     const u8 *cmd, const struct secel_apdu *a,
			     struct secel_acl_cmd *ac)
{
	struct secel_acl_chan *c = &se->acl_chan[channel];
	const u8 *hdr = cmd;
	bool sm;

	memset(ac, 0, sizeof(*ac));
	ac->chain = cmd[0] & 0x10;
	/* under secure messaging the data field is no plain AID */
	sm = cmd[0] & 0x0c;
	switch (cmd[1]) {
	case SECEL_INS_SELECT:
		if (cmd[2] == 0x02) {
			ac->kind = SECEL_ACL_CMD;	/* an EF of this DF */
			break;
		}
		if (cmd[2] == 0x04 && !ac->chain && !c->chained && !sm) {
			ac->kind = SECEL_ACL_SEL_BY_NAME;
			secel_acl_name_target(&ac->target, cmd + a->data_off,
					      a->nc, cmd[3]);
			if (ac->target.sel != SECEL_ACL_SEL_UNKNOWN)
				hdr = NULL;	/* selecting is reaching */
			return secel_acl_judge(se, channel, &ac->target, hdr);
		}
		ac->kind = SECEL_ACL_SEL_AWAY;
		return secel_acl_judge(se, channel, &ac->target, hdr);
	case SECEL_INS_GET_RESPONSE:
		ac->kind = SECEL_ACL_CONT;
		break;
	case 0xc2:
	case 0xc3:
		ac->kind = SECEL_ACL_ENVELOPE;
		break;
	default:
		ac->kind = SECEL_ACL_CMD;
		break;
	}
	/*
	 * GET RESPONSE only fetches what the previous command answered.  Not
	 * ENVELOPE: each one may carry a new command to the application the
	 * last one left.
	 */
	if (ac->kind == SECEL_ACL_CONT && c->cont &&
	    c->cont_uid == secel_acl_caller())
		return 0;
	return secel_acl_judge(se, channel, &c->sel, hdr);
}

/* The application a successful SELECT by name has made current. */
static void secel_acl_selected(struct secel_acl_chan *c,
			       const struct secel_acl_target *asked,
			       const u8 *rsp, size_t rsp_len)
{
	const u8 *tmpl = NULL, *name = NULL;
	size_t tlen = 0, nlen = 0;
	u16 sw = secel_sw(rsp, rsp_len);

	/* 61xx (SECEL_TX_RAW): selected, the FCI still to fetch */
	if (sw != 0x9000 && (sw >> 8) != 0x61 && (sw >> 8) != 0x62 &&
	    (sw >> 8) != 0x63)
		return;		/* refused: nothing changed */
	c->sel = *asked;
	if (asked->sel == SECEL_ACL_SEL_UNKNOWN)
		return;
	c->sel.sel = SECEL_ACL_SEL_PREFIX;
	/* FCI (6F) or FCP (62) template with the DF name (84) */
	if ((!secel_tlv_find(rsp, rsp_len - 2, 0x6f, &tmpl, &tlen) ||
	     !secel_tlv_find(rsp, rsp_len - 2, 0x62, &tmpl, &tlen)) &&
	    !secel_tlv_find(tmpl, tlen, 0x84, &name, &nlen) &&
	    nlen >= 1 && nlen <= SECEL_AID_MAX) {
		memset(&c->sel, 0, sizeof(c->sel));
		c->sel.sel = SECEL_ACL_SEL_EXACT;
		c->sel.aid_len = nlen;
		memcpy(c->sel.aid, name, nlen);
	}
}

/**
 * secel_acl_after_transmit() - what the command did to the channel
 * @se: the SE; caller holds io_lock
 * @channel: the logical channel
 * @ac: as secel_acl_check_transmit() filled it in
 * @ret: the exchange's result
 * @rsp: the response, when @ret is 0
 * @rsp_len: its length
 */
void secel_acl_after_transmit(struct secel_se *se, unsigned int channel,
			      const struct secel_acl_cmd *ac, int ret,
			      const u8 *rsp, size_t rsp_len)
{
	struct secel_acl_chan *c = &se->acl_chan[channel];

	if (ret) {
		/* the card may or may not have run it */
		if (ac->kind != SECEL_ACL_CMD && ac->kind != SECEL_ACL_CONT)
			secel_acl_forget_locked(se, channel);
		c->cont = false;
		return;
	}
	switch (ac->kind) {
	case SECEL_ACL_SEL_BY_NAME:
		secel_acl_selected(c, &ac->target, rsp, rsp_len);
		break;
	case SECEL_ACL_SEL_AWAY:
	case SECEL_ACL_ENVELOPE:
		memset(&c->sel, 0, sizeof(c->sel));
		break;
	default:
		break;
	}
	c->chained = ac->chain;
	c->cont = true;
	c->cont_uid = secel_acl_caller();
}

/**
 * secel_acl_check_open() - may the caller open a channel selecting @aid?
 * @se: the SE; caller holds io_lock
 * @aid: the AID
 * @aid_len: its length, 0 for the default application
 * @p2: P2 of the SELECT
 * @t: set to the target, for secel_acl_opened()
 *
 * Return: 0, or -EACCES (logged) when the rules refuse it.
 */
int secel_acl_check_open(struct secel_se *se, const u8 *aid, u32 aid_len,
			 u8 p2, struct secel_acl_target *t)
{
	const u8 select[4] = { 0x00, SECEL_INS_SELECT, 0x04, p2 };

	secel_acl_name_target(t, aid, aid_len, p2);
	/* the default application is reached by this very SELECT */
	return secel_acl_judge(se, 0, t,
			       t->sel == SECEL_ACL_SEL_UNKNOWN ? select : NULL);
}

/**
 * secel_acl_opened() - a channel was opened with a SELECT the card took
 * @se: the SE; caller holds io_lock
 * @channel: the new channel
 * @t: the target secel_acl_check_open() set
 * @rsp: the SELECT's response
 * @rsp_len: its length
 */
void secel_acl_opened(struct secel_se *se, unsigned int channel,
		      const struct secel_acl_target *t, const u8 *rsp,
		      size_t rsp_len)
{
	struct secel_acl_chan *c = &se->acl_chan[channel];

	memset(c, 0, sizeof(*c));
	secel_acl_selected(c, t, rsp, rsp_len);
}

/* Copy in and check a table from userspace; the caller frees it. */
static struct secel_acl_table_k *secel_acl_read(const struct secel_acl_table *req)
{
	struct secel_acl_table_k *tab;
	u32 i;

	tab = kvzalloc(struct_size(tab, rules, req->count), GFP_KERNEL);
	if (!tab)
		return ERR_PTR(-ENOMEM);
	tab->count = req->count;
	tab->flags = req->flags;
	if (copy_from_user(tab->rules, u64_to_user_ptr(req->rules_ptr),
			   array_size(req->count, sizeof(tab->rules[0])))) {
		kvfree(tab);
		return ERR_PTR(-EFAULT);
	}
	for (i = 0; i < tab->count; i++) {
		if (secel_acl_rule_check(&tab->rules[i])) {
			kvfree(tab);
			return ERR_PTR(-EINVAL);
		}
		if (tab->rules[i].se_match & SECEL_ACL_SE_CIN)
			tab->has_cin = true;
	}
	return tab;
}

/* A version or rule size the kernel does not know: tell it its own. */
static int secel_acl_version_ok(struct secel_acl_table *req,
				struct secel_acl_table __user *uarg)
{
	if (req->version == SECEL_ACL_VERSION &&
	    req->rule_size == sizeof(struct secel_acl_rule))
		return 0;
	req->version = SECEL_ACL_VERSION;
	req->rule_size = sizeof(struct secel_acl_rule);
	if (copy_to_user(uarg, req, sizeof(*req)))
		return -EFAULT;
	return -EPROTO;
}

/**
 * secel_ctl_acl_set() - SECEL_CTL_ACL_SET: replace the rule table
 * @uarg: struct secel_acl_table
 *
 * Return: 0 or a negative errno; on error the table is as it was.
 */
long secel_ctl_acl_set(struct secel_acl_table __user *uarg)
{
	struct secel_acl_table_k *tab = NULL, *old;
	struct secel_acl_table req;
	long ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if ((req.flags & ~SECEL_ACL_DEFAULT_ALLOW) || req.generation ||
	    req.reserved[0] || req.reserved[1] || req.reserved[2])
		return -EINVAL;
	ret = secel_acl_version_ok(&req, uarg);
	if (ret)
		return ret;
	if (req.count > SECEL_ACL_MAX_RULES)
		return -E2BIG;
	if (req.count) {
		tab = secel_acl_read(&req);
		if (IS_ERR(tab))
			return PTR_ERR(tab);
	}
	/* a struct that cannot take the answer fails before any change */
	if (copy_to_user(uarg, &req, sizeof(req))) {
		kvfree(tab);
		return -EFAULT;
	}

	mutex_lock(&secel_acl_lock);
	req.generation = ++secel_acl_generation;
	if (tab)
		tab->generation = req.generation;
	old = rcu_replace_pointer(secel_acl_table, tab,
				  lockdep_is_held(&secel_acl_lock));
	mutex_unlock(&secel_acl_lock);
	if (old)
		kvfree_rcu(old, rcu);
	pr_info("secel: access rules replaced by uid %u pid %d: %u rules%s, generation %u\n",
		secel_acl_caller(), task_pid_nr(current), req.count,
		req.flags & SECEL_ACL_DEFAULT_ALLOW ? ", default allow" : "",
		req.generation);
	return copy_to_user(uarg, &req, sizeof(req)) ? -EFAULT : 0;
}

/**
 * secel_ctl_acl_get() - SECEL_CTL_ACL_GET: read the rule table
 * @uarg: struct secel_acl_table
 *
 * Anyone who may open /dev/secel-ctl may read the rules: they are the
 * audit record of who may reach what.
 *
 * Return: 0 or a negative errno.
 */
long secel_ctl_acl_get(struct secel_acl_table __user *uarg)
{
	struct secel_acl_table_k *tab;
	struct secel_acl_rule *copy = NULL;
	struct secel_acl_table req;
	u32 room, n = 0;
	long ret = 0;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.flags || req.generation || req.reserved[0] ||
	    req.reserved[1] || req.reserved[2])
		return -EINVAL;
	ret = secel_acl_version_ok(&req, uarg);
	if (ret)
		return ret;
	room = min_t(u32, req.count, SECEL_ACL_MAX_RULES);
	if (room) {
		copy = kvcalloc(room, sizeof(*copy), GFP_KERNEL);
		if (!copy)
			return -ENOMEM;
	}

	mutex_lock(&secel_acl_lock);
	tab = rcu_dereference_protected(secel_acl_table,
					lockdep_is_held(&secel_acl_lock));
	req.generation = secel_acl_generation;
	if (tab) {
		n = tab->count;
		req.flags = tab->flags;
		if (room)
			memcpy(copy, tab->rules, min(n, room) * sizeof(*copy));
	}
	mutex_unlock(&secel_acl_lock);

	if (n && room &&
	    copy_to_user(u64_to_user_ptr(req.rules_ptr), copy,
			 min(n, room) * sizeof(*copy)))
		ret = -EFAULT;
	req.count = n;
	if (!ret && copy_to_user(uarg, &req, sizeof(req)))
		ret = -EFAULT;
	kvfree(copy);
	return ret;
}

/**
 * secel_acl_exit() - free the rule table at module unload
 */
void secel_acl_exit(void)
{
	struct secel_acl_table_k *tab;

	tab = rcu_replace_pointer(secel_acl_table, NULL, true);
	synchronize_rcu();
	kvfree(tab);
}

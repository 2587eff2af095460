// SPDX-License-Identifier: GPL-2.0
/*
 * secel-vcard - the card's content and keys in a state file, so that
 * installed applications survive the card process restarting.
 *
 * A text file, one object per line, hex for bytes:
 *
 *   secel-vcard-state 1
 *   card LIFECYCLE SEQUENCE [KVN:SEQUENCE...]
 *   keyset KVN ENC MAC DEK
 *   loadfile AID VERSION TYPE MODULE
 *   purse AID LOADFILE LIFECYCLE KEY BALANCE MAXIMUM COUNTER
 *   datastore AID LOADFILE LIFECYCLE PIN TRIES TRIES-LEFT RECORD-SIZE REC...
 *   end
 *
 * It is written to a new temporary file beside FILE (FILE.tmpXXXXXX),
 * synced, renamed over FILE, and the directory synced, so that a crash or
 * a power cut leaves the old or the new content, never a mix, and a
 * change once answered stays; a file without its 'end' line is refused.
 *
 * One card process per state file: the one that loads it holds an
 * exclusive flock() on FILE.lock (FILE itself is replaced on every save,
 * so a lock on it would not last) as long as it runs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "card.h"

#define VC_STATE_MAGIC	"secel-vcard-state 1"

static void put_hex(FILE *f, const uint8_t *p, size_t n)
{
	fputc(' ', f);
	if (!n)
		fputc('-', f);
	while (n--)
		fprintf(f, "%02X", *p++);
}

/* Sync the directory of @path, so that a rename in it is on disk. */
static int vc_sync_dir(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, ret = 0;

	if (!slash)
		strcpy(dir, ".");
	else if (slash == path)
		strcpy(dir, "/");
	else if ((size_t)(slash - path) >= sizeof(dir))
		return -ENAMETOOLONG;
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* EINVAL: a file system that cannot sync a directory; nothing to do */
	if (fsync(fd) && errno != EINVAL)
		ret = -errno;
	close(fd);
	return ret;
}

static void vc_state_write(FILE *f, const struct vc_persist *st)
{
	uint32_t top = 0;
	unsigned int i, r;

	/*
	 * Each key set has its own counter, KVN:SEQUENCE on the card line
	 * (what moves with every session stays on one line); SEQUENCE
	 * before them is the highest, so that an older secel-vcard, which
	 * had one for all, never counts back to a value already used.
	 */
	for (i = 0; i < VC_KEYSETS; i++)
		if (st->keys[i].kvn && st->keyseq[i] > top)
			top = st->keyseq[i];
	fprintf(f, VC_STATE_MAGIC "\ncard %02X %06X", st->card_lc,
		(unsigned int)top);
	for (i = 0; i < VC_KEYSETS; i++)
		if (st->keys[i].kvn)
			fprintf(f, " %02X:%06X", st->keys[i].kvn,
				(unsigned int)st->keyseq[i]);
	fputc('\n', f);
	for (i = 0; i < VC_KEYSETS; i++) {
		const struct gp_keyset *ks = &st->keys[i];

		if (!ks->kvn)
			continue;
		fprintf(f, "keyset %02X", ks->kvn);
		put_hex(f, ks->enc, ks->len);
		put_hex(f, ks->mac, ks->len);
		put_hex(f, ks->dek, ks->len);
		fputc('\n', f);
	}
	for (i = 0; i < VC_ELFS; i++) {
		const struct vc_elf *e = &st->elf[i];

		if (!e->used)
			continue;
		fputs("loadfile", f);
		put_hex(f, e->aid, e->aid_len);
		put_hex(f, e->version, 2);
		fprintf(f, " %s", vc_type_name(e->type));
		put_hex(f, e->module, e->module_len);
		fputc('\n', f);
	}
	for (i = 0; i < VC_INSTANCES; i++) {
		const struct vc_inst *in = &st->inst[i];
		const struct vc_elf *e = &st->elf[in->elf];

		if (!in->used)
			continue;
		fputs(in->type == VC_TYPE_PURSE ? "purse" : "datastore", f);
		put_hex(f, in->aid, in->aid_len);
		put_hex(f, e->aid, e->aid_len);
		fprintf(f, " %02X", in->lifecycle);
		if (in->type == VC_TYPE_PURSE) {
			put_hex(f, in->purse.key, 16);
			fprintf(f, " %u %u %u", in->purse.balance,
				in->purse.max, in->purse.counter);
		} else {
			put_hex(f, in->store.pin, in->store.pin_len);
			fprintf(f, " %u %u %u", in->store.tries_max,
				in->store.tries_left, in->store.rec_size);
			for (r = 0; r < in->store.nrec; r++)
				put_hex(f, in->store.rec[r],
					in->store.rec_size);
		}
		fputc('\n', f);
	}
	fputs("end\n", f);
}

int vc_state_save(const struct vcard *vc)
{
	char tmp[PATH_MAX];
	int fd, ret = 0;
	FILE *f;

	if (snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", vc->state_path) >=
	    (int)sizeof(tmp))
		return -ENAMETOOLONG;
	/* a name of its own: never another writer's half-written file */
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		ret = -errno;
		close(fd);
		unlink(tmp);
		return ret;
	}
	vc_state_write(f, &vc->st);
	/*
	 * A write that failed on the way (ENOSPC, EIO) is only remembered
	 * in the stream's error flag: without this check a short file
	 * could be renamed into place.
	 */
	if (ferror(f))
		ret = -EIO;
	else if (fflush(f) || fsync(fd))
		ret = -errno;
	if (fclose(f) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, vc->state_path))
		ret = -errno;
	if (ret) {
		unlink(tmp);
		return ret;
	}
	return vc_sync_dir(vc->state_path);
}

/* FILE.lock, held exclusively while this process uses FILE. */
static int vc_state_lock(struct vcard *vc, const char *path, char *err,
			 size_t err_len)
{
	char lock[PATH_MAX];
	int fd, ret;

	if (snprintf(lock, sizeof(lock), "%s.lock", path) >= (int)sizeof(lock)) {
		snprintf(err, err_len, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, err_len, "%s: %s", lock, strerror(errno));
		return ret;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		ret = -errno;
		close(fd);
		if (ret == -EWOULDBLOCK) {
			snprintf(err, err_len, "%s: in use by another secel-vcard (%s is locked)",
				 path, lock);
			return -EBUSY;
		}
		snprintf(err, err_len, "%s: flock: %s", lock, strerror(-ret));
		return ret;
	}
	if (vc->state_lock >= 0)
		close(vc->state_lock);
	vc->state_lock = fd;
	return 0;
}

struct vc_parser {
	char *save;
	unsigned int line;
	char *err;
	size_t err_len;
	const char *path;
};

static int bad(struct vc_parser *p, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->err_len, "%s:%u: %s", p->path, p->line, msg);
	return -EINVAL;
}

static char *word(struct vc_parser *p)
{
	return strtok_r(NULL, " \t", &p->save);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* A hex field of @min..@max bytes ('-' is empty). */
static int get_hex(struct vc_parser *p, const char *what, uint8_t *out,
		   size_t min, size_t max, size_t *len)
{
	char *w = word(p);
	size_t n = 0;
	int hi, lo;

	if (!w)
		return bad(p, "%s missing", what);
	if (strcmp(w, "-")) {
		for (; w[0]; w += 2) {
			hi = hexval(w[0]);
			lo = w[1] ? hexval(w[1]) : -1;
			if (hi < 0 || lo < 0 || n == max)
				return bad(p, "%s is not %zu to %zu hex bytes",
					   what, min, max);
			out[n++] = (hi << 4) | lo;
		}
	}
	if (n < min)
		return bad(p, "%s is not %zu to %zu hex bytes", what, min, max);
	*len = n;
	return 0;
}

static int get_num(struct vc_parser *p, const char *what, int base,
		   unsigned long max, unsigned long *v)
{
	char *w = word(p), *end;

	if (!w)
		return bad(p, "%s missing", what);
	errno = 0;
	*v = strtoul(w, &end, base);
	if (*w == '-' || *w == '+' || *end || errno || end == w || *v > max)
		return bad(p, "%s '%s' out of range", what, w);
	return 0;
}

static int parse_keyset(struct vc_parser *p, struct vc_persist *st)
{
	struct gp_keyset ks = { 0 };
	unsigned long kvn;
	size_t l1, l2, l3;
	unsigned int i;

	if (get_num(p, "key version", 16, 0x7f, &kvn))
		return -EINVAL;
	if (!kvn)
		return bad(p, "key version 00");
	if (get_hex(p, "ENC key", ks.enc, 16, 32, &l1) ||
	    get_hex(p, "MAC key", ks.mac, 16, 32, &l2) ||
	    get_hex(p, "DEK key", ks.dek, 16, 32, &l3))
		return -EINVAL;
	if (l1 != l2 || l1 != l3 || (l1 != 16 && l1 != 24 && l1 != 32))
		return bad(p, "keys not all 16, 24 or 32 bytes");
	ks.kvn = kvn;
	ks.len = l1;
	for (i = 0; i < VC_KEYSETS; i++)
		if (st->keys[i].kvn == kvn)
			return bad(p, "key version %02lX twice", kvn);
	for (i = 0; i < VC_KEYSETS; i++)
		if (!st->keys[i].kvn) {
			st->keys[i] = ks;
			return 0;
		}
	return bad(p, "more than %d key sets", VC_KEYSETS);
}

static int parse_loadfile(struct vc_parser *p, struct vc_persist *st)
{
	struct vc_elf e = { .used = true };
	size_t len;
	char *type;
	unsigned int i;

	if (get_hex(p, "AID", e.aid, VC_AID_MIN, VC_AID_MAX, &len))
		return -EINVAL;
	e.aid_len = len;
	if (get_hex(p, "version", e.version, 2, 2, &len))
		return -EINVAL;
	type = word(p);
	e.type = type ? vc_type_by_name(type) : 0;
	if (!e.type)
		return bad(p, "unknown application type");
	if (get_hex(p, "module AID", e.module, VC_AID_MIN, VC_AID_MAX, &len))
		return -EINVAL;
	e.module_len = len;
	for (i = 0; i < VC_ELFS; i++)
		if (!st->elf[i].used) {
			st->elf[i] = e;
			return 0;
		}
	return bad(p, "more than %d load files", VC_ELFS);
}

static int parse_instance(struct vc_parser *p, struct vc_persist *st,
			  uint8_t type)
{
	struct vc_inst in = { .used = true, .type = type };
	uint8_t elf_aid[VC_AID_MAX];
	unsigned long v1, v2, v3, lc;
	size_t len, elf_len;
	unsigned int i, r;
	int elf = -1;

	if (get_hex(p, "AID", in.aid, VC_AID_MIN, VC_AID_MAX, &len))
		return -EINVAL;
	in.aid_len = len;
	if (get_hex(p, "load file AID", elf_aid, VC_AID_MIN, VC_AID_MAX,
		    &elf_len))
		return -EINVAL;
	for (i = 0; i < VC_ELFS; i++)
		if (st->elf[i].used && st->elf[i].aid_len == elf_len &&
		    !memcmp(st->elf[i].aid, elf_aid, elf_len))
			elf = i;
	if (elf < 0 || st->elf[elf].type != type)
		return bad(p, "no %s load file with that AID",
			   vc_type_name(type));
	in.elf = elf;
	if (get_num(p, "life cycle", 16, 0xff, &lc))
		return -EINVAL;
	if ((lc & 0x7f) != GP_LC_INSTALLED && (lc & 0x7f) != GP_LC_SELECTABLE)
		return bad(p, "life cycle %02lX", lc);
	in.lifecycle = lc;
	if (type == VC_TYPE_PURSE) {
		if (get_hex(p, "key", in.purse.key, 16, 16, &len) ||
		    get_num(p, "balance", 10, UINT32_MAX, &v1) ||
		    get_num(p, "maximum", 10, UINT32_MAX, &v2) ||
		    get_num(p, "counter", 10, UINT32_MAX, &v3))
			return -EINVAL;
		if (v1 > v2)
			return bad(p, "balance over the maximum");
		in.purse.balance = v1;
		in.purse.max = v2;
		in.purse.counter = v3;
	} else {
		if (get_hex(p, "PIN", in.store.pin, 4, VC_PIN_MAX, &len))
			return -EINVAL;
		in.store.pin_len = len;
		if (get_num(p, "try limit", 10, 15, &v1))
			return -EINVAL;
		if (!v1)
			return bad(p, "try limit 0");
		if (get_num(p, "tries left", 10, v1, &v2) ||
		    get_num(p, "record size", 10, VC_DS_RECSIZE, &v3))
			return -EINVAL;
		if (!v3)
			return bad(p, "record size 0");
		in.store.tries_max = v1;
		in.store.tries_left = v2;
		in.store.rec_size = v3;
		for (r = 0; r < VC_DS_RECORDS + 1; r++) {
			if (!p->save || !*p->save)
				break;
			if (r == VC_DS_RECORDS)
				return bad(p, "more than %d records",
					   VC_DS_RECORDS);
			if (get_hex(p, "record", in.store.rec[r], v3, v3,
				    &len))
				return -EINVAL;
		}
		if (!r)
			return bad(p, "no records");
		in.store.nrec = r;
	}
	if (word(p))
		return bad(p, "trailing fields");
	for (i = 0; i < VC_INSTANCES; i++)
		if (st->inst[i].used && st->inst[i].aid_len == in.aid_len &&
		    !memcmp(st->inst[i].aid, in.aid, in.aid_len))
			return bad(p, "instance AID twice");
	for (i = 0; i < VC_INSTANCES; i++)
		if (!st->inst[i].used) {
			st->inst[i] = in;
			return 0;
		}
	return bad(p, "more than %d instances", VC_INSTANCES);
}

/* Parse @text (NUL-terminated, modified) into @st. */
int vc_state_parse(char *text, struct vc_persist *st, const char *path,
		   char *err, size_t err_len)
{
	struct vc_parser p = { .err = err, .err_len = err_len, .path = path };
	char *line, *next, *kw;
	unsigned long lc, seq = 0, kseq[VC_KEYSETS], kkvn[VC_KEYSETS];
	unsigned int nk = 0, i, j;
	char *w, *end;
	bool ended = false;
	int ret = 0;

	memset(st, 0, sizeof(*st));
	for (line = text; line && !ret; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		else if (!*line)
			break;
		p.line++;
		if (ended)
			return bad(&p, "text after 'end'");
		if (p.line == 1) {
			if (strcmp(line, VC_STATE_MAGIC))
				return bad(&p, "not a secel-vcard state file");
			continue;
		}
		kw = strtok_r(line, " \t", &p.save);
		if (!kw)
			return bad(&p, "empty line");
		if (!strcmp(kw, "card")) {
			if (get_num(&p, "life cycle", 16, 0xff, &lc) ||
			    get_num(&p, "sequence counter", 16, 0xffffff,
				    &seq))
				return -EINVAL;
			st->card_lc = lc;
			/* KVN:SEQUENCE of each key set; none in older files */
			while ((w = word(&p))) {
				errno = 0;
				if (nk == VC_KEYSETS)
					return bad(&p, "more than %d key set counters",
						   VC_KEYSETS);
				kkvn[nk] = strtoul(w, &end, 16);
				if (*end != ':' || end == w || !kkvn[nk] ||
				    kkvn[nk] > 0x7f)
					return bad(&p, "'%s' is not KVN:SEQUENCE", w);
				w = end + 1;
				kseq[nk] = strtoul(w, &end, 16);
				if (*w == '-' || *w == '+' || *end || errno ||
				    end == w || kseq[nk] > 0xffffff)
					return bad(&p, "sequence counter '%s' out of range",
						   w);
				nk++;
			}
		} else if (!strcmp(kw, "keyset")) {
			ret = parse_keyset(&p, st);
		} else if (!strcmp(kw, "loadfile")) {
			ret = parse_loadfile(&p, st);
		} else if (!strcmp(kw, "purse")) {
			ret = parse_instance(&p, st, VC_TYPE_PURSE);
		} else if (!strcmp(kw, "datastore")) {
			ret = parse_instance(&p, st, VC_TYPE_DATASTORE);
		} else if (!strcmp(kw, "end")) {
			ended = true;
		} else {
			return bad(&p, "unknown line '%s'", kw);
		}
	}
	if (ret)
		return ret;
	if (!ended)
		return bad(&p, "no 'end' line: the file is cut short");
	if (st->card_lc != GP_LC_CARD_SECURED &&
	    st->card_lc != GP_LC_CARD_INITIALIZED &&
	    st->card_lc != GP_LC_CARD_OP_READY &&
	    st->card_lc != GP_LC_CARD_LOCKED &&
	    st->card_lc != GP_LC_CARD_TERMINATED)
		return bad(&p, "card life cycle %02X", st->card_lc);
	if (!st->keys[0].kvn)
		return bad(&p, "no key set");
	/* a key set without its own counter starts from the shared one */
	for (i = 0; i < VC_KEYSETS; i++) {
		st->keyseq[i] = st->keys[i].kvn ? seq : 0;
		for (j = 0; j < nk; j++)
			if (kkvn[j] == st->keys[i].kvn)
				st->keyseq[i] = kseq[j];
	}
	return 0;
}

int vc_state_load(struct vcard *vc, const char *path, char *err,
		  size_t err_len)
{
	struct vc_persist st;
	char *text;
	long size;
	FILE *f;
	int ret;

	ret = vc_state_lock(vc, path, err, err_len);
	if (ret)
		return ret;
	vc->state_path = path;
	f = fopen(path, "re");
	if (!f) {
		if (errno != ENOENT) {
			ret = -errno;
			snprintf(err, err_len, "%s: %s", path, strerror(errno));
			return ret;
		}
		/* a new card: the defaults, written now */
		ret = vc_state_save(vc);
		if (ret)
			snprintf(err, err_len, "%s: %s", path, strerror(-ret));
		else
			vc->saved = vc->st;
		return ret;
	}
	if (fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET)) {
		snprintf(err, err_len, "%s: cannot read", path);
		fclose(f);
		return -EIO;
	}
	if (size > 1 << 20) {
		snprintf(err, err_len, "%s: larger than 1 MiB", path);
		fclose(f);
		return -EFBIG;
	}
	text = malloc(size + 1);
	if (!text || fread(text, 1, size, f) != (size_t)size) {
		snprintf(err, err_len, "%s: cannot read", path);
		free(text);
		fclose(f);
		return -EIO;
	}
	fclose(f);
	text[size] = 0;
	if (strlen(text) != (size_t)size) {
		snprintf(err, err_len, "%s: NUL byte in a text file", path);
		free(text);
		return -EINVAL;
	}
	ret = vc_state_parse(text, &st, path, err, err_len);
	free(text);
	if (!ret) {
		vc->st = st;
		vc->saved = st;
	}
	return ret;
}

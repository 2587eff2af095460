// SPDX-License-Identifier: GPL-2.0
/*
 * secel-tsm - what the options say: the key file, the services of the
 * catalogue, the fault knobs, and the two headers a relay describes its
 * SE with.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tsm.h"

static const struct {
	const char *name;
	unsigned int bit;
} faults[] = {
	{ "tamper-mac", TSM_FAULT_TAMPER_MAC },
	{ "bad-script", TSM_FAULT_BAD_SCRIPT },
	{ "wrong-cin", TSM_FAULT_WRONG_CIN },
	{ "bad-params", TSM_FAULT_BAD_PARAMS },
	{ "drop-session", TSM_FAULT_DROP_SESSION },
	{ "slow-control", TSM_FAULT_SLOW_CONTROL },
};

int tsm_parse_fault(const char *name, unsigned int *out)
{
	size_t i;

	for (i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		if (!strcmp(name, faults[i].name)) {
			*out |= faults[i].bit;
			return 0;
		}
	}
	return -EINVAL;
}

const char *tsm_fault_names(void)
{
	return "tamper-mac, bad-script, wrong-cin, bad-params, drop-session, slow-control";
}

/* Exactly @min..@max bytes of hex (no spaces) into @out; length or -1. */
static int hex_field(const char *s, uint8_t *out, size_t min, size_t max)
{
	size_t len = strlen(s);
	int n;

	if (!len || len % 2 || len / 2 < min || len / 2 > max ||
	    strchr(s, ' ') || strchr(s, ':'))
		return -1;
	n = ram_unhex(s, out, max);
	return n < 0 || (size_t)n < min ? -1 : n;
}

/* "KVN:ENC:MAC:DEK" or "KVN:KEY" (the three keys alike) */
int tsm_parse_keyset(const char *spec, struct gp_keyset *ks, char *err,
		     size_t room)
{
	char buf[256], *f[5], *p, *end;
	unsigned long kvn;
	size_t n = 0;
	int len;

	memset(ks, 0, sizeof(*ks));
	if (strlen(spec) >= sizeof(buf)) {
		snprintf(err, room, "key set too long");
		return -EINVAL;
	}
	strcpy(buf, spec);
	for (p = buf; n < 5; n++) {
		f[n] = p;
		p = strchr(p, ':');
		if (!p) {
			n++;
			break;
		}
		*p++ = '\0';
	}
	if (n != 2 && n != 4) {
		snprintf(err, room, "'%s' is not KVN:ENC:MAC:DEK", spec);
		return -EINVAL;
	}
	errno = 0;
	kvn = strtoul(f[0], &end, 16);
	if (errno || *end || end == f[0] || strlen(f[0]) > 2 || !kvn ||
	    kvn > 0x7f) {
		snprintf(err, room, "key version '%s' is not hex 01 to 7F", f[0]);
		return -EINVAL;
	}
	ks->kvn = kvn;
	len = hex_field(f[1], ks->enc, 16, 32);
	if (len != 16 && len != 24 && len != 32) {
		snprintf(err, room, "ENC key is not 16, 24 or 32 bytes of hex");
		return -EINVAL;
	}
	ks->len = len;
	if (n == 2) {
		memcpy(ks->mac, ks->enc, len);
		memcpy(ks->dek, ks->enc, len);
		return 0;
	}
	if (hex_field(f[2], ks->mac, 16, 32) != len ||
	    hex_field(f[3], ks->dek, 16, 32) != len) {
		snprintf(err, room, "MAC and DEK keys must be hex as long as the ENC key (%d bytes)",
			 len);
		return -EINVAL;
	}
	return 0;
}

int tsm_read_keys(const char *path, struct tsm_keys **keys, size_t *count,
		  char *err, size_t room)
{
	struct tsm_keys *k = NULL, *nk;
	char line[1024], why[256], *cin, *spec, *extra, *p;
	unsigned int lineno = 0;
	size_t n = 0, i, cap = 0;
	FILE *f;
	int len;

	f = fopen(path, "re");
	if (!f) {
		snprintf(err, room, "%s: %s", path, strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, room, "%s:%u: line too long", path, lineno);
			goto bad;
		}
		p = strchr(line, '#');
		if (p)
			*p = '\0';
		cin = strtok(line, " \t\r\n");
		if (!cin)
			continue;
		spec = strtok(NULL, " \t\r\n");
		extra = strtok(NULL, " \t\r\n");
		if (!spec || extra) {
			snprintf(err, room, "%s:%u: not 'CIN KVN:ENC:MAC:DEK' (or '* KVN:ENC:MAC:DEK')",
				 path, lineno);
			goto bad;
		}
		if (n == TSM_KEYS_MAX) {
			snprintf(err, room, "%s:%u: more than %d key lines",
				 path, lineno, TSM_KEYS_MAX);
			goto bad;
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			nk = realloc(k, cap * sizeof(*k));
			if (!nk) {
				snprintf(err, room, "%s: out of memory", path);
				goto bad;
			}
			k = nk;
		}
		memset(&k[n], 0, sizeof(k[n]));
		if (!strcmp(cin, "*")) {
			k[n].any = true;
		} else {
			len = hex_field(cin, k[n].cin, 1, TSM_CIN_MAX);
			if (len < 0) {
				snprintf(err, room, "%s:%u: CIN '%s' is not 1 to %d bytes of hex",
					 path, lineno, cin, TSM_CIN_MAX);
				goto bad;
			}
			k[n].cin_len = len;
		}
		if (tsm_parse_keyset(spec, &k[n].ks, why, sizeof(why))) {
			snprintf(err, room, "%s:%u: %s", path, lineno, why);
			goto bad;
		}
		for (i = 0; i < n; i++) {
			if (k[i].any == k[n].any && k[i].cin_len == k[n].cin_len &&
			    !memcmp(k[i].cin, k[n].cin, k[n].cin_len)) {
				snprintf(err, room, "%s:%u: CIN %s given twice",
					 path, lineno, cin);
				goto bad;
			}
		}
		n++;
	}
	if (ferror(f)) {
		snprintf(err, room, "%s: %s", path, strerror(errno));
		goto bad;
	}
	fclose(f);
	if (!n) {
		snprintf(err, room, "%s: no keys in it", path);
		free(k);
		return -EINVAL;
	}
	*keys = k;
	*count = n;
	return 0;
bad:
	fclose(f);
	if (k)
		memset(k, 0, cap * sizeof(*k));
	free(k);
	return -EINVAL;
}

static uint8_t *read_whole(const char *path, size_t max, size_t *len,
			   char *err, size_t room)
{
	struct stat sb;
	uint8_t *buf;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, room, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
		snprintf(err, room, "%s: not a regular file", path);
		close(fd);
		return NULL;
	}
	if ((unsigned long long)sb.st_size > max) {
		snprintf(err, room, "%s: %lld bytes, more than %zu", path,
			 (long long)sb.st_size, max);
		close(fd);
		return NULL;
	}
	buf = malloc(sb.st_size + 1);
	if (!buf) {
		snprintf(err, room, "%s: out of memory", path);
		close(fd);
		return NULL;
	}
	n = read(fd, buf, sb.st_size);
	close(fd);
	if (n != sb.st_size) {
		snprintf(err, room, "%s: short read", path);
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

/* NAME:LOADFILE:INSTANCE-AID[:PARAMS-HEX] */
int tsm_parse_service(const char *spec, struct tsm_service *svc, char *err,
		      size_t room)
{
	char buf[4096 + 256], *name, *path, *aid, *params, *p;
	const char *why;
	struct gp_tlv t;
	size_t off = 0;
	int n, ret;

	memset(svc, 0, sizeof(*svc));
	if (strlen(spec) >= sizeof(buf)) {
		snprintf(err, room, "too long");
		return -EINVAL;
	}
	strcpy(buf, spec);
	name = buf;
	path = strchr(name, ':');
	aid = path ? strchr(path + 1, ':') : NULL;
	if (!path || !aid) {
		snprintf(err, room, "'%s' is not NAME:LOADFILE:INSTANCE-AID[:PARAMS-HEX]",
			 spec);
		return -EINVAL;
	}
	*path++ = '\0';
	*aid++ = '\0';
	params = strchr(aid, ':');
	if (params)
		*params++ = '\0';
	if (!*name || strlen(name) > TSM_NAME_MAX) {
		snprintf(err, room, "service name '%s' is not 1 to %d characters",
			 name, TSM_NAME_MAX);
		return -EINVAL;
	}
	for (p = name; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
		      *p == '.')) {
			snprintf(err, room, "service name '%s': only letters, digits, '-', '_' and '.'",
				 name);
			return -EINVAL;
		}
	}
	strcpy(svc->name, name);
	n = hex_field(aid, svc->app, GP_AID_MIN, GP_AID_MAX);
	if (n < 0) {
		snprintf(err, room, "%s: instance AID '%s' is not 5 to 16 bytes of hex",
			 name, aid);
		return -EINVAL;
	}
	svc->app_len = n;
	if (params && *params) {
		n = hex_field(params, svc->params, 1, TSM_PARAMS_MAX);
		if (n < 0) {
			snprintf(err, room, "%s: parameters '%s' are not 1 to %d bytes of hex",
				 name, params, TSM_PARAMS_MAX);
			return -EINVAL;
		}
		svc->params_len = n;
		while ((ret = gp_tlv_next(svc->params, svc->params_len, &off,
					  &t)) > 0)
			;
		if (ret < 0) {
			snprintf(err, room, "%s: parameters are not BER-TLV",
				 name);
			return -EINVAL;
		}
	}
	svc->lf = read_whole(path, GP_LF_MAX, &svc->lf_len, err, room);
	if (!svc->lf)
		return -EINVAL;
	if (gp_lf_parse(svc->lf, svc->lf_len, &svc->info, &why)) {
		snprintf(err, room, "%s: %s is not a secel load file: %s", name,
			 path, why);
		tsm_service_free(svc);
		return -EINVAL;
	}
	why = gp_install_params_missing(svc->info.type, svc->params,
					svc->params_len);
	if (why) {
		snprintf(err, room, "%s: %s (the PARAMS-HEX of --service NAME:LOADFILE:INSTANCE:PARAMS-HEX)",
			 name, why);
		tsm_service_free(svc);
		return -EINVAL;
	}
	svc->purse = !strcmp(svc->info.type, "secel.purse");
	if (svc->purse &&
	    gp_tlv_find(svc->params, svc->params_len, 0xdf10, &t) == 1) {
		snprintf(err, room, "%s: the purse's key (DF10) is the TSM's to make, not a parameter",
			 name);
		tsm_service_free(svc);
		return -EINVAL;
	}
	if (svc->purse && svc->params_len + 19 > TSM_PARAMS_MAX) {
		snprintf(err, room, "%s: parameters too long for the purse key beside them",
			 name);
		tsm_service_free(svc);
		return -EINVAL;
	}
	return 0;
}

void tsm_service_free(struct tsm_service *svc)
{
	free(svc->lf);
	svc->lf = NULL;
	svc->lf_len = 0;
}

int tsm_parse_from(const char *from, uint8_t *cin, size_t *cin_len,
		   uint8_t *sd, size_t *sd_len)
{
	static const char se[] = "//se-id/cin/", name[] = "//se-id/name/";
	static const char aa[] = "//aa-id/aid/";
	char hex[2 * TSM_CIN_MAX + 1], aid[64];
	const char *semi;
	size_t len;
	int n;

	*cin_len = 0;
	*sd_len = 0;
	if (!strncmp(from, name, sizeof(name) - 1))
		return -ENOENT;
	if (strncmp(from, se, sizeof(se) - 1))
		return -EINVAL;
	from += sizeof(se) - 1;
	semi = strchr(from, ';');
	len = semi ? (size_t)(semi - from) : strlen(from);
	if (!len || len >= sizeof(hex))
		return -EINVAL;
	memcpy(hex, from, len);
	hex[len] = '\0';
	n = hex_field(hex, cin, 1, TSM_CIN_MAX);
	if (n < 0)
		return -EINVAL;
	*cin_len = n;
	if (!semi)
		return 0;
	from = semi + 1;
	if (strncmp(from, aa, sizeof(aa) - 1))
		return -EINVAL;
	/* "//aa-id/aid/RID/PIX" is "//aa-id" and "//aid/RID/PIX" less a '/' */
	len = strlen(from + 7);
	if (len + 1 >= sizeof(aid))
		return -EINVAL;
	aid[0] = '/';
	memcpy(aid + 1, from + 7, len + 1);
	n = ram_aid_parse(aid, sd, GP_AID_MAX);
	if (n < 0)
		return -EINVAL;
	*sd_len = n;
	return 0;
}

int tsm_parse_se_info(const char *info, unsigned int *channel, char *name,
		      size_t name_room, bool *extended)
{
	const char *p = info, *end, *eq;
	unsigned long v;
	size_t klen, vlen, i;
	char num[8];

	*channel = 0;
	*extended = false;
	if (name_room)
		name[0] = '\0';
	while (*p) {
		end = strchr(p, ';');
		if (!end)
			end = p + strlen(p);
		eq = memchr(p, '=', end - p);
		if (!eq)
			return -EINVAL;
		klen = eq - p;
		vlen = end - eq - 1;
		if (klen == 7 && !memcmp(p, "channel", 7)) {
			if (!vlen || vlen >= sizeof(num))
				return -EINVAL;
			for (i = 0; i < vlen; i++)
				if (eq[1 + i] < '0' || eq[1 + i] > '9')
					return -EINVAL;
			memcpy(num, eq + 1, vlen);
			num[vlen] = '\0';
			v = strtoul(num, NULL, 10);
			if (v > 19)
				return -EINVAL;
			*channel = v;
		} else if (klen == 8 && !memcmp(p, "extended", 8)) {
			if (vlen != 1 || (eq[1] != '0' && eq[1] != '1'))
				return -EINVAL;
			*extended = eq[1] == '1';
		} else if (klen == 4 && !memcmp(p, "name", 4) && name_room) {
			/* kept for the records: the safe characters only */
			for (i = 0; i < vlen && i < name_room - 1; i++) {
				char c = eq[1 + i];

				name[i] = (c >= 'a' && c <= 'z') ||
					  (c >= 'A' && c <= 'Z') ||
					  (c >= '0' && c <= '9') || c == '-' ||
					  c == '_' || c == '.' ? c : '_';
			}
			name[i] = '\0';
		}
		p = *end ? end + 1 : end;
	}
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * test-gp-card - the GlobalPlatform card model against the host library,
 * no kernel needed: libsecelgp's host side talks to vcard_apdu() through
 * a transfer function that encodes the logical channel into CLA the way
 * the secel core does.  Covers SCP03 at every level, INSTALL/LOAD/
 * DELETE/GET STATUS with paging, the two native application types,
 * broken-off loads, tampering, PUT KEY and the state file.
 *
 *   make -C tools/secel-vcard test
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "card.h"

static int failures, checks;
static const char *section = "";

static void check(bool ok, const char *fmt, ...)
{
	va_list ap;

	checks++;
	if (ok)
		return;
	failures++;
	fprintf(stderr, "FAIL [%s] ", section);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* the transport: what the core does to CLA, then the card */
static int xfer(void *ctx, unsigned int channel, const uint8_t *cmd,
		size_t len, uint8_t *rsp, size_t *rsp_len)
{
	static uint8_t buf[VC_CMD_MAX], out[VC_RSP_MAX];
	struct vcard *vc = ctx;
	size_t n;
	int cla;

	memcpy(buf, cmd, len);
	cla = gp_cla_channel(cmd[0], channel);
	if (cla < 0)
		return -EINVAL;
	buf[0] = cla;
	n = vcard_apdu(vc, buf, len, out);
	if (n > *rsp_len)
		return -EMSGSIZE;
	memcpy(rsp, out, n);
	*rsp_len = n;
	return 0;
}

static uint16_t raw(struct vcard *vc, unsigned int channel, const char *hex,
		    uint8_t *data, size_t *data_len)
{
	uint8_t cmd[300], rsp[VC_RSP_MAX];
	size_t n = 0, rn = sizeof(rsp);
	unsigned int v;

	while (*hex) {
		if (*hex == ' ') {
			hex++;
			continue;
		}
		if (sscanf(hex, "%2x", &v) != 1)
			abort();
		cmd[n++] = v;
		hex += 2;
	}
	if (xfer(vc, channel, cmd, n, rsp, &rn))
		return 0;
	if (data) {
		memcpy(data, rsp, rn - 2);
		*data_len = rn - 2;
	}
	return (rsp[rn - 2] << 8) | rsp[rn - 1];
}

static void default_keys(struct gp_keyset *ks)
{
	unsigned int i;

	ks->kvn = 0x30;
	ks->len = 16;
	for (i = 0; i < 16; i++)
		ks->enc[i] = ks->mac[i] = ks->dek[i] = 0x40 + i;
}

static const uint8_t purse_elf[] = { 0xa0, 0x00, 0x00, 0x05, 0x53, 0x45,
				     0x43, 0x01 };
static const uint8_t purse_mod[] = { 0xa0, 0x00, 0x00, 0x05, 0x53, 0x45,
				     0x43, 0x01, 0x01 };
static const uint8_t store_elf[] = { 0xa0, 0x00, 0x00, 0x05, 0x53, 0x45,
				     0x43, 0x02 };
static const uint8_t store_mod[] = { 0xa0, 0x00, 0x00, 0x05, 0x53, 0x45,
				     0x43, 0x02, 0x01 };
static const uint8_t purse_key[16] = "0123456789abcdef";

static size_t make_lf(uint8_t *out, bool purse, size_t code)
{
	static uint8_t image[4096];
	struct gp_loadfile lf = { .version = { 1, 0 } };
	size_t i;

	for (i = 0; i < code; i++)
		image[i] = i * 7;
	memcpy(lf.aid, purse ? purse_elf : store_elf, 8);
	lf.aid_len = 8;
	memcpy(lf.module, purse ? purse_mod : store_mod, 9);
	lf.module_len = 9;
	strcpy(lf.type, purse ? "secel.purse" : "secel.datastore");
	lf.code_len = code;
	return gp_lf_build(&lf, image, out, 8192);
}

static struct gp_host host(struct vcard *vc, unsigned int channel)
{
	struct gp_host h = { .xfer = xfer, .ctx = vc, .channel = channel };

	return h;
}

static int open_session(struct gp_host *h, uint8_t level)
{
	struct gp_keyset ks;

	default_keys(&ks);
	return gp_open(h, &ks, level);
}

static size_t count_status(struct gp_host *h, uint8_t p1)
{
	struct gp_status st[32];
	size_t n = 0;
	int ret = gp_get_status(h, p1, st, 32, &n);

	check(!ret, "GET STATUS %02X: %d %s", p1, ret, h->err);
	return n;
}

static size_t purse_params(uint8_t *out, uint32_t max)
{
	uint8_t m[4] = { max >> 24, max >> 16, max >> 8, max };
	size_t n = gp_tlv_put(out, 0xdf10, purse_key, 16);

	return n + gp_tlv_put(out + n, 0xdf11, m, 4);
}

static void install_both(struct vcard *vc, struct gp_host *h)
{
	uint8_t lf[8192], params[64];
	size_t n;
	int ret;

	n = make_lf(lf, true, 1500);
	ret = gp_load(h, lf, n, 0);
	check(!ret, "load purse: %d %s", ret, h->err);
	n = purse_params(params, 5000);
	ret = gp_install(h, purse_elf, 8, purse_mod, 9, purse_mod, 9, params,
			 n);
	check(!ret, "install purse: %d %s", ret, h->err);
	n = make_lf(lf, false, 300);
	ret = gp_load(h, lf, n, 0);
	check(!ret, "load datastore: %d %s", ret, h->err);
	n = gp_tlv_put(params, 0xdf20, (const uint8_t *)"1234", 4);
	ret = gp_install(h, store_elf, 8, store_mod, 9, store_mod, 9, params,
			 n);
	check(!ret, "install datastore: %d %s", ret, h->err);
	(void)vc;
}

static void credit_cmd(char *hex, uint32_t counter, uint32_t amount,
		       bool tamper)
{
	uint8_t msg[32], mac[16];
	size_t i;

	msg[0] = 0x52;
	msg[1] = counter >> 24;
	msg[2] = counter >> 16;
	msg[3] = counter >> 8;
	msg[4] = counter;
	msg[5] = amount >> 24;
	msg[6] = amount >> 16;
	msg[7] = amount >> 8;
	msg[8] = amount;
	memcpy(msg + 9, purse_mod, 9);
	gp_aes_cmac(purse_key, 16, msg, 18, mac);
	if (tamper)
		mac[0] ^= 1;
	hex += sprintf(hex, "80520000 0C %08X", amount);
	for (i = 0; i < 8; i++)
		hex += sprintf(hex, "%02X", mac[i]);
	sprintf(hex, " 08");
}

static void test_levels(void)
{
	static const uint8_t levels[] = { 0x00, 0x01, 0x03, 0x11, 0x13, 0x33 };
	uint8_t out[64];
	size_t i, n;
	struct vc_config cfg;
	struct vcard *vc;
	struct gp_host h;
	int ret;

	section = "levels";
	vc_config_defaults(&cfg);
	vc = vcard_new(&cfg);
	for (i = 0; i < sizeof(levels); i++) {
		h = host(vc, 0);
		ret = open_session(&h, levels[i]);
		check(!ret, "level %02X: open %d %s", levels[i], ret, h.err);
		n = sizeof(out);
		ret = gp_get_data(&h, 0x0066, out, &n);
		check(!ret && n > 10, "level %02X: GET DATA 66 %d %s",
		      levels[i], ret, h.err);
		check(count_status(&h, GP_STATUS_ISD) == 1,
		      "level %02X: ISD status", levels[i]);
	}
	/* key information: three AES-128 keys of version 30 */
	n = sizeof(out);
	ret = gp_get_data(&h, 0x00e0, out, &n);
	check(!ret && n == 18 && out[0] == 0xc0 && out[3] == 0x30 &&
	      out[4] == 0x88 && out[5] == 16, "key information %d", ret);
	/* without a session, content management is refused */
	check(raw(vc, 0, "80F28002024F0000", NULL, NULL) == 0x6982,
	      "GET STATUS without a session");
	/* wrong keys: the card cryptogram does not verify */
	h = host(vc, 0);
	{
		struct gp_keyset ks;

		default_keys(&ks);
		ks.mac[3] ^= 0x55;
		ret = gp_open(&h, &ks, 0x03);
		check(ret == -EBADMSG && strstr(h.err, "wrong keys"),
		      "wrong keys: %d %s", ret, h.err);
		ks.kvn = 0x21;
		ret = gp_open(&h, &ks, 0x03);
		check(ret == 0x6a88, "unknown key version: %d %s", ret, h.err);
	}
	vcard_free(vc);
}

static void test_apps(void)
{
	uint8_t data[300];
	char cmd[128];
	size_t n;
	struct vc_config cfg;
	struct vcard *vc;
	struct gp_host h;
	uint16_t sw;
	int ret, i;

	section = "apps";
	vc_config_defaults(&cfg);
	vc = vcard_new(&cfg);
	h = host(vc, 0);
	ret = open_session(&h, 0x33);
	check(!ret, "open: %d %s", ret, h.err);
	install_both(vc, &h);
	check(count_status(&h, GP_STATUS_APPS) == 3, "3 apps (test applet too)");
	check(count_status(&h, GP_STATUS_LOADFILES) == 2, "2 load files");

	/* the purse on logical channel 1 while the ISD session goes on */
	check(raw(vc, 0, "0070000001", data, &n) == 0x9000 && data[0] == 1,
	      "MANAGE CHANNEL");
	check(raw(vc, 1, "00A4040009A0000005534543010100", NULL, NULL) ==
	      0x9000, "select purse on channel 1");
	sw = raw(vc, 1, "805C000008", data, &n);
	check(sw == 0x9000 && n == 8 && !memcmp(data, "\0\0\0\0\0\0\0\0", 8),
	      "balance 0: %04X", sw);
	credit_cmd(cmd, 0, 700, false);
	sw = raw(vc, 1, cmd, data, &n);
	check(sw == 0x9000 && data[2] == 0x02 && data[3] == 0xbc &&
	      data[7] == 1, "credit 700: %04X", sw);
	credit_cmd(cmd, 0, 700, false);		/* replayed: counter moved */
	check(raw(vc, 1, cmd, NULL, NULL) == 0x6982, "replayed credit");
	credit_cmd(cmd, 1, 100, true);
	check(raw(vc, 1, cmd, NULL, NULL) == 0x6982, "tampered credit MAC");
	credit_cmd(cmd, 1, 4400, false);
	check(raw(vc, 1, cmd, NULL, NULL) == 0x6a84, "credit over maximum");
	check(raw(vc, 1, "8054000004000002BD08", NULL, NULL) == 0x6a85,
	      "debit past the balance");
	sw = raw(vc, 1, "8054000004000000C808", data, &n);
	check(sw == 0x9000 && data[2] == 0x01 && data[3] == 0xf4 &&
	      data[7] == 2, "debit 200: %04X", sw);
	/* the session on channel 0 was not disturbed */
	check(count_status(&h, GP_STATUS_ISD) == 1, "session still open");

	/* the data store on the basic channel: PIN, records, blocking */
	check(raw(vc, 0, "00A4040009A0000005534543020100", NULL, NULL) ==
	      0x9000, "select datastore on channel 0");
	check(raw(vc, 0, "00B2010400", NULL, NULL) == 0x6982,
	      "read before VERIFY");
	check(raw(vc, 0, "00200080", NULL, NULL) == 0x63c3, "3 tries");
	check(raw(vc, 0, "002000800431323334", NULL, NULL) == 0x9000,
	      "VERIFY 1234");
	check(raw(vc, 0, "00DC010405CAFEBABE01", NULL, NULL) == 0x9000,
	      "UPDATE RECORD 1");
	sw = raw(vc, 0, "00B2010400", data, &n);
	check(sw == 0x9000 && n == 32 && data[0] == 0xca && data[4] == 1 &&
	      data[5] == 0, "READ RECORD 1: %04X", sw);
	check(raw(vc, 0, "00B2050400", NULL, NULL) == 0x6a83, "record 5");
	check(raw(vc, 0, "002000800439393939", NULL, NULL) == 0x63c2,
	      "wrong PIN: 2 left");
	check(raw(vc, 0, "00B2010400", NULL, NULL) == 0x6982,
	      "a wrong PIN drops the verified state");
	check(raw(vc, 0, "002000800439393939", NULL, NULL) == 0x63c1,
	      "wrong PIN: 1 left");
	check(raw(vc, 0, "002000800439393939", NULL, NULL) == 0x6983,
	      "wrong PIN: blocked");
	check(raw(vc, 0, "002000800431323334", NULL, NULL) == 0x6983,
	      "the right PIN after blocking");

	/* DELETE: selected objects stay, related objects go */
	h = host(vc, 2);
	check(raw(vc, 0, "0070000201", NULL, NULL) == 0x9000,
	      "channel 2");
	ret = open_session(&h, 0x03);
	check(!ret, "session on channel 2: %d %s", ret, h.err);
	/* SET STATUS: a locked application cannot be selected */
	ret = gp_set_lock(&h, store_mod, 9, true);
	check(ret == 0x6985, "lock a selected application: %d", ret);
	check(raw(vc, 0, "00A4040000", NULL, NULL) == 0x9000, "ISD again");
	ret = gp_set_lock(&h, store_mod, 9, true);
	check(!ret, "lock: %d %s", ret, h.err);
	check(raw(vc, 0, "00A4040009A0000005534543020100", NULL, NULL) ==
	      0x6a82, "a locked application is not selectable");
	{
		struct gp_status st[8];

		ret = gp_get_status(&h, GP_STATUS_APPS, st, 8, &n);
		check(!ret && n == 3 && st[2].lifecycle == 0x87,
		      "GET STATUS shows 87: %d %zu", ret, n);
	}
	ret = gp_set_lock(&h, store_mod, 9, false);
	check(!ret, "unlock: %d %s", ret, h.err);
	check(raw(vc, 0, "00A4040009A0000005534543020100", NULL, NULL) ==
	      0x9000, "selectable again");
	check(raw(vc, 0, "00A4040000", NULL, NULL) == 0x9000, "ISD");
	ret = gp_set_lock(&h, (const uint8_t *)"\xa0\0\0\0\x99", 5, true);
	check(ret == 0x6a88, "lock an unknown AID: %d", ret);

	ret = gp_delete(&h, purse_mod, 9, false);
	check(ret == 0x6985, "delete a selected instance: %d", ret);
	ret = gp_delete(&h, store_elf, 8, false);
	check(ret == 0x6985, "delete a load file with instances: %d", ret);
	check(raw(vc, 1, "00A4040007F0534543454C0100", NULL, NULL) == 0x9000,
	      "channel 1 moves to the test applet");
	ret = gp_delete(&h, purse_elf, 8, true);
	check(!ret, "delete the purse load file and instance: %d %s", ret,
	      h.err);
	check(count_status(&h, GP_STATUS_APPS) == 2, "2 apps left");
	ret = gp_delete(&h, purse_elf, 8, true);
	check(ret == 0x6a88, "delete again: %d", ret);
	ret = gp_delete(&h, (const uint8_t *)GP_ISD_AID, 8, true);
	check(ret == 0x6985, "delete the ISD: %d", ret);

	/* paging: 12 purses make GET STATUS answer 6310 */
	{
		uint8_t lf[8192], params[64], aid[9];
		size_t ln = make_lf(lf, true, 10), pn;
		struct gp_status st[32];

		ret = gp_load(&h, lf, ln, 0);
		check(!ret, "reload purse: %d %s", ret, h.err);
		pn = purse_params(params, 100);
		memcpy(aid, purse_mod, 9);
		for (i = 0; i < 12; i++) {
			aid[8] = 0x10 + i;
			ret = gp_install(&h, purse_elf, 8, purse_mod, 9, aid,
					 9, params, pn);
			check(!ret, "install purse %d: %d %s", i, ret, h.err);
		}
		ret = gp_get_status(&h, GP_STATUS_APPS, st, 32, &n);
		check(!ret && n == 14, "14 apps over pages: %d %zu", ret, n);
		check(n == 14 && st[13].aid[8] == 0x1b &&
		      st[13].lifecycle == GP_LC_SELECTABLE &&
		      st[13].elf_len == 8, "last entry");
		/* a 13th instance of 16 slots... then the card is full */
		for (i = 12; i < 16; i++) {
			aid[8] = 0x10 + i;
			ret = gp_install(&h, purse_elf, 8, purse_mod, 9, aid,
					 9, params, pn);
		}
		check(ret == 0x6a84, "no room for a 16th instance: %d", ret);
		ret = gp_install(&h, purse_elf, 8, purse_mod, 9, purse_mod,
				 8, params, pn);
		check(ret == 0x6985, "an AID in use: %d", ret);
	}
	vcard_free(vc);
}

static void test_load_faults(void)
{
	uint8_t lf[8192], cmd[300], rsp[300];
	size_t n, rn;
	struct vc_config cfg;
	struct vcard *vc;
	struct gp_host h;
	int ret;

	section = "load faults";
	vc_config_defaults(&cfg);
	vc = vcard_new(&cfg);
	h = host(vc, 0);
	ret = open_session(&h, 0x01);
	check(!ret, "open %d", ret);
	n = make_lf(lf, true, 1000);

	/* INSTALL [for load], two blocks, then something else */
	memcpy(cmd, "\x80\xe6\x02\x00\x0d\x08\xa0\x00\x00\x05\x53\x45\x43\x01"
	       "\x00\x00\x00\x00", 18);
	cmd[18] = 0;
	rn = sizeof(rsp);
	ret = gp_send(&h, cmd, 19, rsp, &rn);
	check(!ret && rsp[rn - 2] == 0x90, "INSTALL [for load]");
	cmd[0] = 0x80;
	cmd[1] = 0xe8;
	cmd[2] = 0x00;
	cmd[3] = 0x00;
	cmd[4] = 200;
	cmd[5] = 0xc4;
	cmd[6] = 0x82;
	cmd[7] = (n >> 8);
	cmd[8] = n & 0xff;
	memcpy(cmd + 9, lf, 196);
	rn = sizeof(rsp);
	ret = gp_send(&h, cmd, 205, rsp, &rn);
	check(!ret && rsp[rn - 2] == 0x90, "LOAD block 0");
	check(count_status(&h, GP_STATUS_LOADFILES) == 0,
	      "nothing loaded yet; the load is broken off");
	cmd[3] = 0x01;
	memcpy(cmd + 5, lf + 196, 200);
	rn = sizeof(rsp);
	ret = gp_send(&h, cmd, 205, rsp, &rn);
	check(!ret && rsp[rn - 2] == 0x69 && rsp[rn - 1] == 0x85,
	      "resuming after the break: %02X%02X", rsp[rn - 2],
	      rsp[rn - 1]);
	ret = gp_load(&h, lf, n, 100);
	check(!ret, "restarted load: %d %s", ret, h.err);
	check(count_status(&h, GP_STATUS_LOADFILES) == 1, "loaded once");
	ret = gp_load(&h, lf, n, 0);
	check(ret == 0x6985, "the same load file again: %d", ret);

	/* a load file whose content does not match the hash announced */
	{
		uint8_t small[256];
		size_t sn = make_lf(small, false, 16);

		n = 5;
		cmd[n++] = 8;
		memcpy(cmd + n, store_elf, 8);
		n += 8;
		cmd[n++] = 0;
		cmd[n++] = 32;
		memset(cmd + n, 0xab, 32);	/* not the SHA-256 */
		n += 32;
		cmd[n++] = 0;
		cmd[n++] = 0;
		memcpy(cmd, "\x80\xe6\x02\x00", 4);
		cmd[4] = n - 5;
		cmd[n++] = 0;
		rn = sizeof(rsp);
		ret = gp_send(&h, cmd, n, rsp, &rn);
		check(!ret && rsp[rn - 2] == 0x90, "INSTALL with a hash");
		memcpy(cmd, "\x80\xe8\x80\x00", 4);
		cmd[4] = 2 + sn;
		cmd[5] = 0xc4;
		cmd[6] = sn;
		memcpy(cmd + 7, small, sn);
		cmd[7 + sn] = 0;
		rn = sizeof(rsp);
		ret = gp_send(&h, cmd, 8 + sn, rsp, &rn);
		check(!ret && rsp[rn - 2] == 0x6a && rsp[rn - 1] == 0x80,
		      "hash mismatch: %02X%02X", rsp[rn - 2], rsp[rn - 1]);
		ret = gp_load(&h, small, sn, 0);
		check(!ret, "the same file with its hash: %d %s", ret, h.err);
	}
	/* a type the card does not have */
	{
		struct gp_loadfile x = { .version = { 1, 0 } };
		uint8_t buf[256];
		size_t bn;

		memcpy(x.aid, "\xa0\x00\x00\x05\x53\x45\x43\x0a", 8);
		x.aid_len = 8;
		memcpy(x.module, "\xa0\x00\x00\x05\x53\x45\x43\x0a\x01", 9);
		x.module_len = 9;
		strcpy(x.type, "secel.javacard");
		bn = gp_lf_build(&x, NULL, buf, sizeof(buf));
		ret = gp_load(&h, buf, bn, 0);
		check(ret == 0x6a81, "unknown type: %d", ret);
	}
	check(count_status(&h, GP_STATUS_LOADFILES) == 2, "2 load files");

	/* two channels load the same AID at once: the second finds it taken */
	{
		struct gp_host h2 = host(vc, 1);
		uint8_t one[256];
		size_t on = make_lf(one, true, 8);

		check(raw(vc, 0, "0070000001", NULL, NULL) == 0x9000, "channel 1");
		ret = open_session(&h2, 0x03);
		check(!ret, "second session: %d %s", ret, h2.err);
		n = 5;
		cmd[n++] = 8;
		memcpy(cmd + n, "\xa0\x00\x00\x05\x53\x45\x43\x77", 8);
		n += 8;
		memcpy(cmd + n, "\0\0\0\0", 4);
		n += 4;
		memcpy(cmd, "\x80\xe6\x02\x00", 4);
		cmd[4] = n - 5;
		cmd[n++] = 0;
		rn = sizeof(rsp);
		check(!gp_send(&h, cmd, n, rsp, &rn) && rsp[rn - 2] == 0x90,
		      "INSTALL on channel 0");
		rn = sizeof(rsp);
		check(!gp_send(&h2, cmd, n, rsp, &rn) && rsp[rn - 2] == 0x90,
		      "INSTALL on channel 1");
		memcpy(one + 2, "\xa0\x00\x00\x05\x53\x45\x43\x77", 8);
		one[34 + 8] = 0x77;	/* module A00000055345430177 */
		memcpy(cmd, "\x80\xe8\x80\x00", 4);
		cmd[4] = 2 + on;
		cmd[5] = 0xc4;
		cmd[6] = on;
		memcpy(cmd + 7, one, on);
		cmd[7 + on] = 0;
		rn = sizeof(rsp);
		check(!gp_send(&h, cmd, 8 + on, rsp, &rn) && rsp[rn - 2] == 0x90,
		      "LOAD on channel 0: %02X%02X", rsp[rn - 2], rsp[rn - 1]);
		rn = sizeof(rsp);
		check(!gp_send(&h2, cmd, 8 + on, rsp, &rn) &&
		      rsp[rn - 2] == 0x69 && rsp[rn - 1] == 0x85,
		      "LOAD on channel 1: %02X%02X", rsp[rn - 2], rsp[rn - 1]);
		check(count_status(&h, GP_STATUS_LOADFILES) == 3, "3 load files");
	}
	vcard_free(vc);
}

static void test_tamper(void)
{
	uint8_t cmd[64], wrapped[128], rsp[300];
	size_t n, rn;
	struct vc_config cfg;
	struct vcard *vc;
	struct gp_host h;
	int ret;

	section = "tamper";
	vc_config_defaults(&cfg);
	vc = vcard_new(&cfg);
	h = host(vc, 0);
	ret = open_session(&h, 0x13);
	check(!ret, "open %d", ret);
	memcpy(cmd, "\x80\xf2\x80\x02\x02\x4f\x00\x00", 8);
	ret = scp03_wrap(&h.scp, cmd, 8, 0, wrapped, &n);
	wrapped[n - 2] ^= 0x01;		/* last MAC byte */
	rn = sizeof(rsp);
	xfer(vc, 0, wrapped, n, rsp, &rn);
	check(rn == 2 && rsp[0] == 0x69 && rsp[1] == 0x82,
	      "altered MAC: %02X%02X", rsp[0], rsp[1]);
	rn = sizeof(rsp);
	ret = gp_send(&h, cmd, 8, rsp, &rn);
	check(!ret && rsp[rn - 2] == 0x69, "the session is closed");
	/* a plain command during a session ends it too */
	h = host(vc, 0);
	ret = open_session(&h, 0x01);
	check(raw(vc, 0, "80F28002024F0000", NULL, NULL) == 0x6982,
	      "plain command in a session");
	{
		struct gp_status st[2];

		ret = gp_get_status(&h, GP_STATUS_ISD, st, 2, &n);
		check(ret == 0x6982 && !h.secure, "session gone: %d", ret);
	}
	vcard_free(vc);
}

#define KEYHEX "404142434445464748494A4B4C4D4E4F"

static void test_put_key_and_state(void)
{
	char path[] = "/tmp/test-gp-card.XXXXXX", err[256];
	struct gp_keyset ks, nks;
	struct vc_config cfg;
	struct vcard *vc;
	struct gp_host h;
	FILE *f;
	char buf[8192];
	size_t n;
	int fd, ret;

	section = "keys and state";
	fd = mkstemp(path);
	close(fd);
	unlink(path);
	vc_config_defaults(&cfg);
	vc = vcard_new(&cfg);
	ret = vc_state_load(vc, path, err, sizeof(err));
	check(!ret && !access(path, F_OK), "new state file: %d %s", ret, err);
	h = host(vc, 0);
	ret = open_session(&h, 0x03);
	install_both(vc, &h);
	check(raw(vc, 0, "00A4040009A0000005534543010100", NULL, NULL) ==
	      0x9000, "select purse");
	{
		char cmd[128];

		credit_cmd(cmd, 0, 42, false);
		check(raw(vc, 0, cmd, NULL, NULL) == 0x9000, "credit 42");
	}
	check(raw(vc, 0, "00A4040000", NULL, NULL) == 0x9000, "ISD");
	h = host(vc, 0);
	check(!open_session(&h, 0x03), "open again");
	default_keys(&nks);
	nks.kvn = 0x31;
	memset(nks.enc, 0x11, 16);
	memset(nks.mac, 0x22, 16);
	memset(nks.dek, 0x33, 16);
	ret = gp_put_key(&h, 0x30, &nks);
	check(!ret, "PUT KEY 30 -> 31: %d %s", ret, h.err);
	vcard_free(vc);

	/* the card process restarts */
	vc = vcard_new(&cfg);
	ret = vc_state_load(vc, path, err, sizeof(err));
	check(!ret, "reload: %d %s", ret, err);
	h = host(vc, 0);
	default_keys(&ks);
	ret = gp_open(&h, &ks, 0x03);
	check(ret == 0x6a88, "old keys gone: %d %s", ret, h.err);
	check(vc->st.keyseq[0] == 0, "replaced key set's counter: %u",
	      (unsigned int)vc->st.keyseq[0]);
	ret = gp_open(&h, &nks, 0x03);
	check(!ret, "new keys: %d %s", ret, h.err);
	check(vc->st.keyseq[0] == 1, "its first session counts 1: %u",
	      (unsigned int)vc->st.keyseq[0]);
	check(count_status(&h, GP_STATUS_APPS) == 3, "apps kept");
	{
		/* per key set counters on the card line; an older file's
		 * shared counter goes to every key set */
		struct vc_persist ps;
		char t1[] = "secel-vcard-state 1\ncard 0F 000020 31:000005\n"
			"keyset 31 " KEYHEX " " KEYHEX " " KEYHEX "\n"
			"keyset 32 " KEYHEX " " KEYHEX " " KEYHEX "\nend\n";
		char t2[] = "secel-vcard-state 1\ncard 0F 000020 31:1000000\n"
			"keyset 31 " KEYHEX " " KEYHEX " " KEYHEX "\nend\n";

		check(!vc_state_parse(t1, &ps, "t1", err, sizeof(err)) &&
		      ps.keyseq[0] == 5 && ps.keyseq[1] == 0x20,
		      "per key set counters: %s", err);
		check(vc_state_parse(t2, &ps, "t2", err, sizeof(err)) &&
		      strstr(err, "out of range"), "counter too big: %s", err);
	}
	check(raw(vc, 0, "00A4040009A0000005534543010100", NULL, NULL) ==
	      0x9000, "select purse after restart");
	{
		uint8_t d[16];

		check(raw(vc, 0, "805C000008", d, &n) == 0x9000 && d[3] == 42 &&
		      d[7] == 1, "balance kept");
	}
	vcard_free(vc);

	/* a state file cut short is refused with its name and line */
	f = fopen(path, "r");
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	*strstr(buf, "end\n") = 0;
	f = fopen(path, "w");
	fputs(buf, f);
	fclose(f);
	vc = vcard_new(&cfg);
	ret = vc_state_load(vc, path, err, sizeof(err));
	check(ret == -EINVAL && strstr(err, path) && strstr(err, "cut short"),
	      "truncated state: %d %s", ret, err);
	vcard_free(vc);
	/* a read-only place: the change is undone, the answer 6581 */
	vc = vcard_new(&cfg);
	vc->state_path = "/proc/no-such-dir/state";
	check(raw(vc, 0, "8050300008 0102030405060708 00", NULL, NULL) ==
	      0x6581, "state not writable");
	check(vc->st.keyseq[0] == 0, "sequence counter not moved");
	vcard_free(vc);
	unlink(path);
}

/* A purse load file with 16-byte AIDs, the longest INSTALL there is. */
static const uint8_t long_elf[16] = { 0xa0, 0x00, 0x00, 0x05, 0x53, 0x45,
				      0x43, 0x0b, 1, 2, 3, 4, 5, 6, 7, 8 };
static const uint8_t long_mod[16] = { 0xa0, 0x00, 0x00, 0x05, 0x53, 0x45,
				      0x43, 0x0b, 1, 2, 3, 4, 5, 6, 7, 9 };

static size_t make_long_lf(uint8_t *out)
{
	struct gp_loadfile lf = { .version = { 1, 0 } };

	memcpy(lf.aid, long_elf, 16);
	lf.aid_len = 16;
	memcpy(lf.module, long_mod, 16);
	lf.module_len = 16;
	strcpy(lf.type, "secel.purse");
	return gp_lf_build(&lf, NULL, out, 512);
}

/* Purse parameters padded with 00 (skipped between TLVs) to @len bytes */
static size_t long_params(uint8_t *out, size_t len)
{
	size_t n = purse_params(out, 5000);

	memset(out + n, 0, len - n);
	return len;
}

/*
 * A command too long for the security level (audit: level 03, 16-byte
 * AIDs, 183 bytes of --params).  It used to move the host's encryption
 * counter before it was refused, so the card decrypted every later
 * command with another ICV: the cleanup DELETE got 6A80.
 */
/* the last command the recording transport passed on, as the host built it */
static uint8_t last_cmd[VC_CMD_MAX];
static size_t last_len;

static int xfer_rec(void *ctx, unsigned int channel, const uint8_t *cmd,
		    size_t len, uint8_t *rsp, size_t *rsp_len)
{
	if (len <= sizeof(last_cmd)) {
		memcpy(last_cmd, cmd, len);
		last_len = len;
	}
	return xfer(ctx, channel, cmd, len, rsp, rsp_len);
}

/*
 * PUT KEY of an AES-192 key set from libsecelgp (issue 9 item 3): each key
 * component as Amendment D table 7-10 has it -- 88, L 21, the key length
 * 18, the key padded with zeros to 32 bytes and AES-CBC encrypted (zero
 * ICV) under the DEK, 03 and the KCV -- checked byte for byte against
 * OpenSSL's AES here, not libsecelgp's; the card takes it, and a session
 * with the new AES-192 keys works at level 33.
 */
static void test_put_key_aes192(void)
{
	static const uint8_t dek[16] = { 0x40, 0x41, 0x42, 0x43, 0x44, 0x45,
					 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b,
					 0x4c, 0x4d, 0x4e, 0x4f };
	struct gp_keyset nks;
	struct vc_config cfg;
	struct vcard *vc;
	struct gp_host h;
	uint8_t padded[32], want[48], kcv_in[16];
	const uint8_t *keys[3], *p;
	EVP_CIPHER_CTX *c;
	int ret, n, k, i;

	section = "PUT KEY AES-192";
	vc_config_defaults(&cfg);
	vc = vcard_new(&cfg);
	h = (struct gp_host){ .xfer = xfer_rec, .ctx = vc };
	/* level 01: the data field goes as built, for the check below */
	ret = open_session(&h, 0x01);
	check(!ret, "session: %d %s", ret, h.err);
	memset(&nks, 0, sizeof(nks));
	nks.kvn = 0x32;
	nks.len = 24;
	for (i = 0; i < 24; i++) {
		nks.enc[i] = 0x10 + i;
		nks.mac[i] = 0x50 + i;
		nks.dek[i] = 0x90 + i;
	}
	keys[0] = nks.enc;
	keys[1] = nks.mac;
	keys[2] = nks.dek;
	ret = gp_put_key(&h, 0x00, &nks);
	check(!ret, "PUT KEY of AES-192 keys: %d %s", ret, h.err);
	/* 80|84 D8 00 81 Lc(+8 MAC) 32 {88 21 18 <32> 03 <3>} x 3 ... */
	check(last_len >= 5 + 1 + 3 * 39 && last_cmd[1] == 0xd8 &&
	      last_cmd[2] == 0x00 && last_cmd[3] == 0x81 && last_cmd[5] == 0x32,
	      "PUT KEY header: %zu bytes", last_len);
	memset(kcv_in, 0x01, sizeof(kcv_in));
	for (k = 0; k < 3 && last_len >= 5 + 1 + 3 * 39; k++) {
		p = last_cmd + 6 + 39 * k;
		check(p[0] == 0x88 && p[1] == 0x21 && p[2] == 24,
		      "key %d: %02X %02X %02X, want 88 21 18", k, p[0], p[1], p[2]);
		memset(padded, 0, sizeof(padded));
		memcpy(padded, keys[k], 24);
		c = EVP_CIPHER_CTX_new();
		if (!c || !EVP_EncryptInit_ex(c, EVP_aes_128_cbc(), NULL, dek,
					      (const uint8_t [16]){ 0 }) ||
		    !EVP_CIPHER_CTX_set_padding(c, 0) ||
		    !EVP_EncryptUpdate(c, want, &n, padded, sizeof(padded)))
			abort();
		EVP_CIPHER_CTX_free(c);
		check(!memcmp(p + 3, want, 32), "key %d: not AES-CBC of the key padded to 32 bytes",
		      k);
		/* KCV: AES-192 of 16 bytes 01, the first 3 */
		c = EVP_CIPHER_CTX_new();
		if (!c || !EVP_EncryptInit_ex(c, EVP_aes_192_ecb(), NULL, keys[k],
					      NULL) ||
		    !EVP_CIPHER_CTX_set_padding(c, 0) ||
		    !EVP_EncryptUpdate(c, want, &n, kcv_in, sizeof(kcv_in)))
			abort();
		EVP_CIPHER_CTX_free(c);
		check(p[35] == 0x03 && !memcmp(p + 36, want, 3),
		      "key %d: KCV", k);
	}
	memset(padded, 0, sizeof(padded));
	h = host(vc, 1);
	check(raw(vc, 0, "0070000001", NULL, NULL) == 0x9000, "MANAGE CHANNEL");
	ret = gp_open(&h, &nks, 0x33);
	check(!ret, "a session with the AES-192 keys on channel 1: %d %s", ret,
	      h.err);
	check(count_status(&h, GP_STATUS_ISD) == 1, "GET STATUS under them");
	vcard_free(vc);
}

static void test_too_long(void)
{
	uint8_t lf[512], params[256], cmd[300], rsp[300];
	struct vc_config cfg;
	struct vcard *vc;
	struct gp_host h;
	size_t n, rn;
	uint32_t seen;
	int ret;

	section = "too long";
	vc_config_defaults(&cfg);
	vc = vcard_new(&cfg);
	h = host(vc, 0);
	check(!open_session(&h, 0x03), "open: %s", h.err);
	n = make_long_lf(lf);
	ret = gp_load(&h, lf, n, 0);
	check(!ret, "load: %d %s", ret, h.err);
	check(gp_install_data_len(16, 16, 16, 181) == gp_data_room(&h) &&
	      gp_data_room(&h) == 239, "239 bytes at level 03");

	/* refused before it is sent: the session is kept and in step */
	seen = vc->chan[0].count;
	ret = gp_install(&h, long_elf, 16, long_mod, 16, long_mod, 16, params,
			 long_params(params, 183));
	check(ret == -EMSGSIZE && strstr(h.err, "INSTALL [for install]") &&
	      strstr(h.err, "too long"), "183 bytes: %d %s", ret, h.err);
	check(vc->chan[0].count == seen && h.secure, "nothing sent, session kept");
	ret = gp_install(&h, long_elf, 16, long_mod, 16, long_mod, 16, params,
			 long_params(params, 182));
	check(ret == -EMSGSIZE, "182 bytes: %d %s", ret, h.err);
	ret = gp_delete(&h, long_elf, 16, false);
	check(!ret, "the DELETE after it: %d %s", ret, h.err);

	/* what only scp03_wrap() finds too long: the session is dropped */
	ret = gp_load(&h, lf, n, 0);
	check(!ret, "load again: %d %s", ret, h.err);
	memcpy(cmd, "\x80\xe6\x0c\x00\xf0", 5);
	memset(cmd + 5, 0, 240);
	cmd[245] = 0x00;
	rn = sizeof(rsp);
	seen = vc->chan[0].count;
	ret = gp_send(&h, cmd, 246, rsp, &rn);
	check(ret == -EMSGSIZE && strstr(h.err, "too long") &&
	      strstr(h.err, "80 E6") && strstr(h.err, "session closed"),
	      "gp_send: %d %s", ret, h.err);
	check(!h.secure && h.dropped, "session dropped");
	ret = gp_delete(&h, long_elf, 16, false);
	check(ret == -ENOTCONN && strstr(h.err, "DELETE") &&
	      vc->chan[0].count == seen, "nothing more sent: %d %s", ret,
	      h.err);

	/* a new session: the INSTALL that fits, its answer 00 */
	check(!open_session(&h, 0x03), "open again: %s", h.err);
	ret = gp_install(&h, long_elf, 16, long_mod, 16, long_mod, 16, params,
			 long_params(params, 181));
	check(!ret, "181 bytes: %d %s", ret, h.err);
	check(count_status(&h, GP_STATUS_APPS) == 2, "installed");
	n = 5;
	n += gp_tlv_put(cmd + n, 0x4f, long_mod, 16);
	memcpy(cmd, "\x80\xe4\x00\x00", 4);
	cmd[4] = n - 5;
	rn = sizeof(rsp);
	check(!gp_send(&h, cmd, n, rsp, &rn) && rn == 3 && rsp[0] == 0x00 &&
	      rsp[1] == 0x90, "DELETE answers 00");
	n = 5;
	cmd[n++] = 16;
	memcpy(cmd + n, long_elf, 16);
	n += 16;
	cmd[n++] = 16;
	memcpy(cmd + n, long_mod, 16);
	n += 16;
	cmd[n++] = 16;
	memcpy(cmd + n, long_mod, 16);
	n += 16;
	memcpy(cmd + n, "\x01\x00", 2);	/* privileges */
	n += 2;
	rn = purse_params(params, 5000);
	cmd[n] = gp_tlv_put(cmd + n + 1, 0xc9, params, rn);
	n += 1 + cmd[n];
	cmd[n++] = 0x00;			/* token */
	memcpy(cmd, "\x80\xe6\x0c\x00", 4);
	cmd[4] = n - 5;
	cmd[n++] = 0x00;
	rn = sizeof(rsp);
	ret = gp_send(&h, cmd, n, rsp, &rn);
	check(!ret && rn == 3 && rsp[0] == 0x00 && rsp[1] == 0x90 &&
	      rsp[2] == 0x00, "INSTALL answers 00 (GP 11.5.3): %d %s", ret,
	      h.err);
	vcard_free(vc);
}

/* The card challenge is checked against the security domain's AID. */
static void test_card_challenge(void)
{
	static const uint8_t other[] = { 0xa0, 0x00, 0x00, 0x01, 0x51, 0x53,
					 0x45, 0x43 };
	struct vc_config cfg;
	struct gp_keyset ks;
	struct vcard *vc;
	struct gp_host h;
	int ret;

	section = "card challenge";
	vc_config_defaults(&cfg);
	memcpy(cfg.isd_aid, other, sizeof(other));
	vc = vcard_new(&cfg);
	h = host(vc, 0);
	default_keys(&ks);
	ret = gp_open(&h, &ks, 0x03);
	check(ret == -EACCES && strstr(h.err, "card challenge") &&
	      strstr(h.err, "A000000151000000") && !h.secure,
	      "another security domain's challenge: %d %s", ret, h.err);
	ret = gp_open_sd(&h, &ks, 0x03, other, sizeof(other));
	check(!ret && h.secure, "its own: %d %s", ret, h.err);
	vcard_free(vc);
}

static unsigned int dir_entries(const char *path)
{
	unsigned int n = 0;
	struct dirent *d;
	DIR *dir = opendir(path);

	while (dir && (d = readdir(dir)))
		n += d->d_name[0] != '.';
	if (dir)
		closedir(dir);
	return n;
}

/*
 * A save that fails: the command answers 6581 and leaves the content as
 * it was, and nothing on the channel disagrees with it: the session is
 * closed, a PIN try is counted before the PIN is compared.
 */
static void test_save_fails(void)
{
	char dir[] = "/tmp/test-gp-card.XXXXXX", path[PATH_MAX], lock[PATH_MAX];
	char err[256];
	struct vc_persist before;
	struct vc_config cfg;
	struct vcard *vc, *vc2;
	struct gp_status st[4];
	struct gp_host h;
	uint8_t d[64];
	size_t n;
	int ret, store = -1, i;

	section = "save fails";
	if (!mkdtemp(dir)) {
		check(false, "mkdtemp: %s", strerror(errno));
		return;
	}
	snprintf(path, sizeof(path), "%s/state", dir);
	snprintf(lock, sizeof(lock), "%s/state.lock", dir);
	vc_config_defaults(&cfg);
	vc = vcard_new(&cfg);
	ret = vc_state_load(vc, path, err, sizeof(err));
	check(!ret, "new state: %d %s", ret, err);
	/* a second card process on the same file is refused, one line */
	vc2 = vcard_new(&cfg);
	ret = vc_state_load(vc2, path, err, sizeof(err));
	check(ret == -EBUSY && strstr(err, path) && strstr(err, "in use") &&
	      !strchr(err, '\n'), "second user: %d %s", ret, err);
	vcard_free(vc2);

	h = host(vc, 0);
	check(!open_session(&h, 0x03), "open: %s", h.err);
	install_both(vc, &h);
	for (i = 0; i < VC_INSTANCES; i++)
		if (vc->st.inst[i].used &&
		    vc->st.inst[i].type == VC_TYPE_DATASTORE)
			store = i;
	check(store >= 0, "a data store");
	if (store < 0)
		return;
	check(raw(vc, 0, "0070000001", NULL, NULL) == 0x9000 &&
	      raw(vc, 1, "00A4040009A0000005534543020100", NULL, NULL) ==
	      0x9000, "data store on channel 1");
	check(raw(vc, 1, "002000800439393939", NULL, NULL) == 0x63c2,
	      "a wrong PIN, saved");
	check(dir_entries(dir) == 2, "no temporary files left: %u",
	      dir_entries(dir));

	/* from now on no save succeeds: the directory is gone */
	vc->state_path = "/nonexistent-secel-dir/state";
	before = vc->st;
	ret = gp_delete(&h, purse_elf, 8, true);
	check(ret == 0x6581, "DELETE that cannot be saved: %d %s", ret,
	      h.err);
	check(!memcmp(&before, &vc->st, sizeof(before)), "content as before");
	check(!vc->chan[0].scp.authenticated && !vc->chan[0].scp_begun,
	      "the card closed the session");
	ret = gp_get_status(&h, GP_STATUS_APPS, st, 4, &n);
	check(ret == 0x6982 && h.dropped, "and the host learns it: %d %s",
	      ret, h.err);
	/* a new session cannot even begin: its counter is not saved */
	ret = open_session(&h, 0x03);
	check(ret == 0x6581 && !vc->chan[0].scp_begun && vc->st.keyseq[0] ==
	      before.keyseq[0], "INITIALIZE UPDATE: %d %s", ret, h.err);
	/* the right PIN: the try cannot be saved, so no comparison */
	check(raw(vc, 1, "002000800431323334", NULL, NULL) == 0x6581,
	      "VERIFY without saving the try");
	check(vc->st.inst[store].store.tries_left == 2,
	      "the counter as saved: %u", vc->st.inst[store].store.tries_left);
	check(raw(vc, 1, "00B2010410", NULL, NULL) == 0x6982,
	      "not verified");
	check(!memcmp(&before, &vc->st, sizeof(before)), "content as before");

	/* saving again: all goes on from the content as it was */
	vc->state_path = path;
	check(raw(vc, 1, "002000800431323334", NULL, NULL) == 0x9000 &&
	      vc->st.inst[store].store.tries_left == 3, "VERIFY saved");
	check(raw(vc, 1, "00B2010410", d, &n) == 0x9000 && n == 16,
	      "record read");
	vcard_free(vc);

	/* the file has what the card answered, and the lock is free again */
	vc = vcard_new(&cfg);
	ret = vc_state_load(vc, path, err, sizeof(err));
	check(!ret && vc->st.inst[store].used &&
	      vc->st.inst[store].store.tries_left == 3 &&
	      vc_find_instance(vc, purse_mod, 9) >= 0, "reloaded: %d %s", ret,
	      err);
	vcard_free(vc);
	unlink(path);
	unlink(lock);
	rmdir(dir);
}

/*
 * A protected command whose Le is shorter than its protected answer:
 * the card runs it once and hands the whole answer over with 61xx, R-MAC
 * included, rather than cut it to Le.
 */
static void test_short_le(void)
{
	uint8_t cmd[16], wrapped[128], rsp[VC_RSP_MAX], data[VC_RSP_MAX];
	size_t n, rn, dn;
	struct vc_config cfg;
	struct vcard *vc;
	struct gp_host h;
	uint16_t sw;
	char gr[16];
	int ret;

	section = "short Le";
	vc_config_defaults(&cfg);
	vc = vcard_new(&cfg);
	h = host(vc, 0);
	ret = open_session(&h, 0x33);
	check(!ret, "open %d", ret);
	memcpy(cmd, "\x80\xf2\x80\x02\x02\x4f\x00\x04", 8);
	ret = scp03_wrap(&h.scp, cmd, 8, 0, wrapped, &n);
	check(!ret, "wrap %d", ret);
	rn = sizeof(rsp);
	xfer(vc, 0, wrapped, n, rsp, &rn);
	check(rn == 2 && rsp[0] == 0x61 && rsp[1] > 4,
	      "Le 04 under R-MAC: %02X%02X (%zu bytes), not 61xx", rsp[0],
	      rsp[1], rn);
	snprintf(gr, sizeof(gr), "00C00000%02X", rsp[1]);
	dn = 0;
	sw = raw(vc, 0, gr, data, &dn);
	check(sw == 0x9000 && dn == rsp[1], "GET RESPONSE: %04X, %zu bytes",
	      sw, dn);
	data[dn] = 0x90;
	data[dn + 1] = 0x00;
	dn += 2;
	ret = scp03_unwrap(&h.scp, data, &dn);
	check(!ret && dn > 2 && data[0] == 0xe3,
	      "the whole answer verifies: %d, %zu bytes, %02X", ret, dn,
	      data[0]);
	/* the session goes on */
	check(count_status(&h, GP_STATUS_ISD) == 1, "next command");
	vcard_free(vc);
}

int main(void)
{
	test_levels();
	test_apps();
	test_load_faults();
	test_tamper();
	test_short_le();
	test_put_key_and_state();
	test_put_key_aes192();
	test_too_long();
	test_card_challenge();
	test_save_fails();
	printf("test-gp-card: %d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}

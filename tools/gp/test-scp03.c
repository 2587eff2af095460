// SPDX-License-Identifier: GPL-2.0
/*
 * test-scp03 - the SCP03 code against published vectors:
 *
 *  - AES-CMAC: NIST SP 800-38B appendix D.1-D.3 (also RFC 4493 for
 *    AES-128): examples 1-4 for each key length.
 *  - SCP03 sessions: osmocom pySim, tests/unittests/test_globalplatform.py
 *    (classes SCP03_Test_AES{128,192,256}_{11,03,33}): INITIALIZE UPDATE,
 *    EXTERNAL AUTHENTICATE, a GET DATA-like command with its response and
 *    the four APDU cases, protected in one session.  Both ends are checked:
 *    the host must produce the protected commands byte for byte, the card
 *    must produce the INITIALIZE UPDATE and protected responses byte for
 *    byte and recover the plain commands.
 *  - The pseudo-random card challenges in those same INITIALIZE UPDATE
 *    answers: pySim's vectors were taken from an eUICC whose ISD-R
 *    answered (the GET EID command is ES10c), and every challenge is
 *    KDF(Key-ENC, 02, sequence counter || A0000005591010FFFFFFFF8900000100),
 *    the ISD-R AID of GSMA SGP.22, so the derivation is checked against
 *    values a card produced, not only against itself.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "gp.h"
#include "scp03.h"

static int failures, checks;

static size_t unhex(const char *h, uint8_t *out)
{
	size_t n = 0;
	unsigned int b;

	while (h[0] && h[1]) {
		if (sscanf(h, "%2x", &b) != 1)
			abort();
		out[n++] = b;
		h += 2;
	}
	return n;
}

static void hexdump(const char *what, const uint8_t *p, size_t n)
{
	fprintf(stderr, "  %s: ", what);
	while (n--)
		fprintf(stderr, "%02x", *p++);
	fprintf(stderr, "\n");
}

static void expect_bytes(const char *name, const uint8_t *got, size_t got_len,
			 const char *want_hex)
{
	uint8_t want[512];
	size_t n = unhex(want_hex, want);

	checks++;
	if (got_len == n && !memcmp(got, want, n))
		return;
	failures++;
	fprintf(stderr, "FAIL %s\n", name);
	hexdump("want", want, n);
	hexdump("got ", got, got_len);
}

static void expect_int(const char *name, int got, int want)
{
	checks++;
	if (got == want)
		return;
	failures++;
	fprintf(stderr, "FAIL %s: got %d, want %d\n", name, got, want);
}

/* NIST SP 800-38B, D.1 (AES-128), D.2 (AES-192), D.3 (AES-256) */
static const char *const nist_msg[4] = {
	"",
	"6bc1bee22e409f96e93d7e117393172a",
	"6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
	"30c81c46a35ce411",
	"6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
	"30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710",
};

static const struct {
	const char *key;
	const char *mac[4];
} nist_cmac[] = {
	{ "2b7e151628aed2a6abf7158809cf4f3c",
	  { "bb1d6929e95937287fa37d129b756746",
	    "070a16b46b4d4144f79bdd9dd04a287c",
	    "dfa66747de9ae63030ca32611497c827",
	    "51f0bebf7e3b9d92fc49741779363cfe" } },
	{ "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b",
	  { "d17ddf46adaacde531cac483de7a9367",
	    "9e99a7bf31e710900662f65e617c5184",
	    "8a1de5be2eb31aad089a82e6ee908b0e",
	    "a1d5df0eed790f794d77589659f39a11" } },
	{ "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
	  { "028962f61b7bf89efc6b551f4667d983",
	    "28a7023f452e8f82bd4bf28d8c37c35c",
	    "aaf3d8f1de5640c232f5b169b9c911e6",
	    "e1992190549f6ed5696a2c056c315410" } },
};

static void test_cmac(void)
{
	uint8_t key[32], msg[64], mac[16];
	char name[64];
	size_t i, j, klen, mlen;

	for (i = 0; i < sizeof(nist_cmac) / sizeof(nist_cmac[0]); i++) {
		klen = unhex(nist_cmac[i].key, key);
		for (j = 0; j < 4; j++) {
			mlen = unhex(nist_msg[j], msg);
			snprintf(name, sizeof(name),
				 "SP 800-38B AES-%zu example %zu", klen * 8,
				 j + 1);
			expect_int(name, gp_aes_cmac(key, klen, msg, mlen, mac),
				   0);
			expect_bytes(name, mac, 16, nist_cmac[i].mac[j]);
		}
	}
}

/* pySim's SCP03 sessions */
struct pysim_vec {
	const char *name;
	int keylen;		/* bytes */
	uint8_t kvn;
	const char *iu_cmd, *iu_rsp, *ea_cmd;
	const char *eid_cmd, *eid_rsp;
	const char *c1, *c2, *c3, *c4;
};

static const char eid_plain[] = "80E2910006BF3E035C015A00";
static const char eid_rsp_plain[] =
	"bf3e125a1089882119900000000000000000000005";
static const char *const case_plain[4] = {
	"80F22002", "80ca006600", "80F220020a4f0212345c054f9f70c5",
	"80f28002024f0000",
};

static const struct pysim_vec pysim[] = {
	{ "AES128_11", 16, 0x30, "8050300008b13e5f938fc108c400",
	  "000000000000000000003003703eb51047495b249f66c484c1d2ef1948000002",
	  "84821100107d5f5826a993ebc89eea24957fa0b3ce",
	  "84e291000ebf3e035c015a558d036518a2829700",
	  "bf3e125a1089882119900000000000000000000005971be68992dbbdfa",
	  "84f220020863a63f8959827fb2", "84ca006608a0c6a4a74166f7ce00",
	  "84f22002124f0212345c054f9f70c52249b50272656536",
	  "84f280020a4f00e91443f6dce6b8ed00" },
	{ "AES128_03", 16, 0x30, "80503000088e1552d0513c60f300",
	  "0000000000000000000030037030760cd2c47c1dd395065fe5ead8a9d7000001",
	  "8482030010fd4721a14d9b07003c451d2f8ae6bb21",
	  "84e2910018ca9c00f6713d79bc8baa642bdff51c3f6a4082d3bd9ad26c00",
	  "bf3e125a1089882119900000000000000000000005",
	  "84f2200208c9811b11f1264cf1", "84ca006608e10ab60b3054798800",
	  "84f22002184e2908bdb48b2315a55482e9e936ca122d6ecfae7d17416e",
	  "84f28002180dd10a6b6193e5340b9e77d32d5a179cd710ac2773aefb2800" },
	{ "AES128_33", 16, 0x30, "8050300008fdf38259a1e0de4400",
	  "000000000000000000003003703b1aca81e821f219081cdc01c26b372d000003",
	  "84823300108c36f96bcc00724a4e13ad591d7da3f0",
	  "84e2910018267a85dfe4a98fca6fb0527e0dfecce4914e40401433c87f00",
	  "f3ba2b1013aa6224f5e1c138d71805c569e5439b47576260b75fc021b25097cb"
	  "2e68f8a0144975b9",
	  "84f2200208ac6a59024bed84cc", "84ca006608409912ad8fb7aed000",
	  "84f22002185f3dafc3ac14c381536a488bf44e06d056df9d74dbd21e5a",
	  "84f280021865165105be3373347d0424d4400af2ac393f569ec779389e00" },
	{ "AES192_11", 24, 0x31, "80503100087396430b768b085b00",
	  "000000000000000000003103708cfc23522ffdbf1e5df5542cac8fd866000003",
	  "84821100102145ed30b146f5db252fb7e624cec244",
	  "84e291000ebf3e035c015aff42cf801d14394400",
	  "bf3e125a1089882119900000000000000000000005162fbd33e04940a9",
	  "84f22002084584e4f6784811ee", "84ca006608937776ebe190fa3000",
	  "84f22002124f0212345c054f9f70c59a52bddf3040368c",
	  "84f280020a4f009804b11411f7393d00" },
	{ "AES192_03", 24, 0x31, "805031000869c65da8202bf19f00",
	  "00000000000000000000310370b570a67be38446717729d6dd3d2ec5b1000001",
	  "848203001065df4f1a356a887905466516d9e5b7c1",
	  "84e2910018d2c6fb477c5d4afe4fd4d21f17eff10d3578ec1774a12a2d00",
	  "bf3e125a1089882119900000000000000000000005",
	  "84f2200208964e188f0b1bb697", "84ca006608f0820035a41d3e1800",
	  "84f220021806b076ed452cd1fa84f77f5c08a146aa77a9286757dea791",
	  "84f2800218d06527e39222dce091fabdb8e9b898417a67a6852d3577db00" },
	{ "AES192_33", 24, 0x31, "80503100089b3f2eef0e8c937400",
	  "00000000000000000000310370f6bb305a15bae1a68f79fb08212fbed7000002",
	  "84823300109100bc22d58b45b86a26365ce39ff3cf",
	  "84e29100188f7f946c84f70d17994bc6e8791251bb1bb1bf02cf8de58900",
	  "c05176c1b6f72aae50c32cbee63b0e95998928fd4dfb2be9f27ffde8c8476f59"
	  "09b4805cc4039599",
	  "84f2200208d5d97754b6b3d2ba", "84ca006608516c82b8e30adbeb00",
	  "84f2200218cc247f4761e6944277a4e0d6e32e44025b1e31537e2fc668",
	  "84f2800218ba22b63d509bef5d093b43e5eaed03ed23144ab2d9cb51de00" },
	{ "AES256_11", 32, 0x32, "805032000811666d57866c6f5400",
	  "0000000000000000000032037053ea8847efa7674e41498a4d66cf0dee000003",
	  "84821100102f2ad190eff2fafc4908996d1cebd310",
	  "84e291000ebf3e035c015af4b680372542b59d00",
	  "bf3e125a10898821199000000000000000000000058012dd7f01f1c4c1",
	  "84f2200208d618b7da68d5fe52", "84ca0066088f3e055db23ad5e500",
	  "84f22002124f0212345c054f9f70c5b6e15cc42404915e",
	  "84f280020a4f00aa124aa74afe7f7500" },
	{ "AES256_03", 32, 0x32, "8050320008c6066990fc426e1d00",
	  "000000000000000000003203708682cd81bbd8919f2de3f2664581f118000001",
	  "848203001077c493b632edadaf865a1e64acc07ce9",
	  "84e29100183ddaa60594963befaada3525b492ede23c2ab2c1ce3afe4400",
	  "bf3e125a1089882119900000000000000000000005",
	  "84f2200208480ddc8e419da38d", "84ca0066083e9d6a6c0b2d732000",
	  "84f22002183ebfef2da8b04af2a85f491f299b76973df76ff08a4031be",
	  "84f2800218783fff80990f5585b1055010ea95094a26e4a8f1ef4b18e100" },
	{ "AES256_33", 32, 0x32, "805032000897b2055fe58599fd00",
	  "00000000000000000000320370a8439a22cedf045fa9f1903b2834f26e000002",
	  "8482330010508a0fd959d2e547c6b33154a6be2057",
	  "84e29100187a5ef717eaf1e135ae92fe54429d0e465decda65f5fe5aea00",
	  "ea90dbfa648a67c5eb6abc57f8530b97d0cd5647c5e8732016b55203b078dd2a"
	  "ce7f8bc5d1c1cd99",
	  "84f2200208bcc5c17275545d93", "84ca00660804806aba9d543bb600",
	  "84f2200218717222491556ec81a45f49ce48be33320024801a1c4cb0e0",
	  "84f2800218561f105bccd3a1642904b251ccc1228beb80a82370a8637000" },
};

/* The security domain pySim's card answered as: the ISD-R (SGP.22) */
static const uint8_t isdr_aid[] = {
	0xa0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xff,
	0xff, 0xff, 0xff, 0x89, 0x00, 0x00, 0x01, 0x00,
};

/* pySim's keysets: ENC 000102.., MAC 101112.., DEK 202122.. */
static void pysim_keyset(int len, uint8_t kvn, struct gp_keyset *ks)
{
	int i;

	ks->kvn = kvn;
	ks->len = len;
	for (i = 0; i < len; i++) {
		ks->enc[i] = i % 16;
		ks->mac[i] = 0x10 + i % 16;
		ks->dek[i] = 0x20 + i % 16;
	}
}

static void test_pysim_host(const struct pysim_vec *v)
{
	const char *cases[4] = { v->c1, v->c2, v->c3, v->c4 };
	uint8_t iu_cmd[32], iu_rsp[64], buf[512], out[512];
	size_t n, out_len, rsp_len;
	struct gp_keyset ks;
	struct scp03 s;
	char name[96];
	int i;

	pysim_keyset(v->keylen, v->kvn, &ks);
	unhex(v->iu_cmd, iu_cmd);
	rsp_len = unhex(v->iu_rsp, iu_rsp);
	snprintf(name, sizeof(name), "pySim %s host: card cryptogram",
		 v->name);
	expect_int(name, scp03_host_begin(&s, &ks, iu_cmd + 5, iu_rsp,
					  rsp_len, isdr_aid,
					  sizeof(isdr_aid)), 0);
	snprintf(name, sizeof(name), "pySim %s host: EXTERNAL AUTHENTICATE",
		 v->name);
	unhex(v->ea_cmd, buf);
	expect_int(name, scp03_ext_auth(&s, buf[2], 0, out, &out_len), 0);
	expect_bytes(name, out, out_len, v->ea_cmd);

	/*
	 * A command too long for the level is refused and must leave the
	 * counter and the chaining value alone: GET EID below is then still
	 * pySim's byte for byte.
	 */
	snprintf(name, sizeof(name), "pySim %s host: too long refused",
		 v->name);
	n = scp03_data_room(s.level) + 1;
	memcpy(buf, "\x80\xe6\x0c\x00", 4);
	buf[4] = n;
	memset(buf + 5, 0x5a, n);
	buf[5 + n] = 0x00;
	expect_int(name, scp03_wrap(&s, buf, 6 + n, 0, out, &out_len),
		   -EMSGSIZE);
	expect_int(name, (int)s.enc_ctr, 0);

	snprintf(name, sizeof(name), "pySim %s host: wrap GET EID", v->name);
	n = unhex(eid_plain, buf);
	expect_int(name, scp03_wrap(&s, buf, n, 0, out, &out_len), 0);
	expect_bytes(name, out, out_len, v->eid_cmd);

	snprintf(name, sizeof(name), "pySim %s host: unwrap response",
		 v->name);
	n = unhex(v->eid_rsp, buf);
	buf[n++] = 0x90;
	buf[n++] = 0x00;
	expect_int(name, scp03_unwrap(&s, buf, &n), 0);
	expect_bytes(name, buf, n >= 2 ? n - 2 : 0, eid_rsp_plain);

	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "pySim %s host: wrap case %d",
			 v->name, i + 1);
		n = unhex(case_plain[i], buf);
		expect_int(name, scp03_wrap(&s, buf, n, 0, out, &out_len), 0);
		expect_bytes(name, out, out_len, cases[i]);
	}
}

static void test_pysim_card(const struct pysim_vec *v)
{
	const char *cases[4] = { v->c1, v->c2, v->c3, v->c4 };
	uint8_t iu_cmd[32], iu_rsp[64], rsp[64], buf[512];
	static const uint8_t div[10];
	size_t n, rsp_len, want_len;
	struct gp_keyset ks;
	struct scp03 s;
	char name[96];
	int i;

	pysim_keyset(v->keylen, v->kvn, &ks);
	unhex(v->iu_cmd, iu_cmd);
	want_len = unhex(v->iu_rsp, iu_rsp);
	snprintf(name, sizeof(name), "pySim %s card: card challenge",
		 v->name);
	expect_int(name, scp03_card_challenge(&ks, iu_rsp + SCP03_IU_RSP,
					      isdr_aid, sizeof(isdr_aid), rsp),
		   0);
	{
		char want[2 * SCP03_CHALLENGE + 1];

		/* bytes 13..20 of the answer */
		memcpy(want, v->iu_rsp + 26, 2 * SCP03_CHALLENGE);
		want[2 * SCP03_CHALLENGE] = 0;
		expect_bytes(name, rsp, SCP03_CHALLENGE, want);
	}
	snprintf(name, sizeof(name), "pySim %s card: INITIALIZE UPDATE",
		 v->name);
	expect_int(name, scp03_card_begin(&s, &ks, iu_rsp[12], div,
					  iu_cmd + 5, iu_rsp + 13,
					  iu_rsp + SCP03_IU_RSP, rsp,
					  &rsp_len), 0);
	expect_bytes(name, rsp, rsp_len, v->iu_rsp);
	(void)want_len;

	snprintf(name, sizeof(name), "pySim %s card: EXTERNAL AUTHENTICATE",
		 v->name);
	n = unhex(v->ea_cmd, buf);
	expect_int(name, scp03_card_ext_auth(&s, buf, n), 0);

	snprintf(name, sizeof(name), "pySim %s card: unwrap GET EID", v->name);
	n = unhex(v->eid_cmd, buf);
	expect_int(name, scp03_card_unwrap(&s, buf, &n), 0);
	expect_bytes(name, buf, n, eid_plain);

	snprintf(name, sizeof(name), "pySim %s card: wrap response", v->name);
	n = unhex(eid_rsp_plain, buf);
	expect_int(name, scp03_card_wrap(&s, buf, &n, 0x9000), 0);
	expect_bytes(name, buf, n >= 2 ? n - 2 : 0, v->eid_rsp);

	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "pySim %s card: unwrap case %d",
			 v->name, i + 1);
		n = unhex(cases[i], buf);
		expect_int(name, scp03_card_unwrap(&s, buf, &n), 0);
		expect_bytes(name, buf, n, case_plain[i]);
	}
}

/* Altered MACs, cryptograms and data are refused at both ends. */
static void test_tamper(void)
{
	const struct pysim_vec *v = &pysim[2];	/* AES128_33 */
	uint8_t iu_cmd[32], iu_rsp[64], rsp[64], buf[512];
	static const uint8_t div[10];
	size_t n, rsp_len;
	struct gp_keyset ks;
	struct scp03 s;

	pysim_keyset(v->keylen, v->kvn, &ks);
	unhex(v->iu_cmd, iu_cmd);
	rsp_len = unhex(v->iu_rsp, iu_rsp);

	iu_rsp[rsp_len - 4] ^= 1;	/* last cryptogram byte */
	expect_int("host refuses a wrong card cryptogram",
		   scp03_host_begin(&s, &ks, iu_cmd + 5, iu_rsp, rsp_len,
				    isdr_aid, sizeof(isdr_aid)),
		   -EBADMSG);
	iu_rsp[rsp_len - 4] ^= 1;
	ks.kvn = 0x31;
	expect_int("host refuses another key version",
		   scp03_host_begin(&s, &ks, iu_cmd + 5, iu_rsp, rsp_len,
				    isdr_aid, sizeof(isdr_aid)),
		   -EKEYREJECTED);
	ks.kvn = 0x30;
	ks.mac[0] ^= 0xff;
	expect_int("host with wrong keys refuses the card cryptogram",
		   scp03_host_begin(&s, &ks, iu_cmd + 5, iu_rsp, rsp_len,
				    isdr_aid, sizeof(isdr_aid)),
		   -EBADMSG);
	ks.mac[0] ^= 0xff;
	/* the challenge is tied to the security domain and the counter */
	expect_int("host refuses a challenge for another security domain",
		   scp03_host_begin(&s, &ks, iu_cmd + 5, iu_rsp, rsp_len,
				    (const uint8_t *)"\xa0\x00\x00\x01\x51\x00\x00\x00",
				    8), -EACCES);
	expect_int("no keys are left after a refusal", (int)s.klen, 0);
	iu_rsp[rsp_len - 1] ^= 0x01;	/* sequence counter */
	expect_int("host refuses a challenge for another counter",
		   scp03_host_begin(&s, &ks, iu_cmd + 5, iu_rsp, rsp_len,
				    isdr_aid, sizeof(isdr_aid)), -EACCES);
	iu_rsp[rsp_len - 1] ^= 0x01;
	expect_int("host refuses a pseudo-random answer without counter",
		   scp03_host_begin(&s, &ks, iu_cmd + 5, iu_rsp, SCP03_IU_RSP,
				    isdr_aid, sizeof(isdr_aid)), -EPROTO);

	scp03_card_begin(&s, &ks, 0x70, div, iu_cmd + 5, iu_rsp + 13,
			 iu_rsp + SCP03_IU_RSP, rsp, &rsp_len);
	n = unhex(v->ea_cmd, buf);
	buf[6] ^= 0x80;		/* host cryptogram */
	expect_int("card refuses a wrong host cryptogram",
		   scp03_card_ext_auth(&s, buf, n), -EACCES);
	buf[6] ^= 0x80;
	buf[n - 1] ^= 0x01;	/* MAC */
	expect_int("card refuses a wrong EXTERNAL AUTHENTICATE MAC",
		   scp03_card_ext_auth(&s, buf, n), -EBADMSG);
	buf[n - 1] ^= 0x01;
	buf[2] = 0x31;
	expect_int("card refuses security level 31",
		   scp03_card_ext_auth(&s, buf, n), -EINVAL);
	buf[2] = 0x33;
	expect_int("card takes the right EXTERNAL AUTHENTICATE",
		   scp03_card_ext_auth(&s, buf, n), 0);

	n = unhex(v->eid_cmd, buf);
	buf[8] ^= 0x04;		/* encrypted data */
	expect_int("card refuses altered command data",
		   scp03_card_unwrap(&s, buf, &n), -EBADMSG);
	n = unhex(v->eid_cmd, buf);
	buf[0] = 0x80;		/* SM bit dropped */
	expect_int("card refuses a command without SM",
		   scp03_card_unwrap(&s, buf, &n), -EBADMSG);
	n = unhex(v->c1, buf);	/* replay out of order: chaining differs */
	expect_int("card refuses a replayed command",
		   scp03_card_unwrap(&s, buf, &n), -EBADMSG);

	/* host side: R-MAC */
	pysim_keyset(v->keylen, v->kvn, &ks);
	unhex(v->iu_rsp, iu_rsp);
	scp03_host_begin(&s, &ks, iu_cmd + 5, iu_rsp, rsp_len, isdr_aid,
			 sizeof(isdr_aid));
	scp03_ext_auth(&s, 0x33, 0, buf, &n);
	n = unhex(eid_plain, rsp);
	scp03_wrap(&s, rsp, n, 0, buf, &n);
	n = unhex(v->eid_rsp, buf);
	buf[n - 1] ^= 0x10;
	buf[n++] = 0x90;
	buf[n++] = 0x00;
	expect_int("host refuses an altered R-MAC", scp03_unwrap(&s, buf, &n),
		   -EBADMSG);
	n = unhex(v->eid_rsp, buf);
	buf[n++] = 0x90;
	buf[n++] = 0x01;
	expect_int("host refuses an R-MAC over another SW",
		   scp03_unwrap(&s, buf, &n), -EBADMSG);
	n = unhex(v->eid_rsp, buf);
	buf[n++] = 0x90;
	buf[n++] = 0x00;
	expect_int("host takes the right response", scp03_unwrap(&s, buf, &n),
		   0);
	buf[0] = 0x69;
	buf[1] = 0x82;
	n = 2;
	expect_int("host takes a bare error status", scp03_unwrap(&s, buf, &n),
		   0);
	buf[0] = 0x90;
	buf[1] = 0x00;
	n = 2;
	expect_int("host refuses a bare 9000 under R-MAC",
		   scp03_unwrap(&s, buf, &n), -EBADMSG);
}

/*
 * Padding is at most one block: a command that decrypts to 80 and 31
 * zeros (its MAC right, so only the padding is wrong) is refused.
 */
static void test_unpad(void)
{
	const struct pysim_vec *v = &pysim[1];	/* AES128_03 */
	static const uint8_t zero[SCP03_BLOCK];
	uint8_t iu_cmd[32], iu_rsp[64], rsp[64], buf[128], out[128];
	uint8_t ctr[SCP03_BLOCK] = { 0 }, icv[SCP03_BLOCK], plain[32];
	struct scp03 host, card;
	struct gp_keyset ks;
	size_t n, rsp_len, i;
	static const uint8_t div[10];

	pysim_keyset(v->keylen, v->kvn, &ks);
	unhex(v->iu_cmd, iu_cmd);
	rsp_len = unhex(v->iu_rsp, iu_rsp);
	for (i = 0; i < 2; i++) {
		expect_int("unpad: host session",
			   scp03_host_begin(&host, &ks, iu_cmd + 5, iu_rsp,
					    rsp_len, isdr_aid,
					    sizeof(isdr_aid)), 0);
		scp03_ext_auth(&host, 0x03, 0, buf, &n);
		scp03_card_begin(&card, &ks, iu_rsp[12], div, iu_cmd + 5,
				 iu_rsp + 13, iu_rsp + SCP03_IU_RSP, rsp,
				 &rsp_len);
		expect_int("unpad: card session",
			   scp03_card_ext_auth(&card, buf, n), 0);

		/* i = 0: padding of 17 bytes; i = 1: 16 bytes, 80 in block 1 */
		memset(plain, 0, sizeof(plain));
		plain[i ? 16 : 15] = 0x80;
		ctr[15] = 1;			/* the first command's counter */
		gp_aes_cbc(host.s_enc, host.klen, true, zero, ctr, 16, icv);
		memcpy(buf, "\x80\xe8\x80\x00\x20", 5);
		gp_aes_cbc(host.s_enc, host.klen, true, icv, plain, 32,
			   buf + 5);
		/* the MAC over that ciphertext: wrap it under C-MAC alone */
		host.level = GP_SL_CMAC;
		expect_int("unpad: MAC", scp03_wrap(&host, buf, 37, 0, out, &n),
			   0);
		if (!i)
			expect_int("card refuses padding longer than a block",
				   scp03_card_unwrap(&card, out, &n), -EBADMSG);
		else
			expect_int("card takes padding of one block",
				   scp03_card_unwrap(&card, out, &n) ||
				   n != 5 + 16 || out[4] != 16, 0);
	}
}

/* A channel-4+ class byte is what the MAC covers on that channel. */
static void test_cla(void)
{
	expect_int("CLA 84 channel 0", gp_cla_channel(0x84, 0), 0x84);
	expect_int("CLA 84 channel 3", gp_cla_channel(0x84, 3), 0x87);
	expect_int("CLA 84 channel 4", gp_cla_channel(0x84, 4), 0xe0);
	expect_int("CLA 80 channel 19", gp_cla_channel(0x80, 19), 0xcf);
	expect_int("CLA 00 channel 5", gp_cla_channel(0x00, 5), 0x41);
	expect_int("CLA 9C channel 19 would be FF", gp_cla_channel(0x9c, 19),
		   -EINVAL);
	expect_int("channel 20", gp_cla_channel(0x80, 20), -EINVAL);
}

/*
 * Amendment D 6.2.4: the C-MAC covers the class byte with the logical
 * channel number zero.  A command wrapped for channel 1 or 5 is the one
 * wrapped for the basic channel (pySim's vector), and the card takes it
 * with the channel coded in, EXTERNAL AUTHENTICATE included.
 */
static void test_channel_mac(void)
{
	static const unsigned int chans[] = { 1, 3, 5, 19 };
	const struct pysim_vec *v = &pysim[0];	/* AES128_11 */
	uint8_t iu_cmd[32], iu_rsp[64], rsp[64], ea[32], buf[64], want[64];
	struct scp03 host, card;
	struct gp_keyset ks;
	size_t n, ea_len, rsp_len, want_len, i;
	static const uint8_t div[10];
	char name[64];

	pysim_keyset(v->keylen, v->kvn, &ks);
	unhex(v->iu_cmd, iu_cmd);
	for (i = 0; i < sizeof(chans) / sizeof(chans[0]); i++) {
		rsp_len = unhex(v->iu_rsp, iu_rsp);
		scp03_host_begin(&host, &ks, iu_cmd + 5, iu_rsp, rsp_len,
				 isdr_aid, sizeof(isdr_aid));
		scp03_ext_auth(&host, 0x11, chans[i], ea, &ea_len);
		want_len = unhex(v->ea_cmd, want);
		snprintf(name, sizeof(name),
			 "EXTERNAL AUTHENTICATE for channel %u is channel 0's",
			 chans[i]);
		expect_int(name, ea_len != want_len ||
			   memcmp(ea, want, ea_len), 0);
		scp03_card_begin(&card, &ks, iu_rsp[12], div, iu_cmd + 5,
				 iu_rsp + 13, iu_rsp + SCP03_IU_RSP, rsp,
				 &rsp_len);
		ea[0] = gp_cla_channel(0x84, chans[i]);
		snprintf(name, sizeof(name),
			 "card takes EXTERNAL AUTHENTICATE on channel %u",
			 chans[i]);
		expect_int(name, scp03_card_ext_auth(&card, ea, ea_len), 0);
		scp03_wrap(&host, (const uint8_t *)"\x80\xca\x00\x66\x00",
			   5, chans[i], buf, &n);
		snprintf(name, sizeof(name),
			 "GET DATA wrapped for channel %u: class byte 84",
			 chans[i]);
		expect_int(name, buf[0], 0x84);
		buf[0] = gp_cla_channel(0x84, chans[i]);
		snprintf(name, sizeof(name),
			 "card takes a C-MAC over channel 0 on channel %u",
			 chans[i]);
		expect_int(name, scp03_card_unwrap(&card, buf, &n) ||
			   buf[0] != gp_cla_channel(0x80, chans[i]), 0);
	}
}

/*
 * An extended-length LOAD (issue 9 item 15) protected at level 03: it
 * stays extended, the card takes it back to the same plain command, and
 * the room for one is what 65535 bytes leave after padding and MAC.
 */
static void test_extended_wrap(void)
{
	const struct pysim_vec *v = &pysim[1];	/* AES128_03 */
	static uint8_t cmd[7 + 4000 + 2], out[7 + 4000 + 64];
	uint8_t iu_cmd[32], iu_rsp[64], rsp[64], ea[32];
	struct scp03 host, card;
	struct gp_keyset ks;
	size_t n, ea_len, rsp_len, i;
	static const uint8_t div[10];

	expect_int("room, level 03, 65535", scp03_data_room_field(0x03, 65535),
		   65519);
	expect_int("room, level 01, 65535", scp03_data_room_field(0x01, 65535),
		   65527);
	expect_int("room, level 03, short", scp03_data_room(0x03), 239);
	pysim_keyset(v->keylen, v->kvn, &ks);
	unhex(v->iu_cmd, iu_cmd);
	rsp_len = unhex(v->iu_rsp, iu_rsp);
	scp03_host_begin(&host, &ks, iu_cmd + 5, iu_rsp, rsp_len, isdr_aid,
			 sizeof(isdr_aid));
	scp03_ext_auth(&host, 0x03, 0, ea, &ea_len);
	scp03_card_begin(&card, &ks, iu_rsp[12], div, iu_cmd + 5, iu_rsp + 13,
			 iu_rsp + SCP03_IU_RSP, rsp, &rsp_len);
	scp03_card_ext_auth(&card, ea, ea_len);
	memcpy(cmd, "\x80\xe8\x00\x00\x00\x0f\xa0", 7);
	for (i = 0; i < 4000; i++)
		cmd[7 + i] = i * 7;
	cmd[7 + 4000] = 0x00;
	cmd[7 + 4001] = 0x00;
	expect_int("wrap extended LOAD", scp03_wrap(&host, cmd, sizeof(cmd), 0,
						    out, &n), 0);
	expect_int("extended Lc", out[4] == 0 && ((out[5] << 8) | out[6]) ==
		   4000 / 16 * 16 + 16 + 8 && n == 7 + 4016 + 8 + 2, 1);
	expect_int("card unwraps it", scp03_card_unwrap(&card, out, &n), 0);
	expect_int("to the plain command", n == 7 + 4000 + 2 &&
		   !memcmp(out + 7, cmd + 7, 4000), 1);
}

/*
 * KDF3 key diversification: GlobalPlatformPro's vector (library/src/test/
 * java/pro/javacard/gp/TestSCP03.java, testKDF3): AES-256 master key,
 * diversification data D9B1DE5D0362DEDCE4FB, the ENC key.
 */
static void test_kdf3(void)
{
	struct gp_keyset master, out;
	uint8_t kdd[10], want[32];

	memset(&master, 0, sizeof(master));
	master.kvn = 0x30;
	master.len = 32;
	unhex("8C72C72CF908411653018807950D82FBAD947562F0828A0B10B8B9606ABF3BCD",
	      master.enc);
	memcpy(master.mac, master.enc, 32);
	memcpy(master.dek, master.enc, 32);
	unhex("D9B1DE5D0362DEDCE4FB", kdd);
	unhex("9AAC5D0B3601F89438A0D9D0B6B256CFB47E6462DFA5228D3420C4AC7C224781",
	      want);
	expect_int("KDF3", gp_kdf3(&master, kdd, &out), 0);
	expect_int("KDF3 ENC is GlobalPlatformPro's", memcmp(out.enc, want, 32),
		   0);
	expect_int("KDF3 MAC differs from ENC", !memcmp(out.mac, out.enc, 32),
		   0);
	expect_int("KDF3 keeps the key version", out.kvn, 0x30);
}

/* The 3DES key check value: the first 3 bytes of 3DES-ECB(key, 0^8). */
static void kcv_3des(const uint8_t key[16], uint8_t kcv[3])
{
	static const uint8_t zero[8];
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	uint8_t out[16];
	int n = 0;

	memset(out, 0xff, sizeof(out));
	if (!ctx ||
	    EVP_EncryptInit_ex(ctx, EVP_des_ede_ecb(), NULL, key, NULL) != 1 ||
	    EVP_CIPHER_CTX_set_padding(ctx, 0) != 1 ||
	    EVP_EncryptUpdate(ctx, out, &n, zero, 8) != 1)
		n = 0;
	EVP_CIPHER_CTX_free(ctx);
	expect_int("3DES KCV", n, 8);
	memcpy(kcv, out, 3);
}

static void expect_kcvs(const char *what, const struct gp_keyset *ks,
			const char *want_hex)
{
	const uint8_t *keys[3] = { ks->enc, ks->mac, ks->dek };
	uint8_t want[9], kcv[3];
	char name[64];
	unsigned int k;

	unhex(want_hex, want);
	for (k = 0; k < 3; k++) {
		kcv_3des(keys[k], kcv);
		snprintf(name, sizeof(name), "%s %s KCV is GlobalPlatformPro's",
			 what, k == 0 ? "ENC" : k == 1 ? "MAC" : "DEK");
		expect_int(name, memcmp(kcv, want + 3 * k, 3), 0);
	}
}

/*
 * EMV CPS 1.1 and VISA2 key diversification: GlobalPlatformPro's vectors
 * (library/src/test/java/pro/javacard/gp/test/TestPlaintextKeys.java,
 * testDiversification_EMV_SCP02 and testDiversification_VISA2_SCP02; also
 * tool/src/test/java/pro/javacard/gptool/TestPlaintextKeysProvider.java):
 * master key 404142..4F, diversification data 00010203040506070809, the
 * key check values of the derived ENC, MAC and DEK.
 */
static void test_div_emv_visa2(void)
{
	struct gp_keyset master, out, big;
	uint8_t kdd[10];
	unsigned int i;

	memset(&master, 0, sizeof(master));
	master.kvn = 0x20;
	master.len = 16;
	unhex("404142434445464748494A4B4C4D4E4F", master.enc);
	memcpy(master.mac, master.enc, 16);
	memcpy(master.dek, master.enc, 16);
	for (i = 0; i < 10; i++)
		kdd[i] = i;

	expect_int("EMV", gp_div_emv(&master, kdd, &out), 0);
	expect_kcvs("EMV", &out, "C330136F4CA6BB8179");
	expect_int("EMV keeps the key version and length",
		   out.kvn == 0x20 && out.len == 16, 1);
	expect_int("VISA2", gp_div_visa2(&master, kdd, &out), 0);
	expect_kcvs("VISA2", &out, "2BE59858DA383C328E");
	expect_int("gp_diversify(GP_DIV_EMV)",
		   gp_diversify(GP_DIV_EMV, &master, kdd, &out), 0);
	expect_kcvs("gp_diversify EMV", &out, "C330136F4CA6BB8179");
	expect_int("gp_diversify(GP_DIV_VISA2)",
		   gp_diversify(GP_DIV_VISA2, &master, kdd, &out), 0);
	expect_kcvs("gp_diversify VISA2", &out, "2BE59858DA383C328E");
	expect_int("gp_diversify(GP_DIV_NONE) copies",
		   gp_diversify(GP_DIV_NONE, &master, kdd, &out) == 0 &&
		   !memcmp(&out, &master, sizeof(out)), 1);

	/* EMV data are not bytes 0 to 5: the six rightmost count */
	kdd[0] ^= 0xff;
	expect_int("EMV after a change in KDD byte 0",
		   gp_div_emv(&master, kdd, &out), 0);
	expect_kcvs("EMV ignores KDD bytes 0 to 3", &out, "C330136F4CA6BB8179");
	kdd[0] ^= 0xff;

	/* 24- and 32-byte masters: refused, not cut to 16 bytes */
	big = master;
	big.len = 24;
	expect_int("EMV refuses a 24-byte master",
		   gp_div_emv(&big, kdd, &out), -EINVAL);
	big.len = 32;
	expect_int("VISA2 refuses a 32-byte master",
		   gp_div_visa2(&big, kdd, &out), -EINVAL);
}

/*
 * SCP02, host side, against pySim's SCP02_Test and SCP02_Auth_Test
 * (tests/unittests/test_globalplatform.py): 3DES keys 10 01 02.. (ENC),
 * 10 11 02.. (MAC), 10 21 02.. (DEK); one session, level 01, C-MAC with
 * ICV encryption over four APDU cases.
 */
static void test_scp02(void)
{
	static const char *const wrapped[4] = {
		"84F220020814DB34FA4341DCA8",
		"84CA00660855ED7C5FF069512B00",
		"84F22002124F0212345C054F9F70C58FC1B380C4228AF8",
		"84F280020A4F003B95F09317DE6A4E00",
	};
	static const char *const plain[4] = {
		"80F22002", "80ca006600", "80F220020a4f0212345c054f9f70c5",
		"80f28002024f0000",
	};
	uint8_t chal[8], rsp[32], apdu[64], out[64], want[64];
	struct gp_keyset ks;
	struct scp02 s;
	size_t n, len, wn;
	char name[48];
	int i;

	memset(&ks, 0, sizeof(ks));
	ks.len = 16;
	unhex("100102030405060708090a0b0c0d0e0f", ks.enc);
	unhex("101102030405060708090a0b0c0d0e0f", ks.mac);
	unhex("102102030405060708090a0b0c0d0e0f", ks.dek);
	unhex("40A62C37FA6304F8", chal);
	n = unhex("00000000000000000000700200016B4524ABEE7CF32EA3838BC148F3",
		  rsp);
	rsp[27] ^= 0xff;
	expect_int("SCP02: a wrong card cryptogram",
		   scp02_host_begin(&s, &ks, chal, rsp, n), -EBADMSG);
	rsp[27] ^= 0xff;
	expect_int("SCP02: card cryptogram", scp02_host_begin(&s, &ks, chal,
							      rsp, n), 0);
	expect_int("SCP02: EXTERNAL AUTHENTICATE",
		   scp02_ext_auth(&s, 0x01, out, &len), 0);
	wn = unhex("8482010010BA6961667737C5BCEBECE14C7D6A4376", want);
	expect_int("SCP02: EXTERNAL AUTHENTICATE is pySim's",
		   len != wn || memcmp(out, want, wn), 0);
	for (i = 0; i < 4; i++) {
		n = unhex(plain[i], apdu);
		wn = unhex(wrapped[i], want);
		snprintf(name, sizeof(name), "SCP02: case %d is pySim's", i + 1);
		expect_int(name, scp02_wrap(&s, apdu, n, out, &len) ||
			   len != wn || memcmp(out, want, wn), 0);
	}
	expect_int("SCP02: room at 03", scp02_data_room(0x03), 239);
}

/* a datastore install without its PIN is named before the card says 6A80 */
static void test_install_params(void)
{
	static const uint8_t pin[] = { 0xdf, 0x20, 0x04, '1', '2', '3', '4' };
	static const uint8_t short_pin[] = { 0xdf, 0x20, 0x02, '1', '2' };
	static const uint8_t tries[] = { 0xdf, 0x21, 0x01, 0x03 };

	expect_int("datastore: no parameters",
		   !gp_install_params_missing("secel.datastore", NULL, 0), 0);
	expect_int("datastore: no DF20",
		   !gp_install_params_missing("secel.datastore", tries,
					      sizeof(tries)), 0);
	expect_int("datastore: a 2-byte PIN",
		   !gp_install_params_missing("secel.datastore", short_pin,
					      sizeof(short_pin)), 0);
	expect_int("datastore: PIN 1234",
		   !gp_install_params_missing("secel.datastore", pin,
					      sizeof(pin)), 1);
	expect_int("purse: not this check's",
		   !gp_install_params_missing("secel.purse", NULL, 0), 1);
	expect_int("the message names DF20",
		   !!strstr(gp_install_params_missing("secel.datastore", NULL, 0),
			    "DF20"), 1);
}

int main(void)
{
	size_t i;

	test_cmac();
	for (i = 0; i < sizeof(pysim) / sizeof(pysim[0]); i++) {
		test_pysim_host(&pysim[i]);
		test_pysim_card(&pysim[i]);
	}
	test_tamper();
	test_unpad();
	test_cla();
	test_channel_mac();
	test_extended_wrap();
	test_kdf3();
	test_div_emv_visa2();
	test_scp02();
	test_install_params();
	printf("test-scp03: %d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * test-card - unit test of the secel-vcard card model, no kernel needed:
 * feeds command APDUs to vcard_apdu() and checks the responses.
 *
 *   make -C tools/secel-vcard test
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "card.h"

static int failures, checks;
static uint8_t rsp[VC_RSP_MAX];
static uint8_t cmdbuf[VC_CMD_MAX];
static const char *section = "";

static size_t unhex(const char *s, uint8_t *out)
{
	size_t n = 0;
	unsigned int v;

	while (*s) {
		if (*s == ' ') {
			s++;
			continue;
		}
		if (sscanf(s, "%2x", &v) != 1) {
			fprintf(stderr, "bad hex in test: %s\n", s);
			exit(2);
		}
		out[n++] = v;
		s += 2;
	}
	return n;
}

static void dump(const char *what, const uint8_t *b, size_t len)
{
	size_t i;

	fprintf(stderr, "    %s (%zu):", what, len);
	for (i = 0; i < len && i < 48; i++)
		fprintf(stderr, " %02X", b[i]);
	fprintf(stderr, "%s\n", len > 48 ? " ..." : "");
}

static void fail(const char *fmt, ...)
{
	va_list ap;

	failures++;
	fprintf(stderr, "FAIL [%s] ", section);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Send a binary command; returns the response length. */
static size_t xmit(struct vcard *vc, const uint8_t *cmd, size_t len)
{
	size_t n = vcard_apdu(vc, cmd, len, rsp);

	if (n < 2 || n > VC_RSP_MAX) {
		fail("response length %zu", n);
		exit(1);
	}
	return n;
}

static unsigned int sw_of(size_t n)
{
	return (rsp[n - 2] << 8) | rsp[n - 1];
}

/* cmd and expected response in hex */
static void expect(struct vcard *vc, const char *cmd, const char *want)
{
	static uint8_t w[VC_RSP_MAX];
	size_t clen = unhex(cmd, cmdbuf), wlen = unhex(want, w), n;

	checks++;
	n = xmit(vc, cmdbuf, clen);
	if (n != wlen || memcmp(rsp, w, n)) {
		fail("%s", cmd);
		dump("want", w, wlen);
		dump("got ", rsp, n);
	}
}

/* cmd in hex; expect @len data bytes of pattern (i + start) and @sw */
static void expect_pattern(struct vcard *vc, const char *cmd, size_t len,
			   uint8_t start, unsigned int sw)
{
	size_t clen = unhex(cmd, cmdbuf), n, i;

	checks++;
	n = xmit(vc, cmdbuf, clen);
	if (n != len + 2 || sw_of(n) != sw) {
		fail("%s: want %zu bytes + %04X, got %zu bytes + %04X", cmd,
		     len, sw, n - 2, sw_of(n));
		return;
	}
	for (i = 0; i < len; i++) {
		if (rsp[i] != ((i + start) & 0xff)) {
			fail("%s: byte %zu is %02X", cmd, i, rsp[i]);
			return;
		}
	}
}

static struct vcard *card(const struct vc_config *cfg)
{
	struct vc_config def;
	struct vcard *vc;

	if (!cfg) {
		vc_config_defaults(&def);
		cfg = &def;
	}
	vc = vcard_new(cfg);
	if (!vc) {
		perror("vcard_new");
		exit(1);
	}
	return vc;
}

/* GPCS table 11-82: 9F65, the longest command data field, after 73 */
#define ISD_FCI "6F 41 84 08 A000000151000000 A5 35 " \
	"732F06072A864886FC6B01600C060A2A864886FC6B02020201630906072A864886" \
	"FC6B03640B06092A864886FC6B040370 9F6501FF"
#define TEST_FCI "6F 09 84 07 F0534543454C01"
#define SEL_TEST "00 A4 04 00 07 F0534543454C01 00"
#define CPLC "479051674791823152008218534543010042481282204812822200000000" \
	"000000000000000000000000"

static void test_atr(void)
{
	struct vc_config cfg;
	uint8_t x = 0;
	size_t i;

	section = "atr";
	vc_config_defaults(&cfg);
	checks++;
	for (i = 1; i < cfg.atr_len; i++)
		x ^= cfg.atr[i];
	if (cfg.atr[0] != 0x3b || x != 0 || cfg.atr_len > VC_ATR_MAX)
		fail("default ATR has a bad TCK or length");
}

static void test_parse(void)
{
	struct vcard *vc = card(NULL);

	section = "parse";
	expect(vc, "", "6700");
	expect(vc, "00", "6700");
	expect(vc, "00 A4 04", "6700");
	expect(vc, "FF A4 04 00 00", "6E00");
	expect(vc, "FF", "6700");
	expect(vc, "20 A4 04 00 00", "6E00");	/* reserved class */
	expect(vc, "A0 CA 9F 7F 00", "6E00");	/* 101x xxxx */
	/* Lc says 3, 2 bytes follow */
	expect(vc, "80 10 00 00 03 01 02", "6700");
	/* Lc says 1, then 2 extra bytes */
	expect(vc, "80 10 00 00 01 01 02 03", "6700");
	/* extended without --extended */
	expect(vc, "00 A4 04 00 00 00 00", "6700");
	expect(vc, "80 10 00 00 00 00 01 AA", "6700");
	/* secure messaging and chaining indicated */
	expect(vc, "04 A4 04 00 00", "6882");
	/* the ISD knows SM, but there is no session: 6982 */
	expect(vc, "84 CA 9F 7F 00", "6982");
	expect(vc, "10 A4 04 00 00", "6884");
	expect(vc, "00 B0 00 00 00", "6D00");	/* ISD: unknown INS */
	vcard_free(vc);

	{
		struct vc_apdu a;
		uint8_t c[] = { 0x80, 0x10, 0, 0, 0, 0x00, 0x02, 1, 2, 0x01,
				0x00 };

		checks++;
		if (vc_parse(c, sizeof(c), true, &a) || a.apdu_case != 4 ||
		    !a.extended || a.nc != 2 || a.ne != 256)
			fail("extended case 4 parse");
		checks++;
		if (vc_parse(c, 7, true, &a) || a.apdu_case != 2 ||
		    a.ne != 2)
			fail("extended case 2 parse");
		c[5] = 0;
		c[6] = 0;
		checks++;
		if (vc_parse(c, 7, true, &a) || a.ne != 65536)
			fail("extended case 2 Le 0000");
		checks++;
		if (vc_parse(c, 9, true, &a) != SW_WRONG_LENGTH)
			fail("extended Lc 0000 must be malformed");
	}
}

static void test_select(void)
{
	struct vc_config cfg;
	struct vcard *vc = card(NULL);

	section = "select";
	expect(vc, "00 A4 04 00 00", ISD_FCI "9000");
	expect(vc, "00 A4 04 00", ISD_FCI "9000");
	expect(vc, "00 A4 04 00 08 A000000151000000 00", ISD_FCI "9000");
	expect(vc, "00 A4 04 00 08 A000000151000000", ISD_FCI "9000");
	expect(vc, "00 A4 04 0C 08 A000000151000000", "9000");
	expect(vc, "00 A4 04 00 08 A000000151000000 10", "6F418408A000000151000000A535732F9000");
	expect(vc, SEL_TEST, TEST_FCI "9000");
	expect(vc, "00 A4 04 00 07 F0534543454C02 00", "6A82");
	expect(vc, "00 A4 04 00 05 F053454345 00", "6A82");
	expect(vc, "00 A4 04 02 07 F0534543454C01 00", "6A82");
	expect(vc, "00 A4 00 00 02 3F00 00", "6A86");
	expect(vc, "00 A4 04 10 07 F0534543454C01 00", "6A86");
	/* the failed SELECTs left the test applet selected */
	expect(vc, "80 16 00 00 01", "00 9000");
	vcard_free(vc);

	vc_config_defaults(&cfg);
	cfg.card_data.present = false;
	cfg.isd_aid_len = 7;
	memcpy(cfg.isd_aid, "\xA0\x00\x00\x00\x03\x00\x00", 7);
	vc = card(&cfg);
	expect(vc, "00 A4 04 00 07 A0000000030000 00",
	       "6F 0F 84 07 A0000000030000 A5 04 9F6501FF 9000");
	expect(vc, "00 A4 04 00 08 A000000151000000 00", "6A82");
	vcard_free(vc);
}

static void test_get_data(void)
{
	struct vc_config cfg;
	struct vcard *vc = card(NULL);

	section = "get-data";
	expect(vc, "80 CA 9F 7F 00", "9F7F 2A " CPLC " 9000");
	expect(vc, "00 CA 9F 7F 00", "9F7F 2A " CPLC " 9000");
	expect(vc, "80 CA 9F 7F", "9F7F 2A " CPLC " 9000");
	expect(vc, "80 CA 00 42 00", "42 04 89000001 9000");
	expect(vc, "80 CA 00 45 00", "45 08 534543454C000001 9000");
	expect(vc, "80 CA 00 66 00", "66 31 732F06072A864886FC6B01600C060A2A864886FC6B02020201630906072A864886FC6B03640B06092A864886FC6B040370 9000");
	expect(vc, "80 CA 00 CF 00", "6A88");
	expect(vc, "80 CA 00 42 01 00", "6700");
	/*
	 * GET DATA belongs to the selected application: the test applet
	 * has no such instruction, and the ISD's data is not its to give
	 */
	expect(vc, SEL_TEST, TEST_FCI "9000");
	expect(vc, "80 CA 00 42 00", "6D00");
	expect(vc, "00 CA 9F 7F 00", "6E00");
	expect(vc, "00 A4 04 00 08 A000000151000000 00", ISD_FCI "9000");
	expect(vc, "80 CA 00 42 00", "42 04 89000001 9000");
	vcard_free(vc);

	vc_config_defaults(&cfg);
	cfg.no_gpdata = true;
	vc = card(&cfg);
	expect(vc, "80 CA 9F 7F 00", "6A88");
	expect(vc, "80 CA 00 42 00", "6A88");
	expect(vc, "80 CA 00 45 00", "6A88");
	expect(vc, "80 CA 00 66 00", "6A88");
	vcard_free(vc);

	vc_config_defaults(&cfg);
	cfg.iin.present = false;
	cfg.cin.len = 200;
	memset(cfg.cin.val, 0xCC, 200);
	vc = card(&cfg);
	expect(vc, "80 CA 00 42 00", "6A88");
	checks++;
	{
		size_t n = xmit(vc, (const uint8_t *)"\x80\xCA\x9F\x7F\x00", 5);

		if (n != 47 || rsp[2] != 42 || sw_of(n) != 0x9000)
			fail("CPLC untouched by other items");
		n = xmit(vc, (const uint8_t *)"\x80\xCA\x00\x45\x00", 5);

		if (n != 3 + 200 + 2 || rsp[0] != 0x45 || rsp[1] != 0x81 ||
		    rsp[2] != 200 || sw_of(n) != 0x9000)
			fail("200-byte CIN: BER length 81 C8");
	}
	vcard_free(vc);
}

static void test_channels(void)
{
	struct vc_config cfg;
	struct vcard *vc = card(NULL);
	char cmd[64], want[64];
	unsigned int i;

	section = "channels";
	expect(vc, "01 A4 04 00 00", "6881");
	expect(vc, "00 70 00 00 01", "01 9000");
	expect(vc, "00 70 00 00 01", "02 9000");
	expect(vc, "00 70 00 00 00", "03 9000");
	expect(vc, "00 70 00 00", "6700");
	expect(vc, "00 70 00 00 01 01", "6700");
	expect(vc, "00 70 40 00 01", "6A86");
	/* the new channel has the ISD selected */
	expect(vc, "01 A4 04 0C 00", "9000");
	/* each channel its own application */
	expect(vc, "02 A4 04 00 07 F0534543454C01 00", TEST_FCI "9000");
	expect(vc, "82 16 00 00 01", "02 9000");
	expect(vc, "80 16 00 00 01", "6D00");	/* ISD on channel 0 */
	expect(vc, "81 16 00 00 01", "6D00");	/* ISD on channel 1 */
	/* opened from channel 2: the test applet is selected there too */
	expect(vc, "02 70 00 00 01", "04 9000");
	expect(vc, "C0 16 00 00 01", "04 9000");
	/* close */
	expect(vc, "00 70 80 02", "9000");
	expect(vc, "82 16 00 00 01", "6881");
	expect(vc, "00 70 80 02", "6A88");
	expect(vc, "00 70 80 02 00", "6A88");
	expect(vc, "00 70 80 00", "6A88");
	expect(vc, "00 70 80 14", "6A88");
	expect(vc, "00 70 80 03 00", "9000");
	/* P2 00 closes the channel the command came on */
	expect(vc, "01 70 80 00", "9000");
	expect(vc, "01 A4 04 00 00", "6881");
	/* lowest free first */
	expect(vc, "00 70 00 00 01", "01 9000");
	expect(vc, "00 70 00 00 01", "02 9000");
	expect(vc, "00 70 00 00 01", "03 9000");
	/* up to 19, further-class CLA */
	for (i = 5; i <= 19; i++) {
		snprintf(want, sizeof(want), "%02X 9000", i);
		expect(vc, "00 70 00 00 01", want);
	}
	expect(vc, "00 70 00 00 01", "6A81");
	for (i = 4; i <= 19; i++) {
		snprintf(cmd, sizeof(cmd), "%02X A4 04 00 07 F0534543454C01 00",
			 0x40 | (i - 4));
		expect(vc, cmd, TEST_FCI "9000");
		snprintf(cmd, sizeof(cmd), "%02X 16 00 00 01", 0xC0 | (i - 4));
		snprintf(want, sizeof(want), "%02X 9000", i);
		expect(vc, cmd, want);
	}
	/* channel 19 GET DATA with CLA 80 class further form: the test
	 * applet is selected there, then the ISD */
	expect(vc, "CF CA 00 42 00", "6D00");
	expect(vc, "4F A4 04 00 00", ISD_FCI "9000");
	expect(vc, "CF CA 00 42 00", "42 04 89000001 9000");
	/* SM in the further form: the ISD has no session (6982); the test
	 * applet knows no secure messaging at all (6882) */
	expect(vc, "EF CA 00 42 00", "6982");
	expect(vc, "4F A4 04 00 07 F0534543454C01 00", TEST_FCI "9000");
	expect(vc, "EF CA 00 42 00", "6882");
	expect(vc, "00 70 80 13", "9000");
	expect(vc, "4F A4 04 00 00", "6881");
	/* reset closes every channel */
	vcard_reset(vc);
	expect(vc, "01 A4 04 00 00", "6881");
	expect(vc, "C0 16 00 00 01", "6881");
	expect(vc, "80 16 00 00 01", "6D00");	/* ISD again on channel 0 */
	vcard_free(vc);

	vc_config_defaults(&cfg);
	cfg.channels = 2;
	vc = card(&cfg);
	expect(vc, "00 70 00 00 01", "01 9000");
	expect(vc, "00 70 00 00 01", "02 9000");
	expect(vc, "00 70 00 00 01", "6A81");
	expect(vc, "00 70 00 03", "6A86");
	expect(vc, "00 70 80 01", "9000");
	expect(vc, "00 70 00 01", "9000");	/* open a given channel */
	expect(vc, "00 70 00 01", "6A81");
	vcard_free(vc);

	vc_config_defaults(&cfg);
	cfg.channels = 0;
	vc = card(&cfg);
	expect(vc, "00 70 00 00 01", "6A81");
	vcard_free(vc);

	vc_config_defaults(&cfg);
	cfg.no_channels = true;
	vc = card(&cfg);
	expect(vc, "00 70 00 00 01", "6881");
	expect(vc, "00 70 80 01", "6881");
	vcard_free(vc);
}

static void test_applet(void)
{
	struct vcard *vc = card(NULL);

	section = "applet";
	expect(vc, SEL_TEST, TEST_FCI "9000");
	/* ECHO */
	expect(vc, "80 10 00 00 03 010203", "010203 9000");
	expect(vc, "80 10 00 00 03 010203 00", "010203 9000");
	expect(vc, "80 10 00 00 03 010203 02", "0102 9000");
	expect(vc, "80 10 00 00", "9000");
	expect(vc, "80 10 00 00 10", "9000");
	/* GENERATE */
	expect(vc, "80 12 05 00 04", "05060708 9000");
	expect(vc, "80 12 FE 00 03", "FEFF00 9000");
	expect_pattern(vc, "80 12 00 00 00", 256, 0, 0x9000);
	expect_pattern(vc, "80 12 07 00 FF", 255, 7, 0x9000);
	expect(vc, "80 12 00 00", "6700");
	expect(vc, "80 12 00 00 01 AA 00", "6700");
	/* EXACT-LE */
	expect(vc, "80 14 10 00 00", "6C10");
	expect(vc, "80 14 10 00 0F", "6C10");
	expect_pattern(vc, "80 14 10 00 10", 16, 0, 0x9000);
	expect_pattern(vc, "80 14 00 00 00", 256, 0, 0x9000);
	expect(vc, "80 14 00 00 01", "6C00");
	expect(vc, "80 14 10 00", "6700");
	/* WHOAMI */
	expect(vc, "80 16 00 00 01", "00 9000");
	expect(vc, "80 16 00 00", "00 9000");
	/* unknown INS, interindustry class */
	expect(vc, "80 20 00 00", "6D00");
	expect(vc, "80 C0 00 00 00", "6D00");
	expect(vc, "00 10 00 00 01 AA", "6E00");
	/* LONG: 300 bytes in 61xx chunks */
	expect(vc, "80 18 01 2C", "6100");
	expect_pattern(vc, "00 C0 00 00 00", 256, 0, 0x612C);
	expect_pattern(vc, "00 C0 00 00 2C", 44, 0, 0x9000);
	expect(vc, "00 C0 00 00 00", "6985");
	/* GET RESPONSE asking for less, and for more than there is */
	expect(vc, "80 18 00 05 00", "6105");
	expect(vc, "00 C0 00 00 02", "0001 6103");
	expect(vc, "00 C0 00 00 10", "020304 9000");
	expect(vc, "00 C0 00 00 01", "6985");
	/* exactly 256: 6100, then 9000 */
	expect(vc, "80 18 01 00", "6100");
	expect_pattern(vc, "00 C0 00 00 00", 256, 0, 0x9000);
	/* another command drops what is pending */
	expect(vc, "80 18 00 10", "6110");
	expect(vc, "80 16 00 00 01", "00 9000");
	expect(vc, "00 C0 00 00 10", "6985");
	/* bad GET RESPONSE */
	expect(vc, "80 18 00 10", "6110");
	expect(vc, "00 C0 01 00 10", "6A86");
	expect(vc, "00 C0 00 00", "6700");
	/* a refused GET RESPONSE leaves the data pending */
	expect_pattern(vc, "00 C0 00 00 10", 16, 0, 0x9000);
	expect(vc, "00 C0 00 00 10", "6985");
	/* LONG of 0 bytes */
	expect(vc, "80 18 00 00", "9000");
	expect(vc, "80 18 00 10 01 00", "6700");
	vcard_free(vc);

	/* COUNTER, per channel */
	vc = card(NULL);
	expect(vc, "00 70 00 00 01", "01 9000");
	expect(vc, "01 A4 04 00 07 F0534543454C01 00", TEST_FCI "9000");
	expect(vc, "81 1A 00 00 04", "00000002 9000");
	expect(vc, "81 1A 00 00 00", "00000003 9000");
	expect(vc, SEL_TEST, TEST_FCI "9000");
	expect(vc, "80 1A 00 00 04", "00000003 9000");	/* 70, A4, 1A */
	expect(vc, "81 1A 00 00 02", "0000 9000");	/* 4, cut to Ne */
	expect(vc, "00 70 80 01", "9000");
	expect(vc, "00 70 00 00 01", "01 9000");
	expect(vc, "81 1A 00 00 04", "6D00");	/* ISD selected */
	vcard_free(vc);
}

static void test_force_61(void)
{
	struct vc_config cfg;
	struct vcard *vc;

	section = "force-61";
	vc_config_defaults(&cfg);
	cfg.force_61 = true;
	vc = card(&cfg);
	/* the ISD answers directly */
	expect(vc, "00 A4 04 00 00", ISD_FCI "9000");
	expect(vc, "80 CA 00 42 00", "42 04 89000001 9000");
	expect(vc, SEL_TEST, TEST_FCI "9000");
	expect(vc, "80 10 00 00 03 010203 00", "6103");
	expect(vc, "00 C0 00 00 03", "010203 9000");
	expect(vc, "80 12 00 00 00", "6100");
	expect_pattern(vc, "00 C0 00 00 00", 256, 0, 0x9000);
	expect(vc, "80 14 08 00 00", "6C08");
	expect(vc, "80 14 08 00 08", "6108");
	expect_pattern(vc, "00 C0 00 00 08", 8, 0, 0x9000);
	expect(vc, "80 16 00 00 01", "6101");
	expect(vc, "00 C0 00 00 01", "00 9000");
	expect(vc, "80 10 00 00", "9000");	/* no data: direct */
	expect(vc, "80 18 01 01", "6100");
	expect_pattern(vc, "00 C0 00 00 00", 256, 0, 0x6101);
	expect(vc, "00 C0 00 00 01", "00 9000");
	vcard_free(vc);
}

static void test_extended(void)
{
	struct vc_config cfg;
	struct vcard *vc;
	size_t n, i;

	section = "extended";
	vc_config_defaults(&cfg);
	cfg.extended = true;
	vc = card(&cfg);
	expect(vc, SEL_TEST, TEST_FCI "9000");
	expect_pattern(vc, "80 12 03 00 00 00 00", 65536, 3, 0x9000);
	expect_pattern(vc, "80 12 00 00 00 01 2C", 300, 0, 0x9000);
	expect(vc, "80 12 00 00 00 00 02", "0001 9000");
	expect(vc, "80 14 05 00 00 00 05", "0001020304 9000");
	expect(vc, "80 14 05 00 00 00 06", "6C05");
	expect(vc, "00 A4 04 00 00 00 07 F0534543454C01 00 00",
	       TEST_FCI "9000");
	expect(vc, "00 A4 04 00 00 00 07 F0534543454C01", TEST_FCI "9000");
	expect(vc, "80 10 00 00 00 00 00", "9000");	/* case 2E */
	expect(vc, "80 10 00 00 00 00 00 AA", "6700");	/* Lc 0000 */
	expect(vc, "80 10 00 00 00 00", "6700");	/* 6 bytes */
	expect(vc, "80 10 00 00 00 00 02 AABB 00", "6700");

	/* ECHO of 65535 bytes, case 4E with Le 0000 and case 3E */
	cmdbuf[0] = 0x80;
	cmdbuf[1] = 0x10;
	cmdbuf[2] = 0;
	cmdbuf[3] = 0;
	cmdbuf[4] = 0;
	cmdbuf[5] = 0xff;
	cmdbuf[6] = 0xff;
	for (i = 0; i < 65535; i++)
		cmdbuf[7 + i] = (i * 7) & 0xff;
	cmdbuf[7 + 65535] = 0;
	cmdbuf[8 + 65535] = 0;
	checks++;
	n = xmit(vc, cmdbuf, 9 + 65535);
	if (n != 65537 || sw_of(n) != 0x9000 || memcmp(rsp, cmdbuf + 7, 65535))
		fail("ECHO 65535 bytes, case 4E");
	checks++;
	n = xmit(vc, cmdbuf, 7 + 65535);
	if (n != 65537 || sw_of(n) != 0x9000 || memcmp(rsp, cmdbuf + 7, 65535))
		fail("ECHO 65535 bytes, case 3E");
	/* Le 0100 cuts it to 256 */
	cmdbuf[7 + 65535] = 0x01;
	checks++;
	n = xmit(vc, cmdbuf, 9 + 65535);
	if (n != 258 || sw_of(n) != 0x9000 || memcmp(rsp, cmdbuf + 7, 256))
		fail("ECHO 65535 bytes, Le 0100");
	/* GET RESPONSE in one extended go */
	expect(vc, "80 18 FF FF", "6100");
	expect_pattern(vc, "00 C0 00 00 00 00 00", 65535, 0, 0x9000);
	vcard_free(vc);

	/* 65536 bytes through --force-61 */
	cfg.force_61 = true;
	vc = card(&cfg);
	expect(vc, SEL_TEST, TEST_FCI "9000");
	expect(vc, "80 12 01 00 00 00 00", "6100");
	for (i = 0; i < 255; i++)
		expect_pattern(vc, "00 C0 00 00 00", 256, (i * 256 + 1) & 0xff,
			       0x6100);
	expect_pattern(vc, "00 C0 00 00 00", 256, 1, 0x9000);
	vcard_free(vc);
}

/* The ARA-M: absent without rules, GET DATA All/Next/Refresh with them. */
static void test_aram(void)
{
	static struct vc_ara ara;
	char path[] = "/tmp/test-card-ara.XXXXXX", err[256];
	struct vc_config cfg;
	struct vcard *vc = card(NULL);
	FILE *f;
	int fd;

	section = "aram";
	expect(vc, "00 A4 04 00 09 A00000015141434C00 00", "6A82");
	vcard_free(vc);

	/* two REF-AR-DOs, 3 bytes a chunk: FF40 1A, then Next */
	fd = mkstemp(path);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		perror("mkstemp");
		exit(1);
	}
	fprintf(f, "# test\nrefresh 0102030405060708\nchunk 8\n"
		"E2 0B E1 04 4F 00 C1 00 E3 03 D0 01 01\n"
		"E2 09 E1 02 C0 00 E3 03 D0 01 00  # default: never\n");
	fclose(f);
	checks++;
	if (vc_ara_load(path, &ara, err, sizeof(err))) {
		fail("vc_ara_load: %s", err);
		unlink(path);
		return;
	}
	vc_config_defaults(&cfg);
	cfg.ara = &ara;
	vc = card(&cfg);
	expect(vc, "80 CA FF 60 00", "6A88");	/* the ISD: not its data */
	expect(vc, "00 A4 04 00 09 A00000015141434C00 00",
	       "6F 0B 84 09 A00000015141434C00 9000");
	expect(vc, "80 CA FF 60 00", "6985");	/* Next before All */
	expect(vc, "80 CA FF 40 00", "FF40 18 E2 0B E1 04 4F 9000");
	expect(vc, "80 CA FF 60 00", "00 C1 00 E3 03 D0 01 01 9000");
	expect(vc, "80 CA FF 60 00", "E2 09 E1 02 C0 00 E3 03 9000");
	expect(vc, "80 CA FF 60 00", "D0 01 00 9000");
	expect(vc, "80 CA FF 60 00", "6985");	/* all read */
	expect(vc, "80 CA DF 20 00", "DF20 08 0102030405060708 9000");
	expect(vc, "80 CA 00 42 00", "6A88");
	expect(vc, "00 CA FF 40 00", "6E00");
	expect(vc, "80 CB FF 40 00", "6D00");
	/* a SELECT in between starts over */
	expect(vc, "80 CA FF 40 00", "FF40 18 E2 0B E1 04 4F 9000");
	expect(vc, "00 A4 04 0C 09 A00000015141434C00", "9000");
	expect(vc, "80 CA FF 60 00", "6985");
	vcard_free(vc);

	/* no rules: 6A88; 'sw' and 'raw' for bad answers */
	f = fopen(path, "w");
	fprintf(f, "chunk 200\n");
	fclose(f);
	vc_ara_load(path, &ara, err, sizeof(err));
	vc = card(&cfg);
	expect(vc, "00 A4 04 0C 09 A00000015141434C00", "9000");
	expect(vc, "80 CA FF 40 00", "6A88");
	expect(vc, "80 CA DF 20 00", "6A88");
	vcard_free(vc);
	f = fopen(path, "w");
	fprintf(f, "raw FF40 05 E2 03 E1\n");
	fclose(f);
	vc_ara_load(path, &ara, err, sizeof(err));
	vc = card(&cfg);
	expect(vc, "00 A4 04 0C 09 A00000015141434C00", "9000");
	expect(vc, "80 CA FF 40 00", "FF40 05 E2 03 E1 9000");
	vcard_free(vc);
	f = fopen(path, "w");
	fprintf(f, "sw 6982\nE2 00\n");
	fclose(f);
	vc_ara_load(path, &ara, err, sizeof(err));
	vc = card(&cfg);
	expect(vc, "00 A4 04 0C 09 A00000015141434C00", "9000");
	expect(vc, "80 CA FF 40 00", "6982");
	vcard_free(vc);
	/* a bad file: a one-line reason with the line */
	f = fopen(path, "w");
	fprintf(f, "E2 00\nchunk 0\n");
	fclose(f);
	checks++;
	if (!vc_ara_load(path, &ara, err, sizeof(err)) || !strstr(err, ":2:"))
		fail("chunk 0 accepted, or no line number: %s", err);
	unlink(path);
}

int main(void)
{
	test_atr();
	test_parse();
	test_select();
	test_get_data();
	test_channels();
	test_applet();
	test_force_61();
	test_extended();
	test_aram();
	if (failures) {
		fprintf(stderr, "test-card: %d of %d checks FAILED\n", failures,
			checks);
		return 1;
	}
	printf("test-card: all %d checks passed\n", checks);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit test of the vpcd framing codec (frame.c), KTAP on stdout.
 * The byte layouts are the ones vsmartcard's vpcd.c and vicc exchange:
 * a 2-byte big-endian length, then the bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

static int failed, count;

static void check(int ok, const char *name)
{
	count++;
	if (!ok)
		failed++;
	printf("%s %d %s\n", ok ? "ok" : "not ok", count, name);
}

/* feed @in to @rx in pieces of @step bytes; the last status */
static enum vpcd_rx_status feed(struct vpcd_rx *rx, const uint8_t *in,
				size_t len, size_t step)
{
	enum vpcd_rx_status st = VPCD_RX_MORE;
	size_t off = 0, want, n;
	uint8_t *where;

	while (off < len && st == VPCD_RX_MORE) {
		want = vpcd_rx_want(rx, &where);
		n = want < step ? want : step;
		if (n > len - off)
			n = len - off;
		memcpy(where, in + off, n);
		off += n;
		st = vpcd_rx_got(rx, n);
	}
	return st;
}

int main(void)
{
	static uint8_t big[VPCD_HDR + VPCD_PAYLOAD_MAX + 1], buf[0x10000];
	const uint8_t atr_ctrl[] = { VPCD_CTRL_ATR };
	const uint8_t apdu[] = { 0x00, 0xa4, 0x00, 0x0c, 0x02, 0x3f, 0x00 };
	const uint8_t vicc_atr[] = { 0x00, 0x0b, 0x3b, 0x95, 0x13, 0x81, 0x01,
				     0x80, 0x73, 0xff, 0x01, 0x00, 0x0b };
	uint8_t out[16];
	struct vpcd_rx rx;
	size_t step;
	int ok;

	printf("KTAP version 1\n1..9\n");

	check(vpcd_frame(out, atr_ctrl, 1) == 3 && out[0] == 0 &&
	      out[1] == 1 && out[2] == 4, "get_atr_control_is_00_01_04");
	check(vpcd_frame(out, apdu, sizeof(apdu)) == 9 && out[0] == 0 &&
	      out[1] == 7 && !memcmp(out + 2, apdu, sizeof(apdu)),
	      "apdu_framed_with_big_endian_length");
	check(vpcd_frame(big, big, VPCD_PAYLOAD_MAX) == VPCD_HDR + 0xffff &&
	      big[0] == 0xff && big[1] == 0xff, "longest_message_65535");
	check(!vpcd_frame(big, big, VPCD_PAYLOAD_MAX + 1) &&
	      !vpcd_frame(out, apdu, 0), "empty_and_over_65535_not_framed");

	ok = 1;
	for (step = 1; step <= sizeof(vicc_atr); step++) {
		vpcd_rx_start(&rx, buf, 2, 33);
		ok &= feed(&rx, vicc_atr, sizeof(vicc_atr), step) ==
		      VPCD_RX_DONE && rx.len == 11 &&
		      !memcmp(buf, vicc_atr + 2, 11);
	}
	check(ok, "vicc_atr_received_in_pieces_of_any_size");

	/* "GET" as a length: 0x4745 bytes, far more than an ATR */
	vpcd_rx_start(&rx, buf, 2, 33);
	check(feed(&rx, (const uint8_t *)"GET / HTTP/1.0", 14, 1) ==
	      VPCD_RX_BAD_LENGTH && rx.len == 0x4745,
	      "bad_length_caught_at_the_header");

	vpcd_rx_start(&rx, buf, 2, 33);
	check(feed(&rx, (const uint8_t *)"\x00\x00", 2, 2) ==
	      VPCD_RX_BAD_LENGTH, "empty_reply_is_bad_length");

	vpcd_rx_start(&rx, buf, 2, 33);
	check(feed(&rx, (const uint8_t *)"\x00\x01\x3b", 3, 3) ==
	      VPCD_RX_BAD_LENGTH, "one_byte_atr_is_bad_length");

	big[0] = 0xff;
	big[1] = 0xff;
	memset(big + 2, 0x90, VPCD_PAYLOAD_MAX);
	vpcd_rx_start(&rx, buf, 2, VPCD_PAYLOAD_MAX);
	check(feed(&rx, big, VPCD_HDR + VPCD_PAYLOAD_MAX, 4096) ==
	      VPCD_RX_DONE && rx.len == 0xffff && buf[0xfffe] == 0x90,
	      "response_of_65535_bytes_received");

	printf("# %d of %d failed\n", failed, count);
	return failed ? 1 : 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: the T=1 block parser (secel_t1_block_parse(), ISO and GP,
 * LRC and CRC) and the GP CIP parser.  The first byte chooses the
 * variant; a block that parses must lie inside the input, rebuild to the
 * same bytes, and an S(IFS) in it decode within range.
 */
#include <stdlib.h>
#include <string.h>

#include <linux/secel.h>
#include "secel-parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_block(const uint8_t *buf, size_t len, bool gp, bool crc)
{
	static uint8_t again[SECEL_T1_BLOCK_MAX + 2];
	struct secel_t1_block b;
	size_t n;
	int ifs;

	if (secel_t1_block_parse(buf, len, gp, crc, &b))
		return;
	if (b.inf < buf || b.inf + b.len > buf + len)
		abort();
	n = secel_t1_block_build(again, gp, crc, b.nad, b.pcb, b.inf, b.len);
	if (n != len || memcmp(again, buf, len))
		abort();
	if (secel_t1_is_s(b.pcb) && (b.pcb & 0x1f) == SECEL_T1_S_IFS) {
		ifs = secel_t1_ifs_decode(&b, gp);
		if (ifs > (gp ? SECEL_T1_GP_IFS_MAX : SECEL_T1_ISO_IFS_MAX))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct secel_t1_cip cip;

	if (size < 1 || size > SECEL_T1_BLOCK_MAX + 1)
		return 0;
	switch (data[0] & 3) {
	case 0:
		check_block(data + 1, size - 1, false, false);
		break;
	case 1:
		check_block(data + 1, size - 1, false, true);
		break;
	case 2:
		check_block(data + 1, size - 1, true, true);
		break;
	default:
		if (!secel_t1_cip_parse(data + 1, size - 1, &cip) &&
		    (cip.iin + cip.iin_len > data + size ||
		     cip.plp + cip.plp_len > data + size ||
		     cip.hb + cip.hb_len != data + size || !cip.ifsc ||
		     cip.ifsc > SECEL_T1_GP_IFS_MAX || !cip.bwt_ms))
			abort();
		break;
	}
	return 0;
}

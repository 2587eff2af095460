// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: the T=1 engine (t1.c) against a card whose every byte is
 * the fuzzer's.  The first byte chooses the variant, EDC and IFSC; the
 * rest is what the card sends, served to the engine's reads in order
 * (silence once it runs out).  Each call of the engine must end, with a
 * response inside its buffer, whatever the card says.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/secel.h>
#include "secel-parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct card {
	const uint8_t *data;
	size_t size, pos;
	unsigned int sends;
};

unsigned int secel_fi(u8 fi_di)
{
	return fi_di ? 372 : 0;
}

unsigned int secel_di(u8 fi_di)
{
	return fi_di ? 1 : 0;
}

static int card_send(void *ctx, const u8 *buf, size_t len)
{
	struct card *c = ctx;

	(void)buf;
	if (!len || len > SECEL_T1_BLOCK_MAX || ++c->sends > 100000)
		abort();	/* a block out of bounds, or an endless loop */
	return 0;
}

static int card_recv(void *ctx, u8 *buf, size_t len, unsigned int timeout_ms)
{
	struct card *c = ctx;

	(void)timeout_ms;
	if (len > c->size - c->pos)
		return -ETIMEDOUT;
	memcpy(buf, c->data + c->pos, len);
	c->pos += len;
	return 0;
}

static const struct secel_t1_ops ops = {
	.send = card_send,
	.recv = card_recv,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static u8 cmd[300], rsp[1024];
	struct secel_t1_config cfg = {
		.variant = SECEL_T1_ISO,
		.ifsc = 32,
		.ifsd = 254,
		.bwt_ms = 100,
	};
	struct card c = { .data = data + 1, .size = size ? size - 1 : 0 };
	struct secel_t1 t1;
	size_t len = 0, i;
	int ret;

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		cfg.variant = SECEL_T1_GP;
		cfg.nad = SECEL_T1_GP_NAD;
		cfg.ifsd = SECEL_T1_GP_IFS_MAX;
	}
	cfg.edc = data[0] & 2 ? SECEL_T1_CRC : SECEL_T1_LRC;
	cfg.ifsc = 1 + (data[0] >> 3) * 8;
	if (secel_t1_init(&t1, &cfg, &ops, &c))
		abort();
	for (i = 0; i < sizeof(cmd); i++)
		cmd[i] = i;
	/* an APDU in several links, a short one, S(IFS), GP's S-blocks */
	ret = secel_t1_transceive(&t1, cmd, sizeof(cmd), rsp, sizeof(rsp),
				  &len);
	if (!ret && len > sizeof(rsp))
		abort();
	ret = secel_t1_transceive(&t1, cmd, 4, rsp, 8, &len);
	if (!ret && len > 8)
		abort();
	secel_t1_set_ifsd(&t1, 200);
	if (cfg.variant == SECEL_T1_GP) {
		secel_t1_gp_cip(&t1, rsp, sizeof(rsp), &len);
		secel_t1_gp_reset(&t1);
		secel_t1_gp_release(&t1);
	}
	secel_t1_resync(&t1);
	secel_t1_destroy(&t1);
	return 0;
}

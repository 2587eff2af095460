// SPDX-License-Identifier: GPL-2.0
/*
 * secel - the T=0 transport layer of ISO/IEC 7816-3, for converters whose
 * wire carries TPDUs (a CCID reader at TPDU level, a UART later)
 *
 * T=0 carries a five-byte header (CLA INS P1 P2 P3) and data in one
 * direction only, so a command APDU is mapped onto one or more command
 * TPDUs (ISO/IEC 7816-3 12.2): case 4 loses its Le and fetches the answer
 * with GET RESPONSE when the card says 61xx; a wrong Le (6Cxx) is sent
 * again with the length the card asked for.  The converter moves one TPDU
 * at a time; this file decides which.
 */
#include <linux/errno.h>
#include <linux/export.h>
#include <linux/minmax.h>
#include <linux/secel.h>
#include <linux/string.h>

#include "secel-parse.h"

/* Bound on GET RESPONSE and re-issue rounds: a card cannot loop us. */
#define SECEL_T0_MAX_ROUNDS	64

/**
 * secel_t0_procedure() - classify a byte a T=0 card sends after a header
 * @ins: the INS byte of the command TPDU
 * @pb: the byte received
 *
 * For converters that see the character stream (a UART): the reader
 * firmware of a CCID reader at TPDU level does this itself.
 *
 * Return: the &enum secel_t0_proc of @pb.
 */
enum secel_t0_proc secel_t0_procedure(u8 ins, u8 pb)
{
	if (pb == 0x60)
		return SECEL_T0_NULL;
	if (pb == ins)
		return SECEL_T0_ACK_ALL;
	if (pb == (u8)~ins)
		return SECEL_T0_ACK_ONE;
	if ((pb & 0xf0) == 0x60 || (pb & 0xf0) == 0x90)
		return SECEL_T0_SW1;
	return SECEL_T0_INVALID;
}
EXPORT_SYMBOL_GPL(secel_t0_procedure);

/*
 * One command TPDU; its answer (data and SW1 SW2) lands at @rsp + @off.
 * Returns the status word, or a negative errno.
 */
static int secel_t0_round(const struct secel_t0_xfer *x, const u8 *tpdu,
			  size_t len, u8 *rsp, size_t rsp_size, size_t off,
			  size_t *got)
{
	int ret;

	ret = x->xfer(x->ctx, tpdu, len, rsp + off, rsp_size - off, got);
	if (ret)
		return ret;
	if (*got < 2)
		return -EPROTO;
	return (rsp[off + *got - 2] << 8) | rsp[off + *got - 1];
}

/**
 * secel_t0_transmit() - carry a short command APDU over T=0
 * @x: the converter's TPDU exchange and its context
 * @cmd: the command APDU, a short one (cases 1, 2S, 3S, 4S)
 * @cmd_len: its length
 * @rsp: where the response APDU goes (data and SW1 SW2)
 * @rsp_size: room in @rsp, at least 2
 * @rsp_len: the response's length
 *
 * Maps the APDU on command TPDUs as ISO/IEC 7816-3 12.2 says: case 1 gets
 * P3 = 00; case 2 sends Le as P3 and re-sends with P3 = xx on 6Cxx; case 3
 * goes as it is; case 4 goes without Le and, on 61xx, fetches the answer
 * with GET RESPONSE (CLA of the command, P3 = the smaller of xx and what
 * Ne still allows).  The data of every round is concatenated; the status
 * word is the last round's, so a 61xx left after Ne bytes reaches the
 * caller.  A card asking for more than 64 rounds is -EPROTO.
 *
 * Return: 0, -EINVAL for an extended or malformed APDU (T=0 carries them
 * only in ENVELOPEs, which the caller does not ask for), -EMSGSIZE when
 * the answer does not fit @rsp, or the error of @x->xfer.
 */
int secel_t0_transmit(const struct secel_t0_xfer *x, const u8 *cmd,
		      size_t cmd_len, u8 *rsp, size_t rsp_size,
		      size_t *rsp_len)
{
	struct secel_apdu apdu;
	u8 tpdu[5 + 255];
	size_t tpdu_len, off = 0, got;
	u32 ne;
	int round, sw;

	if (rsp_size < 2 || secel_apdu_parse(cmd, cmd_len, &apdu) ||
	    secel_apdu_is_extended(&apdu))
		return -EINVAL;
	ne = apdu.ne;

	memcpy(tpdu, cmd, 4);
	switch (apdu.apdu_case) {
	case SECEL_CASE_1:
		tpdu[4] = 0;
		tpdu_len = 5;
		break;
	case SECEL_CASE_2S:
		tpdu[4] = cmd[4];
		tpdu_len = 5;
		break;
	default:
		/* 3S and 4S: header, Lc and the data; Le is not sent */
		tpdu_len = 5 + apdu.nc;
		memcpy(tpdu + 4, cmd + 4, 1 + apdu.nc);
		break;
	}

	for (round = 0; round < SECEL_T0_MAX_ROUNDS; round++) {
		sw = secel_t0_round(x, tpdu, tpdu_len, rsp, rsp_size, off,
				    &got);
		if (sw < 0)
			return sw;
		if ((sw >> 8) == 0x6c && got == 2 && tpdu_len == 5 &&
		    (apdu.apdu_case == SECEL_CASE_2S || tpdu[1] == 0xc0)) {
			/* wrong Le: the same TPDU again with the card's P3 */
			tpdu[4] = sw & 0xff;
			continue;
		}
		off += got - 2;
		if ((sw >> 8) != 0x61 || ne == 0 || off >= ne ||
		    apdu.apdu_case == SECEL_CASE_1 ||
		    apdu.apdu_case == SECEL_CASE_3S)
			break;
		/* more data waiting: GET RESPONSE, within what Ne allows */
		tpdu[0] = cmd[0];
		tpdu[1] = 0xc0;
		tpdu[2] = 0;
		tpdu[3] = 0;
		tpdu[4] = min_t(u32, (sw & 0xff) ? (sw & 0xff) : 256,
				ne - off) & 0xff;
		tpdu_len = 5;
	}
	if (round == SECEL_T0_MAX_ROUNDS)
		return -EPROTO;
	if (off + 2 > rsp_size)
		return -EMSGSIZE;
	/* the last round's SW follows the data gathered so far */
	*rsp_len = off + 2;
	return 0;
}
EXPORT_SYMBOL_GPL(secel_t0_transmit);

// SPDX-License-Identifier: GPL-2.0
/*
 * secel - T=1 blocks: building and reading them (ISO/IEC 7816-3 11.3 and
 * 11.4.4; GlobalPlatform "APDU Transport over SPI/I2C": two-byte LEN,
 * CRC-16, more S-blocks) and the GP Communication Interface Parameters.
 * Pure functions of their input, so that KUnit tests them in the kernel
 * and libFuzzer in userspace (tools/fuzz/fuzz_t1.c) from the same source.
 */
#include <linux/errno.h>
#include <linux/export.h>
#include <linux/secel.h>
#include <linux/string.h>
#include <linux/types.h>

#include "secel-parse.h"

#define SECEL_T1_ISO_INF_MAX	254
#define SECEL_T1_GP_INF_MAX	0xff9

/**
 * secel_t1_lrc() - the longitudinal redundancy check of T=1
 * @buf: the prologue and information field
 * @len: their length
 *
 * Return: the exclusive-or of the bytes.
 */
u8 secel_t1_lrc(const u8 *buf, size_t len)
{
	u8 lrc = 0;

	while (len--)
		lrc ^= *buf++;
	return lrc;
}

/**
 * secel_t1_crc() - the cyclic redundancy check of T=1
 * @buf: the prologue and information field
 * @len: their length
 * @gp: GlobalPlatform's CRC rather than ISO's
 *
 * Both divide by x^16 + x^12 + x^5 + 1, bits least significant first
 * (the ISO/IEC 13239 polynomial), starting from FFFFh.  GP T=1 over
 * SPI/I2C complements the result (CRC-16/X-25, as Infineon's T=1'
 * library computes it); ISO T=1 does not, as the host T=1 stacks of
 * OpenCT and libccid compute it.  Both go on the wire most significant
 * byte first.
 *
 * Return: the CRC.
 */
u16 secel_t1_crc(const u8 *buf, size_t len, bool gp)
{
	u16 crc = 0xffff;
	int i;

	while (len--) {
		crc ^= *buf++;
		for (i = 0; i < 8; i++)
			crc = (crc & 1) ? (crc >> 1) ^ 0x8408 : crc >> 1;
	}
	return gp ? (u16)~crc : crc;
}

static size_t secel_t1_hdr(bool gp)
{
	return gp ? 4 : 3;
}

/**
 * secel_t1_block_build() - put a block together
 * @buf: where it goes: room for 4 + @n + 2 bytes
 * @gp: GP's two-byte LEN (and CRC, whatever @crc says)
 * @crc: a CRC rather than an LRC (ISO)
 * @nad: the node address byte
 * @pcb: the protocol control byte
 * @inf: the information field, NULL when @n is 0
 * @n: its length, at most 254 (ISO) or 4089 (GP)
 *
 * Return: the block's length.
 */
size_t secel_t1_block_build(u8 *buf, bool gp, bool crc, u8 nad, u8 pcb,
			    const u8 *inf, size_t n)
{
	size_t hdr = secel_t1_hdr(gp), len;

	buf[0] = nad;
	buf[1] = pcb;
	if (gp) {
		buf[2] = n >> 8;
		buf[3] = n & 0xff;
	} else {
		buf[2] = n;
	}
	if (n)
		memcpy(buf + hdr, inf, n);
	len = hdr + n;
	if (gp || crc) {
		u16 c = secel_t1_crc(buf, len, gp);

		buf[len++] = c >> 8;
		buf[len++] = c & 0xff;
	} else {
		buf[len] = secel_t1_lrc(buf, len);
		len++;
	}
	return len;
}

/* Is the PCB one of the codings ISO (or GP) defines, with a fitting LEN? */
static int secel_t1_pcb_check(u8 pcb, size_t n, bool gp)
{
	u8 type = pcb & 0x1f;

	if (secel_t1_is_i(pcb))
		return (pcb & 0x1f) ? -EPROTO : 0;
	if (secel_t1_is_r(pcb))
		return (pcb & 0x2c) || (pcb & 0x03) == 0x03 || n ? -EPROTO : 0;
	switch (type) {
	case SECEL_T1_S_RESYNCH:
	case SECEL_T1_S_ABORT:
		return n ? -EPROTO : 0;
	case SECEL_T1_S_IFS:
		return n == 1 || (gp && n == 2) ? 0 : -EPROTO;
	case SECEL_T1_S_WTX:
		return n == 1 ? 0 : -EPROTO;
	case SECEL_T1_S_CIP:
		if (!gp)
			return -EPROTO;
		return (pcb & SECEL_T1_PCB_S_RESP) || !n ? 0 : -EPROTO;
	case SECEL_T1_S_RELEASE:
	case SECEL_T1_S_SWR:
		return gp && !n ? 0 : -EPROTO;
	default:
		return -EPROTO;
	}
}

/**
 * secel_t1_block_parse() - read a block received whole
 * @buf: the block: prologue, information field, epilogue
 * @len: its length
 * @gp: GP T=1 (two-byte LEN, CRC-16) rather than ISO
 * @crc: ISO: a CRC rather than an LRC
 * @b: the block's fields; @b->inf points into @buf
 *
 * Checks the structure: the length LEN announces, the EDC, a PCB that
 * ISO/IEC 7816-3 11.3.2.2 (or GP) defines and an information field that
 * fits it (R-blocks empty, S(WTX) one byte, ...).  Not checked here:
 * NAD, sequence numbers and IFSD, which depend on the link's state.
 *
 * Return: 0; -EBADMSG for a wrong EDC; -EMSGSIZE when LEN and @len
 * disagree or LEN is beyond the variant's largest information field;
 * -EPROTO for a PCB or information field ISO (GP) does not define.
 */
int secel_t1_block_parse(const u8 *buf, size_t len, bool gp, bool crc,
			 struct secel_t1_block *b)
{
	size_t hdr = secel_t1_hdr(gp), edc = gp || crc ? 2 : 1, n;

	if (len < hdr + edc)
		return -EMSGSIZE;
	n = gp ? (buf[2] << 8) | buf[3] : buf[2];
	if (n > (gp ? SECEL_T1_GP_INF_MAX : SECEL_T1_ISO_INF_MAX) ||
	    len != hdr + n + edc)
		return -EMSGSIZE;
	if (edc == 2) {
		u16 c = secel_t1_crc(buf, hdr + n, gp);

		if (buf[hdr + n] != c >> 8 || buf[hdr + n + 1] != (c & 0xff))
			return -EBADMSG;
	} else if (secel_t1_lrc(buf, hdr + n) != buf[hdr + n]) {
		return -EBADMSG;
	}
	b->nad = buf[0];
	b->pcb = buf[1];
	b->len = n;
	b->inf = buf + hdr;
	return secel_t1_pcb_check(b->pcb, n, gp);
}

/**
 * secel_t1_ifs_decode() - the IFS an S(IFS) block carries
 * @b: the block, parsed
 * @gp: GP (one or two bytes, up to 4089) rather than ISO (one, up to 254)
 *
 * Return: the IFS, or -EPROTO for 0 or a value beyond the variant's.
 */
int secel_t1_ifs_decode(const struct secel_t1_block *b, bool gp)
{
	int ifs = b->len == 2 ? (b->inf[0] << 8) | b->inf[1] : b->inf[0];

	if (!ifs || ifs > (gp ? SECEL_T1_GP_INF_MAX : SECEL_T1_ISO_INF_MAX))
		return -EPROTO;
	return ifs;
}

/**
 * secel_t1_cip_parse() - read GlobalPlatform Communication Interface
 *	Parameters
 * @buf: the CIP, the information field of S(CIP response)
 * @len: its length
 * @cip: its fields; the pointers point into @buf
 *
 * The CIP is PVER, then four length-prefixed fields: IIN, PLID with PLP
 * (the PLID byte comes before the PLP's length), DLLP and historical
 * bytes, filling @buf exactly.  The DLLP starts with BWT (ms) and IFSC,
 * two bytes each, most significant first.
 *
 * Return: 0; -EPROTO when the fields do not fill @buf exactly, the IIN
 * is not 3 or 4 bytes, the PLID is neither SPI (1) nor I2C (2), the
 * DLLP is shorter than 4 bytes, or BWT or IFSC is 0 or IFSC beyond 4089.
 */
int secel_t1_cip_parse(const u8 *buf, size_t len, struct secel_t1_cip *cip)
{
	size_t pos = 0;
	const u8 *dllp;
	u8 dllp_len;

	memset(cip, 0, sizeof(*cip));
	if (len < 2)
		return -EPROTO;
	cip->version = buf[pos++];
	cip->iin_len = buf[pos++];
	if (cip->iin_len < 3 || cip->iin_len > 4 || len - pos < cip->iin_len + 2u)
		return -EPROTO;
	cip->iin = buf + pos;
	pos += cip->iin_len;
	cip->plid = buf[pos++];
	cip->plp_len = buf[pos++];
	if (cip->plid < 1 || cip->plid > 2 || len - pos < cip->plp_len + 1u)
		return -EPROTO;
	cip->plp = buf + pos;
	pos += cip->plp_len;
	dllp_len = buf[pos++];
	if (dllp_len < 4 || len - pos < dllp_len + 1u)
		return -EPROTO;
	dllp = buf + pos;
	pos += dllp_len;
	cip->hb_len = buf[pos++];
	if (len - pos != cip->hb_len)
		return -EPROTO;
	cip->hb = buf + pos;
	cip->bwt_ms = (dllp[0] << 8) | dllp[1];
	cip->ifsc = (dllp[2] << 8) | dllp[3];
	if (!cip->bwt_ms || !cip->ifsc || cip->ifsc > SECEL_T1_GP_INF_MAX)
		return -EPROTO;
	return 0;
}
EXPORT_SYMBOL_GPL(secel_t1_cip_parse);

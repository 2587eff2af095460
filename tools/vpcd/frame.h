/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vsmartcard's vpcd protocol: every message is a 2-byte big-endian length
 * and that many bytes.  A 1-byte message from the reader is a control
 * message; any other is a command APDU.  The card answers GET ATR and
 * APDUs, framed the same way, and nothing else.
 */
#ifndef SECEL_VPCD_FRAME_H
#define SECEL_VPCD_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define VPCD_PORT		35963	/* vsmartcard's VPCDPORT */
#define VPCD_HDR		2
#define VPCD_PAYLOAD_MAX	0xffff

/* control messages, the single byte of a 1-byte message */
#define VPCD_CTRL_OFF		0
#define VPCD_CTRL_ON		1
#define VPCD_CTRL_RESET		2
#define VPCD_CTRL_ATR		4

/*
 * Frame @len bytes of @data into @out (room for VPCD_HDR + @len).
 * Returns the frame's length, or 0 when @len is 0 or more than
 * VPCD_PAYLOAD_MAX (neither can be framed: 0 means no message to vpcd).
 */
size_t vpcd_frame(uint8_t *out, const uint8_t *data, size_t len);

enum vpcd_rx_status {
	VPCD_RX_MORE,		/* give it more bytes */
	VPCD_RX_DONE,		/* a whole message is in buf[0..len) */
	VPCD_RX_BAD_LENGTH,	/* the header says len, outside [min, max] */
};

/*
 * A reply being received: the header, then the payload into @buf.  The
 * payload's bounds are known before it comes (an ATR, a response APDU),
 * so a bad length is caught at the header, before its bytes are waited for.
 */
struct vpcd_rx {
	uint8_t hdr[VPCD_HDR];
	size_t hdr_have;
	uint8_t *buf;		/* room for max bytes */
	size_t min, max;
	size_t len;		/* from the header */
	size_t have;		/* payload bytes so far */
};

/* Expect one message of @min to @max bytes, into @buf. */
void vpcd_rx_start(struct vpcd_rx *rx, uint8_t *buf, size_t min, size_t max);

/*
 * Where the next bytes go and how many the message still needs (never 0
 * before VPCD_RX_DONE); read at most that many there.
 */
size_t vpcd_rx_want(struct vpcd_rx *rx, uint8_t **where);

/* Account for @n bytes read into the place vpcd_rx_want() gave. */
enum vpcd_rx_status vpcd_rx_got(struct vpcd_rx *rx, size_t n);

#endif

// SPDX-License-Identifier: GPL-2.0
/*
 * The vpcd protocol's framing (see frame.h).
 */
#include <string.h>

#include "frame.h"

size_t vpcd_frame(uint8_t *out, const uint8_t *data, size_t len)
{
	if (!len || len > VPCD_PAYLOAD_MAX)
		return 0;
	out[0] = len >> 8;
	out[1] = len & 0xff;
	memmove(out + VPCD_HDR, data, len);
	return VPCD_HDR + len;
}

void vpcd_rx_start(struct vpcd_rx *rx, uint8_t *buf, size_t min, size_t max)
{
	memset(rx, 0, sizeof(*rx));
	rx->buf = buf;
	rx->min = min;
	rx->max = max;
}

size_t vpcd_rx_want(struct vpcd_rx *rx, uint8_t **where)
{
	if (rx->hdr_have < VPCD_HDR) {
		*where = rx->hdr + rx->hdr_have;
		return VPCD_HDR - rx->hdr_have;
	}
	*where = rx->buf + rx->have;
	return rx->len - rx->have;
}

enum vpcd_rx_status vpcd_rx_got(struct vpcd_rx *rx, size_t n)
{
	if (rx->hdr_have < VPCD_HDR) {
		rx->hdr_have += n;
		if (rx->hdr_have < VPCD_HDR)
			return VPCD_RX_MORE;
		rx->len = (size_t)rx->hdr[0] << 8 | rx->hdr[1];
		if (rx->len < rx->min || rx->len > rx->max)
			return VPCD_RX_BAD_LENGTH;
		return rx->len ? VPCD_RX_MORE : VPCD_RX_DONE;
	}
	rx->have += n;
	return rx->have == rx->len ? VPCD_RX_DONE : VPCD_RX_MORE;
}

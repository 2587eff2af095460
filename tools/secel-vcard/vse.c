// SPDX-License-Identifier: GPL-2.0
/*
 * The card side of /dev/secel-vse (see vse.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vse.h"

int vse_card_new(const char *device, const uint8_t *atr, size_t atr_len,
		 const char *prefix, bool extended, struct vse_card *card,
		 char *err, size_t errlen)
{
	struct secel_vse_new req;
	int ctl, flags, fd;

	memset(&req, 0, sizeof(req));
	if (atr_len < 2 || atr_len > sizeof(req.atr) ||
	    strlen(prefix) >= sizeof(req.name_prefix)) {
		snprintf(err, errlen, "%s: ATR of %zu bytes or name prefix '%s' out of range",
			 device, atr_len, prefix);
		return -1;
	}
	req.flags = extended ? SECEL_VSE_EXTENDED_LENGTH : 0;
	req.atr_len = atr_len;
	memcpy(req.atr, atr, atr_len);
	memcpy(req.name_prefix, prefix, strlen(prefix));

	ctl = open(device, O_RDWR | O_CLOEXEC);
	if (ctl < 0) {
		snprintf(err, errlen, "%s: open: %s", device, strerror(errno));
		return -1;
	}
	if (ioctl(ctl, SECEL_VSE_IOC_NEW, &req)) {
		snprintf(err, errlen, "%s: SECEL_VSE_IOC_NEW: %s", device,
			 strerror(errno));
		close(ctl);
		return -1;
	}
	close(ctl);
	fd = req.fd;
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK)) {
		snprintf(err, errlen, "secel%u: card fd: fcntl: %s", req.index,
			 strerror(errno));
		close(fd);
		return -1;
	}
	/* the kernel names the SE at creation (SECEL_ABI_VERSION 2) */
	if (!req.name[0]) {
		snprintf(err, errlen, "%s: SECEL_VSE_IOC_NEW returned no name (kernel ABI older than 2)",
			 device);
		close(fd);
		return -1;
	}
	card->fd = fd;
	card->index = req.index;
	memcpy(card->name, req.name, sizeof(req.name));
	card->name[sizeof(req.name)] = 0;
	return 0;
}

ssize_t vse_card_read(int fd, uint8_t *buf, size_t size,
		      struct secel_vse_msg *hdr)
{
	ssize_t n;

	n = read(fd, buf, size);
	if (n < 0)
		return -1;
	if ((size_t)n < sizeof(*hdr)) {
		errno = EPROTO;
		return -1;
	}
	memcpy(hdr, buf, sizeof(*hdr));
	if (hdr->len != (size_t)n - sizeof(*hdr)) {
		errno = EPROTO;
		return -1;
	}
	return hdr->len;
}

int vse_card_answer(int fd, const struct secel_vse_msg *req, uint8_t *buf,
		    size_t len)
{
	struct secel_vse_msg hdr = {
		.type = req->type,
		.len = len,
		.seq = req->seq,
	};

	memcpy(buf, &hdr, sizeof(hdr));
	if (write(fd, buf, sizeof(hdr) + len) < 0)
		return -1;
	return 0;
}

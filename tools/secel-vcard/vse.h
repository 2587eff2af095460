/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The card side of /dev/secel-vse, shared by the programs that serve
 * virtual SEs (secel-vcard, secel-vpcd): create the SE, read the kernel's
 * messages whole, answer them.
 */
#ifndef SECEL_VSE_IO_H
#define SECEL_VSE_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/secel_vse.h>

struct vse_card {
	int fd;				/* the card; closing it unplugs the SE */
	unsigned int index;		/* N of /dev/secelN */
	char name[SECEL_NAME_LEN + 1];	/* reader name, such as VSE1 */
};

/* Room for any message the kernel sends, header included. */
#define VSE_MSG_MAX	(sizeof(struct secel_vse_msg) + SECEL_APDU_MAX)

/*
 * SECEL_VSE_IOC_NEW on @device: an SE with @atr and reader-name @prefix
 * ("" for VSE), its card fd non-blocking.  0, or -1 with a one-line
 * reason (naming @device) in @err.
 */
int vse_card_new(const char *device, const uint8_t *atr, size_t atr_len,
		 const char *prefix, bool extended, struct vse_card *card,
		 char *err, size_t errlen);

/*
 * Read one message into @buf (header then payload, @size bytes of room)
 * and copy its header to @hdr.  Returns the payload length, or -1 with
 * errno: EAGAIN (none pending), ENODEV (the kernel unplugged the SE),
 * EPROTO (a message shorter than its header says), or read()'s own.
 */
ssize_t vse_card_read(int fd, uint8_t *buf, size_t size,
		      struct secel_vse_msg *hdr);

/*
 * Answer @req with the @len payload bytes at @buf + sizeof(header); the
 * header is written into @buf.  0, or -1 with errno (EINVAL: the kernel
 * refused the answer, ESTALE: it gave up on @req).
 */
int vse_card_answer(int fd, const struct secel_vse_msg *req, uint8_t *buf,
		    size_t len);

#endif

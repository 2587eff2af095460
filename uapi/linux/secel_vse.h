/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * secel - the virtual-SE proxy, userspace ABI
 *
 * /dev/secel-vse creates secure elements served by a userspace program:
 * SECEL_VSE_IOC_NEW registers an SE with the secel core and returns a file
 * descriptor, the card, on which the program reads each request of the
 * kernel and writes the answer.  Closing the card unplugs the SE.
 *
 * The conventions of <linux/secel.h> hold here: fixed-width members,
 * explicit padding, reserved fields zero.  SECEL_IOC_VERSION works on
 * /dev/secel-vse too.
 */
#ifndef _UAPI_LINUX_SECEL_VSE_H
#define _UAPI_LINUX_SECEL_VSE_H

#include <linux/secel.h>

/* struct secel_vse_new.flags */
#define SECEL_VSE_EXTENDED_LENGTH	0x1U	/* card takes them */

/**
 * struct secel_vse_new - SECEL_VSE_IOC_NEW on /dev/secel-vse
 * @flags: in, SECEL_VSE_*
 * @fd: out, the card's file descriptor (O_RDWR | O_CLOEXEC)
 * @index: out, the N of the new /dev/secelN
 * @atr_len: in, 2 to SECEL_ATR_MAX
 * @atr: in, the answer to reset the SE reports at power-on
 * @pad: zero
 * @name_prefix: in, reader-name prefix ("VSE" when empty), 1 to 7 ASCII
 *	letters.  "SIM", "eSE" and "SD" (in any case) name physical SEs:
 *	only a caller with CAP_SYS_ADMIN may use them, others get EPERM.
 * @name: out, the SE's reader name, such as "VSE1" (NUL-terminated);
 *	ignored on input.  Since SECEL_ABI_VERSION 2.
 *
 * The SE is reported to the configurator at once; with auto-add on, it is
 * verified as soon as the card answers.  Closing @fd unplugs the SE.
 */
struct secel_vse_new {
	__u32 flags;
	__u32 fd;
	__u32 index;
	__u32 atr_len;
	__u8 atr[SECEL_ATR_MAX];
	__u8 pad[3];
	char name_prefix[8];
	char name[SECEL_NAME_LEN];
};

#define SECEL_VSE_IOC_NEW	_IOWR(SECEL_IOC_MAGIC, 0x40, struct secel_vse_new)

/*
 * The card's file descriptor carries messages, each one read() or write()
 * of a struct secel_vse_msg header followed by @len payload bytes.
 *
 * The kernel sends (read):
 *   SECEL_VSE_MSG_APDU      payload: a command APDU
 *   SECEL_VSE_MSG_RESET     payload: none; flags: SECEL_RESET_WARM or 0
 *   SECEL_VSE_MSG_POWER_OFF payload: none
 * The card answers each with the same @type and @seq (write):
 *   APDU: the response APDU, 2 to SECEL_RESP_MAX bytes
 *   RESET: the new ATR, 2 to SECEL_ATR_MAX bytes
 *   POWER_OFF: no payload
 * read() blocks until a message is pending (or fails with EAGAIN under
 * O_NONBLOCK; poll() reports POLLIN) and fails with EMSGSIZE when its
 * buffer cannot take the whole message: a card with extended length needs
 * room for the header and SECEL_APDU_MAX bytes.  A write() that does not
 * answer the pending message fails with EINVAL; one that answers a message
 * the kernel gave up on (timeout) fails with ESTALE.
 */
#define SECEL_VSE_MSG_APDU		1
#define SECEL_VSE_MSG_RESET		2
#define SECEL_VSE_MSG_POWER_OFF		3

/**
 * struct secel_vse_msg - header of a message on a virtual SE's card fd
 * @type: SECEL_VSE_MSG_*
 * @len: payload bytes that follow the header
 * @seq: the kernel's sequence number, echoed in the answer
 * @flags: message flags
 */
struct secel_vse_msg {
	__u32 type;
	__u32 len;
	__u32 seq;
	__u32 flags;
};

#endif /* _UAPI_LINUX_SECEL_VSE_H */

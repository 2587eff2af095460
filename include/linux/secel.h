/* SPDX-License-Identifier: GPL-2.0 */
/*
 * secel - secure element subsystem, the interface for protocol converters
 *
 * A converter (virtual-SE proxy, USB CCID, T=1 over a serial line, ...)
 * allocates an SE with secel_se_alloc(), registers it with
 * secel_se_register() once it can talk to the card, and unregisters it with
 * secel_se_unregister() when the card goes away.  The core then verifies the
 * SE, acquires its information, lists it and carries every APDU exchange
 * through the converter's &struct secel_ops.
 */
#ifndef _LINUX_SECEL_H
#define _LINUX_SECEL_H

#include <linux/types.h>
#include <uapi/linux/secel.h>

struct device;
struct secel_se;

/* struct secel_se_desc.caps */
#define SECEL_CAP_EXTENDED_LENGTH	BIT(0)	/* extended-length APDUs */

/**
 * struct secel_ops - what a converter does for the core
 * @power_on: activate the card (cold reset) and store its answer to reset
 *	in @atr, which has room for @atr_size bytes (SECEL_ATR_MAX), its
 *	length in @atr_len; an ATR that does not fit is -EPROTO.  Called
 *	before verification when the card is not powered, and after
 *	@power_off when the configurator power-cycles the card.
 * @reset: reset a powered card, warm or cold; same output as @power_on.
 * @power_off: deactivate the card.  May be NULL.
 * @transmit: send the command APDU @cmd of @cmd_len bytes and store the
 *	response APDU (data and SW1 SW2) in @rsp, which has room for
 *	@rsp_size bytes; set *@rsp_len.  Returns 0, -ETIMEDOUT when the card
 *	did not answer in time, -EMSGSIZE when the response does not fit,
 *	-ENODEV once the card is gone, -EINTR when a signal interrupted the
 *	wait (never -ERESTARTSYS: the card may have run the command; the core
 *	turns a restart code into -EINTR and warns), or another negative
 *	errno.  The core's @cmd and @rsp buffers are valid only until
 *	@transmit returns.
 * @abort: the SE is being unregistered: make every exchange that is blocked
 *	in the converter return at once, and every later call fail with
 *	-ENODEV.  May be NULL when no call can block for long.
 *
 * The core calls @power_on, @reset, @power_off and @transmit one at a time
 * for an SE, from process context, and never after secel_se_unregister()
 * has returned.  @abort may run concurrently with any of them.  The core
 * may call them from a kernel worker (closing the channels of a file whose
 * task was killed), so a converter bounds every wait by its own timeout,
 * not by the caller's signals alone.
 */
struct secel_ops {
	int (*power_on)(struct secel_se *se, u8 *atr, size_t atr_size,
			size_t *atr_len);
	int (*reset)(struct secel_se *se, bool warm, u8 *atr, size_t atr_size,
		     size_t *atr_len);
	void (*power_off)(struct secel_se *se);
	int (*transmit)(struct secel_se *se, const u8 *cmd, size_t cmd_len,
			u8 *rsp, size_t rsp_size, size_t *rsp_len);
	void (*abort)(struct secel_se *se);
};

/**
 * struct secel_se_desc - what a converter tells the core about an SE
 * @name_prefix: OMAPI-style reader-name prefix, letters only, at most 7:
 *	"SIM", "eSE", "SD", "VSE"; the core appends the lowest free number
 * @transport: name of the converter, 1-15 characters of a-z, 0-9, '-' and
 *	'_': "vse", "ccid"
 * @kind: SECEL_KIND_PHYSICAL or SECEL_KIND_VIRTUAL
 * @caps: SECEL_CAP_* flags
 * @max_cmd: largest command APDU the converter carries, 5 to SECEL_APDU_MAX
 * @max_rsp: largest response APDU it carries, 258 to SECEL_RESP_MAX
 */
struct secel_se_desc {
	const char *name_prefix;
	const char *transport;
	u32 kind;
	u32 caps;
	u32 max_cmd;
	u32 max_rsp;
};

struct secel_se *secel_se_alloc(struct device *parent,
				const struct secel_ops *ops,
				const struct secel_se_desc *desc, void *priv);
int secel_se_register(struct secel_se *se);
void secel_se_unregister(struct secel_se *se);
void secel_se_put(struct secel_se *se);
void *secel_se_priv(const struct secel_se *se);
int secel_se_index(const struct secel_se *se);
const char *secel_se_name(const struct secel_se *se);
long secel_ioctl_version(void __user *uarg);

/**
 * enum secel_t0_proc - what a byte after a T=0 command header means
 * @SECEL_T0_NULL: 60, the card asks for more time
 * @SECEL_T0_ACK_ALL: INS, send (or receive) all remaining data bytes
 * @SECEL_T0_ACK_ONE: INS xor FF, send (or receive) the next byte only
 * @SECEL_T0_SW1: 6X or 9X, the first byte of the status word
 * @SECEL_T0_INVALID: anything else: a protocol error
 */
enum secel_t0_proc {
	SECEL_T0_NULL,
	SECEL_T0_ACK_ALL,
	SECEL_T0_ACK_ONE,
	SECEL_T0_SW1,
	SECEL_T0_INVALID,
};

/**
 * struct secel_t0_xfer - one T=0 command TPDU over a converter's wire
 * @xfer: send the TPDU @tpdu of @len bytes (header and any data), store
 *	the card's answer (data, SW1 SW2) in @rsp of @rsp_size bytes and its
 *	length in *@rsp_len; return 0 or a negative errno
 * @ctx: the converter's argument to @xfer
 */
struct secel_t0_xfer {
	int (*xfer)(void *ctx, const u8 *tpdu, size_t len, u8 *rsp,
		    size_t rsp_size, size_t *rsp_len);
	void *ctx;
};

enum secel_t0_proc secel_t0_procedure(u8 ins, u8 pb);
int secel_t0_transmit(const struct secel_t0_xfer *x, const u8 *cmd,
		      size_t cmd_len, u8 *rsp, size_t rsp_size,
		      size_t *rsp_len);
int secel_atr_protocols(const u8 *atr, size_t len, u32 *protocols);

#endif /* _LINUX_SECEL_H */

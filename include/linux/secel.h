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
 *	in @atr, which has room for @atr_size bytes, its length in @atr_len;
 *	an ATR longer than @atr_size is -EPROTO.  Called before verification
 *	when the card is not powered.
 * @reset: reset a powered card, warm or cold; same output as @power_on.
 * @power_off: deactivate the card.  May be NULL.
 * @transmit: send the command APDU @cmd of @cmd_len bytes and store the
 *	response APDU (data and SW1 SW2) in @rsp, which has room for
 *	@rsp_size bytes; set *@rsp_len.  Returns 0, -ETIMEDOUT when the card
 *	did not answer in time, -EMSGSIZE when the response does not fit,
 *	-ENODEV once the card is gone, or another negative errno.
 * @abort: the SE is being unregistered: make every exchange that is blocked
 *	in the converter return at once, and every later call fail with
 *	-ENODEV.  May be NULL when no call can block for long.
 *
 * The core calls @power_on, @reset, @power_off and @transmit one at a time
 * for an SE, from process context, and never after secel_se_unregister()
 * has returned.  @abort may run concurrently with any of them.
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
 * @transport: name of the converter, at most 15 characters: "vse", "ccid"
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

#endif /* _LINUX_SECEL_H */

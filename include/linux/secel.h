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
 * @cancel: make the @transmit under way, if any, return -ECANCELED soon
 *	(the converter tells the card or reader to drop the command, and
 *	discards its late answer); the SE stays usable and later calls work
 *	as before.  A @transmit that is not under way yet is not affected.
 *	The core calls it when a configurator operation (DELETE, RESET) must
 *	not wait behind a long exchange.  May be NULL: the operation then
 *	waits for the exchange to end.
 *
 * The core calls @power_on, @reset, @power_off and @transmit one at a time
 * for an SE, from process context, and never after secel_se_unregister()
 * has returned.  @abort and @cancel may run concurrently with any of
 * them and with each other, and must not wait for the exchange they end.
 * The core
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
	void (*cancel)(struct secel_se *se);
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
 *
 * @caps, @max_cmd and @max_rsp may change later, when the card is powered
 * on or reset: see secel_se_set_limits().
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
int secel_se_set_limits(struct secel_se *se, u32 caps, u32 max_cmd,
			u32 max_rsp);
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

/**
 * struct secel_iface_limits - what the interface device can do, for
 *	secel_atr_params()
 * @clock_khz: the clock it gives the card, in kHz; 0 when unknown
 * @max_rate: its highest data rate, in bit/s; 0 when unknown (no cap)
 * @protocols: bit n set when the converter can carry T=n
 * @pps: a PPS exchange will take place (done by the interface device or
 *	the host) with the values chosen; without one a card in negotiable
 *	mode stays at the default Fi = 372, Di = 1
 */
struct secel_iface_limits {
	u32 clock_khz;
	u32 max_rate;
	u32 protocols;
	bool pps;
};

/**
 * struct secel_atr_params - transmission parameters from an ATR
 *	(ISO/IEC 7816-3 8.3, 10, 11.4, 11.5)
 * @protocol: the protocol to use, 0 (T=0) or 1 (T=1)
 * @fi_di: Fi index in bits 8..5 and Di index in bits 4..1, coded as TA1
 *	and as CCID's bmFindexDindex: TA1 capped by @clock_khz and
 *	@max_rate of &struct secel_iface_limits, or 11h (Fi 372, Di 1)
 * @ta1: TA1 as the card sent it (11h when absent)
 * @n: TC1, the extra guard time (FFh: the minimum, 12 etu for T=0 and
 *	11 etu for T=1)
 * @wi: TC2, the T=0 waiting integer (10 when absent)
 * @ifsc: the first TA for T=1, the card's information field size (32
 *	when absent)
 * @bwi_cwi: the first TB for T=1, BWI in bits 8..5 and CWI in bits 4..1
 *	(4Dh when absent)
 * @crc: the first TC for T=1 asks for a CRC rather than an LRC
 * @inverse: TS is 3Fh, the inverse convention
 * @clock_stop: X of the first TA for T=15: 0 clock stop not supported,
 *	1 state L, 2 state H, 3 no preference
 * @specific: TA2 present: the card is in specific mode, no PPS
 * @capped: TA1 was faster than the interface device and was lowered
 */
struct secel_atr_params {
	u8 protocol;
	u8 fi_di;
	u8 ta1;
	u8 n;
	u8 wi;
	u8 ifsc;
	u8 bwi_cwi;
	bool crc;
	bool inverse;
	u8 clock_stop;
	bool specific;
	bool capped;
};

int secel_atr_params(const u8 *atr, size_t len,
		     const struct secel_iface_limits *lim,
		     struct secel_atr_params *p);
unsigned int secel_fi(u8 fi_di);
unsigned int secel_di(u8 fi_di);

/*
 * ISO/IEC 7816-3 T=1 (clause 11), and the GlobalPlatform variant for SPI
 * and I2C ("APDU Transport over SPI/I2C", GPC_SPE_172): one block engine
 * for every converter whose wire carries T=1 blocks.  See
 * Documentation/driver-api/secel.rst, "The T=1 block engine".
 */

/* the largest information field: ISO (LEN is one byte) and GP (two bytes) */
#define SECEL_T1_ISO_IFS_MAX	254
#define SECEL_T1_GP_IFS_MAX	0xff9
/* the largest block: prologue (NAD, PCB, LEN), INF, EDC */
#define SECEL_T1_BLOCK_MAX	(4 + SECEL_T1_GP_IFS_MAX + 2)
/* NAD of the interface device's blocks in GP T=1 (SAD 2, DAD 1) */
#define SECEL_T1_GP_NAD		0x21

/**
 * enum secel_t1_variant - which T=1 is spoken
 * @SECEL_T1_ISO: ISO/IEC 7816-3 clause 11: one-byte LEN, IFS 1 to 254,
 *	LRC or CRC, S-blocks RESYNCH, IFS, ABORT, WTX
 * @SECEL_T1_GP: GlobalPlatform T=1 over SPI/I2C: two-byte LEN, IFS 1 to
 *	4089 (on two bytes in S(IFS)), CRC-16 always, and the S-blocks CIP,
 *	RELEASE and SWR besides the ISO ones
 */
enum secel_t1_variant {
	SECEL_T1_ISO,
	SECEL_T1_GP,
};

/**
 * enum secel_t1_edc - the epilogue field
 * @SECEL_T1_LRC: one byte, the XOR of the prologue and INF bytes
 * @SECEL_T1_CRC: two bytes; ISO: the CRC the ATR's first TC for T=1 asks
 *	for; GP: its CRC-16 (the only EDC GP T=1 has)
 */
enum secel_t1_edc {
	SECEL_T1_LRC,
	SECEL_T1_CRC,
};

/**
 * struct secel_t1_ops - how the engine moves bytes over a converter's wire
 * @send: send the whole block @buf of @len bytes (the engine calls it
 *	once per block, so a converter whose wire carries whole blocks,
 *	a CCID reader at TPDU level, sees block boundaries).  Returns 0 or a
 *	negative errno, which ends the exchange (-ENODEV once the card is
 *	gone).
 * @recv: receive exactly @len bytes into @buf.  The engine first asks for
 *	the prologue with @timeout_ms the block waiting time (BWT, times a
 *	WTX the card asked for): the wait for the block's first byte.  It
 *	then asks for LEN bytes of INF and the EDC, with @timeout_ms covering
 *	the rest of the block (the character waiting time for each byte);
 *	a converter that times characters one by one applies
 *	&secel_t1_config.cwt_ms between bytes itself.  Returns 0,
 *	-ETIMEDOUT when the bytes did not come in time (the engine then
 *	treats the block as lost or invalid and recovers), -EPROTO when the
 *	converter saw a parity or framing error in them (an invalid block),
 *	or another negative errno, which ends the exchange.
 * @flush: discard whatever the card may still be sending (a byte stream
 *	waits until the line has been quiet for the character waiting
 *	time).  The engine calls it before it answers an invalid block.  May
 *	be NULL.
 *
 * The engine calls them one at a time, from the converter's exchange
 * (process context, may sleep).  A converter ends a blocked @recv from
 * its &secel_ops.abort or &secel_ops.cancel and returns -ENODEV or
 * -ECANCELED from it: the engine returns that errno at once.
 */
struct secel_t1_ops {
	int (*send)(void *ctx, const u8 *buf, size_t len);
	int (*recv)(void *ctx, u8 *buf, size_t len, unsigned int timeout_ms);
	void (*flush)(void *ctx);
};

/**
 * struct secel_t1_config - the parameters of a T=1 link
 * @variant: ISO or GP (&enum secel_t1_variant)
 * @edc: LRC or CRC (&enum secel_t1_edc); GP uses CRC
 * @ifsc: the card's information field size, the largest INF the engine
 *	sends (ISO 1 to 254, GP 1 to 4089)
 * @ifsd: the interface device's, the largest INF the card may send; the
 *	engine announces it with secel_t1_set_ifsd()
 * @nad: NAD of the blocks the engine sends (ISO: 00h unless addressing
 *	is used; GP: SECEL_T1_GP_NAD).  The card answers with SAD and DAD
 *	swapped; a block with another NAD is invalid.
 * @bwt_ms: block waiting time, the longest wait for the first byte of
 *	the card's block (ISO 11.4.3; GP: the CIP's DLLP)
 * @cwt_ms: character waiting time, the longest gap between two bytes of
 *	a block (ISO 11.4.3); 0 for a bus that reads a block at once
 * @bgt_us: block guard time, the least delay between the card's last
 *	byte and the interface device's next block (ISO 11.2: 22 etu); 0 for
 *	none
 *
 * secel_t1_config_from_atr() and secel_t1_config_from_cip() fill one.
 */
struct secel_t1_config {
	enum secel_t1_variant variant;
	enum secel_t1_edc edc;
	u16 ifsc;
	u16 ifsd;
	u8 nad;
	unsigned int bwt_ms;
	unsigned int cwt_ms;
	unsigned int bgt_us;
};

/**
 * struct secel_t1_stats - what a T=1 link has been through, for debugging
 *	and tests
 * @blocks_sent: blocks the engine sent, retransmissions included
 * @blocks_received: valid blocks received
 * @edc_errors: blocks received with a wrong EDC, parity error or bad LEN
 * @timeouts: blocks that did not come within the waiting time
 * @retransmits: blocks sent again (the card's R-block or ours asked)
 * @resynchs: S(RESYNCH) exchanges
 * @wtx: S(WTX) requests granted
 * @aborts: chains ended by S(ABORT)
 */
struct secel_t1_stats {
	u32 blocks_sent;
	u32 blocks_received;
	u32 edc_errors;
	u32 timeouts;
	u32 retransmits;
	u32 resynchs;
	u32 wtx;
	u32 aborts;
};

/**
 * struct secel_t1 - a T=1 link: the engine's state, one per card
 * @ops: the converter's byte mover
 * @ctx: its argument
 * @cfg: the parameters the link started with (secel_t1_resync() and
 *	secel_t1_gp_reset() come back to them)
 * @ifsc: the card's information field size now (S(IFS) changes it)
 * @ifsd: the interface device's now
 * @ns: N(S) of the next I-block the engine sends
 * @nr: N(S) the engine expects in the card's next I-block
 * @wtx: the card's WTX multiplier for the next block's waiting time, 1
 *	when none
 * @last_rx: when the card's last byte came, for the block guard time
 * @card_turn: a block was sent and the card's answer to it not received
 *	yet (an exchange cut off by a signal leaves it set: secel_t1_resync()
 *	takes that answer off the line first)
 * @stats: counters
 * @tx: block buffer for what the engine sends
 * @rx: block buffer for what it receives
 *
 * The fields are the engine's; a converter reads @ifsc, @ifsd and @stats
 * at most.  Calls on one link are serialised by the caller (the core
 * serialises a SE's exchanges).
 */
struct secel_t1 {
	const struct secel_t1_ops *ops;
	void *ctx;
	struct secel_t1_config cfg;
	u16 ifsc;
	u16 ifsd;
	u8 ns;
	u8 nr;
	u32 wtx;
	u64 last_rx;
	bool card_turn;
	struct secel_t1_stats stats;
	u8 *tx;
	u8 *rx;
};

/**
 * struct secel_t1_cip - a GP T=1 Communication Interface Parameters
 *	(the answer to S(CIP), sent instead of an ATR)
 * @version: PVER, the protocol version (1)
 * @iin: the issuer identification number, @iin_len bytes
 * @iin_len: 3 or 4
 * @plid: the physical layer: 1 SPI, 2 I2C
 * @plp: the physical layer parameters, @plp_len bytes
 * @plp_len: their length
 * @bwt_ms: the block waiting time from the data link layer parameters
 * @ifsc: the card's information field size from them
 * @hb: the historical bytes, @hb_len bytes (ISO/IEC 7816-4 8.1.1)
 * @hb_len: their number
 *
 * The pointers point into the buffer secel_t1_cip_parse() read.
 */
struct secel_t1_cip {
	u8 version;
	const u8 *iin;
	u8 iin_len;
	u8 plid;
	const u8 *plp;
	u8 plp_len;
	u16 bwt_ms;
	u16 ifsc;
	const u8 *hb;
	u8 hb_len;
};

int secel_t1_config_from_atr(const struct secel_atr_params *p,
			     unsigned int clock_khz,
			     struct secel_t1_config *cfg);
int secel_t1_cip_parse(const u8 *buf, size_t len, struct secel_t1_cip *cip);
int secel_t1_config_from_cip(const struct secel_t1_cip *cip,
			     struct secel_t1_config *cfg);
int secel_t1_init(struct secel_t1 *t1, const struct secel_t1_config *cfg,
		  const struct secel_t1_ops *ops, void *ctx);
void secel_t1_destroy(struct secel_t1 *t1);
int secel_t1_transceive(struct secel_t1 *t1, const u8 *cmd, size_t len,
			u8 *rsp, size_t size, size_t *rsp_len);
int secel_t1_set_ifsd(struct secel_t1 *t1, u16 ifsd);
int secel_t1_resync(struct secel_t1 *t1);
int secel_t1_gp_reset(struct secel_t1 *t1);
int secel_t1_gp_cip(struct secel_t1 *t1, u8 *cip, size_t size,
		    size_t *cip_len);
int secel_t1_gp_release(struct secel_t1 *t1);

#endif /* _LINUX_SECEL_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vse_card - a small virtual secure element for the secel selftests
 *
 * vse_card_new() creates an SE with SECEL_VSE_IOC_NEW and serves its card
 * file descriptor from a thread.  The card behaves like a simple
 * GlobalPlatform card unless the test asks otherwise:
 *
 *  - SELECT 00 A4 04 00 00 (default application): 9000
 *  - SELECT ISD A000000151000000: FCI, 9000
 *  - GET DATA 9F7F / 0042 / 0045 / 0066: TLV with the configured value,
 *    or 6A88 when the item is configured absent
 *  - MANAGE CHANNEL open / close: channels 1..max_channels, 6A81 when full
 *  - SELECT by AID on a channel: VSE_TEST_AID -> 9000, others -> 6A82
 *  - CLA 80 INS 10 (ECHO): the command data field, 9000
 *  - CLA 80 INS 11 (GIVE): Ne bytes of pattern (i & 0xff), 9000
 *  - CLA 80 INS 20 (CHAINED): P1P2 bytes of pattern in 61xx chunks of
 *    VSE_CHAIN_CHUNK bytes, fetched with GET RESPONSE (INS C0)
 *  - CLA 80 INS 30 (NEEDLE): 6C10 unless Le is 0x10, then 16 bytes, 9000
 *  - CLA 80 INS 12 (SLOW): waits P1 x 100 ms, then the data field, 9000
 *  - anything else: 6D00
 *
 * APDUs addressed to a logical channel that is not open get 6881.
 * Every APDU the card receives is recorded, exactly as the kernel sent it.
 */
#ifndef VSE_CARD_H
#define VSE_CARD_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/secel_vse.h>

#define VSE_TEST_AID		"\xF0\x53\x45\x43\x45\x4C\x01"
#define VSE_TEST_AID_LEN	7
#define VSE_INS_ECHO		0x10
#define VSE_INS_GIVE		0x11
#define VSE_INS_SLOW		0x12
#define VSE_INS_CHAINED		0x20
#define VSE_INS_NEEDLE		0x30
#define VSE_CHAIN_CHUNK		200
#define VSE_LOG_MAX		4096

enum vse_mode {
	VSE_MODE_NORMAL = 0,
	VSE_MODE_SILENT,	/* reads requests, never answers */
	VSE_MODE_GARBAGE,	/* answers every APDU with 12 34 */
};

struct vse_card;

/*
 * A per-test hook: called for each APDU before the default behaviour.
 * Return the length of the response written to @rsp (2..@rsp_size), 0 to
 * let the default behaviour answer, or -1 to leave the APDU unanswered.
 */
typedef int (*vse_hook_t)(struct vse_card *card, const uint8_t *cmd,
			  size_t len, uint8_t *rsp, size_t rsp_size,
			  void *arg);

struct vse_card_opts {
	const uint8_t *atr;	/* NULL: vse_good_atr */
	size_t atr_len;
	const char *prefix;	/* NULL or "": the kernel's default */
	uint32_t flags;		/* SECEL_VSE_* */
	enum vse_mode mode;
	unsigned int delay_ms;	/* before each APDU answer */
	bool no_items;		/* GET DATA answers 6A88 */
	int max_channels;	/* 0: 19 */
	vse_hook_t hook;
	void *hook_arg;
	const uint8_t *reset_atr;	/* answer to RESET; NULL: the ATR */
	size_t reset_atr_len;
};

struct vse_card {
	int fd;			/* card fd, -1 once unplugged */
	unsigned int index;	/* N of /dev/secelN */
	struct secel_vse_new req;
	struct vse_card_opts opts;
	pthread_t thread;
	bool running;
	int stop_pipe[2];

	pthread_mutex_t lock;	/* guards everything below */
	unsigned int delay_ms;
	enum vse_mode mode;
	unsigned long apdus;	/* APDUs received */
	unsigned long resets, power_offs;
	uint32_t last_reset_flags;
	/* log_count when the last RESET / POWER_OFF arrived, -1: never */
	long reset_at, power_off_at;
	uint8_t *log[VSE_LOG_MAX];
	size_t log_len[VSE_LOG_MAX];
	unsigned int log_count;
	bool chan_open[SECEL_MAX_CHANNELS];
	uint8_t *pending[SECEL_MAX_CHANNELS];	/* 61xx data per channel */
	size_t pending_len[SECEL_MAX_CHANNELS];
	unsigned long write_errors;	/* answers the kernel refused */
	int last_write_errno;
};

extern const uint8_t vse_good_atr[];
extern const size_t vse_good_atr_len;

/* Configured item values (TLV values, the kernel keeps only these). */
extern const uint8_t vse_cplc[42];
extern const uint8_t vse_iin[5];
extern const uint8_t vse_cin[8];
extern const uint8_t vse_card_data[12];

/* Create and serve an SE.  NULL with errno set on failure. */
struct vse_card *vse_card_new(const struct vse_card_opts *opts);
/*
 * Serve an SE already created with SECEL_VSE_IOC_NEW: @req as the kernel
 * filled it in (its fd, index, ATR); the card record takes the fd over.
 * NULL with errno set on failure, the fd closed (the SE unplugged).
 */
struct vse_card *vse_card_adopt(const struct secel_vse_new *req,
				const struct vse_card_opts *opts);
/*
 * vse_card_new(), then wait up to @ms for the SE to be listed, open its
 * /dev/secelN into *@fd and clear the card's log (the verification's
 * APDUs).  NULL with errno set (ETIMEDOUT: never listed) and *@fd -1.
 */
struct vse_card *vse_card_new_open(const struct vse_card_opts *opts, int *fd,
				   int ms);
/* Unplug: stop serving and close the card fd.  Keeps the record. */
void vse_card_unplug(struct vse_card *card);
/* Unplug if needed and free. */
void vse_card_free(struct vse_card *card);

void vse_card_set_delay(struct vse_card *card, unsigned int ms);
void vse_card_set_mode(struct vse_card *card, enum vse_mode mode);
unsigned long vse_card_apdus(struct vse_card *card);
void vse_card_clear_log(struct vse_card *card);
unsigned int vse_card_log_count(struct vse_card *card);
/* Copy APDU number @i (0 = oldest kept); returns its length or -1. */
int vse_card_log_get(struct vse_card *card, unsigned int i, uint8_t *buf,
		     size_t size);
/* Index of the first recorded APDU from @from on whose INS is @ins, or -1. */
int vse_card_log_find_ins(struct vse_card *card, unsigned int from,
			  uint8_t ins);

/* MANAGE CHANNEL close commands (00 70 80 @channel) the card saw. */
unsigned int vse_card_closes(struct vse_card *card, unsigned int channel);
/*
 * Wait up to @ms until the card saw at least @n closes of @channel; true
 * when it did.
 */
bool vse_card_wait_closes(struct vse_card *card, unsigned int channel,
			  unsigned int n, int ms);

/* Logical channel a class byte addresses (ISO/IEC 7816-4), -1 for FF. */
int vse_cla_channel(uint8_t cla);
/* Class byte 00/80-style @cla encoded for @channel, as the kernel must. */
uint8_t vse_cla_encode(uint8_t cla, unsigned int channel);
/* ATR with a correct TCK: TS, T0 ... given without TCK; returns length. */
size_t vse_atr_fix_tck(uint8_t *atr, size_t len_without_tck);

#endif /* VSE_CARD_H */

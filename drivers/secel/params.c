// SPDX-License-Identifier: GPL-2.0
/*
 * secel - transmission parameters from an answer to reset (ISO/IEC 7816-3
 * 8.3: interface bytes; 9: PPS; 10.2: T=0's waiting integer; 11.4: T=1's
 * IFSC, BWI, CWI and EDC), for converters that configure an interface
 * device: a CCID reader's SetParameters, a serial line's baud rate.
 */
#include <linux/bitops.h>
#include <linux/errno.h>
#include <linux/export.h>
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/secel.h>

#include "secel-parse.h"

#define SECEL_FI_DI_DEFAULT	0x11
#define SECEL_WI_DEFAULT	10
#define SECEL_IFSC_DEFAULT	32
#define SECEL_BWI_CWI_DEFAULT	0x4d

/* Fi by TA1's bits 8..5 and Di by its bits 4..1; 0: reserved */
static const u16 secel_fi_table[16] = {
	372, 372, 558, 744, 1116, 1488, 1860, 0,
	0, 512, 768, 1024, 1536, 2048, 0, 0,
};

static const u8 secel_di_table[16] = {
	0, 1, 2, 4, 8, 16, 32, 64, 12, 20, 0, 0, 0, 0, 0, 0,
};

/**
 * secel_fi() - the clock rate conversion integer of a TA1 coding
 * @fi_di: TA1 (or CCID's bmFindexDindex)
 *
 * Return: Fi, or 0 for a reserved index.
 */
unsigned int secel_fi(u8 fi_di)
{
	return secel_fi_table[fi_di >> 4];
}
EXPORT_SYMBOL_GPL(secel_fi);

/**
 * secel_di() - the baud rate adjustment integer of a TA1 coding
 * @fi_di: TA1 (or CCID's bmFindexDindex)
 *
 * Return: Di, or 0 for a reserved index.
 */
unsigned int secel_di(u8 fi_di)
{
	return secel_di_table[fi_di & 0x0f];
}
EXPORT_SYMBOL_GPL(secel_di);

static u64 secel_rate(u32 clock_khz, u8 fi_di)
{
	return div_u64((u64)clock_khz * 1000 * secel_di(fi_di),
		       secel_fi(fi_di));
}

/*
 * The fastest coding with TA1's Fi and a Di no larger than TA1's that
 * the interface device's data rate allows (ISO/IEC 7816-3 9.2: PPS1
 * proposes F from Fd to Fi and D from Dd to Di); the default when none.
 */
static u8 secel_cap_fi_di(u8 ta1, const struct secel_iface_limits *lim)
{
	unsigned int best_d = 0, d;
	u8 best = SECEL_FI_DI_DEFAULT;
	int i;

	if (!lim->clock_khz || !lim->max_rate ||
	    secel_rate(lim->clock_khz, ta1) <= lim->max_rate)
		return ta1;
	for (i = 1; i < ARRAY_SIZE(secel_di_table); i++) {
		u8 c = (ta1 & 0xf0) | i;

		d = secel_di_table[i];
		if (!d || d > secel_di(ta1) || d <= best_d)
			continue;
		if (secel_rate(lim->clock_khz, c) <= lim->max_rate) {
			best = c;
			best_d = d;
		}
	}
	return best;
}

/**
 * secel_atr_params() - the transmission parameters to set for a card
 * @atr: the ATR
 * @len: its length
 * @lim: what the interface device can do
 * @p: the parameters: what the ATR says, defaults for what it does not
 *
 * Reads TA1 (Fi, Di), TC1 (N), TA2 (specific mode), TC2 (T=0's WI), the
 * first TA, TB and TC for T=1 (IFSC, BWI and CWI, EDC) and the first TA
 * for T=15 (clock stop).  Chooses the protocol: TA2's in specific mode;
 * otherwise the first offered, which a card uses without PPS, or with
 * @lim->pps the first offered that @lim->protocols has.  Chooses Fi and
 * Di: TA1 in specific mode (11h when TA2 says implicit values); without
 * PPS the default 11h, which a card in negotiable mode keeps; with PPS
 * TA1 when both indices are defined, its Di lowered to what
 * @lim->clock_khz and @lim->max_rate allow (@p->capped), 11h when even
 * Di = 1 is too fast.  A pure function of its input, for KUnit.
 *
 * Return: 0; -EPROTO when @atr is malformed; -EPROTONOSUPPORT when the
 * protocol the card will use is not in @lim->protocols (@p is filled
 * all the same).
 */
int secel_atr_params(const u8 *atr, size_t len,
		     const struct secel_iface_limits *lim,
		     struct secel_atr_params *p)
{
	bool t1_ta = false, t1_tb = false, t1_tc = false, t15_ta = false;
	bool have_ta1 = false, implicit = false;
	int first_t = -1, t = -1, i = 1;
	u32 offered = 0, usable;
	struct secel_atr info;
	size_t pos = 2;
	u8 y, ta2 = 0, b;

	if (secel_atr_parse(atr, len, &info))
		return -EPROTO;
	*p = (struct secel_atr_params) {
		.fi_di = SECEL_FI_DI_DEFAULT,
		.ta1 = SECEL_FI_DI_DEFAULT,
		.wi = SECEL_WI_DEFAULT,
		.ifsc = SECEL_IFSC_DEFAULT,
		.bwi_cwi = SECEL_BWI_CWI_DEFAULT,
		.inverse = atr[0] == 0x3f,
	};

	/* secel_atr_parse() checked that every byte read here is there */
	y = atr[1] >> 4;
	for (;;) {
		if (y & 0x1) {
			b = atr[pos++];
			if (i == 1) {
				p->ta1 = b;
				have_ta1 = true;
			} else if (i == 2) {
				p->specific = true;
				ta2 = b;
			} else if (t == 1 && !t1_ta) {
				p->ifsc = b;
				t1_ta = true;
			} else if (t == 15 && !t15_ta) {
				p->clock_stop = b >> 6;
				t15_ta = true;
			}
		}
		if (y & 0x2) {
			b = atr[pos++];
			if (i > 2 && t == 1 && !t1_tb) {
				p->bwi_cwi = b;
				t1_tb = true;
			}
		}
		if (y & 0x4) {
			b = atr[pos++];
			if (i == 1) {
				p->n = b;
			} else if (i == 2) {
				p->wi = b;
			} else if (t == 1 && !t1_tc) {
				p->crc = b & 0x01;
				t1_tc = true;
			}
		}
		if (!(y & 0x8))
			break;
		b = atr[pos++];
		t = b & 0x0f;
		if (first_t < 0)
			first_t = t;
		if (t != 15)
			offered |= BIT(t);
		y = b >> 4;
		i++;
	}
	if (first_t < 0 || first_t == 15) {
		first_t = 0;
		offered |= BIT(0);
	}

	usable = offered & lim->protocols;
	if (p->specific) {
		p->protocol = ta2 & 0x0f;
		implicit = ta2 & 0x10;
	} else if (lim->pps && !(usable & BIT(first_t)) && usable) {
		p->protocol = __ffs(usable);
	} else {
		p->protocol = first_t;
	}

	if (p->specific) {
		if (!implicit)
			p->fi_di = p->ta1;
	} else if (lim->pps && have_ta1 && secel_fi(p->ta1) &&
		   secel_di(p->ta1)) {
		p->fi_di = secel_cap_fi_di(p->ta1, lim);
		p->capped = p->fi_di != p->ta1;
	}

	if (p->protocol > 1 || !(lim->protocols & BIT(p->protocol)))
		return -EPROTONOSUPPORT;
	return 0;
}
EXPORT_SYMBOL_GPL(secel_atr_params);

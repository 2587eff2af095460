// SPDX-License-Identifier: GPL-2.0
/*
 * secel_uart - a card on a serial line (ISO/IEC 7816-3 asynchronous
 * transmission): embedded SEs on a UART, SIM and SAM contacts driven by a
 * UART and a reset line
 *
 * A serdev driver: firmware declares the card under its UART (an ACPI
 * device with a UartSerialBusV2 resource, or a Device Tree child node)
 * with its clock and how its reset line is driven: a GPIO, or the UART's
 * RTS or DTR line.  The driver resets the card, reads its answer to reset
 * byte by byte (the ATR's structure says how long it is), negotiates the
 * transmission parameters with a PPS exchange, sets the baud rate from
 * F, D and the clock, and carries APDUs with T=0 at character level:
 * procedure bytes, NULL bytes and the work waiting time; the mapping of
 * APDUs on TPDUs (61xx, 6Cxx) is the core's secel_t0_transmit().  With a
 * card that uses T=1, the core's block engine (t1.c) carries them, and
 * this driver moves its blocks' bytes.
 *
 * With protocol "gp-t1" the line carries GlobalPlatform's T=1 for eSEs
 * ("APDU Transport over SPI/I2C": two-byte LEN, CRC-16, NAD 21h) as a
 * byte stream at a fixed rate, 8 data bits without parity: there is no
 * ATR.  The driver starts the link with S(SWR), reads the Communication
 * Interface Parameters with S(CIP) and takes their BWT, IFSC, power
 * wake-up time and guard time; the core gets the CIP's historical bytes
 * in an ATR built the way eSE stacks present one (3B 8n 80 01 ... TCK),
 * and the CIP itself is the device's sysfs attribute "cip".  S(RELEASE)
 * lets the SE save power when the line has been idle and before it is
 * powered off; a warm reset is S(SWR).
 *
 * Characters go as 8 data bits with even parity.  serdev has no call for
 * two stop bits, so the UART's own framing (one stop bit) is used: the
 * guard time of 2 etu a card needs between the characters it receives is
 * met only when the UART leaves that gap (most do at these rates, and
 * TC1 is honoured only as far as that goes).  Error signalling by the
 * receiver during the guard time is not seen by a UART: a parity error
 * reaches the driver as a wrong byte and ends the exchange.
 */
#include <linux/acpi.h>
#include <linux/bitops.h>
#include <linux/bitrev.h>
#include <linux/delay.h>
#include <linux/gpio/consumer.h>
#include <linux/jiffies.h>
#include <linux/kfifo.h>
#include <linux/module.h>
#include <linux/mod_devicetable.h>
#include <linux/mutex.h>
#include <linux/property.h>
#include <linux/sched.h>
#include <linux/secel.h>
#include <linux/serdev.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/termios.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

static unsigned int timeout_ms = 10000;
module_param(timeout_ms, uint, 0644);
MODULE_PARM_DESC(timeout_ms, "Longest exchange of one TPDU, NULL bytes included, in ms (100..600000, default 10000)");

#define UART_CLOCK_DEFAULT	3571200	/* Hz: 9600 bit/s at Fd = 372 */
#define UART_MAX_SPEED_DEFAULT	115200
#define UART_RESET_HOLD_MS	10	/* well over 400 clock cycles */
#define UART_ATR_FIRST_MS	1000	/* TS after the reset line rises */
#define UART_RX_SIZE		1024
#define UART_T0_MAX_CMD		(4 + 1 + 255 + 1)
#define UART_T0_MAX_RSP		(256 + 2)
#define UART_FI_DI_DEFAULT	0x11
#define UART_IFSD		254
/*
 * The tty layer hands received bytes over from a work item, in batches:
 * the gap the driver sees between two characters exceeds the wire's by
 * up to a scheduling delay, allowed on top of T=1's CWT.
 */
#define UART_LATENCY_MS		20
/* GP T=1 until the CIP says otherwise: Infineon's and Thales' stacks' values */
#define UART_GP_BWT_MS		300
#define UART_GP_PWT_MS		25
#define UART_GP_IFSD		254
#define UART_GP_RELEASE_MS	1000
#define UART_GP_GAP_MS		100
#define UART_CIP_MAX		254
/* the physical layer parameters both PLIDs share: CONF PWT MCF(2) PST MPOT */
#define UART_PLP_PWT		1
#define UART_PLP_SEGT		6	/* SPI SEGT, I2C RWGT: 2 bytes, us */

enum uart_reset_line {
	UART_RESET_NONE,
	UART_RESET_GPIO,
	UART_RESET_RTS,
	UART_RESET_DTR,
};

/**
 * struct secel_uart - one card on one serial line
 * @serdev: the serial device
 * @se: the SE reported to the core, NULL when not registered
 * @reset_gpio: the card's RST line, asserted (logical 1) to hold it in reset
 * @power_gpio: the card's VCC switch, asserted to power it; may be NULL
 * @reset_line: how RST is driven
 * @clock_hz: the clock the card receives
 * @max_speed: the UART's highest baud rate
 * @reset_hold_ms: how long a warm reset holds RST
 * @name_prefix: OMAPI-style reader-name prefix of the SE
 * @echo: the line echoes what the UART sends (a single I/O wire), so
 *	every byte sent comes back and is checked and dropped
 * @inverse: the card uses the inverse convention (TS 3F)
 * @fi_di: the F and D in force, coded as TA1
 * @wi: T=0's waiting integer
 * @protocol: the protocol in use, 0 or 1 (always 1 in GP mode)
 * @gp: GlobalPlatform T=1 mode (protocol "gp-t1"): no ATR, S(SWR), S(CIP)
 * @release_ms: GP: idle time after which S(RELEASE) lets the SE save
 *	power, 0 never
 * @pwt_ms: GP: the SE's power wake-up time, from the CIP's PLP
 * @released: GP: S(RELEASE) was sent and no block since
 * @cip: GP: the last CIP read, @cip_len bytes (under @lock)
 * @cip_len: its length, 0 before the first
 * @io: serialises the link between the core's calls and @release_work
 * @release_work: GP: S(RELEASE) after @release_ms without an exchange
 * @t1: the T=1 link, when @protocol is 1 (@t1_up)
 * @t1_up: @t1 is initialised
 * @lost: an exchange ended out of step with the card: the next exchange
 *	resets it first (ISO/IEC 7816-3 10.2)
 * @resync: a T=1 exchange was cut off by a signal: the next exchange
 *	resynchronises the link first (S(RESYNCH), 11.6.3.2), which keeps
 *	the card's logical channels and selections, where a reset would not
 * @lock: guards @rx, @overrun, @dead, @cancel and @cip
 * @rx: the bytes received and not read yet
 * @overrun: bytes were lost because @rx was full
 * @dead: the SE is going away: every wait ends with -ENODEV
 * @cancel: the core cancelled the exchange under way
 * @busy: an exchange is under way (for @cancel)
 * @wait: woken when a byte arrives and on @dead and @cancel
 */
struct secel_uart {
	struct serdev_device *serdev;
	struct secel_se *se;
	struct gpio_desc *reset_gpio;
	struct gpio_desc *power_gpio;
	enum uart_reset_line reset_line;
	u32 clock_hz;
	u32 max_speed;
	u32 reset_hold_ms;
	const char *name_prefix;
	bool echo;
	bool inverse;
	u8 fi_di;
	u8 wi;
	u8 protocol;
	bool gp;
	u32 release_ms;
	u32 pwt_ms;
	bool released;
	u8 cip[UART_CIP_MAX];
	size_t cip_len;
	struct mutex io;	/* the link: core calls and @release_work */
	struct delayed_work release_work;
	struct secel_t1 t1;
	bool t1_up;
	bool lost;
	bool resync;

	spinlock_t lock;	/* @rx, @overrun, @dead, @cancel, @busy */
	DECLARE_KFIFO(rx, u8, UART_RX_SIZE);
	bool overrun;
	bool dead;
	bool cancel;
	bool busy;
	wait_queue_head_t wait;
};

/* Bytes from the UART; called from the tty layer's work, process context. */
static int secel_uart_receive(struct serdev_device *serdev,
			      const unsigned char *data, size_t count)
{
	struct secel_uart *u = serdev_device_get_drvdata(serdev);
	unsigned long flags;
	size_t i;

	spin_lock_irqsave(&u->lock, flags);
	for (i = 0; i < count; i++) {
		u8 b = u->inverse ? bitrev8(~data[i]) : data[i];

		if (!kfifo_put(&u->rx, b))
			u->overrun = true;
	}
	spin_unlock_irqrestore(&u->lock, flags);
	wake_up(&u->wait);
	return count;
}

static const struct serdev_device_ops secel_uart_serdev_ops = {
	.receive_buf = secel_uart_receive,
	.write_wakeup = serdev_device_write_wakeup,
};

static void secel_uart_flush(struct secel_uart *u)
{
	unsigned long flags;

	spin_lock_irqsave(&u->lock, flags);
	kfifo_reset(&u->rx);
	u->overrun = false;
	spin_unlock_irqrestore(&u->lock, flags);
}

/* Ends a wait: a byte, the SE going away, the exchange cancelled. */
static bool secel_uart_ready(struct secel_uart *u)
{
	unsigned long flags;
	bool ready;

	spin_lock_irqsave(&u->lock, flags);
	ready = !kfifo_is_empty(&u->rx) || u->dead || u->cancel ||
		u->overrun;
	spin_unlock_irqrestore(&u->lock, flags);
	return ready;
}

/*
 * Receive exactly @len bytes, each within @wait_ms of the one before (the
 * first within @wait_ms of the call) and all before @deadline.
 */
static int secel_uart_read(struct secel_uart *u, u8 *buf, size_t len,
			   unsigned int wait_ms, unsigned long deadline)
{
	unsigned long flags;
	size_t got = 0;
	long left;
	int ret = 0;

	while (got < len) {
		left = min_t(long, msecs_to_jiffies(wait_ms),
			     (long)(deadline - jiffies));
		if (left <= 0)
			return -ETIMEDOUT;
		left = wait_event_interruptible_timeout(u->wait,
							secel_uart_ready(u),
							left);
		if (left < 0)
			return -EINTR;
		spin_lock_irqsave(&u->lock, flags);
		if (u->dead)
			ret = -ENODEV;
		else if (u->cancel)
			ret = -ECANCELED;
		else if (u->overrun)
			ret = -EIO;
		else
			got += kfifo_out(&u->rx, buf + got, len - got);
		spin_unlock_irqrestore(&u->lock, flags);
		if (ret)
			return ret;
		if (!left && got < len)
			return -ETIMEDOUT;
	}
	return 0;
}

/* Send @len bytes; on a line that echoes, take the echo back. */
static int secel_uart_write(struct secel_uart *u, const u8 *buf, size_t len,
			    unsigned long deadline)
{
	u8 tmp[16], echo[16];
	size_t off, n, i;
	int ret;

	for (off = 0; off < len; off += n) {
		n = min(len - off, sizeof(tmp));
		for (i = 0; i < n; i++)
			tmp[i] = u->inverse ? bitrev8(~buf[off + i]) :
					      buf[off + i];
		ret = serdev_device_write(u->serdev, tmp, n,
					  max_t(long, deadline - jiffies, 1));
		if (ret < 0)
			return ret == -ERESTARTSYS ? -EINTR : ret;
		if (ret < n)
			return -ETIMEDOUT;
		if (!u->echo)
			continue;
		ret = secel_uart_read(u, echo, n, timeout_ms, deadline);
		if (ret)
			return ret;
		if (memcmp(echo, buf + off, n))
			return -EIO;
	}
	return 0;
}

static void secel_uart_set_reset(struct secel_uart *u, bool asserted)
{
	switch (u->reset_line) {
	case UART_RESET_GPIO:
		gpiod_set_value_cansleep(u->reset_gpio, asserted);
		break;
	case UART_RESET_RTS:
		serdev_device_set_tiocm(u->serdev, asserted ? TIOCM_RTS : 0,
					asserted ? 0 : TIOCM_RTS);
		break;
	case UART_RESET_DTR:
		serdev_device_set_tiocm(u->serdev, asserted ? TIOCM_DTR : 0,
					asserted ? 0 : TIOCM_DTR);
		break;
	default:
		break;
	}
}

/* The baud rate for F and D coded as TA1, at the card's clock. */
static unsigned int secel_uart_rate(struct secel_uart *u, u8 fi_di)
{
	return div_u64((u64)u->clock_hz * secel_di(fi_di), secel_fi(fi_di));
}

static int secel_uart_set_rate(struct secel_uart *u, u8 fi_di)
{
	unsigned int want = secel_uart_rate(u, fi_di), got;

	got = serdev_device_set_baudrate(u->serdev, want);
	/* a UART that cannot come within 5% cannot talk to the card */
	if (abs((int)got - (int)want) > want / 20) {
		dev_warn(&u->serdev->dev, "the UART runs at %u bit/s, not %u\n",
			 got, want);
		return -EOPNOTSUPP;
	}
	u->fi_di = fi_di;
	return 0;
}

/* Work waiting time of T=0, in ms (ISO/IEC 7816-3 10.2), rounded up. */
static unsigned int secel_uart_wwt_ms(struct secel_uart *u)
{
	u64 cycles = 960ULL * (u->wi ? u->wi : 10) * secel_fi(u->fi_di);

	return div_u64(cycles * 1000 + u->clock_hz - 1, u->clock_hz) + 1;
}

static unsigned long secel_uart_deadline(void)
{
	return jiffies + msecs_to_jiffies(clamp(READ_ONCE(timeout_ms),
						100U, 600000U));
}

/*
 * Read the ATR byte by byte: its structure (T0, each TDi, the historical
 * bytes, TCK when a protocol other than T=0 is offered) says how long it
 * is.  Each character within the initial waiting time of the one before
 * (9600 etu at Fd, Dd).
 */
static int secel_uart_read_atr(struct secel_uart *u, u8 *atr, size_t size,
			       size_t *atr_len)
{
	unsigned long deadline = secel_uart_deadline();
	unsigned int wt_ms = DIV_ROUND_UP(9600ULL * 372 * 1000, u->clock_hz);
	bool need_tck = false;
	size_t pos = 0, n;
	u8 y, k, td;
	int ret;

	size = min_t(size_t, size, SECEL_ATR_MAX);
	u->inverse = false;
	serdev_device_set_parity(u->serdev, SERDEV_PARITY_EVEN);
	ret = secel_uart_read(u, atr, 1, UART_ATR_FIRST_MS + wt_ms, deadline);
	if (ret)
		return ret;
	if (atr[0] == 0x03) {
		/* 3F read in the direct convention: an inverse card */
		u->inverse = true;
		atr[0] = 0x3f;
		serdev_device_set_parity(u->serdev, SERDEV_PARITY_ODD);
	} else if (atr[0] != 0x3b) {
		dev_dbg(&u->serdev->dev, "TS %02xh is no convention\n", atr[0]);
		return -EPROTO;
	}
	pos = 1;
	ret = secel_uart_read(u, atr + pos, 1, wt_ms, deadline);
	if (ret)
		return ret;
	y = atr[pos] >> 4;
	k = atr[pos] & 0x0f;
	pos++;
	for (;;) {
		n = hweight8(y & 0x7) + !!(y & 0x8);
		if (pos + n > size)
			return -EPROTO;
		ret = secel_uart_read(u, atr + pos, n, wt_ms, deadline);
		if (ret)
			return ret;
		pos += n;
		if (!(y & 0x8))
			break;
		td = atr[pos - 1];
		if ((td & 0x0f) != 0)
			need_tck = true;
		y = td >> 4;
	}
	n = k + need_tck;
	if (pos + n > size)
		return -EPROTO;
	ret = secel_uart_read(u, atr + pos, n, wt_ms, deadline);
	if (ret)
		return ret;
	*atr_len = pos + n;
	return 0;
}

/*
 * PPS (ISO/IEC 7816-3 9.2, 9.3): propose @protocol and F, D as @fi_di.
 * Returns 0 when the card accepted both, -EPROTO when it answered
 * otherwise, or the read's error.
 */
static int secel_uart_pps(struct secel_uart *u, u8 protocol, u8 fi_di)
{
	unsigned long deadline = secel_uart_deadline();
	unsigned int wt_ms = DIV_ROUND_UP(9600ULL * 372 * 1000, u->clock_hz);
	u8 req[4], rsp[6], pck = 0;
	size_t n = 2, i;
	int ret;

	req[0] = 0xff;
	req[1] = 0x10 | protocol;
	req[2] = fi_di;
	req[3] = req[0] ^ req[1] ^ req[2];
	ret = secel_uart_write(u, req, sizeof(req), deadline);
	if (!ret)
		ret = secel_uart_read(u, rsp, 2, wt_ms, deadline);
	if (ret)
		return ret;
	/* PPS1, PPS2, PPS3 as PPS0 says, then PCK */
	n += hweight8(rsp[1] & 0x70) + 1;
	ret = secel_uart_read(u, rsp + 2, n - 2, wt_ms, deadline);
	if (ret)
		return ret;
	for (i = 0; i < n; i++)
		pck ^= rsp[i];
	if (rsp[0] != 0xff || pck || (rsp[1] & 0x0f) != protocol)
		return -EPROTO;
	/* PPS1 echoed: the card takes F and D; absent: Fd and Dd */
	if (!(rsp[1] & 0x10) || rsp[2] != fi_di)
		return -EPROTO;
	return 0;
}

/* T=1: the engine's blocks, byte by byte */
static int secel_uart_t1_send(void *ctx, const u8 *buf, size_t len)
{
	return secel_uart_write(ctx, buf, len, secel_uart_deadline());
}

/*
 * The longest gap between two bytes of a block: ISO's CWT; GP defines
 * none (an SE sends its block back to back), so what a loaded host's
 * tty layer may add, with room.
 */
static unsigned int secel_uart_t1_gap(struct secel_uart *u)
{
	return u->gp ? UART_GP_GAP_MS : u->t1.cfg.cwt_ms + UART_LATENCY_MS;
}

/*
 * The first byte within @timeout_ms (BWT for a prologue), each next one
 * within the gap, all within @timeout_ms plus a gap per byte (ISO) or
 * one gap and the bytes' time on the line (GP).
 */
static int secel_uart_t1_recv(void *ctx, u8 *buf, size_t len,
			      unsigned int timeout_ms)
{
	struct secel_uart *u = ctx;
	unsigned int cwt = secel_uart_t1_gap(u);
	unsigned long deadline;
	int ret;

	deadline = jiffies + msecs_to_jiffies(timeout_ms +
		(u->gp ? cwt + DIV_ROUND_UP(len * 10000, u->max_speed) :
			 len * cwt));

	if (!len)
		return 0;
	ret = secel_uart_read(u, buf, 1, timeout_ms + UART_LATENCY_MS,
			      deadline);
	if (!ret && len > 1)
		ret = secel_uart_read(u, buf + 1, len - 1, cwt, deadline);
	return ret;
}

/* Wait until the card has been quiet for a CWT, dropping what it sent. */
static void secel_uart_t1_flush(void *ctx)
{
	struct secel_uart *u = ctx;
	unsigned int cwt = secel_uart_t1_gap(u);
	unsigned long deadline = secel_uart_deadline();
	u8 b;

	do {
		secel_uart_flush(u);
	} while (!secel_uart_read(u, &b, 1, cwt, deadline));
	secel_uart_flush(u);
}

static const struct secel_t1_ops secel_uart_t1_ops = {
	.send = secel_uart_t1_send,
	.recv = secel_uart_t1_recv,
	.flush = secel_uart_t1_flush,
};

static void secel_uart_t1_stop(struct secel_uart *u)
{
	if (u->t1_up)
		secel_t1_destroy(&u->t1);
	u->t1_up = false;
}

/* A T=1 link for the card's ATR; IFSD 254 announced with S(IFS). */
static int secel_uart_t1_start(struct secel_uart *u,
			       const struct secel_atr_params *p)
{
	struct secel_t1_config cfg;
	int ret;

	ret = secel_t1_config_from_atr(p, u->clock_hz / 1000, &cfg);
	if (ret)
		return ret;
	ret = secel_t1_init(&u->t1, &cfg, &secel_uart_t1_ops, u);
	if (ret)
		return ret;
	u->t1_up = true;
	ret = secel_t1_set_ifsd(&u->t1, UART_IFSD);
	if (ret)
		dev_info(&u->serdev->dev, "S(IFS) for IFSD %u: %d\n", UART_IFSD,
			 ret);
	return ret;
}

/*
 * Reset the card (cold: power and RST; warm: RST only), read its ATR and
 * set the line up for it: PPS when the card is in negotiable mode and
 * something faster than Fd, Dd is possible, the rate its specific mode
 * says otherwise.
 */
static int secel_uart_activate(struct secel_uart *u, bool cold, u8 *atr,
			       size_t atr_size, size_t *atr_len, bool pps)
{
	struct secel_iface_limits lim = {
		.clock_khz = u->clock_hz / 1000,
		.max_rate = u->max_speed,
		.protocols = BIT(0) | BIT(1),
		.pps = pps,
	};
	struct secel_atr_params p;
	int ret;

	secel_uart_set_reset(u, true);
	if (cold && u->power_gpio) {
		gpiod_set_value_cansleep(u->power_gpio, 0);
		msleep(u->reset_hold_ms);
		gpiod_set_value_cansleep(u->power_gpio, 1);
	}
	ret = secel_uart_set_rate(u, UART_FI_DI_DEFAULT);
	if (ret)
		return ret;
	u->wi = 10;
	msleep(u->reset_hold_ms);
	secel_uart_flush(u);
	secel_uart_set_reset(u, false);

	ret = secel_uart_read_atr(u, atr, atr_size, atr_len);
	if (ret) {
		dev_dbg(&u->serdev->dev, "no ATR: %d\n", ret);
		return ret;
	}
	ret = secel_atr_params(atr, *atr_len, &lim, &p);
	if (ret == -EPROTONOSUPPORT) {
		dev_warn(&u->serdev->dev, "the card uses T=%u, which this driver does not carry yet\n",
			 p.protocol);
		return ret;
	}
	if (ret)
		return ret;
	u->wi = p.wi;
	u->protocol = p.protocol;
	if (p.specific) {
		ret = secel_uart_set_rate(u, p.fi_di);
	} else if (!pps || p.fi_di == UART_FI_DI_DEFAULT) {
		ret = 0;
	} else {
		ret = secel_uart_pps(u, p.protocol, p.fi_di);
		if (ret) {
			dev_info(&u->serdev->dev, "PPS for F/D %02xh refused (%d): resetting at Fd, Dd\n",
				 p.fi_di, ret);
			return -EAGAIN;
		}
		dev_dbg(&u->serdev->dev, "PPS: T=%u, F/D %02xh, %u bit/s\n",
			p.protocol, p.fi_di, secel_uart_rate(u, p.fi_di));
		ret = secel_uart_set_rate(u, p.fi_di);
	}
	if (ret)
		return ret;
	if (u->protocol == 1)
		return secel_uart_t1_start(u, &p);
	return 0;
}

/*
 * GP T=1: what of the CIP's physical layer parameters a byte stream
 * uses.  PWT is the wait after S(SWR) before the next block; SEGT (SPI)
 * or RWGT (I2C), the least gap between the SE's block and the host's
 * next, becomes the engine's block guard time.  The CONF, MCF, PST and
 * MPOT bytes, and SPI's SEAL and WUT, are about clocking and polling a
 * bus; on a line the SE sends when its block is ready and the host
 * never polls.
 */
static void secel_uart_gp_plp(struct secel_uart *u,
			      const struct secel_t1_cip *cip,
			      struct secel_t1_config *cfg)
{
	if (cip->plp_len > UART_PLP_PWT)
		u->pwt_ms = cip->plp[UART_PLP_PWT];
	if (cip->plp_len >= UART_PLP_SEGT + 2)
		cfg->bgt_us = (cip->plp[UART_PLP_SEGT] << 8) |
			      cip->plp[UART_PLP_SEGT + 1];
}

/*
 * The core's ATR for a GP SE: no ATR exists, so the CIP's historical
 * bytes go in one as eSE stacks and PC/SC present contactless cards:
 * 3B 8K (TD1) 80 (TD2) 01 (T=1), K historical bytes (at most 15), TCK.
 */
static size_t secel_uart_gp_atr(struct secel_uart *u,
				const struct secel_t1_cip *cip, u8 *atr)
{
	size_t k = min_t(size_t, cip->hb_len, 15), len, i;
	u8 tck = 0;

	if (cip->hb_len > k)
		dev_info(&u->serdev->dev, "the CIP's %u historical bytes are cut to %zu in the ATR\n",
			 cip->hb_len, k);
	atr[0] = 0x3b;
	atr[1] = 0x80 | k;
	atr[2] = 0x80;
	atr[3] = 0x01;
	memcpy(atr + 4, cip->hb, k);
	len = 4 + k;
	for (i = 1; i < len; i++)
		tck ^= atr[i];
	atr[len++] = tck;
	return len;
}

/*
 * GP T=1 activation: power and RST where the board has them (cold),
 * then S(SWR), the power wake-up time, S(CIP), a link with the CIP's
 * parameters and S(IFS) for IFSD 254.
 */
static int secel_uart_gp_activate(struct secel_uart *u, bool cold, u8 *atr,
				  size_t atr_size, size_t *atr_len)
{
	struct secel_t1_config cfg = {
		.variant = SECEL_T1_GP,
		.edc = SECEL_T1_CRC,
		.ifsc = SECEL_T1_ISO_IFS_MAX,
		.ifsd = UART_GP_IFSD,
		.nad = SECEL_T1_GP_NAD,
		.bwt_ms = UART_GP_BWT_MS,
	};
	struct device *dev = &u->serdev->dev;
	struct secel_t1_cip cip;
	unsigned long flags;
	u8 buf[UART_CIP_MAX];
	size_t len;
	int ret;

	if (atr_size < 4 + 15 + 1)
		return -EPROTO;
	if (cold && (u->power_gpio || u->reset_line != UART_RESET_NONE)) {
		secel_uart_set_reset(u, true);
		if (u->power_gpio) {
			gpiod_set_value_cansleep(u->power_gpio, 0);
			msleep(u->reset_hold_ms);
			gpiod_set_value_cansleep(u->power_gpio, 1);
		}
		msleep(u->reset_hold_ms);
		secel_uart_set_reset(u, false);
	}
	/* a cold start: the SE's power wake-up time before its first block */
	if (cold)
		msleep(u->pwt_ms);
	u->protocol = 1;
	u->released = false;
	secel_uart_flush(u);
	ret = secel_t1_init(&u->t1, &cfg, &secel_uart_t1_ops, u);
	if (ret)
		return ret;
	u->t1_up = true;
	ret = secel_t1_gp_reset(&u->t1);
	if (ret) {
		/* not one block back: the SE is silent rather than confused */
		if (ret == -EIO && !u->t1.stats.blocks_received)
			ret = -ETIMEDOUT;
		dev_info(dev, "no answer to S(SWR): %d\n", ret);
		return ret;
	}
	msleep(u->pwt_ms);
	ret = secel_t1_gp_cip(&u->t1, buf, sizeof(buf), &len);
	if (ret == -EPROTO || ret == -EMSGSIZE) {
		dev_info(dev, "the SE's CIP is malformed (%d)\n", ret);
		return -EPROTO;
	}
	if (ret) {
		dev_info(dev, "no answer to S(CIP): %d\n", ret);
		return ret;
	}
	/* secel_t1_gp_cip() parsed it already */
	if (secel_t1_cip_parse(buf, len, &cip) ||
	    secel_t1_config_from_cip(&cip, &cfg))
		return -EPROTO;
	secel_uart_gp_plp(u, &cip, &cfg);
	spin_lock_irqsave(&u->lock, flags);
	memcpy(u->cip, buf, len);
	u->cip_len = len;
	spin_unlock_irqrestore(&u->lock, flags);

	/* S(SWR) and S(CIP) left N(S) and N(R) at 0: a fresh link is in step */
	secel_uart_t1_stop(u);
	ret = secel_t1_init(&u->t1, &cfg, &secel_uart_t1_ops, u);
	if (ret)
		return ret;
	u->t1_up = true;
	ret = secel_t1_set_ifsd(&u->t1, UART_GP_IFSD);
	if (ret) {
		dev_info(dev, "S(IFS) for IFSD %u: %d\n", UART_GP_IFSD, ret);
		return ret;
	}
	*atr_len = secel_uart_gp_atr(u, &cip, atr);
	dev_dbg(dev, "GP T=1: CIP of %zu bytes, BWT %u ms, IFSC %u, PWT %u ms, guard time %u us\n",
		len, cfg.bwt_ms, cfg.ifsc, u->pwt_ms, cfg.bgt_us);
	return 0;
}

/* GP: S(RELEASE) once the line has been idle for release_ms */
static void secel_uart_gp_idle(struct secel_uart *u)
{
	if (u->gp && u->release_ms)
		mod_delayed_work(system_wq, &u->release_work,
				 msecs_to_jiffies(u->release_ms));
}

/* S(RELEASE): the SE may save power until the next block; u->io held */
static void secel_uart_gp_release(struct secel_uart *u)
{
	int ret;

	if (!u->t1_up || u->released || u->lost || u->resync)
		return;
	/* what a card said after an exchange ended is no answer to this */
	secel_uart_flush(u);
	ret = secel_t1_gp_release(&u->t1);
	if (ret) {
		dev_dbg(&u->serdev->dev, "S(RELEASE): %d\n", ret);
		u->lost = true;
		return;
	}
	u->released = true;
}

static void secel_uart_release_work(struct work_struct *work)
{
	struct secel_uart *u = container_of(to_delayed_work(work),
					    struct secel_uart, release_work);

	mutex_lock(&u->io);
	secel_uart_gp_release(u);
	mutex_unlock(&u->io);
}

static int secel_uart_start(struct secel_uart *u, bool cold, u8 *atr,
			    size_t atr_size, size_t *atr_len)
{
	unsigned long flags;
	int ret;

	spin_lock_irqsave(&u->lock, flags);
	ret = u->dead ? -ENODEV : 0;
	u->cancel = false;
	spin_unlock_irqrestore(&u->lock, flags);
	if (ret)
		return ret;
	secel_uart_t1_stop(u);
	u->resync = false;
	if (u->gp) {
		ret = secel_uart_gp_activate(u, cold, atr, atr_size, atr_len);
	} else {
		ret = secel_uart_activate(u, cold, atr, atr_size, atr_len,
					  true);
		/* a failed PPS: deactivate, activate again without one (9.1) */
		if (ret == -EAGAIN)
			ret = secel_uart_activate(u, true, atr, atr_size,
						  atr_len, false);
	}
	u->lost = ret != 0;
	if (ret) {
		secel_uart_set_reset(u, true);
		return ret;
	}
	/* T=1 chains extended APDUs; T=0 carries short ones */
	if (u->protocol == 1)
		secel_se_set_limits(u->se, SECEL_CAP_EXTENDED_LENGTH,
				    SECEL_APDU_MAX, SECEL_RESP_MAX);
	else
		secel_se_set_limits(u->se, 0, UART_T0_MAX_CMD,
				    UART_T0_MAX_RSP);
	secel_uart_gp_idle(u);
	return 0;
}

static int secel_uart_power_on(struct secel_se *se, u8 *atr, size_t atr_size,
			       size_t *atr_len)
{
	struct secel_uart *u = secel_se_priv(se);
	int ret;

	mutex_lock(&u->io);
	ret = secel_uart_start(u, true, atr, atr_size, atr_len);
	mutex_unlock(&u->io);
	return ret;
}

/* GP: a warm reset is S(SWR), a cold one cycles power and RST first */
static int secel_uart_reset(struct secel_se *se, bool warm, u8 *atr,
			    size_t atr_size, size_t *atr_len)
{
	struct secel_uart *u = secel_se_priv(se);
	int ret;

	mutex_lock(&u->io);
	ret = secel_uart_start(u, !warm, atr, atr_size, atr_len);
	mutex_unlock(&u->io);
	return ret;
}

static void secel_uart_power_off(struct secel_se *se)
{
	struct secel_uart *u = secel_se_priv(se);

	if (u->gp) {
		/* before the SE loses power, or instead when it keeps it */
		cancel_delayed_work_sync(&u->release_work);
		mutex_lock(&u->io);
		secel_uart_gp_release(u);
		mutex_unlock(&u->io);
	}
	secel_uart_set_reset(u, true);
	if (u->power_gpio)
		gpiod_set_value_cansleep(u->power_gpio, 0);
}

/*
 * One command TPDU at character level (ISO/IEC 7816-3 10.3): the header,
 * then the procedure bytes decide: NULL waits on, INS moves the remaining
 * data, INS xor FF one byte, SW1 ends with SW2.  Data goes to the card
 * when the TPDU carries any (case 3), else comes from it (P3 bytes, 256
 * for 00).
 */
static int secel_uart_t0_xfer(void *ctx, const u8 *tpdu, size_t len, u8 *rsp,
			      size_t rsp_size, size_t *rsp_len)
{
	struct secel_uart *u = ctx;
	unsigned long deadline = secel_uart_deadline();
	unsigned int wwt = secel_uart_wwt_ms(u);
	bool out = len > 5;
	size_t left = out ? len - 5 : (tpdu[4] ? tpdu[4] : 256);
	size_t done = 0, n;
	u8 pb;
	int ret;

	if (len < 5 || (out && len != 5 + (size_t)tpdu[4]))
		return -EINVAL;
	ret = secel_uart_write(u, tpdu, 5, deadline);
	if (ret)
		return ret;
	for (;;) {
		ret = secel_uart_read(u, &pb, 1, wwt, deadline);
		if (ret)
			return ret;
		switch (secel_t0_procedure(tpdu[1], pb)) {
		case SECEL_T0_NULL:
			continue;
		case SECEL_T0_SW1:
			if (done + 2 > rsp_size)
				return -EMSGSIZE;
			rsp[done] = pb;
			ret = secel_uart_read(u, rsp + done + 1, 1, wwt,
					      deadline);
			if (ret)
				return ret;
			*rsp_len = done + 2;
			return 0;
		case SECEL_T0_ACK_ALL:
		case SECEL_T0_ACK_ONE:
			if (!left)
				return -EPROTO;
			n = secel_t0_procedure(tpdu[1], pb) ==
				SECEL_T0_ACK_ALL ? left : 1;
			if (out) {
				ret = secel_uart_write(u, tpdu + len - left,
						       n, deadline);
			} else {
				if (done + n + 2 > rsp_size)
					return -EMSGSIZE;
				ret = secel_uart_read(u, rsp + done, n, wwt,
						      deadline);
				done += n;
			}
			if (ret)
				return ret;
			left -= n;
			continue;
		default:
			dev_dbg(&u->serdev->dev, "procedure byte %02xh after INS %02xh\n",
				pb, tpdu[1]);
			return -EPROTO;
		}
	}
}

static int secel_uart_transmit(struct secel_se *se, const u8 *cmd,
			       size_t cmd_len, u8 *rsp, size_t rsp_size,
			       size_t *rsp_len)
{
	struct secel_uart *u = secel_se_priv(se);
	struct secel_t0_xfer x = { .xfer = secel_uart_t0_xfer, .ctx = u };
	u8 atr[SECEL_ATR_MAX];
	unsigned long flags;
	size_t atr_len;
	int ret;

	spin_lock_irqsave(&u->lock, flags);
	ret = u->dead ? -ENODEV : 0;
	u->cancel = false;
	u->busy = !ret;
	spin_unlock_irqrestore(&u->lock, flags);
	if (ret)
		return ret;

	mutex_lock(&u->io);
	if (u->lost) {
		/* the last exchange left the card out of step: start afresh */
		dev_info(&u->serdev->dev, "resetting the card after a lost exchange\n");
		ret = secel_uart_start(u, true, atr, sizeof(atr), &atr_len);
	}
	if (!ret && u->resync) {
		/*
		 * The interrupted exchange's answer may be on its way: the
		 * engine takes it off the line, so no flush before.
		 */
		ret = secel_t1_resync(&u->t1);
		if (ret == -EIO) {
			dev_info(&u->serdev->dev, "S(RESYNCH) after an interrupted exchange failed: resetting the card\n");
			ret = secel_uart_start(u, true, atr, sizeof(atr),
					       &atr_len);
		}
		if (!ret)
			u->resync = false;
	}
	if (!ret) {
		secel_uart_flush(u);
		/* GP: the block wakes an SE that was released */
		u->released = false;
		if (u->protocol == 1)
			ret = secel_t1_transceive(&u->t1, cmd, cmd_len, rsp,
						  rsp_size, rsp_len);
		else
			ret = secel_t0_transmit(&x, cmd, cmd_len, rsp,
						rsp_size, rsp_len);
	}
	/*
	 * A card that stopped answering, answered out of protocol, or whose
	 * exchange was cut off may still be talking: T=0 has no resync.
	 * T=1 resynchronised the link itself after ETIMEDOUT and EPROTO;
	 * EIO says it could not.  A T=1 exchange a signal cut off is
	 * resynchronised before the next one, without a reset.
	 */
	if (ret == -EINTR && u->protocol == 1 && u->t1_up && !u->lost)
		u->resync = true;
	else if (ret && ret != -EINVAL && ret != -EMSGSIZE &&
		 !(u->protocol == 1 && (ret == -ETIMEDOUT || ret == -EPROTO)))
		u->lost = true;
	if (!u->lost)
		secel_uart_gp_idle(u);
	mutex_unlock(&u->io);

	spin_lock_irqsave(&u->lock, flags);
	u->busy = false;
	u->cancel = false;
	if (u->dead && ret)
		ret = -ENODEV;
	spin_unlock_irqrestore(&u->lock, flags);
	return ret;
}

static void secel_uart_abort(struct secel_se *se)
{
	struct secel_uart *u = secel_se_priv(se);
	unsigned long flags;

	spin_lock_irqsave(&u->lock, flags);
	u->dead = true;
	spin_unlock_irqrestore(&u->lock, flags);
	wake_up(&u->wait);
}

static void secel_uart_cancel(struct secel_se *se)
{
	struct secel_uart *u = secel_se_priv(se);
	unsigned long flags;

	spin_lock_irqsave(&u->lock, flags);
	if (u->busy)
		u->cancel = true;
	spin_unlock_irqrestore(&u->lock, flags);
	wake_up(&u->wait);
}

static const struct secel_ops secel_uart_ops = {
	.power_on = secel_uart_power_on,
	.reset = secel_uart_reset,
	.power_off = secel_uart_power_off,
	.transmit = secel_uart_transmit,
	.abort = secel_uart_abort,
	.cancel = secel_uart_cancel,
};

/*
 * GP T=1 has no character framing of its own on a UART: 8 data bits, no
 * parity, at the line's rate (max-speed), which no PPS changes.
 */
static int secel_uart_gp_line(struct secel_uart *u)
{
	unsigned int got;
	int ret;

	ret = serdev_device_set_parity(u->serdev, SERDEV_PARITY_NONE);
	if (ret)
		return ret;
	got = serdev_device_set_baudrate(u->serdev, u->max_speed);
	if (abs((int)got - (int)u->max_speed) > u->max_speed / 20) {
		dev_warn(&u->serdev->dev, "the UART runs at %u bit/s, not %u\n",
			 got, u->max_speed);
		return -EOPNOTSUPP;
	}
	return 0;
}

/* GP: the CIP the SE gave last, in hex; ENODATA before one (or in ISO mode) */
static ssize_t cip_show(struct device *dev, struct device_attribute *attr,
			char *buf)
{
	struct secel_uart *u = dev_get_drvdata(dev);
	u8 cip[UART_CIP_MAX];
	unsigned long flags;
	size_t len, i;
	int n = 0;

	spin_lock_irqsave(&u->lock, flags);
	len = u->cip_len;
	memcpy(cip, u->cip, len);
	spin_unlock_irqrestore(&u->lock, flags);
	if (!len)
		return -ENODATA;
	for (i = 0; i < len; i++)
		n += sysfs_emit_at(buf, n, "%02x", cip[i]);
	n += sysfs_emit_at(buf, n, "\n");
	return n;
}
static DEVICE_ATTR_RO(cip);

static struct attribute *secel_uart_attrs[] = {
	&dev_attr_cip.attr,
	NULL
};
ATTRIBUTE_GROUPS(secel_uart);

static int secel_uart_parse(struct secel_uart *u)
{
	struct device *dev = &u->serdev->dev;
	const char *s;
	int ret;

	if (!device_property_read_string(dev, "protocol", &s)) {
		if (!strcmp(s, "gp-t1")) {
			u->gp = true;
		} else if (strcmp(s, "iso7816")) {
			dev_err(dev, "protocol \"%s\" is neither \"iso7816\" nor \"gp-t1\"\n",
				s);
			return -EOPNOTSUPP;
		}
	}
	u->pwt_ms = UART_GP_PWT_MS;
	u->release_ms = UART_GP_RELEASE_MS;
	device_property_read_u32(dev, "secel,idle-release-ms", &u->release_ms);
	u->release_ms = min(u->release_ms, 600000U);
	u->clock_hz = UART_CLOCK_DEFAULT;
	device_property_read_u32(dev, "clock-frequency", &u->clock_hz);
	if (u->clock_hz < 1000000 || u->clock_hz > 20000000) {
		dev_err(dev, "clock-frequency %u Hz is out of 1 to 20 MHz\n",
			u->clock_hz);
		return -EINVAL;
	}
	u->max_speed = UART_MAX_SPEED_DEFAULT;
	device_property_read_u32(dev, "max-speed", &u->max_speed);
	u->reset_hold_ms = UART_RESET_HOLD_MS;
	device_property_read_u32(dev, "secel,reset-hold-ms", &u->reset_hold_ms);
	u->reset_hold_ms = clamp(u->reset_hold_ms, 1U, 1000U);
	u->echo = device_property_read_bool(dev, "secel,echo");
	u->name_prefix = "eSE";
	if (!device_property_read_string(dev, "secel,name-prefix", &s))
		u->name_prefix = s;

	u->power_gpio = devm_gpiod_get_optional(dev, "power", GPIOD_OUT_LOW);
	if (IS_ERR(u->power_gpio))
		return dev_err_probe(dev, PTR_ERR(u->power_gpio),
				     "power-gpios\n");
	u->reset_gpio = devm_gpiod_get_optional(dev, "reset", GPIOD_OUT_HIGH);
	if (IS_ERR(u->reset_gpio))
		return dev_err_probe(dev, PTR_ERR(u->reset_gpio),
				     "reset-gpios\n");
	if (u->reset_gpio) {
		u->reset_line = UART_RESET_GPIO;
		return 0;
	}
	ret = device_property_read_string(dev, "secel,reset-line", &s);
	if (ret) {
		u->reset_line = UART_RESET_NONE;
		if (!u->gp)
			dev_info(dev, "no reset line: the card's ATR is read as it comes\n");
	} else if (!strcmp(s, "rts")) {
		u->reset_line = UART_RESET_RTS;
	} else if (!strcmp(s, "dtr")) {
		u->reset_line = UART_RESET_DTR;
	} else {
		dev_err(dev, "secel,reset-line \"%s\" is not rts or dtr\n", s);
		return -EINVAL;
	}
	return 0;
}

static int secel_uart_probe(struct serdev_device *serdev)
{
	struct device *dev = &serdev->dev;
	struct secel_se_desc desc = {
		.transport = "uart",
		.kind = SECEL_KIND_PHYSICAL,
		.max_cmd = UART_T0_MAX_CMD,
		.max_rsp = UART_T0_MAX_RSP,
	};
	struct secel_uart *u;
	struct secel_se *se;
	int ret;

	u = devm_kzalloc(dev, sizeof(*u), GFP_KERNEL);
	if (!u)
		return -ENOMEM;
	u->serdev = serdev;
	spin_lock_init(&u->lock);
	INIT_KFIFO(u->rx);
	init_waitqueue_head(&u->wait);
	mutex_init(&u->io);
	INIT_DELAYED_WORK(&u->release_work, secel_uart_release_work);
	u->fi_di = UART_FI_DI_DEFAULT;
	u->wi = 10;
	ret = secel_uart_parse(u);
	if (ret)
		return ret;

	serdev_device_set_drvdata(serdev, u);
	serdev_device_set_client_ops(serdev, &secel_uart_serdev_ops);
	ret = serdev_device_open(serdev);
	if (ret)
		return ret;
	serdev_device_set_flow_control(serdev, false);
	if (u->gp)
		ret = secel_uart_gp_line(u);
	else
		ret = serdev_device_set_parity(serdev, SERDEV_PARITY_EVEN);
	if (ret) {
		dev_err(dev, "the UART cannot do %s: %d\n",
			u->gp ? "8N1 at max-speed" : "even parity", ret);
		goto err_close;
	}
	if (!u->gp) {
		ret = secel_uart_set_rate(u, UART_FI_DI_DEFAULT);
		if (ret)
			goto err_close;
	}
	/* the card is held in reset until the core powers it on */
	secel_uart_set_reset(u, true);

	desc.name_prefix = u->name_prefix;
	se = secel_se_alloc(dev, &secel_uart_ops, &desc, u);
	if (IS_ERR(se)) {
		ret = PTR_ERR(se);
		goto err_close;
	}
	/* power_on may run before secel_se_register() returns */
	u->se = se;
	ret = secel_se_register(se);
	if (ret) {
		/* power_on may have armed the S(RELEASE) timer */
		cancel_delayed_work_sync(&u->release_work);
		u->se = NULL;
		secel_se_put(se);
		goto err_close;
	}
	if (u->gp)
		dev_info(dev, "GP T=1 SE reported as %s (%u bit/s)\n",
			 secel_se_name(se), u->max_speed);
	else
		dev_info(dev, "card reported as %s (%u Hz clock)\n",
			 secel_se_name(se), u->clock_hz);
	return 0;

err_close:
	serdev_device_close(serdev);
	return ret;
}

static void secel_uart_remove(struct serdev_device *serdev)
{
	struct secel_uart *u = serdev_device_get_drvdata(serdev);

	/* exchanges under way end with -ENODEV; no call comes after this */
	secel_se_unregister(u->se);
	secel_se_put(u->se);
	cancel_delayed_work_sync(&u->release_work);
	secel_uart_set_reset(u, true);
	if (u->power_gpio)
		gpiod_set_value_cansleep(u->power_gpio, 0);
	serdev_device_close(serdev);
	secel_uart_t1_stop(u);
}

static const struct of_device_id secel_uart_of_match[] = {
	{ .compatible = "secel,iso7816-uart" },
	{ }
};
MODULE_DEVICE_TABLE(of, secel_uart_of_match);

#ifdef CONFIG_ACPI
/* SECL0001: a project-local ID (no registered ACPI vendor prefix) */
static const struct acpi_device_id secel_uart_acpi_match[] = {
	{ "SECL0001" },
	{ }
};
MODULE_DEVICE_TABLE(acpi, secel_uart_acpi_match);
#endif

static struct serdev_device_driver secel_uart_driver = {
	.driver = {
		.name = "secel_uart",
		.of_match_table = secel_uart_of_match,
		.acpi_match_table = ACPI_PTR(secel_uart_acpi_match),
		.dev_groups = secel_uart_groups,
	},
	.probe = secel_uart_probe,
	.remove = secel_uart_remove,
};
module_serdev_device_driver(secel_uart_driver);

MODULE_DESCRIPTION("secel: a card on a serial line (ISO/IEC 7816-3, GlobalPlatform T=1)");
MODULE_LICENSE("GPL");

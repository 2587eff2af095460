// SPDX-License-Identifier: GPL-2.0
/*
 * vse_card - a small virtual secure element for the secel selftests
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "secel_test.h"
#include "vse_card.h"

/* T=1 only: TS 3B, T0 80 (TD1, no historical bytes), TD1 01, TCK 81 */
const uint8_t vse_good_atr[] = { 0x3b, 0x80, 0x01, 0x81 };
const size_t vse_good_atr_len = sizeof(vse_good_atr);

const uint8_t vse_cplc[42] = {
	0x47, 0x90, 0x50, 0x40, 0x47, 0x91, 0x81, 0x02, 0x31, 0x00,
	0x83, 0x58, 0x00, 0x11, 0x68, 0x91, 0x45, 0x81, 0x48, 0x12,
	0x83, 0x65, 0x00, 0x00, 0x00, 0x00, 0x01, 0x2f, 0x31, 0x30,
	0x32, 0x31, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00,
};
const uint8_t vse_iin[5] = { 0x42, 0x89, 0x01, 0x23, 0x45 };
const uint8_t vse_cin[8] = { 0x45, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07 };
const uint8_t vse_card_data[12] = {
	0x73, 0x0a, 0x06, 0x07, 0x2a, 0x86, 0x48, 0x86, 0xfc, 0x6b, 0x01,
	0x00,
};

static const uint8_t isd_aid[] = {
	0xa0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00, 0x00,
};

int vse_cla_channel(uint8_t cla)
{
	if (cla == 0xff)
		return -1;
	if (cla & 0x40)
		return 4 + (cla & 0x0f);
	return cla & 0x03;
}

uint8_t vse_cla_encode(uint8_t cla, unsigned int channel)
{
	if (channel < 4)
		return (cla & ~0x03) | channel;
	return (cla & 0x80) | 0x40 | ((cla & 0x0c) ? 0x20 : 0) | (cla & 0x10) |
	       (channel - 4);
}

size_t vse_atr_fix_tck(uint8_t *atr, size_t len)
{
	uint8_t x = 0;
	size_t i;

	for (i = 1; i < len; i++)
		x ^= atr[i];
	atr[len] = x;
	return len + 1;
}

/* Nc, data offset and Ne of a command APDU; -1 when malformed. */
static int parse_apdu(const uint8_t *c, size_t len, size_t *nc, size_t *off,
		      size_t *ne)
{
	*nc = 0;
	*off = len;
	*ne = 0;
	if (len < 4)
		return -1;
	if (len == 4)
		return 0;
	if (len == 5) {
		*ne = c[4] ? c[4] : 256;
		return 0;
	}
	if (c[4]) {
		*nc = c[4];
		*off = 5;
		if (len == 5 + *nc)
			return 0;
		if (len == 6 + *nc) {
			*ne = c[len - 1] ? c[len - 1] : 256;
			return 0;
		}
		return -1;
	}
	if (len == 7) {
		*ne = (c[5] << 8) | c[6];
		if (!*ne)
			*ne = 65536;
		return 0;
	}
	*nc = (c[5] << 8) | c[6];
	*off = 7;
	if (len == 7 + *nc)
		return 0;
	if (len == 9 + *nc) {
		*ne = (c[len - 2] << 8) | c[len - 1];
		if (!*ne)
			*ne = 65536;
		return 0;
	}
	return -1;
}

static size_t sw(uint8_t *rsp, size_t len, uint16_t s)
{
	rsp[len] = s >> 8;
	rsp[len + 1] = s & 0xff;
	return len + 2;
}

static size_t tlv(uint8_t *rsp, uint16_t tag, const uint8_t *v, size_t vlen)
{
	size_t n = 0;

	if (tag > 0xff)
		rsp[n++] = tag >> 8;
	rsp[n++] = tag & 0xff;
	rsp[n++] = vlen;
	memcpy(rsp + n, v, vlen);
	n += vlen;
	return sw(rsp, n, 0x9000);
}

/* Answer the next 61xx part of channel @ch's pending data, at most @max. */
static size_t give_pending(struct vse_card *c, int ch, size_t max,
			   uint8_t *rsp)
{
	size_t n = c->pending_len[ch] < max ? c->pending_len[ch] : max;
	size_t left;

	memcpy(rsp, c->pending[ch], n);
	memmove(c->pending[ch], c->pending[ch] + n, c->pending_len[ch] - n);
	c->pending_len[ch] -= n;
	left = c->pending_len[ch];
	if (!left)
		return sw(rsp, n, 0x9000);
	return sw(rsp, n, 0x6100 | (left >= 256 ? 0 : left));
}

/* The default card; caller holds c->lock. */
static size_t card_default(struct vse_card *c, const uint8_t *cmd,
			   size_t len, uint8_t *rsp)
{
	size_t nc, off, ne, i;
	int ch = vse_cla_channel(cmd[0]);
	uint8_t ins = cmd[1], p1 = cmd[2], p2 = cmd[3];
	int maxch = c->opts.max_channels ? c->opts.max_channels : 19;

	if (ch < 0)
		return sw(rsp, 0, 0x6e00);
	if (parse_apdu(cmd, len, &nc, &off, &ne))
		return sw(rsp, 0, 0x6700);
	if (ch && !c->chan_open[ch])
		return sw(rsp, 0, 0x6881);

	if (ins != 0xc0 && c->pending_len[ch]) {
		free(c->pending[ch]);
		c->pending[ch] = NULL;
		c->pending_len[ch] = 0;
	}

	switch (ins) {
	case 0x70:	/* MANAGE CHANNEL */
		if (ch != 0)
			return sw(rsp, 0, 0x6881);
		if (p1 == 0x00) {
			for (i = 1; i <= (size_t)maxch && i < SECEL_MAX_CHANNELS;
			     i++) {
				if (!c->chan_open[i]) {
					c->chan_open[i] = true;
					rsp[0] = i;
					return sw(rsp, 1, 0x9000);
				}
			}
			return sw(rsp, 0, 0x6a81);
		}
		if (p1 == 0x80) {
			if (p2 == 0 || p2 >= SECEL_MAX_CHANNELS ||
			    !c->chan_open[p2])
				return sw(rsp, 0, 0x6a86);
			c->chan_open[p2] = false;
			free(c->pending[p2]);
			c->pending[p2] = NULL;
			c->pending_len[p2] = 0;
			return sw(rsp, 0, 0x9000);
		}
		return sw(rsp, 0, 0x6a86);
	case 0xa4:	/* SELECT */
		if (p1 != 0x04)
			return sw(rsp, 0, 0x6a86);
		if (nc == 0)
			return sw(rsp, 0, 0x9000);
		if (nc == sizeof(isd_aid) && !memcmp(cmd + off, isd_aid, nc)) {
			static const uint8_t fci[] = {
				0x6f, 0x0a, 0x84, 0x08, 0xa0, 0x00, 0x00,
				0x01, 0x51, 0x00, 0x00, 0x00,
			};
			memcpy(rsp, fci, sizeof(fci));
			return sw(rsp, sizeof(fci), 0x9000);
		}
		if (nc == VSE_TEST_AID_LEN &&
		    !memcmp(cmd + off, VSE_TEST_AID, nc)) {
			rsp[0] = 0x6f;
			rsp[1] = 0x09;
			rsp[2] = 0x84;
			rsp[3] = VSE_TEST_AID_LEN;
			memcpy(rsp + 4, VSE_TEST_AID, VSE_TEST_AID_LEN);
			return sw(rsp, 4 + VSE_TEST_AID_LEN, 0x9000);
		}
		return sw(rsp, 0, 0x6a82);
	case 0xca:	/* GET DATA */
		if (c->opts.no_items)
			return sw(rsp, 0, 0x6a88);
		switch ((p1 << 8) | p2) {
		case 0x9f7f:
			return tlv(rsp, 0x9f7f, vse_cplc, sizeof(vse_cplc));
		case 0x0042:
			return tlv(rsp, 0x42, vse_iin, sizeof(vse_iin));
		case 0x0045:
			return tlv(rsp, 0x45, vse_cin, sizeof(vse_cin));
		case 0x0066:
			return tlv(rsp, 0x66, vse_card_data,
				   sizeof(vse_card_data));
		}
		return sw(rsp, 0, 0x6a88);
	case 0xc0:	/* GET RESPONSE */
		if (!c->pending_len[ch])
			return sw(rsp, 0, 0x6985);
		return give_pending(c, ch, ne ? ne : 256, rsp);
	case VSE_INS_ECHO:
		memcpy(rsp, cmd + off, nc);
		return sw(rsp, nc, 0x9000);
	case VSE_INS_GIVE:
		for (i = 0; i < ne; i++)
			rsp[i] = i & 0xff;
		return sw(rsp, ne, 0x9000);
	case VSE_INS_CHAINED: {
		size_t total = (p1 << 8) | p2;

		c->pending[ch] = malloc(total ? total : 1);
		if (!c->pending[ch])
			return sw(rsp, 0, 0x6f00);
		for (i = 0; i < total; i++)
			c->pending[ch][i] = i & 0xff;
		c->pending_len[ch] = total;
		return give_pending(c, ch, VSE_CHAIN_CHUNK, rsp);
	}
	case VSE_INS_NEEDLE:
		if (ne != 0x10)
			return sw(rsp, 0, 0x6c10);
		for (i = 0; i < 16; i++)
			rsp[i] = 0xa0 + i;
		return sw(rsp, 16, 0x9000);
	}
	return sw(rsp, 0, 0x6d00);
}

/* Sleep @ms or until told to stop; true when told to stop. */
static bool card_sleep(struct vse_card *c, unsigned int ms)
{
	struct pollfd p = { .fd = c->stop_pipe[0], .events = POLLIN };

	return poll(&p, 1, ms) > 0;
}

static void card_answer(struct vse_card *c, const struct secel_vse_msg *in,
			const uint8_t *payload, size_t len)
{
	uint8_t *buf = malloc(sizeof(*in) + len);
	struct secel_vse_msg out = {
		.type = in->type, .len = len, .seq = in->seq,
	};

	if (!buf)
		return;
	memcpy(buf, &out, sizeof(out));
	if (len)
		memcpy(buf + sizeof(out), payload, len);
	if (write(c->fd, buf, sizeof(out) + len) < 0) {
		pthread_mutex_lock(&c->lock);
		c->write_errors++;
		c->last_write_errno = errno;
		pthread_mutex_unlock(&c->lock);
	}
	free(buf);
}

static void *card_thread(void *arg)
{
	struct vse_card *c = arg;
	size_t bufsize = sizeof(struct secel_vse_msg) + SECEL_APDU_MAX + 16;
	uint8_t *buf = malloc(bufsize);
	uint8_t *rsp = malloc(SECEL_RESP_MAX + 16);
	struct pollfd p[2];

	if (!buf || !rsp)
		goto out;
	for (;;) {
		struct secel_vse_msg *m = (struct secel_vse_msg *)buf;
		const uint8_t *cmd = buf + sizeof(*m);
		unsigned int delay;
		enum vse_mode mode;
		ssize_t n;
		int rlen = 0;

		p[0].fd = c->stop_pipe[0];
		p[0].events = POLLIN;
		p[1].fd = c->fd;
		p[1].events = POLLIN;
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents)
			break;
		if (p[1].revents & (POLLHUP | POLLERR))
			break;
		if (!(p[1].revents & POLLIN))
			continue;
		n = read(c->fd, buf, bufsize);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			break;
		}
		if ((size_t)n < sizeof(*m) || m->len != n - sizeof(*m))
			continue;

		if (m->type == SECEL_VSE_MSG_RESET) {
			pthread_mutex_lock(&c->lock);
			c->resets++;
			c->last_reset_flags = m->flags;
			c->reset_at = c->log_count;
			memset(c->chan_open, 0, sizeof(c->chan_open));
			pthread_mutex_unlock(&c->lock);
			if (c->opts.reset_atr)
				card_answer(c, m, c->opts.reset_atr,
					    c->opts.reset_atr_len);
			else
				card_answer(c, m, c->req.atr, c->req.atr_len);
			continue;
		}
		if (m->type == SECEL_VSE_MSG_POWER_OFF) {
			pthread_mutex_lock(&c->lock);
			c->power_offs++;
			c->power_off_at = c->log_count;
			memset(c->chan_open, 0, sizeof(c->chan_open));
			pthread_mutex_unlock(&c->lock);
			card_answer(c, m, NULL, 0);
			continue;
		}
		if (m->type != SECEL_VSE_MSG_APDU)
			continue;

		pthread_mutex_lock(&c->lock);
		c->apdus++;
		if (c->log_count < VSE_LOG_MAX) {
			c->log[c->log_count] = malloc(m->len ? m->len : 1);
			if (c->log[c->log_count]) {
				memcpy(c->log[c->log_count], cmd, m->len);
				c->log_len[c->log_count] = m->len;
				c->log_count++;
			}
		}
		delay = c->delay_ms;
		mode = c->mode;
		pthread_mutex_unlock(&c->lock);

		if (delay && card_sleep(c, delay))
			break;
		if (mode == VSE_MODE_SILENT)
			continue;
		if (mode == VSE_MODE_GARBAGE) {
			rsp[0] = 0x12;
			rsp[1] = 0x34;
			card_answer(c, m, rsp, 2);
			continue;
		}
		if (c->opts.hook)
			rlen = c->opts.hook(c, cmd, m->len, rsp, SECEL_RESP_MAX,
					    c->opts.hook_arg);
		if (rlen < 0)
			continue;
		if (rlen == 0 && m->len >= 4 && (cmd[0] & 0x80) &&
		    cmd[1] == VSE_INS_SLOW) {
			/* outside the lock: the test reads the log meanwhile */
			if (cmd[2] && card_sleep(c, cmd[2] * 100U))
				break;
			rlen = sw(rsp, 0, 0x9000);
			if (m->len > 5 && cmd[4] && m->len >= 5U + cmd[4]) {
				memcpy(rsp, cmd + 5, cmd[4]);
				rlen = sw(rsp, cmd[4], 0x9000);
			}
		}
		if (rlen == 0) {
			pthread_mutex_lock(&c->lock);
			rlen = card_default(c, cmd, m->len, rsp);
			pthread_mutex_unlock(&c->lock);
		}
		card_answer(c, m, rsp, rlen);
	}
out:
	free(buf);
	free(rsp);
	return NULL;
}

/* A card record with @opts, not yet created nor served. */
static struct vse_card *card_alloc(const struct vse_card_opts *opts)
{
	static const struct vse_card_opts defaults;
	struct vse_card *c;
	int err;

	if (!opts)
		opts = &defaults;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->fd = -1;
	c->reset_at = -1;
	c->power_off_at = -1;
	c->opts = *opts;
	c->delay_ms = opts->delay_ms;
	c->mode = opts->mode;
	pthread_mutex_init(&c->lock, NULL);
	if (opts->atr) {
		c->req.atr_len = opts->atr_len;
		memcpy(c->req.atr, opts->atr,
		       opts->atr_len > SECEL_ATR_MAX ? SECEL_ATR_MAX :
		       opts->atr_len);
	} else {
		c->req.atr_len = vse_good_atr_len;
		memcpy(c->req.atr, vse_good_atr, vse_good_atr_len);
	}
	if (opts->prefix) {
		size_t n = strlen(opts->prefix);

		/* an overlong prefix is copied whole, unterminated */
		if (n > sizeof(c->req.name_prefix))
			n = sizeof(c->req.name_prefix);
		memcpy(c->req.name_prefix, opts->prefix, n);
	}
	c->req.flags = opts->flags;

	if (pipe2(c->stop_pipe, O_CLOEXEC)) {
		err = errno;
		pthread_mutex_destroy(&c->lock);
		free(c);
		errno = err;
		return NULL;
	}
	return c;
}

/* Serve c->fd from a thread; on failure close it and free @c. */
static struct vse_card *card_start(struct vse_card *c)
{
	int err;

	c->fd = c->req.fd;
	c->index = c->req.index;
	err = pthread_create(&c->thread, NULL, card_thread, c);
	if (err) {
		vse_card_free(c);	/* closes the card fd */
		errno = err;
		return NULL;
	}
	c->running = true;
	return c;
}

struct vse_card *vse_card_new(const struct vse_card_opts *opts)
{
	struct vse_card *c = card_alloc(opts);
	int vfd, err;

	if (!c)
		return NULL;
	vfd = open("/dev/secel-vse", O_RDWR | O_CLOEXEC);
	if (vfd < 0 || ioctl(vfd, SECEL_VSE_IOC_NEW, &c->req)) {
		err = errno;
		if (vfd >= 0)
			close(vfd);
		vse_card_free(c);
		errno = err;
		return NULL;
	}
	close(vfd);
	return card_start(c);
}

struct vse_card *vse_card_adopt(const struct secel_vse_new *req,
				const struct vse_card_opts *opts)
{
	struct vse_card *c = card_alloc(opts);
	int err;

	if (!c) {
		err = errno;
		close(req->fd);
		errno = err;
		return NULL;
	}
	c->req = *req;
	return card_start(c);
}

void vse_card_unplug(struct vse_card *c)
{
	if (!c)
		return;
	if (c->running) {
		if (write(c->stop_pipe[1], "x", 1) < 0)
			perror("vse_card: stop pipe");
		pthread_join(c->thread, NULL);
		c->running = false;
	}
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
}

void vse_card_free(struct vse_card *c)
{
	unsigned int i;

	if (!c)
		return;
	vse_card_unplug(c);
	close(c->stop_pipe[0]);
	close(c->stop_pipe[1]);
	for (i = 0; i < c->log_count; i++)
		free(c->log[i]);
	for (i = 0; i < SECEL_MAX_CHANNELS; i++)
		free(c->pending[i]);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

void vse_card_set_delay(struct vse_card *c, unsigned int ms)
{
	pthread_mutex_lock(&c->lock);
	c->delay_ms = ms;
	pthread_mutex_unlock(&c->lock);
}

void vse_card_set_mode(struct vse_card *c, enum vse_mode mode)
{
	pthread_mutex_lock(&c->lock);
	c->mode = mode;
	pthread_mutex_unlock(&c->lock);
}

unsigned long vse_card_apdus(struct vse_card *c)
{
	unsigned long n;

	pthread_mutex_lock(&c->lock);
	n = c->apdus;
	pthread_mutex_unlock(&c->lock);
	return n;
}

void vse_card_clear_log(struct vse_card *c)
{
	unsigned int i;

	pthread_mutex_lock(&c->lock);
	for (i = 0; i < c->log_count; i++)
		free(c->log[i]);
	c->log_count = 0;
	pthread_mutex_unlock(&c->lock);
}

unsigned int vse_card_log_count(struct vse_card *c)
{
	unsigned int n;

	pthread_mutex_lock(&c->lock);
	n = c->log_count;
	pthread_mutex_unlock(&c->lock);
	return n;
}

int vse_card_log_get(struct vse_card *c, unsigned int i, uint8_t *buf,
		     size_t size)
{
	int ret = -1;

	pthread_mutex_lock(&c->lock);
	if (i < c->log_count && c->log_len[i] <= size) {
		memcpy(buf, c->log[i], c->log_len[i]);
		ret = c->log_len[i];
	}
	pthread_mutex_unlock(&c->lock);
	return ret;
}

int vse_card_log_find_ins(struct vse_card *c, unsigned int from, uint8_t ins)
{
	int ret = -1;
	unsigned int i;

	pthread_mutex_lock(&c->lock);
	for (i = from; i < c->log_count; i++) {
		if (c->log_len[i] >= 2 && c->log[i][1] == ins) {
			ret = i;
			break;
		}
	}
	pthread_mutex_unlock(&c->lock);
	return ret;
}

unsigned int vse_card_closes(struct vse_card *c, unsigned int channel)
{
	unsigned int i, n = 0;

	pthread_mutex_lock(&c->lock);
	for (i = 0; i < c->log_count; i++) {
		const uint8_t *a = c->log[i];

		if (c->log_len[i] == 4 && a[0] == 0x00 && a[1] == 0x70 &&
		    a[2] == 0x80 && a[3] == channel)
			n++;
	}
	pthread_mutex_unlock(&c->lock);
	return n;
}

bool vse_card_wait_closes(struct vse_card *c, unsigned int channel,
			  unsigned int n, int ms)
{
	struct timespec ts;
	long long end;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	end = ts.tv_sec * 1000LL + ts.tv_nsec / 1000000 + ms;
	for (;;) {
		if (vse_card_closes(c, channel) >= n)
			return true;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		if (ts.tv_sec * 1000LL + ts.tv_nsec / 1000000 >= end)
			return false;
		usleep(10000);
	}
}

struct vse_card *vse_card_new_open(const struct vse_card_opts *opts, int *fd,
				   int ms)
{
	struct vse_card *c = vse_card_new(opts);

	*fd = -1;
	if (!c)
		return NULL;
	if (!secel_wait_state(c->index, "listed", ms)) {
		vse_card_free(c);
		errno = ETIMEDOUT;
		return NULL;
	}
	*fd = secel_open_se(c->index);
	if (*fd < 0) {
		errno = -*fd;
		*fd = -1;
		vse_card_free(c);
		return NULL;
	}
	vse_card_clear_log(c);
	return c;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * secel-vcard --vscard: the card behind QEMU's ccid-card-passthru.
 *
 * QEMU's usb-ccid reader takes its card from a chardev speaking the
 * VSCard protocol: every message is a header of three 32-bit words in
 * network byte order (type, reader id, payload length) and the payload.
 * The client (us, the card's owner) and QEMU exchange VSC_Init (magic
 * "VSCD" as bytes, version, capabilities); the client adds a reader
 * (VSC_ReaderAdd, QEMU answers VSC_Error with code 0 and the reader id),
 * inserts a card (VSC_ATR), answers each VSC_APDU with a VSC_APDU, and
 * may take the card out (VSC_CardRemove).  QEMU acknowledges ReaderAdd,
 * ATR and CardRemove with VSC_Error; VSC_Flush gets VSC_FlushComplete.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vscard.h"

#define PROG		"secel-vcard"

enum {
	VSC_INIT = 1, VSC_ERROR, VSC_READER_ADD, VSC_READER_REMOVE, VSC_ATR,
	VSC_CARD_REMOVE, VSC_APDU, VSC_FLUSH, VSC_FLUSH_COMPLETE,
};
enum { VSC_SUCCESS, VSC_GENERAL_ERROR, VSC_CANNOT_ADD_MORE_READERS,
	VSC_CARD_ALREADY_INSERTED };

#define VSC_VERSION		2	/* major 0, middle 0, minor 2 */
#define VSC_VERSION_MAJOR(v)	((v) >> 21)
#define VSC_READER_UNDEFINED	0xffffffffu
#define VSC_HDR_LEN		12
#define VSC_PAYLOAD_MAX		(VC_CMD_MAX + 64)
#define VSC_REMOVE_AFTER_MS	500	/* a pending APDU's card goes out */
#define VSC_READ_MS		5000	/* the rest of a message, at most */

/* the fault-control APDU, with --fault-control: 80 5E P1 P2 */
#define CTL_CLA			0x80
#define CTL_INS			0x5E

static const char *const vsc_names[] = {
	"?", "Init", "Error", "ReaderAdd", "ReaderRemove", "ATR",
	"CardRemove", "APDU", "Flush", "FlushComplete",
};

enum reader_state { R_INIT, R_ADDING, R_INSERTING, R_IN, R_OUT };

struct conn {
	int fd;
	const char *spec;
	struct vcard *vc;
	const struct vscard_faults *f;
	volatile sig_atomic_t *got_signal;
	const sigset_t *unblocked;
	uint8_t *in;
	uint8_t *rsp;
	enum reader_state state;
	uint32_t reader_id;
	bool peer_init;
	unsigned long *apdus;
	unsigned long *answered;
	/* one-shot faults, set by the fault-control APDU */
	unsigned int next_delay_ms;
	int next_len;		/* -1: none; else the answer's length */
	bool next_remove;
	unsigned int next_reinsert_ms;
	bool removed_once;	/* --remove-after done */
	long long remove_at;	/* monotonic ms; 0: nothing planned */
	long long reinsert_at;
	unsigned int reinsert_ms;
};

static const char *vsc_name(uint32_t type)
{
	return type < sizeof(vsc_names) / sizeof(vsc_names[0]) ?
	       vsc_names[type] : "unknown";
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void note(const struct conn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void note(const struct conn *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": %s: ", c->spec);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void hex_line(const char *prefix, const uint8_t *buf, size_t len)
{
	size_t i;

	fputs(prefix, stderr);
	for (i = 0; i < len; i++)
		fprintf(stderr, "%02X", buf[i]);
	fputc('\n', stderr);
}

static int send_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	ssize_t n;

	while (len) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

static int vsc_send(struct conn *c, uint32_t type, uint32_t reader,
		    const void *payload, uint32_t len)
{
	uint32_t h[3] = { htonl(type), htonl(reader), htonl(len) };

	if (c->f->verbose)
		fprintf(stderr, "vscard> %s reader %u, %u bytes\n",
			vsc_name(type), reader, len);
	if (send_all(c->fd, h, sizeof(h)) ||
	    (len && send_all(c->fd, payload, len))) {
		note(c, "write: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int vsc_send_error(struct conn *c, uint32_t reader, uint32_t code)
{
	uint32_t be = htonl(code);

	return vsc_send(c, VSC_ERROR, reader, &be, sizeof(be));
}

static int vsc_send_init(struct conn *c)
{
	uint8_t msg[12];
	uint32_t v = htonl(VSC_VERSION), caps = 0;

	memcpy(msg, "VSCD", 4);		/* the magic goes as bytes */
	memcpy(msg + 4, &v, 4);
	memcpy(msg + 8, &caps, 4);	/* no capabilities */
	return vsc_send(c, VSC_INIT, VSC_READER_UNDEFINED, msg, sizeof(msg));
}

static int vsc_insert(struct conn *c)
{
	vcard_reset(c->vc);
	c->state = R_INSERTING;
	return vsc_send(c, VSC_ATR, c->reader_id, c->vc->cfg.atr,
			c->vc->cfg.atr_len);
}

static int vsc_remove(struct conn *c)
{
	vcard_reset(c->vc);
	c->state = R_OUT;
	c->remove_at = 0;
	if (c->reinsert_ms)
		c->reinsert_at = now_ms() + c->reinsert_ms;
	if (c->f->verbose)
		fprintf(stderr, "vscard: card removed, back in %u ms\n",
			c->reinsert_ms);
	return vsc_send(c, VSC_CARD_REMOVE, c->reader_id, NULL, 0);
}

/* Sleep @ms, unless a signal comes. */
static void sleep_ms(struct conn *c, unsigned int ms)
{
	long long end = now_ms() + ms, left;
	struct timespec ts;

	while (!*c->got_signal && (left = end - now_ms()) > 0) {
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (left % 1000) * 1000000;
		ppoll(NULL, 0, &ts, c->unblocked);
	}
}

/* 80 5E P1 P2: a fault for the next APDU; see secel-vcard(1) */
static size_t control(struct conn *c, const uint8_t *cmd, uint8_t *rsp)
{
	uint16_t sw = 0x9000;

	switch (cmd[2]) {
	case 0x00:
		c->next_delay_ms = 0;
		c->next_len = -1;
		c->next_remove = false;
		break;
	case 0x01:
		c->next_delay_ms = cmd[3] * 100u;
		break;
	case 0x02:
		if (cmd[3] > 1)
			sw = 0x6A86;
		else
			c->next_len = cmd[3] ? 1 : 0;
		break;
	case 0x03:
		c->next_remove = true;
		c->next_reinsert_ms = cmd[3] * 1000u;
		break;
	default:
		sw = 0x6A86;
	}
	rsp[0] = sw >> 8;
	rsp[1] = sw & 0xff;
	return 2;
}

static int on_apdu(struct conn *c, uint32_t reader, const uint8_t *cmd,
		   uint32_t len)
{
	const struct vscard_faults *f = c->f;
	uint8_t *rsp = c->rsp;
	unsigned int delay;
	size_t rlen;
	int cut;

	if (c->state != R_IN) {
		note(c, "an APDU from the peer with no card inserted: answering VSC_Error");
		return vsc_send_error(c, reader, VSC_GENERAL_ERROR);
	}
	if (!len) {
		note(c, "an empty APDU from the peer: answering VSC_Error");
		return vsc_send_error(c, reader, VSC_GENERAL_ERROR);
	}
	(*c->apdus)++;
	if (f->verbose)
		hex_line("> ", cmd, len);
	if (f->control && len >= 4 && cmd[0] == CTL_CLA && cmd[1] == CTL_INS) {
		rlen = control(c, cmd, rsp);
		goto send;
	}
	if (c->next_remove || (f->remove_after_set && !c->removed_once &&
			       *c->answered >= f->remove_after)) {
		c->reinsert_ms = c->next_remove ? c->next_reinsert_ms :
				 f->reinsert_ms;
		c->next_remove = false;
		c->removed_once = true;
		c->remove_at = now_ms() + VSC_REMOVE_AFTER_MS;
		if (f->verbose)
			fprintf(stderr, "< (pending: the card goes out)\n");
		return 0;
	}
	if (f->silent || (f->silent_after_set &&
			  *c->answered >= f->silent_after)) {
		if (f->verbose)
			fprintf(stderr, "< (silent)\n");
		return 0;
	}
	delay = f->delay_ms + c->next_delay_ms;
	c->next_delay_ms = 0;
	if (delay)
		sleep_ms(c, delay);
	if (*c->got_signal)
		return 0;
	cut = c->next_len;
	c->next_len = -1;
	if (cut >= 0) {
		rsp[0] = 0x00;
		rlen = cut;
	} else if (f->empty) {
		rlen = 0;
	} else if (f->garbage) {
		rsp[0] = 0x00;
		rlen = 1;
	} else if (f->bad_sw) {
		rsp[0] = 0x12;
		rsp[1] = 0x34;
		rlen = 2;
	} else {
		rlen = vcard_apdu(c->vc, cmd, len, rsp);
	}
send:
	if (f->verbose)
		hex_line("< ", rsp, rlen);
	(*c->answered)++;
	return vsc_send(c, VSC_APDU, reader, rsp, rlen);
}

static int on_init(struct conn *c, const uint8_t *p, uint32_t len)
{
	uint32_t version;

	if (len < 8) {
		note(c, "the peer's VSC_Init has %u bytes, fewer than 8 (magic, version): dropping the connection",
		     len);
		return -1;
	}
	if (memcmp(p, "VSCD", 4)) {
		note(c, "the peer's VSC_Init has magic %02X%02X%02X%02X, not \"VSCD\": not a VSCard peer, dropping the connection",
		     p[0], p[1], p[2], p[3]);
		return -1;
	}
	memcpy(&version, p + 4, 4);
	version = ntohl(version);
	if (VSC_VERSION_MAJOR(version) != VSC_VERSION_MAJOR(VSC_VERSION)) {
		note(c, "the peer speaks VSCard version %u.%u.%u, not 0.x: dropping the connection",
		     version >> 21, (version >> 10) & 0x7ff, version & 0x3ff);
		return -1;
	}
	if (c->peer_init)
		return 0;	/* QEMU sends one on its own and one in reply */
	c->peer_init = true;
	c->state = R_ADDING;
	return vsc_send(c, VSC_READER_ADD, VSC_READER_UNDEFINED,
			PROG, sizeof(PROG));
}

static int on_error(struct conn *c, uint32_t reader, const uint8_t *p,
		    uint32_t len)
{
	uint32_t code;

	if (len < 4) {
		note(c, "the peer's VSC_Error has %u bytes, not 4: dropping the connection",
		     len);
		return -1;
	}
	memcpy(&code, p, 4);
	code = ntohl(code);
	switch (c->state) {
	case R_ADDING:
		if (code != VSC_SUCCESS) {
			note(c, "the peer refused the reader (VSC_Error code %u): dropping the connection",
			     code);
			return -1;
		}
		c->reader_id = reader;
		return vsc_insert(c);
	case R_INSERTING:
		if (code != VSC_SUCCESS) {
			note(c, "the peer refused the ATR (VSC_Error code %u): dropping the connection",
			     code);
			return -1;
		}
		c->state = R_IN;
		if (c->f->verbose)
			fprintf(stderr, "vscard: card inserted, reader %u\n",
				reader);
		return 0;
	default:
		if (code != VSC_SUCCESS)
			note(c, "the peer reports VSC_Error code %u", code);
		return 0;
	}
}

/* Read @len bytes within VSC_READ_MS; 0, or -1 with a message. */
static int read_full(struct conn *c, uint8_t *buf, size_t len, bool first)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	size_t want = len;
	bool at_start;
	ssize_t n;

	while (len) {
		at_start = first && len == want;
		if (!first && poll(&pfd, 1, VSC_READ_MS) == 0) {
			note(c, "the peer stopped in the middle of a message (nothing for %d ms): dropping the connection",
			     VSC_READ_MS);
			return -1;
		}
		first = false;
		n = read(c->fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			note(c, "read: %s", strerror(errno));
			return -1;
		}
		if (!n) {
			/* between messages: QEMU went, as it does */
			if (!at_start || c->f->verbose)
				note(c, at_start ? "the peer closed the connection" :
				     "the peer closed the connection in the middle of a message");
			return -1;
		}
		buf += n;
		len -= n;
	}
	return 0;
}

static int on_message(struct conn *c)
{
	uint32_t h[3], type, reader, len;

	if (read_full(c, (uint8_t *)h, sizeof(h), true))
		return -1;
	type = ntohl(h[0]);
	reader = ntohl(h[1]);
	len = ntohl(h[2]);
	if (len > VSC_PAYLOAD_MAX) {
		note(c, "a message of type %u (%s) says %u payload bytes, more than %u: dropping the connection",
		     type, vsc_name(type), len, VSC_PAYLOAD_MAX);
		return -1;
	}
	if (len && read_full(c, c->in, len, false))
		return -1;
	if (c->f->verbose)
		fprintf(stderr, "vscard< %s reader %u, %u bytes\n",
			vsc_name(type), reader, len);
	if (!c->peer_init && type != VSC_INIT) {
		note(c, "the peer's first message is type %u (%s), not VSC_Init: dropping the connection",
		     type, vsc_name(type));
		return -1;
	}
	switch (type) {
	case VSC_INIT:
		return on_init(c, c->in, len);
	case VSC_ERROR:
		return on_error(c, reader, c->in, len);
	case VSC_APDU:
		return on_apdu(c, reader, c->in, len);
	case VSC_FLUSH:
		return vsc_send(c, VSC_FLUSH_COMPLETE, reader, NULL, 0);
	default:
		note(c, "unexpected message type %u (%s) from the peer, %u bytes: answering VSC_Error",
		     type, vsc_name(type), len);
		return vsc_send_error(c, reader, VSC_GENERAL_ERROR);
	}
}

static bool stop(const struct conn *c)
{
	return *c->got_signal ||
	       (c->f->exit_after_set && *c->apdus >= c->f->exit_after);
}

/* Timers: the card out under a pending APDU, then back in. */
static int timers(struct conn *c, int *wait)
{
	long long now = now_ms(), next = 0;

	if (c->remove_at && now >= c->remove_at && vsc_remove(c))
		return -1;
	if (c->reinsert_at && now >= c->reinsert_at) {
		c->reinsert_at = 0;
		if (vsc_insert(c))
			return -1;
	}
	if (c->remove_at)
		next = c->remove_at;
	if (c->reinsert_at && (!next || c->reinsert_at < next))
		next = c->reinsert_at;
	*wait = next ? (int)(next - now > 0 ? next - now : 0) : -1;
	return 0;
}

static void serve_conn(struct conn *c)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	struct timespec ts, *tsp;
	int wait, ret;

	if (vsc_send_init(c))
		return;
	while (!stop(c)) {
		if (timers(c, &wait))
			return;
		tsp = NULL;
		if (wait >= 0) {
			ts.tv_sec = wait / 1000;
			ts.tv_nsec = (long)(wait % 1000) * 1000000;
			tsp = &ts;
		}
		ret = ppoll(&pfd, 1, tsp, c->unblocked);
		if (ret < 0 && errno != EINTR) {
			note(c, "poll: %s", strerror(errno));
			return;
		}
		if (ret > 0 && on_message(c))
			return;
	}
}

int vscard_listen(const char *spec, char *err, size_t err_size)
{
	struct addrinfo hints = { 0 }, *ai = NULL, *a;
	char host[256], *port;
	int fd = -1, one = 1, ret;

	if (!strncmp(spec, "unix:", 5)) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };
		const char *path = spec + 5;
		struct stat st;

		if (!*path || strlen(path) >= sizeof(sun.sun_path)) {
			snprintf(err, err_size, "--vscard %s: the socket path is empty or longer than %zu bytes",
				 spec, sizeof(sun.sun_path) - 1);
			return -1;
		}
		/* a socket left by an earlier run; nothing else */
		if (!lstat(path, &st) && S_ISSOCK(st.st_mode))
			unlink(path);
		strcpy(sun.sun_path, path);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) ||
		    listen(fd, 1)) {
			snprintf(err, err_size, "--vscard %s: %s", spec,
				 strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		return fd;
	}
	if (strncmp(spec, "tcp:", 4) || strlen(spec + 4) >= sizeof(host) ||
	    !strrchr(spec + 4, ':')) {
		snprintf(err, err_size, "--vscard '%s': not unix:PATH or tcp:HOST:PORT",
			 spec);
		return -1;
	}
	strcpy(host, spec + 4);
	port = strrchr(host, ':');
	*port++ = '\0';
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	ret = getaddrinfo(*host ? host : NULL, port, &hints, &ai);
	if (ret) {
		snprintf(err, err_size, "--vscard %s: %s", spec,
			 gai_strerror(ret));
		return -1;
	}
	errno = EADDRNOTAVAIL;
	for (a = ai; a; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC,
			    a->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (!bind(fd, a->ai_addr, a->ai_addrlen) && !listen(fd, 1))
			break;
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		snprintf(err, err_size, "--vscard %s: %s", spec,
			 strerror(errno));
	freeaddrinfo(ai);
	return fd;
}

int vscard_serve(int lfd, const char *spec, struct vcard *vc,
		 const struct vscard_faults *f,
		 volatile sig_atomic_t *got_signal, const sigset_t *unblocked)
{
	struct pollfd pfd = { .fd = lfd, .events = POLLIN };
	unsigned long apdus = 0, answered = 0;
	struct conn c;
	int ret;

	memset(&c, 0, sizeof(c));
	c.spec = spec;
	c.f = f;
	c.vc = vc;
	c.got_signal = got_signal;
	c.unblocked = unblocked;
	c.apdus = &apdus;
	c.answered = &answered;
	c.in = malloc(VSC_PAYLOAD_MAX);
	c.rsp = malloc(VC_RSP_MAX);
	if (!c.in || !c.rsp) {
		fprintf(stderr, PROG ": out of memory\n");
		return 1;
	}
	while (!stop(&c)) {
		ret = ppoll(&pfd, 1, NULL, unblocked);
		if (ret < 0 && errno != EINTR) {
			note(&c, "poll: %s", strerror(errno));
			return 1;
		}
		if (ret <= 0)
			continue;
		c.fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (c.fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			note(&c, "accept: %s", strerror(errno));
			return 1;
		}
		if (f->verbose)
			note(&c, "a peer connected");
		c.state = R_INIT;
		c.peer_init = false;
		c.next_len = -1;
		c.next_delay_ms = 0;
		c.next_remove = false;
		c.remove_at = c.reinsert_at = 0;
		vcard_reset(vc);
		serve_conn(&c);
		close(c.fd);
	}
	close(lfd);
	if (!strncmp(spec, "unix:", 5))
		unlink(spec + 5);
	free(c.in);
	free(c.rsp);
	return 0;
}

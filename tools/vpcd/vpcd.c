// SPDX-License-Identifier: GPL-2.0
/*
 * secel-vpcd - virtual cards that speak vsmartcard's vpcd protocol (vicc
 * and the programs built on it) become secel virtual SEs: one SE on
 * /dev/secel-vse per connected card, its kernel messages forwarded to the
 * card and the answers back.  One thread, one poll loop; see
 * secel-vpcd(8) and Documentation/secel/vpcd.rst.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "frame.h"
#include "../common/daemonlog.h"
#include "../secel-vcard/vse.h"

#define PROG		"secel-vpcd"
#define MAX_TARGETS	16
#define RETRY_MS	1000	/* reversed mode: reconnect after this */
#define HDR		sizeof(struct secel_vse_msg)
/* three control frames and one APDU of the longest frameable length */
#define OUT_MAX		(3 * (VPCD_HDR + 1) + VPCD_HDR + VPCD_PAYLOAD_MAX)
#define RSP_MAX		(SECEL_RESP_MAX < VPCD_PAYLOAD_MAX ? \
			 SECEL_RESP_MAX : VPCD_PAYLOAD_MAX)

struct target {
	char host[256];
	char port[16];
	struct card *card;	/* its connection, or NULL */
	long long retry_at;	/* ms, CLOCK_MONOTONIC */
};

/* what the card owes us */
enum phase {
	PH_CONNECTING,	/* reversed mode, connect() under way */
	PH_FIRST_ATR,	/* the ATR the SE will be created with */
	PH_IDLE,	/* nothing: the kernel's next message may come */
	PH_RESET_ATR,	/* the ATR that answers SECEL_VSE_MSG_RESET */
	PH_RAPDU,	/* the response APDU to SECEL_VSE_MSG_APDU */
};

struct card {
	struct card *next;
	int sock;
	struct vse_card vse;		/* vse.fd -1 until the SE exists */
	char peer[80];			/* host:port of the card */
	char label[128];		/* peer, and the SE once it exists */
	struct target *target;		/* reversed mode: where we connected */
	enum phase phase;
	bool powered;
	long long deadline;		/* ms, for the answer awaited */
	struct secel_vse_msg req;	/* the kernel's message in hand */
	struct vpcd_rx rx;
	uint8_t *kbuf;			/* kernel message in, answer out */
	uint8_t *out;			/* frames not yet sent */
	size_t out_len, out_off;
};

struct opts {
	const char *device;
	const char *listen_addr;
	const char *port;
	bool listen_set;
	char prefix[8];
	bool extended;
	unsigned int timeout_ms;
	unsigned int max_cards;
	bool verbose;
	bool use_syslog;
	bool timestamps;
	struct target targets[MAX_TARGETS];
	unsigned int ntargets;
};

static struct opts o;
static struct card *cards;
static unsigned int ncards;
static int listen_fds[8];
static unsigned int nlisten;
static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '" PROG " --help' for more information.\n");
	exit(2);
}

/* A card's arrival or departure: a line on stdout for scripts, and a
 * record in syslog when that is where the daemon logs. */
static void announce(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static void announce(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (daemonlog_sink() == DAEMONLOG_SYSLOG) {
		va_start(ap, fmt);
		vdaemonlog(LOG_NOTICE, fmt, ap);
		va_end(ap);
	}
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void hex(char *dst, size_t size, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len && 2 * i + 2 < size; i++)
		snprintf(dst + 2 * i, 3, "%02X", p[i]);
	dst[2 * i] = 0;
}

static void usage(void)
{
	printf("Usage: " PROG " [OPTION]...\n"
"Accept virtual smart cards speaking vsmartcard's vpcd protocol (vicc and\n"
"programs using it) and present each connected card as a secel virtual SE\n"
"through /dev/secel-vse, until SIGTERM/SIGINT, which unplugs them all.\n"
"\n"
"  --listen ADDR        address to listen on (default 127.0.0.1; 0.0.0.0 or\n"
"                       :: for every interface)\n"
"  --port PORT          TCP port (default %d, vsmartcard's); 0 picks a free\n"
"                       one\n"
"  --connect HOST:PORT  reversed mode: connect to a card waiting there\n"
"                       ('vicc -R'), again whenever it goes; repeatable.\n"
"                       With --connect only, nothing listens.\n"
"  --kind KIND          reader-name prefix of the SEs: virtual (VSE, the\n"
"                       default), eSE, SD, SIM (these three need\n"
"                       CAP_SYS_ADMIN) or 1-7 other letters\n"
"  --extended           the cards take extended-length APDUs\n"
"  --timeout SECONDS    how long a card may take to answer (default 30);\n"
"                       a card that takes longer is unplugged\n"
"  --max-cards N        cards at once (default 32); more are refused\n"
"  --device PATH        the proxy node (default /dev/secel-vse)\n"
"  -v, --verbose        log every message exchanged\n"
"      --syslog         log to syslog (facility daemon), not stderr; the\n"
"                       plugged/unplugged lines go there too\n"
"      --timestamps     start each stderr line with the UTC time (under\n"
"                       systemd the journal stamps them instead)\n"
"  -h, --help           this help\n"
"      --version        the version\n"
"\n"
"On stdout: 'listening on ADDR:PORT' once ready, then per card\n"
"'PEER: secelN NAME plugged, ATR HEX' and 'PEER: secelN NAME unplugged: WHY'.\n"
"\n"
"Example:\n"
"  " PROG " --port 35963 &\n"
"  vicc -t iso7816 -H 127.0.0.1 -P 35963 &\n"
"  secelctl list\n", VPCD_PORT);
}

static unsigned long parse_num(const char *opt, const char *s,
			       unsigned long min, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	if (*s < '0' || *s > '9')
		usage_error("%s: '%s' is not a number", opt, s);
	v = strtoul(s, &end, 10);
	if (*end || errno || v < min || v > max)
		usage_error("%s: '%s' is not a number from %lu to %lu", opt, s,
			    min, max);
	return v;
}

static void parse_kind(const char *s)
{
	size_t i, n;

	if (!strcmp(s, "virtual"))
		s = "VSE";
	n = strlen(s);
	if (n < 1 || n >= sizeof(o.prefix))
		usage_error("--kind: '%s' must be virtual or 1 to 7 letters", s);
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')))
			usage_error("--kind: '%s' is not letters only", s);
	memcpy(o.prefix, s, n + 1);
}

static void parse_target(const char *s)
{
	struct target *t;
	const char *colon = strrchr(s, ':');
	size_t hlen;

	if (o.ntargets == MAX_TARGETS)
		usage_error("--connect: more than %d", MAX_TARGETS);
	if (!colon || colon == s || !colon[1])
		usage_error("--connect: '%s' is not HOST:PORT", s);
	t = &o.targets[o.ntargets++];
	hlen = colon - s;
	if (s[0] == '[' && colon[-1] == ']') {
		s++;
		hlen -= 2;
	}
	if (hlen >= sizeof(t->host))
		usage_error("--connect: host '%s' too long", s);
	memcpy(t->host, s, hlen);
	t->host[hlen] = 0;
	snprintf(t->port, sizeof(t->port), "%lu",
		 parse_num("--connect", colon + 1, 1, 65535));
}

enum { OPT_LISTEN = 256, OPT_PORT, OPT_CONNECT, OPT_KIND, OPT_EXTENDED,
       OPT_TIMEOUT, OPT_MAX_CARDS, OPT_DEVICE, OPT_VERSION,
       OPT_SYSLOG, OPT_TIMESTAMPS };

static const struct option long_opts[] = {
	{ "listen",	required_argument, NULL, OPT_LISTEN },
	{ "port",	required_argument, NULL, OPT_PORT },
	{ "connect",	required_argument, NULL, OPT_CONNECT },
	{ "kind",	required_argument, NULL, OPT_KIND },
	{ "extended",	no_argument,	   NULL, OPT_EXTENDED },
	{ "timeout",	required_argument, NULL, OPT_TIMEOUT },
	{ "max-cards",	required_argument, NULL, OPT_MAX_CARDS },
	{ "device",	required_argument, NULL, OPT_DEVICE },
	{ "verbose",	no_argument,	   NULL, 'v' },
	{ "syslog",	no_argument,	   NULL, OPT_SYSLOG },
	{ "timestamps",	no_argument,	   NULL, OPT_TIMESTAMPS },
	{ "help",	no_argument,	   NULL, 'h' },
	{ "version",	no_argument,	   NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

static void parse_opts(int argc, char **argv)
{
	static char port_buf[8];
	const char *opt;
	int c;

	o.device = "/dev/secel-vse";
	o.listen_addr = "127.0.0.1";
	snprintf(port_buf, sizeof(port_buf), "%d", VPCD_PORT);
	o.port = port_buf;
	strcpy(o.prefix, "VSE");
	o.timeout_ms = 30000;
	o.max_cards = 32;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":vh", long_opts, NULL)) != -1) {
		opt = optind > 1 ? argv[optind - 1] : "";
		switch (c) {
		case OPT_LISTEN:
			o.listen_addr = optarg;
			o.listen_set = true;
			break;
		case OPT_PORT:
			parse_num("--port", optarg, 0, 65535);
			o.port = optarg;
			o.listen_set = true;
			break;
		case OPT_CONNECT:
			parse_target(optarg);
			break;
		case OPT_KIND:
			parse_kind(optarg);
			break;
		case OPT_EXTENDED:
			o.extended = true;
			break;
		case OPT_TIMEOUT:
			o.timeout_ms = 1000 * parse_num("--timeout", optarg, 1,
							3600);
			break;
		case OPT_MAX_CARDS:
			o.max_cards = parse_num("--max-cards", optarg, 1, 1000);
			break;
		case OPT_DEVICE:
			o.device = optarg;
			break;
		case 'v':
			o.verbose = true;
			break;
		case OPT_SYSLOG:
			o.use_syslog = true;
			break;
		case OPT_TIMESTAMPS:
			o.timestamps = true;
			break;
		case 'h':
			usage();
			exit(0);
		case OPT_VERSION:
			printf(PROG " %s\n", SECEL_VERSION);
			exit(0);
		case ':':
			usage_error("option '%s' needs a value", opt);
			break;
		default:
			usage_error("unknown option '%s'", opt);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
}

static void addr_string(const struct sockaddr *sa, char *dst, size_t size)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned int port = 0;

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		port = ntohs(in->sin_port);
		snprintf(dst, size, "%s:%u", host, port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		port = ntohs(in6->sin6_port);
		snprintf(dst, size, "[%s]:%u", host, port);
	} else {
		snprintf(dst, size, "?");
	}
}

/* ---- a card's life ------------------------------------------------ */

static void set_label(struct card *c)
{
	if (c->vse.fd >= 0)
		snprintf(c->label, sizeof(c->label), "%s (secel%u %s)",
			 c->peer, c->vse.index, c->vse.name);
	else
		snprintf(c->label, sizeof(c->label), "%s", c->peer);
}

/*
 * The card goes: closing its card fd unplugs its SE.  @err says whether
 * @why is an error (stderr) or the card's ordinary departure.
 */
static void card_remove(struct card *c, bool err, const char *fmt, ...)
{
	struct card **pp;
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);

	if (err)
		daemonlog(LOG_WARNING, "%s: %s; %s", c->label, why,
			c->vse.fd >= 0 ? "unplugged" : "dropped");
	if (c->vse.fd >= 0) {
		close(c->vse.fd);
		announce("%s: secel%u %s unplugged: %s", c->peer, c->vse.index,
		       c->vse.name, why);
	} else if (!err && c->phase != PH_CONNECTING) {
		announce("%s: gone before its SE existed: %s", c->peer, why);
	}
	if (c->sock >= 0)
		close(c->sock);
	if (c->target) {
		c->target->card = NULL;
		c->target->retry_at = now_ms() + RETRY_MS;
	}
	for (pp = &cards; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	ncards--;
	free(c->kbuf);
	free(c->out);
	free(c);
}

static void queue_frame(struct card *c, const uint8_t *data, size_t len)
{
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	c->out_len += vpcd_frame(c->out + c->out_len, data, len);
}

static void queue_ctrl(struct card *c, uint8_t ctrl)
{
	if (o.verbose)
		daemonlog(LOG_DEBUG, "%s: > control %u", c->label, ctrl);
	queue_frame(c, &ctrl, 1);
}

static void expect(struct card *c, enum phase ph, size_t min, size_t max)
{
	c->phase = ph;
	c->deadline = now_ms() + o.timeout_ms;
	vpcd_rx_start(&c->rx, c->kbuf + HDR, min, max);
}

static struct card *card_new(int sock, const char *peer, struct target *t)
{
	struct card *c = calloc(1, sizeof(*c));
	int one = 1;

	if (!c || !(c->kbuf = malloc(VSE_MSG_MAX)) ||
	    !(c->out = malloc(OUT_MAX)))
		die("out of memory");
	c->sock = sock;
	c->vse.fd = -1;
	c->target = t;
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	set_label(c);
	/* one frame, one segment: no Nagle wait on the card's delayed ACK */
	setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->next = cards;
	cards = c;
	ncards++;
	return c;
}

/* Connected: power the card on and ask for the ATR to create the SE. */
static void card_start(struct card *c)
{
	queue_ctrl(c, VPCD_CTRL_ON);
	c->powered = true;
	queue_ctrl(c, VPCD_CTRL_ATR);
	expect(c, PH_FIRST_ATR, 2, SECEL_ATR_MAX);
}

static void answer_kernel(struct card *c, size_t len)
{
	if (!vse_card_answer(c->vse.fd, &c->req, c->kbuf, len))
		return;
	if (errno == ESTALE) {
		/* the kernel gave up (secel_vse.timeout_ms); not the card's fault */
		daemonlog(LOG_WARNING, "%s: answer came after the kernel gave up on message %u",
			c->label, c->req.seq);
		return;
	}
	daemonlog(LOG_WARNING, "%s: the kernel refused the answer to message %u: %s",
		c->label, c->req.seq, strerror(errno));
}

/* A whole reply from the card, in c->kbuf + HDR. */
static void card_reply(struct card *c)
{
	uint8_t *p = c->kbuf + HDR;
	size_t len = c->rx.len;
	char err[256], h[2 * SECEL_ATR_MAX + 1];

	if (o.verbose) {
		char v[2 * 64 + 1];

		hex(v, sizeof(v), p, len);
		daemonlog(LOG_DEBUG, "%s: < %s%s", c->label, v,
			len > 64 ? "..." : "");
	}
	switch (c->phase) {
	case PH_FIRST_ATR:
		if (vse_card_new(o.device, p, len, o.prefix, o.extended,
				 &c->vse, err, sizeof(err))) {
			card_remove(c, true, "%s", err);
			return;
		}
		set_label(c);
		hex(h, sizeof(h), p, len);
		announce("%s: secel%u %s plugged, ATR %s", c->peer,
		       c->vse.index, c->vse.name, h);
		break;
	case PH_RESET_ATR:
	case PH_RAPDU:
		answer_kernel(c, len);
		break;
	default:
		break;
	}
	c->phase = PH_IDLE;
}

/* The kernel's next message, forwarded to the card. */
static void card_kernel(struct card *c)
{
	static const uint8_t wrong_length[] = { 0x67, 0x00 };
	ssize_t n;

	n = vse_card_read(c->vse.fd, c->kbuf, VSE_MSG_MAX, &c->req);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		if (errno == ENODEV)
			card_remove(c, false, "the kernel unplugged the SE");
		else
			card_remove(c, true, "reading the card fd: %s",
				    errno == EPROTO ?
				    "a message shorter than its header says" :
				    strerror(errno));
		return;
	}
	switch (c->req.type) {
	case SECEL_VSE_MSG_APDU:
		if (!n || n > VPCD_PAYLOAD_MAX) {
			/* vpcd cannot carry it; the card never sees it */
			memcpy(c->kbuf + HDR, wrong_length, 2);
			answer_kernel(c, 2);
			return;
		}
		if (!c->powered) {
			/* the core powered the SE on without a message */
			queue_ctrl(c, VPCD_CTRL_ON);
			c->powered = true;
		}
		if (o.verbose) {
			char v[2 * 64 + 1];

			hex(v, sizeof(v), c->kbuf + HDR, n);
			daemonlog(LOG_DEBUG, "%s: > %s%s", c->label, v,
				n > 64 ? "..." : "");
		}
		queue_frame(c, c->kbuf + HDR, n);
		expect(c, PH_RAPDU, 2, RSP_MAX);
		break;
	case SECEL_VSE_MSG_RESET:
		/* a cold reset is a power cycle; vpcd's reset is the warm one */
		if (c->powered && !(c->req.flags & SECEL_RESET_WARM))
			queue_ctrl(c, VPCD_CTRL_OFF);
		queue_ctrl(c, c->powered && (c->req.flags & SECEL_RESET_WARM) ?
			   VPCD_CTRL_RESET : VPCD_CTRL_ON);
		c->powered = true;
		queue_ctrl(c, VPCD_CTRL_ATR);
		expect(c, PH_RESET_ATR, 2, SECEL_ATR_MAX);
		break;
	case SECEL_VSE_MSG_POWER_OFF:
		/* vpcd's power off has no answer: done once sent */
		queue_ctrl(c, VPCD_CTRL_OFF);
		c->powered = false;
		answer_kernel(c, 0);
		break;
	default:
		daemonlog(LOG_WARNING, "%s: ignoring kernel message of type %u",
			c->label, c->req.type);
		break;
	}
}

static void card_readable(struct card *c)
{
	uint8_t junk[64], *where;
	size_t want;
	ssize_t n;

	if (c->phase == PH_IDLE) {
		/* the card speaks only when asked */
		n = recv(c->sock, junk, sizeof(junk), 0);
		if (n == 0)
			card_remove(c, false, "the card closed the connection");
		else if (n > 0)
			card_remove(c, true, "protocol error: %zd bytes unasked for",
				    n);
		else if (errno != EAGAIN && errno != EINTR)
			card_remove(c, false, "connection: %s", strerror(errno));
		return;
	}
	want = vpcd_rx_want(&c->rx, &where);
	n = recv(c->sock, where, want, 0);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			card_remove(c, false, "connection: %s",
				    strerror(errno));
		return;
	}
	if (n == 0) {
		card_remove(c, false, "the card closed the connection");
		return;
	}
	switch (vpcd_rx_got(&c->rx, n)) {
	case VPCD_RX_MORE:
		return;
	case VPCD_RX_BAD_LENGTH:
		card_remove(c, true, "protocol error: bad length %zu for %s (%zu-%zu bytes)",
			    c->rx.len,
			    c->phase == PH_RAPDU ? "a response APDU" : "an ATR",
			    c->rx.min, c->rx.max);
		return;
	case VPCD_RX_DONE:
		card_reply(c);
		return;
	}
}

static void card_writable(struct card *c)
{
	ssize_t n;

	if (c->phase == PH_CONNECTING) {
		int e = 0;
		socklen_t l = sizeof(e);

		getsockopt(c->sock, SOL_SOCKET, SO_ERROR, &e, &l);
		if (e) {
			if (o.verbose)
				daemonlog(LOG_DEBUG, "%s: connect: %s",
					c->peer, strerror(e));
			card_remove(c, false, "connect: %s", strerror(e));
			return;
		}
		card_start(c);
	}
	n = send(c->sock, c->out + c->out_off, c->out_len - c->out_off,
		 MSG_NOSIGNAL);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			card_remove(c, false, "connection: %s", strerror(errno));
		return;
	}
	c->out_off += n;
}

/* ---- sockets ------------------------------------------------------ */

static void open_listeners(void)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_PASSIVE | AI_NUMERICSERV,
	}, *res, *ai;
	struct sockaddr_storage ss;
	socklen_t sl;
	char where[128];
	int fd, one = 1, e;

	e = getaddrinfo(o.listen_addr, o.port, &hints, &res);
	if (e)
		die("--listen %s --port %s: %s", o.listen_addr, o.port,
		    gai_strerror(e));
	for (ai = res; ai && nlisten < 8; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
			    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			die("socket: %s", strerror(errno));
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (ai->ai_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
				   sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 16)) {
			addr_string(ai->ai_addr, where, sizeof(where));
			die("%s: %s", where, strerror(errno));
		}
		sl = sizeof(ss);
		getsockname(fd, (struct sockaddr *)&ss, &sl);
		addr_string((struct sockaddr *)&ss, where, sizeof(where));
		printf("listening on %s\n", where);
		listen_fds[nlisten++] = fd;
	}
	freeaddrinfo(res);
}

static void accept_card(int lfd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char peer[80];
	int fd;

	fd = accept4(lfd, (struct sockaddr *)&ss, &sl,
		     SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			daemonlog(LOG_WARNING, "accept: %s", strerror(errno));
		return;
	}
	addr_string((struct sockaddr *)&ss, peer, sizeof(peer));
	if (ncards >= o.max_cards) {
		daemonlog(LOG_WARNING, "%s: refused: %u cards already (--max-cards)",
			peer, ncards);
		close(fd);
		return;
	}
	card_start(card_new(fd, peer, NULL));
}

static void connect_target(struct target *t)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICSERV,
	}, *res;
	char peer[80];
	struct card *c;
	int fd, e;

	t->retry_at = now_ms() + RETRY_MS;
	if (ncards >= o.max_cards)
		return;
	e = getaddrinfo(t->host, t->port, &hints, &res);
	if (e) {
		daemonlog(LOG_WARNING, "%s:%s: %s", t->host, t->port,
			gai_strerror(e));
		return;
	}
	fd = socket(res->ai_family, res->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, res->ai_protocol);
	if (fd < 0) {
		freeaddrinfo(res);
		daemonlog(LOG_WARNING, "socket: %s", strerror(errno));
		return;
	}
	addr_string(res->ai_addr, peer, sizeof(peer));
	if (connect(fd, res->ai_addr, res->ai_addrlen) &&
	    errno != EINPROGRESS) {
		freeaddrinfo(res);
		close(fd);
		return;
	}
	freeaddrinfo(res);
	c = card_new(fd, peer, t);
	c->phase = PH_CONNECTING;
	c->deadline = now_ms() + o.timeout_ms;
	t->card = c;
}

/* ---- the loop ----------------------------------------------------- */

static void remove_all(const char *why)
{
	while (cards)
		card_remove(cards, false, "%s", why);
}

int main(int argc, char **argv)
{
	struct pollfd *pfd;
	struct card **who, *c, *next;
	struct sigaction sa;
	sigset_t block, unblocked;
	struct timespec ts;
	long long now, wake;
	unsigned int i, n, max_fds;
	int ret;

	parse_opts(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	daemonlog_init(PROG, o.use_syslog, o.timestamps);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* signals only arrive inside ppoll(), so none is lost */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &unblocked);
	sigdelset(&unblocked, SIGTERM);
	sigdelset(&unblocked, SIGINT);

	if (access(o.device, R_OK | W_OK))
		die("%s: %s", o.device, strerror(errno));
	if (o.listen_set || !o.ntargets)
		open_listeners();
	for (i = 0; i < o.ntargets; i++)
		connect_target(&o.targets[i]);

	max_fds = 8 + 2 * 1000;
	pfd = calloc(max_fds, sizeof(*pfd));
	who = calloc(max_fds, sizeof(*who));
	if (!pfd || !who)
		die("out of memory");

	while (!got_signal) {
		n = 0;
		now = now_ms();
		wake = -1;
		for (i = 0; i < nlisten; i++) {
			pfd[n] = (struct pollfd){ .fd = listen_fds[i],
						  .events = POLLIN };
			who[n++] = NULL;
		}
		for (c = cards; c; c = c->next) {
			short ev = POLLIN;

			if (c->phase == PH_CONNECTING ||
			    c->out_off < c->out_len)
				ev = c->phase == PH_CONNECTING ?
				     POLLOUT : POLLIN | POLLOUT;
			pfd[n] = (struct pollfd){ .fd = c->sock, .events = ev };
			who[n++] = c;
			/* one message to the card at a time */
			if (c->vse.fd >= 0 && c->phase == PH_IDLE &&
			    c->out_off == c->out_len) {
				pfd[n] = (struct pollfd){ .fd = c->vse.fd,
							  .events = POLLIN };
				who[n++] = c;
			}
			if (c->phase != PH_IDLE &&
			    (wake < 0 || c->deadline < wake))
				wake = c->deadline;
		}
		for (i = 0; i < o.ntargets; i++)
			if (!o.targets[i].card &&
			    (wake < 0 || o.targets[i].retry_at < wake))
				wake = o.targets[i].retry_at;
		if (wake >= 0) {
			wake = wake > now ? wake - now : 0;
			ts.tv_sec = wake / 1000;
			ts.tv_nsec = (wake % 1000) * 1000000;
		}
		ret = ppoll(pfd, n, wake >= 0 ? &ts : NULL, &unblocked);
		if (ret < 0) {
			if (errno == EINTR)
				continue;
			die("poll: %s", strerror(errno));
		}

		/*
		 * A card removed while handling one fd may own a later entry:
		 * check that it is still listed before touching it.
		 */
		for (i = 0; i < n; i++) {
			if (!pfd[i].revents)
				continue;
			if (!who[i]) {
				accept_card(pfd[i].fd);
				continue;
			}
			for (c = cards; c && c != who[i]; c = c->next)
				;
			if (!c)
				continue;
			if (pfd[i].fd == c->vse.fd) {
				if (pfd[i].revents & (POLLHUP | POLLERR | POLLNVAL))
					card_remove(c, false, "the kernel unplugged the SE");
				else if (c->phase == PH_IDLE)
					card_kernel(c);
				continue;
			}
			if (c->phase == PH_CONNECTING) {
				/* connect() finished, well or not */
				card_writable(c);
				continue;
			}
			if (pfd[i].revents & POLLOUT) {
				card_writable(c);
				for (next = cards; next && next != c; next = next->next)
					;
				if (!next)
					continue;
			}
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
				card_readable(c);
		}

		now = now_ms();
		for (c = cards; c; c = next) {
			next = c->next;
			if (c->phase != PH_IDLE && now >= c->deadline)
				card_remove(c, true, "%s in %u s",
					    c->phase == PH_CONNECTING ?
					    "could not connect" :
					    c->phase == PH_RAPDU ?
					    "no answer to an APDU" :
					    "no ATR", o.timeout_ms / 1000);
		}
		for (i = 0; i < o.ntargets; i++)
			if (!o.targets[i].card && now >= o.targets[i].retry_at)
				connect_target(&o.targets[i]);
	}

	remove_all("secel-vpcd is stopping");
	for (i = 0; i < nlisten; i++)
		close(listen_fds[i]);
	free(pfd);
	free(who);
	return 0;
}

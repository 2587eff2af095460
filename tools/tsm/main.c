// SPDX-License-Identifier: GPL-2.0
/*
 * secel-tsm - the reference TSM of GlobalPlatform Amendment B: options,
 * and libmicrohttpd (HTTP, and HTTPS with its GnuTLS) around the session
 * logic of tsm.c.  One thread: the daemon runs in this loop, which also
 * drops abandoned sessions.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <microhttpd.h>

#include "../common/daemonlog.h"
#include "../relay/backstage.h"
#include "db.h"
#include "tsm.h"

#define PROG		"secel-tsm"
#define CONN_MAX	128	/* connections at once */
#define CONN_TIMEOUT	30	/* seconds of silence on a connection */
#define CONN_PER_PEER	8	/* default --max-connections-per-peer */
/* GnuTLS: TLS 1.2 and 1.3 only, the rest of its usual choices */
#define TLS_PRIORITIES	"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

static volatile sig_atomic_t stop;
static bool verbose;
static bool use_syslog, timestamps;

static void on_signal(int sig)
{
	stop = sig;
}

static void die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

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

static void usage(FILE *f)
{
	fprintf(f,
"usage: " PROG " --keys FILE --service NAME:LOADFILE:INSTANCE[:PARAMS] [OPTIONS]\n"
"       " PROG " queue --db FILE|CONNINFO DEVICE INSTRUCTION\n"
"       " PROG " rule --db FILE|CONNINFO new|rejected [kind=GLOB] [name=GLOB] OP|install:SERVICE\n"
"       " PROG " devices --db FILE|CONNINFO\n"
"\n"
"The reference TSM of GlobalPlatform Amendment B (remote application\n"
"management over HTTP): a device's secel-relay POSTs to /ram/NAME, and the\n"
"TSM installs the service NAME on the device's SE over SCP03, in command\n"
"scripts (Documentation/secel/tsm.rst).  GET /cards lists its records\n"
"when --cards-token is given.\n"
"\n"
"Options:\n"
"  --listen [ADDR:]PORT   where to listen (default 127.0.0.1:8080; [::1]:PORT\n"
"                         for IPv6; port 0: any free one)\n"
"  --keys FILE            card keys: 'CIN KVN:ENC:MAC:DEK' lines in hex, and\n"
"                         '* KVN:ENC:MAC:DEK' for any other CIN; '#' comments\n"
"  --service NAME:LOADFILE:INSTANCE-AID[:PARAMS-HEX]\n"
"                         a service (repeatable): a secel load file (secelctl\n"
"                         gp mkload), the instance to install from it and its\n"
"                         install parameters; a purse gets a fresh key (DF10)\n"
"  --level HEX            SCP03 security level: 01 03 11 13 33 (default 33)\n"
"  --records DIR          keep the records there (default: in memory only)\n"
"  --block N              LOAD block size (default the largest that fits)\n"
"  --session-timeout SEC  drop a session idle that long (default %d)\n"
"  --max-sessions N       sessions at once (default %d)\n"
"  --max-sessions-per-cin N, --max-sessions-per-peer N\n"
"                         sessions of one CIN (default %d), from one address\n"
"                         (default %d); at the bound a new one replaces the\n"
"                         oldest whose card has not answered script 1 yet\n"
"  --max-connections-per-peer N\n"
"                         connections from one address (default %d)\n"
"  --cards-token FILE     GET /cards with 'Authorization: Bearer TOKEN', the\n"
"                         token the first line of FILE (default: no /cards)\n"
"  --tls-cert FILE        serve HTTPS (TLS 1.2, 1.3) with this certificate ...\n"
"  --tls-key FILE         ... and this key (PEM)\n"
"  --tls-client-ca FILE   want a client certificate signed by a CA of FILE\n"
"                         (PEM) on every request (403 otherwise)\n"
"  --db FILE|CONNINFO     the backstage database: device SE lists, queued\n"
"                         instructions, rules; an SQLite file, or PostgreSQL\n"
"                         ('postgresql://user@host/db', 'host=... dbname=...'),\n"
"                         which several TSMs may share\n"
"  --target-se NAME       aim every script at this SE of the device\n"
"  --poll SEC             X-Secel-Poll: a relay daemon's next session in\n"
"                         SEC seconds (with each session's last answer)\n"
"                         (X-Secel-Targeted-SE)\n"
"  --control TEXT         X-Secel-Control for every backstage session\n"
"                         (repeatable, joined): 'delete VSE2', 'designate\n"
"                         eSE1', 'add SE', 'verify SE', 'inquire SE', 'clear'\n"
"  --ready-file FILE      write the base URL there once listening\n"
"  --fault WHAT           test knob (repeatable): %s\n"
"  -v, --verbose          log each request\n"
"  --syslog               log to syslog (facility daemon), not stderr\n"
"  --timestamps           start each stderr line with the UTC time (under\n"
"                         systemd the journal stamps them instead)\n"
"  -h, --help             this text\n"
"  --version              the version\n"
"\n"
"Example:\n"
"  secelctl gp mkload --type secel.purse --aid A000000553454301 \\\n"
"          --module A00000055345430101 purse.slf\n"
"  echo '* 30:404142434445464748494A4B4C4D4E4F:404142434445464748494A4B4C4D4E4F:404142434445464748494A4B4C4D4E4F' > keys\n"
"  " PROG " --keys keys --records /var/lib/secel-tsm \\\n"
"          --service purse:purse.slf:A00000055345430101:DF110400001388 &\n"
"  secel-relay http://127.0.0.1:8080/ram/purse\n",
		TSM_TIMEOUT, TSM_SESSIONS_MAX, TSM_PER_CIN_MAX,
		TSM_PER_PEER_MAX, CONN_PER_PEER, tsm_fault_names());
}

static unsigned long num_arg(const char *opt, const char *s,
			     unsigned long min, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s < '0' || *s > '9' || *end || errno || v < min || v > max)
		die("%s '%s': not a number from %lu to %lu", opt, s, min, max);
	return v;
}

/* [ADDR:]PORT, ADDR IPv4 or [IPv6] */
static void listen_arg(const char *s, struct sockaddr_storage *ss,
		       socklen_t *len, char *base, size_t room)
{
	char host[128] = "127.0.0.1", port[16];
	struct addrinfo hints, *ai;
	const char *colon;
	bool v6 = false;
	int ret;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':' || (size_t)(close - s - 1) >= sizeof(host))
			die("--listen '%s': not [ADDR]:PORT", s);
		memcpy(host, s + 1, close - s - 1);
		host[close - s - 1] = '\0';
		colon = close + 1;
		v6 = true;
	} else {
		colon = strrchr(s, ':');
		if (colon) {
			if ((size_t)(colon - s) >= sizeof(host) || colon == s)
				die("--listen '%s': not [ADDR:]PORT", s);
			memcpy(host, s, colon - s);
			host[colon - s] = '\0';
		}
	}
	snprintf(port, sizeof(port), "%lu",
		 num_arg("--listen port", colon ? colon + 1 : s, 0, 65535));
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = v6 ? AF_INET6 : AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	ret = getaddrinfo(host, port, &hints, &ai);
	if (ret)
		die("--listen '%s': %s", s, gai_strerror(ret));
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	snprintf(base, room, v6 ? "[%s]" : "%s", host);
}

static char *read_pem(const char *opt, const char *path)
{
	struct stat sb;
	char *buf;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("%s %s: %s", opt, path, strerror(errno));
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode) || sb.st_size > 1 << 20)
		die("%s %s: not a regular file of at most 1 MiB", opt, path);
	buf = calloc(1, sb.st_size + 1);
	if (!buf)
		die("out of memory");
	if (read(fd, buf, sb.st_size) != sb.st_size)
		die("%s %s: short read", opt, path);
	close(fd);
	return buf;
}

/* One request's body as it comes in. */
struct req {
	uint8_t *body;
	size_t len, room;
	bool too_big;
};

static const char *hdr(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

/* --target-se: every script aimed at this SE of the device */
static const char *target_se;
/* --poll: X-Secel-Poll in the answer that ends a session, 0 none */
static char poll_secs[16];
/* --fault: the knobs the HTTP side acts on */
static unsigned int faults;

static enum MHD_Result queue(struct MHD_Connection *c,
			     const struct tsm_reply *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(r->len, r->body,
					       MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, RAM_H_PROTOCOL, RAM_PROTOCOL);
	if (r->content_type)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
					r->content_type);
	if (r->next_uri[0])
		MHD_add_response_header(resp, RAM_H_NEXT_URI, r->next_uri);
	if (r->result[0])
		MHD_add_response_header(resp, RAM_H_RESULT, r->result);
	if (r->result[0] && poll_secs[0])
		MHD_add_response_header(resp, RAM_H_POLL, poll_secs);
	if (r->control[0])
		MHD_add_response_header(resp, RAM_H_CONTROL, r->control);
	/* a rule's install aims at its SE; --target-se at one for all */
	if (r->target_se[0] && r->code == 200 && r->len)
		MHD_add_response_header(resp, RAM_H_TARGET_SE, r->target_se);
	else if (target_se && r->code == 200 && r->len)
		MHD_add_response_header(resp, RAM_H_TARGET_SE, target_se);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
				"no-store");
	ret = MHD_queue_response(c, r->code, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* The client's address as text, "?" when unknown. */
static void peer_addr(struct MHD_Connection *c, char *addr, size_t room)
{
	const union MHD_ConnectionInfo *ci;

	snprintf(addr, room, "?");
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci && ci->client_addr) {
		const struct sockaddr *sa = ci->client_addr;

		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
				  addr, room);
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr,
				  addr, room);
	}
}

static void tsm_note(const char *line)
{
	daemonlog(LOG_INFO, "%s", line);
}

static void log_request(struct MHD_Connection *c, const char *method,
			const char *url, const struct tsm_reply *r)
{
	char addr[INET6_ADDRSTRLEN];

	if (!verbose)
		return;
	peer_addr(c, addr, sizeof(addr));
	daemonlog(LOG_INFO, "%s %.16s %.80s: %s", addr, method, url, r->log);
}

/* --tls-client-ca: whether the client showed a certificate of its CAs. */
static bool want_client_cert;

static bool client_cert_ok(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci;
	unsigned int status = 0, n = 0;
	gnutls_session_t tls;

	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!ci || !ci->tls_session)
		return false;
	tls = ci->tls_session;
	if (gnutls_certificate_type_get(tls) != GNUTLS_CRT_X509 ||
	    !gnutls_certificate_get_peers(tls, &n) || !n)
		return false;
	return !gnutls_certificate_verify_peers2(tls, &status) && !status;
}

/* "sha256:HEX" of the client's certificate, once it verified. */
static void client_identity(struct MHD_Connection *c, char *out, size_t room)
{
	const union MHD_ConnectionInfo *ci;
	const gnutls_datum_t *certs;
	unsigned char md[32];
	size_t len = sizeof(md), i;
	unsigned int n = 0;

	out[0] = '\0';
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!ci || !ci->tls_session)
		return;
	certs = gnutls_certificate_get_peers(ci->tls_session, &n);
	if (!certs || !n || room < 8 + 2 * sizeof(md) ||
	    gnutls_fingerprint(GNUTLS_DIG_SHA256, &certs[0], md, &len) ||
	    len != sizeof(md))
		return;
	strcpy(out, "sha256:");
	for (i = 0; i < len; i++)
		sprintf(out + 7 + 2 * i, "%02x", md[i]);
}

/* --control, repeated: the instructions joined with ", " */
static void control_add(char **all, const char *one)
{
	char *s;

	if (asprintf(&s, "%s%s%s", *all ? *all : "", *all ? ", " : "", one) < 0)
		die("out of memory");
	if (strlen(s) >= TSM_LINE_MAX)
		die("--control: more than %d characters in all", TSM_LINE_MAX - 1);
	free(*all);
	*all = s;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_size, void **req_cls)
{
	struct tsm *t = cls;
	struct req *rq = *req_cls;
	struct tsm_request in;
	struct tsm_reply r;
	enum MHD_Result ret;
	char addr[INET6_ADDRSTRLEN], device[80];
	const char *resume;

	(void)version;
	if (!rq) {
		rq = calloc(1, sizeof(*rq));
		if (!rq)
			return MHD_NO;
		*req_cls = rq;
		return MHD_YES;
	}
	if (*upload_size) {
		size_t n = *upload_size;

		if (!rq->too_big && rq->len + n > TSM_BODY_MAX) {
			rq->too_big = true;
			free(rq->body);
			rq->body = NULL;
			rq->len = rq->room = 0;
		}
		if (!rq->too_big) {
			if (rq->len + n > rq->room) {
				size_t room = rq->room ? rq->room : 4096;
				uint8_t *p;

				while (room < rq->len + n)
					room *= 2;
				p = realloc(rq->body, room);
				if (!p)
					return MHD_NO;
				rq->body = p;
				rq->room = room;
			}
			memcpy(rq->body + rq->len, upload, n);
			rq->len += n;
		}
		*upload_size = 0;
		return MHD_YES;
	}

	memset(&in, 0, sizeof(in));
	in.method = method;
	in.path = url;
	in.protocol = hdr(c, RAM_H_PROTOCOL);
	in.from = hdr(c, RAM_H_FROM);
	in.se_info = hdr(c, RAM_H_SE_INFO);
	in.se_list = hdr(c, RAM_H_SE_LIST);
	in.control_result = hdr(c, RAM_H_CONTROL_RESULT);
	in.status = hdr(c, RAM_H_STATUS);
	resume = hdr(c, RAM_H_RESUME);
	in.resume = resume && !strcasecmp(resume, "true");
	in.authorization = hdr(c, MHD_HTTP_HEADER_AUTHORIZATION);
	peer_addr(c, addr, sizeof(addr));
	in.peer = addr;
	in.content_type = hdr(c, MHD_HTTP_HEADER_CONTENT_TYPE);
	in.body = rq->body;
	in.len = rq->too_big ? (size_t)TSM_BODY_MAX + 1 : rq->len;
	if (rq->too_big) {
		/* nothing of it was kept: tsm_handle says 413 on the length */
		static const uint8_t none;

		in.body = &none;
	}
	if (want_client_cert) {
		client_identity(c, device, sizeof(device));
		if (device[0])
			in.device = device;
	}
	if (want_client_cert && !client_cert_ok(c)) {
		static const char why[] = "a client certificate signed by a CA of --tls-client-ca is wanted";

		memset(&r, 0, sizeof(r));
		r.code = 403;
		r.content_type = "text/plain";
		r.body = (uint8_t *)strdup(why);
		r.len = r.body ? strlen(why) : 0;
		snprintf(r.log, sizeof(r.log), "403 no valid client certificate");
	} else {
		tsm_handle(t, &in, &r);
		/*
		 * --fault slow-control: the SE list is in, the instructions
		 * wait, so that a test can take an SE away in between (the
		 * logic never blocks; the HTTP side may, for a test)
		 */
		if (r.control[0] && (faults & TSM_FAULT_SLOW_CONTROL))
			sleep(3);
	}
	log_request(c, method, url, &r);
	ret = queue(c, &r);
	tsm_reply_free(&r);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c,
			 void **req_cls, enum MHD_RequestTerminationCode toe)
{
	struct req *rq = *req_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (rq) {
		free(rq->body);
		free(rq);
		*req_cls = NULL;
	}
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	(void)cls;
	if (!verbose)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	daemonlog(LOG_WARNING, "libmicrohttpd: %s", line);
}

static void write_ready(const char *path, const char *url)
{
	char tmp[4096];
	FILE *f;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		die("--ready-file %s: name too long", path);
	f = fopen(tmp, "we");
	if (!f || fprintf(f, "%s\n", url) < 0 || fclose(f) ||
	    rename(tmp, path))
		die("--ready-file %s: %s", path, strerror(errno));
}

enum {
	OPT_LISTEN = 256, OPT_KEYS, OPT_SERVICE, OPT_LEVEL, OPT_RECORDS,
	OPT_BLOCK, OPT_TIMEOUT, OPT_MAX_SESSIONS, OPT_CERT, OPT_KEY,
	OPT_READY, OPT_FAULT, OPT_VERSION, OPT_PER_CIN, OPT_PER_PEER,
	OPT_CONN_PER_PEER, OPT_CARDS_TOKEN, OPT_CLIENT_CA, OPT_CONTROL, OPT_DB,
	OPT_TARGET_SE,
	OPT_POLL, OPT_SYSLOG, OPT_TIMESTAMPS,
};

/* The first line of @path: the token GET /cards wants. */
static char *read_token(const char *path)
{
	char line[512], *tok;
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		die("--cards-token %s: %s", path, strerror(errno));
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	n = strcspn(line, "\r\n");
	line[n] = '\0';
	if (n < 16)
		die("--cards-token %s: the token is shorter than 16 characters",
		    path);
	tok = strdup(line);
	if (!tok)
		die("out of memory");
	return tok;
}

/*
 * The operator's commands on the database:
 *   secel-tsm queue --db FILE DEVICE INSTRUCTION
 *   secel-tsm rule --db FILE new|rejected [kind=GLOB] [name=GLOB] OP
 *   secel-tsm devices --db FILE
 */
static int db_command(int argc, char **argv)
{
	const char *cmd = argv[1], *kind = NULL, *name = NULL;
	struct bs_request rq[2];
	struct tsm_db *db;
	char err[1024];
	size_t n;
	int i, ret;

	if (argc < 4 || strcmp(argv[2], "--db"))
		die("%s: usage: " PROG " %s --db FILE ...", cmd, cmd);
	if (!strcmp(cmd, "queue") && argc != 6)
		die("queue: usage: " PROG " queue --db FILE DEVICE 'INSTRUCTION'");
	if (!strcmp(cmd, "devices") && argc != 4)
		die("devices: usage: " PROG " devices --db FILE");
	if (!strcmp(cmd, "rule") && argc < 6)
		die("rule: usage: " PROG " rule --db FILE new|rejected [kind=GLOB] [name=GLOB] OP");
	if (!strcmp(cmd, "queue") &&
	    (bs_control_parse(argv[5], rq, 1, &n, err, sizeof(err)) || n != 1))
		die("queue: '%s': %s", argv[5], n != 1 ? "one instruction" : err);
	if (tsm_db_open(argv[3], &db, err, sizeof(err)))
		die("--db %s", err);
	if (!strcmp(cmd, "queue")) {
		ret = tsm_db_queue(db, argv[4], argv[5], err, sizeof(err));
	} else if (!strcmp(cmd, "devices")) {
		ret = tsm_db_show(db, stdout, err, sizeof(err));
	} else {
		for (i = 5; i < argc - 1; i++) {
			if (!strncmp(argv[i], "kind=", 5))
				kind = argv[i] + 5;
			else if (!strncmp(argv[i], "name=", 5))
				name = argv[i] + 5;
			else
				die("rule: '%s' is neither kind=GLOB nor name=GLOB",
				    argv[i]);
		}
		ret = tsm_db_rule_add(db, argv[4], kind, name, argv[argc - 1],
				      err, sizeof(err));
	}
	tsm_db_close(db);
	if (ret)
		die("%s: %s", cmd, err);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, OPT_LISTEN },
		{ "keys", required_argument, NULL, OPT_KEYS },
		{ "service", required_argument, NULL, OPT_SERVICE },
		{ "level", required_argument, NULL, OPT_LEVEL },
		{ "records", required_argument, NULL, OPT_RECORDS },
		{ "block", required_argument, NULL, OPT_BLOCK },
		{ "session-timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "max-sessions", required_argument, NULL, OPT_MAX_SESSIONS },
		{ "max-sessions-per-cin", required_argument, NULL, OPT_PER_CIN },
		{ "max-sessions-per-peer", required_argument, NULL, OPT_PER_PEER },
		{ "max-connections-per-peer", required_argument, NULL,
		  OPT_CONN_PER_PEER },
		{ "cards-token", required_argument, NULL, OPT_CARDS_TOKEN },
		{ "tls-cert", required_argument, NULL, OPT_CERT },
		{ "tls-key", required_argument, NULL, OPT_KEY },
		{ "tls-client-ca", required_argument, NULL, OPT_CLIENT_CA },
		{ "control", required_argument, NULL, OPT_CONTROL },
		{ "db", required_argument, NULL, OPT_DB },
		{ "target-se", required_argument, NULL, OPT_TARGET_SE },
		{ "poll", required_argument, NULL, OPT_POLL },
		{ "ready-file", required_argument, NULL, OPT_READY },
		{ "fault", required_argument, NULL, OPT_FAULT },
		{ "verbose", no_argument, NULL, 'v' },
		{ "syslog", no_argument, NULL, OPT_SYSLOG },
		{ "timestamps", no_argument, NULL, OPT_TIMESTAMPS },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 }
	};
	static struct tsm_service services[TSM_SERVICES_MAX];
	const char *listen_spec = "127.0.0.1:8080", *keys_path = NULL;
	const char *cert_path = NULL, *key_path = NULL, *ready = NULL;
	const char *client_ca_path = NULL, *db_path = NULL;
	char *client_ca = NULL, *control = NULL;
	struct tsm_config cfg = { .level = 0x33 };
	struct sockaddr_storage ss;
	socklen_t ss_len;
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *di;
	char err[1024], base[160], url[256], *cert = NULL, *key = NULL;
	struct tsm_keys *keys = NULL;
	struct sigaction sa;
	unsigned int flags;
	struct tsm *t;
	size_t nkeys = 0, i;
	unsigned long v;
	unsigned int conn_per_peer = CONN_PER_PEER;
	char *end;
	int opt;

	if (argc > 1 && (!strcmp(argv[1], "queue") || !strcmp(argv[1], "rule") ||
			 !strcmp(argv[1], "devices")))
		return db_command(argc, argv);
	while ((opt = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (opt) {
		case OPT_LISTEN:
			listen_spec = optarg;
			break;
		case OPT_KEYS:
			keys_path = optarg;
			break;
		case OPT_SERVICE:
			if (cfg.nservices == TSM_SERVICES_MAX)
				die("--service: at most %d", TSM_SERVICES_MAX);
			if (tsm_parse_service(optarg,
					      &services[cfg.nservices], err,
					      sizeof(err)))
				die("--service %s", err);
			cfg.nservices++;
			break;
		case OPT_LEVEL:
			errno = 0;
			v = strtoul(optarg, &end, 16);
			if (errno || *end || end == optarg || v > 0xff)
				die("--level '%s': not hex", optarg);
			cfg.level = v;
			break;
		case OPT_RECORDS:
			cfg.records = optarg;
			break;
		case OPT_BLOCK:
			cfg.block = num_arg("--block", optarg, 16, 255);
			break;
		case OPT_TIMEOUT:
			cfg.session_timeout = num_arg("--session-timeout",
						      optarg, 1, 86400);
			break;
		case OPT_MAX_SESSIONS:
			cfg.max_sessions = num_arg("--max-sessions", optarg, 1,
						   4096);
			break;
		case OPT_PER_CIN:
			cfg.max_per_cin = num_arg("--max-sessions-per-cin",
						  optarg, 1, 4096);
			break;
		case OPT_PER_PEER:
			cfg.max_per_peer = num_arg("--max-sessions-per-peer",
						   optarg, 1, 4096);
			break;
		case OPT_CONN_PER_PEER:
			conn_per_peer = num_arg("--max-connections-per-peer",
						optarg, 1, CONN_MAX);
			break;
		case OPT_CARDS_TOKEN:
			cfg.cards_token = read_token(optarg);
			break;
		case OPT_CLIENT_CA:
			client_ca_path = optarg;
			break;
		case OPT_CONTROL:
			control_add(&control, optarg);
			break;
		case OPT_DB:
			db_path = optarg;
			break;
		case OPT_TARGET_SE:
			if (!*optarg || strlen(optarg) >= 16 ||
			    strspn(optarg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != strlen(optarg))
				die("--target-se '%s': not an SE name", optarg);
			target_se = optarg;
			break;
		case OPT_POLL:
			snprintf(poll_secs, sizeof(poll_secs), "%lu",
				 num_arg("--poll", optarg, 1, 604800));
			break;
		case OPT_CERT:
			cert_path = optarg;
			break;
		case OPT_KEY:
			key_path = optarg;
			break;
		case OPT_READY:
			ready = optarg;
			break;
		case OPT_FAULT:
			if (tsm_parse_fault(optarg, &cfg.faults))
				die("--fault '%s': one of %s", optarg,
				    tsm_fault_names());
			break;
		case 'v':
			verbose = true;
			break;
		case OPT_SYSLOG:
			use_syslog = true;
			break;
		case OPT_TIMESTAMPS:
			timestamps = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case OPT_VERSION:
			printf(PROG " %s (protocol %s, libmicrohttpd %s)\n",
			       SECEL_VERSION, TSM_VERSION, MHD_get_version());
			return 0;
		default:
			fprintf(stderr, "Try '" PROG " --help'.\n");
			return 2;
		}
	}
	if (optind < argc)
		die("'%s': no arguments beside the options (see --help)",
		    argv[optind]);
	daemonlog_init(PROG, use_syslog, timestamps);
	if (!keys_path)
		die("no --keys FILE (see --help)");
	if (!cfg.nservices)
		die("no --service (see --help)");
	if (!cert_path != !key_path)
		die("--tls-cert and --tls-key go together");
	if (client_ca_path && !cert_path)
		die("--tls-client-ca wants --tls-cert and --tls-key");
	cfg.control = control;
	faults = cfg.faults;
	if (db_path && tsm_db_open(db_path, &cfg.db, err, sizeof(err)))
		die("--db %s", err);
	if (tsm_read_keys(keys_path, &keys, &nkeys, err, sizeof(err)))
		die("--keys %s", err);
	listen_arg(listen_spec, &ss, &ss_len, base, sizeof(base));
	cfg.services = services;
	cfg.keys = keys;
	cfg.nkeys = nkeys;
	cfg.note = tsm_note;
	if (tsm_new(&cfg, &t, err, sizeof(err)))
		die("%s", err);

	flags = MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (cert_path) {
		cert = read_pem("--tls-cert", cert_path);
		key = read_pem("--tls-key", key_path);
		flags |= MHD_USE_TLS;
	}
	if (client_ca_path) {
		client_ca = read_pem("--tls-client-ca", client_ca_path);
		want_client_cert = true;
	}
	signal(SIGPIPE, SIG_IGN);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if (client_ca)
		d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, t,
			/* first, or MHD warns that it is not */
			MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
			MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
			MHD_OPTION_CONNECTION_LIMIT, (unsigned int)CONN_MAX,
			MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)CONN_TIMEOUT,
			MHD_OPTION_PER_IP_CONNECTION_LIMIT, conn_per_peer,
			MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
			MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned int)1,
			MHD_OPTION_HTTPS_PRIORITIES, TLS_PRIORITIES,
			MHD_OPTION_HTTPS_MEM_CERT, cert,
			MHD_OPTION_HTTPS_MEM_KEY, key,
			MHD_OPTION_HTTPS_MEM_TRUST, client_ca,
			MHD_OPTION_END);
	else if (cert)
		d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, t,
			/* first, or MHD warns that it is not */
			MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
			MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
			MHD_OPTION_CONNECTION_LIMIT, (unsigned int)CONN_MAX,
			MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)CONN_TIMEOUT,
			MHD_OPTION_PER_IP_CONNECTION_LIMIT, conn_per_peer,
			MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
			MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned int)1,
			MHD_OPTION_HTTPS_PRIORITIES, TLS_PRIORITIES,
			MHD_OPTION_HTTPS_MEM_CERT, cert,
			MHD_OPTION_HTTPS_MEM_KEY, key,
			MHD_OPTION_END);
	else
		d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, t,
			/* first, or MHD warns that it is not */
			MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
			MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
			MHD_OPTION_CONNECTION_LIMIT, (unsigned int)CONN_MAX,
			MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)CONN_TIMEOUT,
			MHD_OPTION_PER_IP_CONNECTION_LIMIT, conn_per_peer,
			MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
			MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned int)1,
			MHD_OPTION_END);
	if (!d)
		die("cannot listen on %s%s (address in use, or a bad certificate or key?)",
		    listen_spec, cert ? " with TLS" : "");
	di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	snprintf(url, sizeof(url), "%s://%s:%u", cert ? "https" : "http", base,
		 di ? di->port : 0);
	daemonlog(LOG_NOTICE, "%s, %zu service%s, %zu key line%s, level %02X%s%s",
		url, cfg.nservices, cfg.nservices == 1 ? "" : "s", nkeys,
		nkeys == 1 ? "" : "s", cfg.level,
		cfg.records ? ", records in " : "", cfg.records ? cfg.records : "");
	if (ready)
		write_ready(ready, url);

	while (!stop) {
		MHD_run_wait(d, 1000);
		tsm_expire(t);
	}
	MHD_stop_daemon(d);
	tsm_free(t);
	for (i = 0; i < cfg.nservices; i++)
		tsm_service_free(&services[i]);
	if (keys)
		memset(keys, 0, nkeys * sizeof(*keys));
	free(keys);
	free(cert);
	free(client_ca);
	free(control);
	tsm_db_close(cfg.db);
	if (key)
		memset(key, 0, strlen(key));
	free(key);
	return 0;
}

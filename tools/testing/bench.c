// SPDX-License-Identifier: GPL-2.0
/*
 * bench - figures for the secel data path and its scale, through virtual SEs
 *
 * The cards are served by a separate process (forked at the start: it
 * creates the virtual SEs, holds their card fds and answers), so every
 * APDU crosses from the caller's address space to the card's and back, as
 * with a real card program.  The floor is a pipe ping-pong between the
 * same two processes with the messages the card reads and writes (header
 * and payload), measured in the same run.  Every figure is measured in
 * several rounds and printed as min / median / max over the rounds.
 * Caller and card run on vCPU 0 (one pair of figures crosses vCPUs on
 * purpose): under TCG a wakeup of another vCPU waits for the host to run
 * that vCPU's thread, which made earlier figures irreproducible.
 *
 * Figures: round trip of a short and an extended APDU beside the pipe
 * floor and their ratio; APDUs per second over 4 SEs; a fast SE's latency
 * alone and beside a slow SE that 8 threads hammer; SEs created per
 * second; LIST and INQUIRE time per SE at 64 SEs and at the most the
 * kernel takes (1024 asked); kernel memory per SE.
 *
 * Run it in a guest: make bench (BENCH_ARGS="-r 3" and so on).  No
 * assertion: figures only.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/secel_vse.h>

#define HDR		sizeof(struct secel_vse_msg)
#define MSG_MAX		(HDR + SECEL_APDU_MAX)
#define MAX_ROUNDS	50
#define MAX_SES		16384	/* -s; one answer of the card process holds them */

/* the short APDU: case 2, 5 bytes, answered 9000 (2 bytes) */
static const unsigned char short_apdu[] = { 0x80, 0x10, 0x00, 0x00, 0x00 };
#define SHORT_RSP	2
/* the extended APDU: case 4, 65535 data bytes each way */
#define EXT_DATA	65535
#define EXT_CMD		(7 + EXT_DATA + 2)
#define EXT_RSP		(EXT_DATA + 2)

#define SLOW_MS		100
#define HAMMER_THREADS	8
#define SCALE_SMALL	64
/* the SEs of the APDU path: hot[0..3] for the throughput, then these */
#define SE_LAT		4
#define SE_EXT		5
#define SE_FAST		6
#define SE_SLOW		7
#define HOT		8

static const unsigned char bench_atr[] = { 0x3b, 0x80, 0x80, 0x01, 0x01 };

static int ncpu = 1;

/*
 * Pin the calling thread to one CPU, or free it (cpu < 0).  Under TCG a
 * wakeup across vCPUs costs whatever the host's scheduler gives the other
 * vCPU's thread (milliseconds on a loaded host), so the latency figures
 * keep the caller and the card on vCPU 0 and measure the path's own cost;
 * one pair of figures crosses vCPUs on purpose.
 */
static void pin_thread(int cpu)
{
	cpu_set_t set;
	int i;

	CPU_ZERO(&set);
	for (i = 0; i < ncpu; i++)
		if (cpu < 0 || i == cpu % ncpu)
			CPU_SET(i, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static void fail(const char *what)
{
	fprintf(stderr, "bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* p-th percentile (0..100) of v[n]; sorts v */
static double percentile(double *v, int n, int p)
{
	int i;

	if (n <= 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	i = (int)((long)n * p / 100);
	return v[i < n ? i : n - 1];
}

static int read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);

		if (n <= 0)
			return -1;
		got += n;
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t len)
{
	size_t put = 0;

	while (put < len) {
		ssize_t n = write(fd, (const char *)buf + put, len - put);

		if (n <= 0)
			return -1;
		put += n;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* The card process                                                    */
/* ------------------------------------------------------------------ */

enum card_kind { CARD_ECHO, CARD_EXT, CARD_SLOW, CARD_MASS };
enum card_op { OP_NEW = 1, OP_DROP };

struct card_req {
	uint32_t op;
	uint32_t kind;
	uint32_t count;
	uint32_t pin;		/* serve from vCPU 0 */
};

struct card_rsp {
	int32_t err;		/* errno of the first failure, 0 if none */
	uint32_t done;		/* SEs made or dropped */
	uint32_t index[];	/* OP_NEW: their indexes */
};

/*
 * The answer to one message from the kernel, written to out; returns its
 * length.  APDUs: INS 10 echoes its data, GET DATA finds nothing (6A88),
 * everything else is 9000.  RESET gives the ATR; POWER_OFF is acknowledged.
 */
static size_t card_answer(const unsigned char *in, size_t n,
			  unsigned char *out)
{
	const struct secel_vse_msg *h = (const void *)in;
	struct secel_vse_msg *o = (void *)out;
	const unsigned char *p = in + HDR;
	unsigned char *q = out + HDR;
	size_t len = 0, nc = 0, off = 0;

	*o = *h;
	o->flags = 0;
	if (h->type == SECEL_VSE_MSG_RESET) {
		memcpy(q, bench_atr, sizeof(bench_atr));
		len = sizeof(bench_atr);
	} else if (h->type == SECEL_VSE_MSG_APDU && n >= HDR + 4) {
		size_t alen = n - HDR;

		if (alen > 5 && p[4]) {
			nc = p[4];
			off = 5;
		} else if (alen > 7 && !p[4]) {
			nc = (size_t)p[5] << 8 | p[6];
			off = 7;
		}
		if (p[1] != 0x10 || off + nc > alen)
			nc = 0;
		memcpy(q, p + off, nc);
		len = nc;
		if (p[1] == 0xca) {
			q[len++] = 0x6a;
			q[len++] = 0x88;
		} else {
			q[len++] = 0x90;
			q[len++] = 0x00;
		}
	}
	o->len = len;
	return HDR + len;
}

struct hot_card {
	unsigned int index;
	int fd;
	int slow;
	int pin;
};

/* One card, one thread, blocking read: what a card program does. */
static void *serve_hot(void *arg)
{
	struct hot_card *c = arg;
	unsigned char *in = malloc(MSG_MAX), *out = malloc(MSG_MAX);

	if (!in || !out)
		return NULL;
	if (c->pin)
		pin_thread(0);
	for (;;) {
		ssize_t n = read(c->fd, in, MSG_MAX);
		size_t len;

		if (n < 0) {
			if (errno != ENODEV)
				fprintf(stderr, "bench: card of secel%u: read: %s\n",
					c->index, strerror(errno));
			break;
		}
		if (c->slow &&
		    ((struct secel_vse_msg *)in)->type == SECEL_VSE_MSG_APDU)
			sleep_ms(SLOW_MS);
		len = card_answer(in, n, out);
		if (write(c->fd, out, len) < 0 && errno != ESTALE) {
			if (errno != ENODEV)
				fprintf(stderr, "bench: card of secel%u: write: %s\n",
					c->index, strerror(errno));
			break;
		}
	}
	free(in);
	free(out);
	return NULL;
}

/* The many SEs of the scale figures: one thread, epoll, O_NONBLOCK. */
static void *serve_mass(void *arg)
{
	int ep = *(int *)arg;
	unsigned char *in = malloc(MSG_MAX), *out = malloc(MSG_MAX);
	struct epoll_event ev[64];

	if (!in || !out)
		return NULL;
	pin_thread(0);
	for (;;) {
		int i, k = epoll_wait(ep, ev, 64, -1);

		for (i = 0; i < k; i++) {
			int fd = ev[i].data.fd;
			ssize_t n;

			if (ev[i].events & (EPOLLHUP | EPOLLERR)) {
				epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
				continue;
			}
			n = read(fd, in, MSG_MAX);
			if (n < 0)
				continue;
			if (write(fd, out, card_answer(in, n, out)) < 0)
				continue;
		}
	}
	return NULL;
}

struct pipe_echo {
	int in, out;
	size_t req, ans;
};

/* The floor: read a request of the card's size, answer with the card's. */
static void *serve_pipe(void *arg)
{
	struct pipe_echo *p = arg;
	unsigned char *buf = calloc(1, p->req > p->ans ? p->req : p->ans);

	if (!buf)
		return NULL;
	pin_thread(0);
	while (!read_full(p->in, buf, p->req))
		if (write_full(p->out, buf, p->ans))
			break;
	free(buf);
	return NULL;
}

static int vse_new(int vse, enum card_kind kind, unsigned int *index)
{
	struct secel_vse_new n;

	memset(&n, 0, sizeof(n));
	n.atr_len = sizeof(bench_atr);
	memcpy(n.atr, bench_atr, sizeof(bench_atr));
	n.flags = kind == CARD_EXT ? SECEL_VSE_EXTENDED_LENGTH : 0;
	if (ioctl(vse, SECEL_VSE_IOC_NEW, &n))
		return -errno;
	*index = n.index;
	return n.fd;
}

static void card_process(int ctl, struct pipe_echo *pipes, int npipes)
{
	static int mass[MAX_SES];
	struct card_rsp *rsp = malloc(sizeof(*rsp) + MAX_SES * sizeof(uint32_t));
	int vse, ep, nmass = 0, i;
	struct card_req req;
	struct rlimit rl;
	pthread_t t;

	/* a card fd per SE: room for as many as the kernel may take */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < MAX_SES + 64) {
		rl.rlim_cur = MAX_SES + 64;
		if (rl.rlim_max < rl.rlim_cur)
			rl.rlim_max = rl.rlim_cur;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			fprintf(stderr, "bench: card process: RLIMIT_NOFILE: %s\n",
				strerror(errno));
	}
	vse = open("/dev/secel-vse", O_RDWR);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (vse < 0 || ep < 0 || !rsp)
		fail("card process: /dev/secel-vse");
	if (pthread_create(&t, NULL, serve_mass, &ep))
		fail("card process: thread");
	for (i = 0; i < npipes; i++)
		if (pthread_create(&t, NULL, serve_pipe, &pipes[i]))
			fail("card process: thread");

	while (recv(ctl, &req, sizeof(req), 0) == sizeof(req)) {
		memset(rsp, 0, sizeof(*rsp));
		if (req.op == OP_NEW) {
			for (i = 0; i < (int)req.count && nmass < MAX_SES; i++) {
				unsigned int index = 0;
				int fd = vse_new(vse, req.kind, &index);

				if (fd < 0) {
					rsp->err = -fd;
					break;
				}
				rsp->index[rsp->done++] = index;
				if (req.kind == CARD_MASS) {
					struct epoll_event ev = { .events = EPOLLIN };

					ev.data.fd = fd;
					fcntl(fd, F_SETFL, O_NONBLOCK);
					if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev))
						fail("card process: epoll_ctl");
					mass[nmass++] = fd;
				} else {
					struct hot_card *c = malloc(sizeof(*c));

					if (!c)
						fail("card process: malloc");
					c->fd = fd;
					c->index = index;
					c->slow = req.kind == CARD_SLOW;
					c->pin = req.pin;
					if (pthread_create(&t, NULL, serve_hot, c))
						fail("card process: thread");
				}
			}
		} else if (req.op == OP_DROP) {
			while (rsp->done < req.count && nmass > 0) {
				close(mass[--nmass]);
				rsp->done++;
			}
		}
		if (send(ctl, rsp, sizeof(*rsp) + rsp->done * sizeof(uint32_t),
			 0) < 0)
			break;
	}
	/* the parent is done: exiting closes every card, unplugging its SE */
	_exit(0);
}

/* ------------------------------------------------------------------ */
/* The caller's side                                                   */
/* ------------------------------------------------------------------ */

static int card_sock;
static int ctl_fd;
static struct card_rsp *card_rsp;

/* Ask the card process for count new SEs (or to drop count); returns done. */
static unsigned int card_call(enum card_op op, enum card_kind kind,
			      unsigned int count, int pin)
{
	struct card_req req = { op, kind, count, pin };

	if (send(card_sock, &req, sizeof(req), 0) != sizeof(req) ||
	    recv(card_sock, card_rsp,
		 sizeof(*card_rsp) + MAX_SES * sizeof(uint32_t), 0) <
	    (ssize_t)sizeof(*card_rsp))
		fail("card process");
	return card_rsp->done;
}

static unsigned int count_ses(unsigned int flags)
{
	struct secel_list l;

	memset(&l, 0, sizeof(l));
	l.flags = flags;
	if (ioctl(ctl_fd, SECEL_CTL_LIST, &l))
		fail("SECEL_CTL_LIST");
	return l.count;
}

/* Wait until count_ses(flags) == want; returns the count reached. */
static unsigned int wait_count(unsigned int flags, unsigned int want,
			       double limit_s)
{
	double end = now() + limit_s;
	unsigned int n;

	while ((n = count_ses(flags)) != want && now() < end)
		usleep(1000);
	return n;
}

#define VSE_TIMEOUT "/sys/module/secel_vse/parameters/timeout_ms"

/*
 * Set the virtual card's timeout (ms); returns the old one, 0 if unknown.
 * Under TCG the guest's clock follows the host's: on a loaded host a card
 * process can miss the default 5 s without doing anything wrong.
 */
static unsigned int vse_timeout(unsigned int ms)
{
	unsigned int old = 0;
	FILE *f;

	if (!ms)
		return 0;
	f = fopen(VSE_TIMEOUT, "r+");
	if (!f)
		return 0;
	if (fscanf(f, "%u", &old) != 1)
		old = 0;
	rewind(f);
	fprintf(f, "%u\n", ms);
	fclose(f);
	return old;
}

static int open_se(unsigned int index)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/dev/secel%u", index);
	fd = open(path, O_RDWR);
	if (fd < 0)
		fail(path);
	return fd;
}

static const char *stage = "start";
static atomic_int tx_failed;
static atomic_int hammered;	/* APDUs the slow SE answered */

/*
 * One APDU.  A failure is counted and reported with the figures, not fatal:
 * the bench measures, it does not judge.
 */
static void transmit(int fd, const unsigned char *cmd, size_t len,
		     unsigned char *rsp, size_t rsp_size)
{
	struct secel_transmit tx;

	memset(&tx, 0, sizeof(tx));
	tx.cmd_ptr = (uintptr_t)cmd;
	tx.cmd_len = len;
	tx.rsp_ptr = (uintptr_t)rsp;
	tx.rsp_len = rsp_size;
	if (ioctl(fd, SECEL_IOC_TRANSMIT, &tx) &&
	    atomic_fetch_add(&tx_failed, 1) < 5)
		fprintf(stderr, "bench: %s: SECEL_IOC_TRANSMIT of %zu bytes: %s\n",
			stage, len, strerror(errno));
}

/* ---- figures over rounds ---- */

struct fig {
	const char *label;
	const char *unit;
	int decimals;
	int n;
	double v[MAX_ROUNDS];
};

#define FIG(l, u, d) { .label = (l), .unit = (u), .decimals = (d) }

static void fig_add(struct fig *f, double v)
{
	if (f->n < MAX_ROUNDS)
		f->v[f->n++] = v;
}

static void fig_print(struct fig *f)
{
	double s[MAX_ROUNDS];

	if (!f->n) {
		printf("  %-58s %s\n", f->label, "not measured");
		return;
	}
	memcpy(s, f->v, f->n * sizeof(*s));
	qsort(s, f->n, sizeof(*s), cmp_double);
	printf("  %-58s %9.*f / %9.*f / %9.*f %s\n", f->label,
	       f->decimals, s[0],
	       f->decimals, (s[(f->n - 1) / 2] + s[f->n / 2]) / 2,
	       f->decimals, s[f->n - 1], f->unit);
}

static double ratio(const struct fig *a, const struct fig *b)
{
	return b->v[b->n - 1] > 0 ? a->v[a->n - 1] / b->v[b->n - 1] : 0;
}

/* ---- the APDU path ---- */

/* p50 (or p99) of count round trips of cmd on fd, in us */
static void vse_rtt(int fd, const unsigned char *cmd, size_t len, int count,
		    double *p50, double *p99)
{
	unsigned char *rsp = malloc(SECEL_RESP_MAX);
	double *lat = calloc(count, sizeof(*lat)), t0;
	int i;

	if (!rsp || !lat)
		fail("malloc");
	for (i = 0; i < count / 20 + 1; i++)
		transmit(fd, cmd, len, rsp, SECEL_RESP_MAX);
	for (i = 0; i < count; i++) {
		t0 = now();
		transmit(fd, cmd, len, rsp, SECEL_RESP_MAX);
		lat[i] = (now() - t0) * 1e6;
	}
	*p50 = percentile(lat, count, 50);
	if (p99)
		*p99 = percentile(lat, count, 99);
	free(lat);
	free(rsp);
}

struct pipe_end {
	int req, ans;		/* we write requests, read answers */
	size_t req_len, ans_len;
};

static void pipe_rtt(struct pipe_end *p, int count, double *p50, double *p99)
{
	size_t max = p->req_len > p->ans_len ? p->req_len : p->ans_len;
	unsigned char *buf = calloc(1, max);
	double *lat = calloc(count, sizeof(*lat)), t0;
	int i;

	if (!buf || !lat)
		fail("malloc");
	for (i = 0; i < count + count / 20 + 1; i++) {
		t0 = now();
		if (write_full(p->req, buf, p->req_len) ||
		    read_full(p->ans, buf, p->ans_len))
			fail("pipe");
		if (i >= count / 20 + 1)
			lat[i - count / 20 - 1] = (now() - t0) * 1e6;
	}
	*p50 = percentile(lat, count, 50);
	if (p99)
		*p99 = percentile(lat, count, 99);
	free(lat);
	free(buf);
}

struct worker {
	unsigned int index;
	int count;
	atomic_int *stop;	/* hammer: until set; else count APDUs */
	struct pipe_end *pipe;	/* the floor: this pipe pair instead */
};

static void *work(void *arg)
{
	struct worker *w = arg;
	unsigned char *rsp = malloc(SECEL_RESP_MAX);
	int fd, i;

	if (!rsp)
		fail("malloc");
	if (w->pipe) {
		memset(rsp, 0, w->pipe->req_len);
		for (i = 0; i < w->count; i++)
			if (write_full(w->pipe->req, rsp, w->pipe->req_len) ||
			    read_full(w->pipe->ans, rsp, w->pipe->ans_len))
				fail("pipe");
		free(rsp);
		return NULL;
	}
	fd = open_se(w->index);
	for (i = 0; w->stop ? !atomic_load(w->stop) : i < w->count; i++) {
		transmit(fd, short_apdu, sizeof(short_apdu), rsp,
			 SECEL_RESP_MAX);
		if (w->stop)
			atomic_fetch_add(&hammered, 1);
	}
	close(fd);
	free(rsp);
	return NULL;
}

/* ---- scale ---- */

struct mem {
	long slab, vmalloc, percpu, kstack;	/* KiB, /proc/meminfo */
	int ncache;
	struct { char name[64]; double bytes; } cache[512];	/* slabinfo */
};

/*
 * Flush the per-CPU slabs and free empty ones in every cache, so that
 * objects freed but still cached count neither before nor after.
 */
static void slab_shrink(void)
{
	DIR *d = opendir("/sys/kernel/slab");
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char path[320];
		int fd;

		if (e->d_name[0] == '.' || e->d_type == DT_LNK)
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink",
			 e->d_name);
		fd = open(path, O_WRONLY);
		if (fd < 0)
			continue;
		if (write(fd, "1", 1) < 0)
			errno = 0;	/* a cache that cannot shrink: as it is */
		close(fd);
	}
	if (d)
		closedir(d);
}

static void mem_read(struct mem *m)
{
	char line[512];
	FILE *f;

	slab_shrink();
	memset(m, 0, sizeof(*m));
	f = fopen("/proc/meminfo", "r");
	while (f && fgets(line, sizeof(line), f)) {
		long v;

		if (sscanf(line, "Slab: %ld", &v) == 1)
			m->slab = v;
		else if (sscanf(line, "VmallocUsed: %ld", &v) == 1)
			m->vmalloc = v;
		else if (sscanf(line, "Percpu: %ld", &v) == 1)
			m->percpu = v;
		else if (sscanf(line, "KernelStack: %ld", &v) == 1)
			m->kstack = v;
	}
	if (f)
		fclose(f);
	f = fopen("/proc/slabinfo", "r");
	while (f && fgets(line, sizeof(line), f) && m->ncache < 512) {
		unsigned long active, total, size;
		char name[64];

		if (sscanf(line, "%63s %lu %lu %lu", name, &active, &total,
			   &size) != 4)
			continue;
		snprintf(m->cache[m->ncache].name,
			 sizeof(m->cache[m->ncache].name), "%s", name);
		m->cache[m->ncache++].bytes = (double)active * size;
	}
	if (f)
		fclose(f);
}

static long mem_kernel(const struct mem *m)
{
	return m->slab + m->vmalloc + m->percpu + m->kstack;
}

struct cache_delta {
	const char *name;
	double bytes;
};

static int cmp_delta(const void *a, const void *b)
{
	double x = ((const struct cache_delta *)a)->bytes;
	double y = ((const struct cache_delta *)b)->bytes;

	return x > y ? -1 : x < y;
}

/* slab object bytes added from a to b; the largest caches in top[ntop] */
static double slab_delta(const struct mem *a, const struct mem *b,
			 struct cache_delta *top, int ntop)
{
	static struct cache_delta d[512];
	double sum = 0;
	int i, j, n = 0;

	for (i = 0; i < b->ncache; i++) {
		double before = 0;

		for (j = 0; j < a->ncache; j++)
			if (!strcmp(a->cache[j].name, b->cache[i].name))
				before = a->cache[j].bytes;
		d[n].name = b->cache[i].name;
		d[n].bytes = b->cache[i].bytes - before;
		sum += d[n++].bytes;
	}
	qsort(d, n, sizeof(*d), cmp_delta);
	for (i = 0; i < ntop; i++)
		top[i] = i < n ? d[i] : (struct cache_delta){ "", 0 };
	return sum;
}

/* p50 of one LIST of every listed SE, divided by their number, in us */
static double list_per_se(unsigned int n, int calls)
{
	struct secel_list_entry *e = calloc(n + 16, sizeof(*e));
	double *lat = calloc(calls, sizeof(*lat)), t0;
	struct secel_list l;
	int i;

	if (!e || !lat)
		fail("malloc");
	for (i = 0; i < calls; i++) {
		memset(&l, 0, sizeof(l));
		l.entries_ptr = (uintptr_t)e;
		l.count = n + 16;
		t0 = now();
		if (ioctl(ctl_fd, SECEL_CTL_LIST, &l))
			fail("SECEL_CTL_LIST");
		lat[i] = (now() - t0) * 1e6 / (l.count ? l.count : 1);
	}
	free(e);
	t0 = percentile(lat, calls, 50);
	free(lat);
	return t0;
}

struct inquire_job {
	const uint32_t *index;
	unsigned int n;
	int passes;
	int unprivileged;	/* drop CAP_SYS_ADMIN from this thread first */
	double p50;
};

static void *inquire_thread(void *arg)
{
	struct inquire_job *j = arg;
	unsigned int total = j->n * j->passes, k = 0, i;
	double *lat = calloc(total, sizeof(*lat)), t0;
	struct secel_ctl c;
	int pass;

	if (!lat)
		fail("malloc");
	if (j->unprivileged) {
		/* capabilities are per thread: this one alone loses it */
		struct __user_cap_header_struct h = {
			_LINUX_CAPABILITY_VERSION_3, 0 };
		struct __user_cap_data_struct d[2];

		if (syscall(SYS_capget, &h, d))
			fail("capget");
		d[CAP_SYS_ADMIN / 32].effective &= ~(1U << (CAP_SYS_ADMIN % 32));
		if (syscall(SYS_capset, &h, d))
			fail("capset");
	}
	for (pass = 0; pass < j->passes; pass++) {
		for (i = 0; i < j->n; i++) {
			memset(&c, 0, sizeof(c));
			c.index = j->index[i];
			t0 = now();
			if (ioctl(ctl_fd, SECEL_CTL_INQUIRE, &c) &&
			    atomic_fetch_add(&tx_failed, 1) < 5)
				fprintf(stderr, "bench: SECEL_CTL_INQUIRE of secel%u: %s\n",
					c.index, strerror(errno));
			lat[k++] = (now() - t0) * 1e6;
		}
	}
	j->p50 = percentile(lat, total, 50);
	free(lat);
	return NULL;
}

static double inquire_p50(const uint32_t *index, unsigned int n, int passes,
			  int unprivileged)
{
	struct inquire_job j = { index, n, passes, unprivileged, 0 };
	pthread_t t;

	if (pthread_create(&t, NULL, inquire_thread, &j))
		fail("thread");
	pthread_join(t, NULL);
	return j.p50;
}

/* ------------------------------------------------------------------ */

static void usage(void)
{
	printf("usage: bench [-r ROUNDS] [-n APDUS] [-e APDUS] [-s SES] [-R ROUNDS] [-T THREADS]\n"
	       "\n"
	       "  -r ROUNDS  rounds of the APDU-path figures (default 5)\n"
	       "  -n APDUS   short APDUs per latency figure, and in all for the\n"
	       "             throughput figure, per round (default 2000)\n"
	       "  -e APDUS   extended APDUs per bulk figure and round (default 40)\n"
	       "  -s SES     SEs to reach for the scale figures (default 1024)\n"
	       "  -R ROUNDS  rounds of the scale figures (default 3)\n"
	       "  -T THREADS threads of the throughput figure, over 4 SEs (default 16)\n"
	       "\n"
	       "Run as root in a guest with the secel modules (make bench).\n"
	       "Figures are min / median / max over the rounds; nothing is asserted.\n"
	       "example: tools/testing/vm-run -- tools/testing/bench -r 3 -n 1000\n");
}

static int arg_int(const char *s, int lo, int hi)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == 0 || *end || v < lo || v > hi) {
		fprintf(stderr, "bench: '%s' is not a number from %d to %d\n",
			s, lo, hi);
		exit(2);
	}
	return (int)v;
}

int main(int argc, char **argv)
{
	unsigned int old_timeout;
	int rounds = 5, n = 2000, next = 40, target = 1024, srounds = 3;
	int nthreads = 16, n_across, per_thread;
	int sock[2], preq[2], pans[2], ereq[2], eans[2], opt, r, i;
	struct pipe_echo echo[2 + 64];
	struct pipe_end tp_pipe[64];
	struct pipe_end short_pipe, ext_pipe;
	unsigned int hot[HOT], reached = 0, base, base_all, scale_n;
	struct cache_delta top[5] = { { "", 0 } };
	double p50, p99, pp50, t0, dt, start;
	unsigned char *big;
	pid_t child;
	int fd;

	/* APDU path */
	struct fig vs50 = FIG("vSE round trip, short APDU (5 + 2 bytes), p50", "us", 0);
	struct fig vs99 = FIG("vSE round trip, short APDU, p99", "us", 0);
	struct fig ps50 = FIG("pipe round trip, 21 + 18 bytes, p50", "us", 0);
	struct fig rs = FIG("ratio vSE / pipe, short, p50", "x", 2);
	struct fig ve50 = FIG("vSE round trip, extended APDU (65544 + 65537 bytes), p50", "us", 0);
	struct fig vemb = FIG("vSE extended, data each way at that p50", "MB/s", 1);
	struct fig pe50 = FIG("pipe round trip, 65560 + 65553 bytes, p50", "us", 0);
	struct fig re = FIG("ratio vSE / pipe, extended, p50", "x", 2);
	struct fig xv50 = FIG("vSE round trip, short, caller on the other vCPU, p50", "us", 0);
	struct fig xp50 = FIG("pipe round trip, short, across vCPUs, p50", "us", 0);
	struct fig tput = FIG("vSE throughput, short APDU", "APDU/s", 0);
	struct fig ptput = FIG("pipe throughput, 21 + 18 bytes, a pair per thread", "trips/s", 0);
	struct fig rt = FIG("ratio pipe / vSE throughput (cost per APDU)", "x", 2);
	/* isolation */
	struct fig fa = FIG("fast SE alone, short APDU, p50", "us", 0);
	struct fig fb = FIG("fast SE beside a slow SE hammered by 8 threads, p50", "us", 0);
	struct fig rf = FIG("ratio beside / alone", "x", 2);
	/* scale */
	static char l_c2[80], l_l2[80], l_i2[80], l_u2[80];
	struct fig c1 = FIG("SEs created per second, 0 to 64 (NEW until listed)", "SE/s", 0);
	struct fig c2 = FIG(l_c2, "SE/s", 0);
	struct fig l1 = FIG("LIST, time per SE, at 64 SEs, p50", "us", 2);
	struct fig l2 = FIG(l_l2, "us", 2);
	struct fig rl = FIG("ratio LIST per SE, most / 64", "x", 2);
	struct fig i1 = FIG("INQUIRE as root (asks the card), at 64 SEs, p50", "us", 0);
	struct fig i2 = FIG(l_i2, "us", 0);
	struct fig ri = FIG("ratio INQUIRE as root, most / 64", "x", 2);
	struct fig u1 = FIG("INQUIRE, no CAP_SYS_ADMIN (what is known), at 64, p50", "us", 1);
	struct fig u2 = FIG(l_u2, "us", 1);
	struct fig ru = FIG("ratio INQUIRE no CAP_SYS_ADMIN, most / 64", "x", 2);
	struct fig mk = FIG("kernel memory per SE (meminfo)", "KiB", 2);
	struct fig ms = FIG("slab objects per SE (slabinfo)", "KiB", 2);

	while ((opt = getopt(argc, argv, "r:n:e:s:R:T:h")) != -1) {
		switch (opt) {
		case 'r': rounds = arg_int(optarg, 1, MAX_ROUNDS); break;
		case 'n': n = arg_int(optarg, 10, 10000000); break;
		case 'e': next = arg_int(optarg, 2, 1000000); break;
		case 's': target = arg_int(optarg, SCALE_SMALL + 1, MAX_SES); break;
		case 'R': srounds = arg_int(optarg, 0, MAX_ROUNDS); break;
		case 'T': nthreads = arg_int(optarg, 1, 64); break;
		case 'h': usage(); return 0;
		default: usage(); return 2;
		}
	}
	if (optind != argc) {
		usage();
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	start = now();
	/* a wakeup across vCPUs takes milliseconds under TCG: fewer of them */
	n_across = n / 20 > 20 ? n / 20 : 20;
	per_thread = n / nthreads > 10 ? n / nthreads : 10;

	/* the floor's pipes, big enough for a whole extended message */
	if (pipe(preq) || pipe(pans) || pipe(ereq) || pipe(eans))
		fail("pipe");
	for (i = 0; i < 2; i++)
		if (fcntl(i ? eans[0] : ereq[0], F_SETPIPE_SZ, 2 * MSG_MAX) < 0)
			fail("F_SETPIPE_SZ");
	echo[0] = (struct pipe_echo){ preq[0], pans[1], HDR + sizeof(short_apdu),
				      HDR + SHORT_RSP };
	echo[1] = (struct pipe_echo){ ereq[0], eans[1], HDR + EXT_CMD,
				      HDR + EXT_RSP };
	short_pipe = (struct pipe_end){ preq[1], pans[0], echo[0].req, echo[0].ans };
	ext_pipe = (struct pipe_end){ ereq[1], eans[0], echo[1].req, echo[1].ans };
	/*
	 * and a pair per thread for the throughput's floor: no lock, so the
	 * least a round trip of these sizes can cost with that many threads
	 */
	for (i = 0; i < nthreads; i++) {
		if (pipe(preq) || pipe(pans))
			fail("pipe");
		echo[2 + i] = echo[0];
		echo[2 + i].in = preq[0];
		echo[2 + i].out = pans[1];
		tp_pipe[i] = (struct pipe_end){ preq[1], pans[0], echo[0].req,
						echo[0].ans };
	}
	ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpu < 1)
		ncpu = 1;

	old_timeout = vse_timeout(60000);
	ctl_fd = open("/dev/secel-ctl", O_RDWR);
	if (ctl_fd < 0)
		fail("/dev/secel-ctl");
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sock))
		fail("socketpair");
	child = fork();
	if (child < 0)
		fail("fork");
	if (!child) {
		close(sock[0]);
		close(ctl_fd);
		card_process(sock[1], echo, 2 + nthreads);
	}
	close(sock[1]);
	card_sock = sock[0];
	pin_thread(0);
	card_rsp = malloc(sizeof(*card_rsp) + MAX_SES * sizeof(uint32_t));
	if (!card_rsp)
		fail("malloc");

	printf("secel bench: %d rounds of the APDU path (%d short, %d extended APDUs each), %d rounds of the scale figures (up to %d SEs)\n",
	       rounds, n, next, srounds, target);
	printf("cards served by a separate process (virtual card timeout %s); caller and card on vCPU 0 unless said;\n"
	       "min / median / max over rounds; QEMU TCG guest, %d vCPUs\n",
	       old_timeout ? "raised to 60 s" : "as loaded", ncpu);

	/*
	 * Scale first, while no other SE exists: 64 SEs, then as many as
	 * the kernel takes up to the target, then back to 64 and to none.
	 */
	base = count_ses(0);
	base_all = count_ses(SECEL_LIST_ALL);
	for (r = 0; r < srounds; r++) {
		struct mem m0, m1;
		unsigned int made, got;
		static uint32_t idx[MAX_SES];

		sleep_ms(200);
		mem_read(&m0);
		t0 = now();
		made = card_call(OP_NEW, CARD_MASS, SCALE_SMALL, 0);
		memcpy(idx, card_rsp->index, made * sizeof(*idx));
		got = wait_count(0, base + made, 60);
		dt = now() - t0;
		if (made < SCALE_SMALL || got != base + made) {
			printf("scale: %u of %d SEs made (%s), %u listed: scale figures skipped\n",
			       made, SCALE_SMALL, strerror(card_rsp->err), got);
			card_call(OP_DROP, CARD_MASS, made, 0);
			break;
		}
		fig_add(&c1, made / dt);

		t0 = now();
		made += card_call(OP_NEW, CARD_MASS, target - SCALE_SMALL, 0);
		memcpy(idx + SCALE_SMALL, card_rsp->index,
		       (made - SCALE_SMALL) * sizeof(*idx));
		if (made < (unsigned int)target)
			printf("scale, round %d: SECEL_VSE_IOC_NEW failed at SE %u of %d: %s; going on with %u\n",
			       r + 1, made + 1, target, strerror(card_rsp->err), made);
		got = wait_count(0, base + made, 120);
		dt = now() - t0;
		if (got != base + made)
			printf("scale, round %d: %u of %u SEs listed after 120 s\n",
			       r + 1, got - base, made);
		reached = made;
		fig_add(&c2, (made - SCALE_SMALL) / dt);

		/* memory, before any traffic beyond verification */
		sleep_ms(300);
		mem_read(&m1);
		fig_add(&mk, (double)(mem_kernel(&m1) - mem_kernel(&m0)) / made);
		if (m0.ncache && m1.ncache)
			fig_add(&ms, slab_delta(&m0, &m1, top, 5) / 1024 / made);

		fig_add(&l2, list_per_se(made, 50));
		fig_add(&u2, inquire_p50(idx, made, 2, 1));
		fig_add(&i2, inquire_p50(idx, made, 1, 0));

		card_call(OP_DROP, CARD_MASS, made - SCALE_SMALL, 0);
		wait_count(SECEL_LIST_ALL, base_all + SCALE_SMALL, 60);
		fig_add(&l1, list_per_se(SCALE_SMALL, 50));
		fig_add(&u1, inquire_p50(idx, SCALE_SMALL, 2 * made / SCALE_SMALL, 1));
		fig_add(&i1, inquire_p50(idx, SCALE_SMALL, 2, 0));
		fig_add(&rl, ratio(&l2, &l1));
		fig_add(&ri, ratio(&i2, &i1));
		fig_add(&ru, ratio(&u2, &u1));

		card_call(OP_DROP, CARD_MASS, SCALE_SMALL, 0);
		wait_count(SECEL_LIST_ALL, base_all, 60);
	}
	scale_n = reached ? reached : (unsigned int)target;
	snprintf(l_c2, sizeof(l_c2), "SEs created per second, 64 to %u", scale_n);
	snprintf(l_l2, sizeof(l_l2), "LIST, time per SE, at %u SEs, p50", scale_n);
	snprintf(l_i2, sizeof(l_i2), "INQUIRE as root, at %u SEs, p50", scale_n);
	snprintf(l_u2, sizeof(l_u2), "INQUIRE, no CAP_SYS_ADMIN, at %u SEs, p50", scale_n);

	/*
	 * The SEs of the APDU path, all served from vCPU 0: 4 for the
	 * throughput, the latency one, the extended one, the fast one and the
	 * slow one.
	 */
	for (i = 0; i < HOT; i++) {
		static const int kind[HOT] = { CARD_ECHO, CARD_ECHO, CARD_ECHO,
			CARD_ECHO, CARD_ECHO, CARD_EXT, CARD_ECHO, CARD_SLOW };

		if (card_call(OP_NEW, kind[i], 1, 1) != 1)
			goto nocard;
		hot[i] = card_rsp->index[0];
	}
	if (wait_count(0, base + HOT, 30) != base + HOT) {
		fprintf(stderr, "bench: the %d SEs of the APDU path were not all listed after 30 s\n",
			HOT);
		return 1;
	}

	big = malloc(EXT_CMD);
	if (!big)
		fail("malloc");
	memset(big, 0x5a, EXT_CMD);
	memcpy(big, "\x80\x10\x00\x00\x00\xff\xff", 7);
	big[EXT_CMD - 2] = 0;
	big[EXT_CMD - 1] = 0;

	for (r = 0; r < rounds; r++) {
		struct worker w[64];
		pthread_t t[64];
		atomic_int stop = 0;

		/* one SE, one APDU at a time, then the pipe with its sizes */
		stage = "short round trip";
		fd = open_se(hot[SE_LAT]);
		vse_rtt(fd, short_apdu, sizeof(short_apdu), n, &p50, &p99);
		pipe_rtt(&short_pipe, n, &pp50, NULL);
		fig_add(&vs50, p50);
		fig_add(&vs99, p99);
		fig_add(&ps50, pp50);
		fig_add(&rs, p50 / pp50);
		if (ncpu > 1) {
			/* the same with the caller on another vCPU */
			pin_thread(1);
			stage = "short round trip across vCPUs";
			vse_rtt(fd, short_apdu, sizeof(short_apdu), n_across,
				&p50, NULL);
			pipe_rtt(&short_pipe, n_across, &pp50, NULL);
			pin_thread(0);
			fig_add(&xv50, p50);
			fig_add(&xp50, pp50);
		}
		close(fd);

		stage = "extended round trip";
		fd = open_se(hot[SE_EXT]);
		vse_rtt(fd, big, EXT_CMD, next, &p50, NULL);
		close(fd);
		pipe_rtt(&ext_pipe, next, &pp50, NULL);
		fig_add(&ve50, p50);
		fig_add(&vemb, EXT_DATA / p50);
		fig_add(&pe50, pp50);
		fig_add(&re, p50 / pp50);

		/* throughput: nthreads threads over 4 SEs */
		stage = "throughput";
		t0 = now();
		for (i = 0; i < nthreads; i++) {
			w[i] = (struct worker){ .index = hot[i % 4],
						.count = per_thread };
			if (pthread_create(&t[i], NULL, work, &w[i]))
				fail("thread");
		}
		for (i = 0; i < nthreads; i++)
			pthread_join(t[i], NULL);
		fig_add(&tput, nthreads * per_thread / (now() - t0));
		t0 = now();
		for (i = 0; i < nthreads; i++) {
			w[i] = (struct worker){ .count = per_thread,
						.pipe = &tp_pipe[i] };
			if (pthread_create(&t[i], NULL, work, &w[i]))
				fail("thread");
		}
		for (i = 0; i < nthreads; i++)
			pthread_join(t[i], NULL);
		fig_add(&ptput, nthreads * per_thread / (now() - t0));
		fig_add(&rt, ratio(&ptput, &tput));

		/* a fast SE alone, then beside a slow SE under 8 threads */
		stage = "fast SE beside a slow one";
		fd = open_se(hot[SE_FAST]);
		vse_rtt(fd, short_apdu, sizeof(short_apdu), n, &p50, NULL);
		fig_add(&fa, p50);
		for (i = 0; i < HAMMER_THREADS; i++) {
			w[i] = (struct worker){ .index = hot[SE_SLOW],
						.stop = &stop };
			if (pthread_create(&t[i], NULL, work, &w[i]))
				fail("thread");
		}
		sleep_ms(2 * SLOW_MS);
		vse_rtt(fd, short_apdu, sizeof(short_apdu), n, &p50, NULL);
		fig_add(&fb, p50);
		fig_add(&rf, ratio(&fb, &fa));
		atomic_store(&stop, 1);
		for (i = 0; i < HAMMER_THREADS; i++)
			pthread_join(t[i], NULL);
		close(fd);
	}

	printf("\nAPDU path: one APDU at a time on one SE; the floor is a pipe ping-pong between\n"
	       "the same two processes with the card's message sizes (header + APDU)\n");
	fig_print(&vs50);
	fig_print(&vs99);
	fig_print(&ps50);
	fig_print(&rs);
	fig_print(&ve50);
	fig_print(&vemb);
	fig_print(&pe50);
	fig_print(&re);
	printf("  (across vCPUs, a wakeup under TCG waits for the host to run the other vCPU:)\n");
	fig_print(&xv50);
	fig_print(&xp50);
	printf("  (%d threads over 4 SEs, or over %d pipe pairs, all on vCPU 0:)\n",
	       nthreads, nthreads);
	fig_print(&tput);
	fig_print(&ptput);
	fig_print(&rt);
	printf("\nIsolation: the slow SE's card sleeps %d ms per APDU (it answered %d in all)\n",
	       SLOW_MS, atomic_load(&hammered));
	fig_print(&fa);
	fig_print(&fb);
	fig_print(&rf);
	printf("\nScale: virtual SEs created by the card process, auto_add verifying them\n");
	fig_print(&c1);
	fig_print(&c2);
	fig_print(&l1);
	fig_print(&l2);
	fig_print(&rl);
	fig_print(&i1);
	fig_print(&i2);
	fig_print(&ri);
	fig_print(&u1);
	fig_print(&u2);
	fig_print(&ru);
	fig_print(&mk);
	fig_print(&ms);
	if (reached)
		printf("  memory: deltas over %u SEs created and listed, no APDU after verification, divided by %u;\n"
		       "  meminfo counts Slab + VmallocUsed + Percpu + KernelStack; slabinfo counts active objects x object size;\n"
		       "  both include the card's file, the card process's epoll watch on it and any kernel\n"
		       "  worker the verifications started\n",
		       reached, reached);
	if (top[0].bytes > 0) {
		printf("  largest slab growth per SE (last round):");
		for (i = 0; i < 5 && top[i].bytes > 0; i++)
			printf(" %s %.2f KiB%s", top[i].name,
			       top[i].bytes / 1024 / reached, i < 4 ? "," : "");
		printf("\n");
	}

	printf("\nbench: %.0f s in all\n", now() - start);
	if (atomic_load(&tx_failed))
		printf("\n%d APDUs or INQUIREs failed (the first five are named above); the figures include their time\n",
		       atomic_load(&tx_failed));

	close(card_sock);
	waitpid(child, NULL, 0);
	vse_timeout(old_timeout);
	return 0;

nocard:
	fprintf(stderr, "bench: SECEL_VSE_IOC_NEW for the APDU path: %s\n",
		strerror(card_rsp->err));
	return 1;
}

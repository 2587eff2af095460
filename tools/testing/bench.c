// SPDX-License-Identifier: GPL-2.0
/*
 * bench - figures for the secel data path, through virtual SEs
 *
 * Each virtual SE is served by a thread of this program that echoes the
 * command data, so the figures are the cost of the path
 * ioctl -> core -> secel_vse -> card fd -> back, not of a card.  Prints:
 * round-trip latency of a short APDU (percentiles), APDUs per second with
 * several SEs and threads, and bytes per second with extended APDUs.
 * Run it in a guest: make bench.  No assertion: figures only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/secel_vse.h>

#define MSG_MAX (sizeof(struct secel_vse_msg) + SECEL_APDU_MAX)

struct card {
	int fd;
	unsigned int index;
	pthread_t thread;
};

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

/* Echo the data field of each APDU; answer everything else 9000. */
static void *serve(void *arg)
{
	struct card *c = arg;
	unsigned char *in = malloc(MSG_MAX), *out = malloc(MSG_MAX);
	struct secel_vse_msg *h = (void *)in, *o = (void *)out;
	unsigned char *p = in + sizeof(*h), *q = out + sizeof(*o);

	if (!in || !out)
		return NULL;
	for (;;) {
		size_t len = 0, nc = 0, off = 0;

		if (read(c->fd, in, MSG_MAX) < 0)
			break;
		*o = *h;
		if (h->type == SECEL_VSE_MSG_RESET) {
			memcpy(q, "\x3b\x80\x80\x01\x01", 5);
			len = 5;
		} else if (h->type == SECEL_VSE_MSG_APDU) {
			if (h->len > 5 && p[4]) {
				nc = p[4];
				off = 5;
			} else if (h->len > 7 && !p[4]) {
				nc = p[5] << 8 | p[6];
				off = 7;
			}
			if (p[1] == 0x70 || p[1] == 0xa4 || p[1] == 0xca)
				nc = 0;
			memcpy(q, p + off, nc);
			len = nc;
			q[len++] = 0x90;
			q[len++] = 0x00;
		}
		o->len = len;
		if (write(c->fd, out, sizeof(*o) + len) < 0)
			break;
	}
	free(in);
	free(out);
	return NULL;
}

static void card_new(int vse, struct card *c, int extended)
{
	struct secel_vse_new n;
	char path[64], st[32] = "";
	int i;

	memset(&n, 0, sizeof(n));
	n.atr_len = 5;
	memcpy(n.atr, "\x3b\x80\x80\x01\x01", 5);
	n.flags = extended ? SECEL_VSE_EXTENDED_LENGTH : 0;
	if (ioctl(vse, SECEL_VSE_IOC_NEW, &n))
		fail("SECEL_VSE_IOC_NEW");
	c->fd = n.fd;
	c->index = n.index;
	pthread_create(&c->thread, NULL, serve, c);
	snprintf(path, sizeof(path), "/sys/class/secel/secel%u/state", n.index);
	for (i = 0; i < 200; i++) {
		FILE *f = fopen(path, "r");

		if (f) {
			if (!fgets(st, sizeof(st), f))
				st[0] = 0;
			fclose(f);
		}
		if (!strncmp(st, "listed", 6))
			return;
		usleep(20000);
	}
	fprintf(stderr, "bench: secel%u did not become listed\n", n.index);
	exit(1);
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

static void transmit(int fd, const unsigned char *cmd, size_t len,
		     unsigned char *rsp)
{
	struct secel_transmit tx;

	memset(&tx, 0, sizeof(tx));
	tx.cmd_ptr = (unsigned long)cmd;
	tx.cmd_len = len;
	tx.rsp_ptr = (unsigned long)rsp;
	tx.rsp_len = SECEL_RESP_MAX;
	if (ioctl(fd, SECEL_IOC_TRANSMIT, &tx))
		fail("SECEL_IOC_TRANSMIT");
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct worker {
	unsigned int index;
	int count;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	unsigned char cmd[] = { 0x80, 0x10, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0 };
	unsigned char *rsp = malloc(SECEL_RESP_MAX);
	int fd = open_se(w->index), i;

	for (i = 0; i < w->count; i++)
		transmit(fd, cmd, sizeof(cmd), rsp);
	close(fd);
	free(rsp);
	return NULL;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 2000;
	unsigned char cmd[] = { 0x80, 0x10, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0 };
	unsigned char *big, *rsp = malloc(SECEL_RESP_MAX);
	struct card cards[4], ext;
	struct worker w[16];
	pthread_t t[16];
	double *lat, t0, dt;
	int vse, fd, i;

	vse = open("/dev/secel-vse", O_RDWR);
	if (vse < 0)
		fail("/dev/secel-vse");
	for (i = 0; i < 4; i++)
		card_new(vse, &cards[i], 0);
	card_new(vse, &ext, 1);

	/* latency: one process, one SE, short case 4 APDU */
	lat = calloc(n, sizeof(*lat));
	fd = open_se(cards[0].index);
	for (i = 0; i < 100; i++)
		transmit(fd, cmd, sizeof(cmd), rsp);
	for (i = 0; i < n; i++) {
		t0 = now();
		transmit(fd, cmd, sizeof(cmd), rsp);
		lat[i] = (now() - t0) * 1e6;
	}
	close(fd);
	qsort(lat, n, sizeof(*lat), cmp_double);
	printf("round trip, 14-byte APDU, 1 SE, %d APDUs: p50 %.0f us, p90 %.0f us, p99 %.0f us, max %.0f us\n",
	       n, lat[n / 2], lat[n * 9 / 10], lat[n * 99 / 100], lat[n - 1]);

	/* throughput: 16 threads over 4 SEs */
	t0 = now();
	for (i = 0; i < 16; i++) {
		w[i].index = cards[i % 4].index;
		w[i].count = n / 4;
		pthread_create(&t[i], NULL, work, &w[i]);
	}
	for (i = 0; i < 16; i++)
		pthread_join(t[i], NULL);
	dt = now() - t0;
	printf("throughput, 16 threads x 4 SEs, %d APDUs: %.0f APDUs/s\n",
	       16 * (n / 4), 16 * (n / 4) / dt);

	/* bulk: extended case 4, 65535 bytes each way */
	big = malloc(SECEL_APDU_MAX);
	memset(big, 0x5a, SECEL_APDU_MAX);
	memcpy(big, "\x80\x10\x00\x00\x00\xff\xff", 7);
	big[7 + 65535] = 0;
	big[7 + 65536] = 0;
	fd = open_se(ext.index);
	t0 = now();
	for (i = 0; i < 50; i++)
		transmit(fd, big, SECEL_APDU_MAX, rsp);
	dt = now() - t0;
	close(fd);
	printf("bulk, extended APDU of 65535 bytes echoed, 50 times: %.1f MB/s each way\n",
	       50 * 65535 / dt / 1e6);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * secel_failslab - fault injection on the registration and open paths,
 * for the reliability lane (a kernel with CONFIG_FAILSLAB and
 * CONFIG_FAULT_INJECTION_DEBUG_FS).
 *
 * Each operation runs again and again with /proc/thread-self/fail-nth set
 * to 1, 2, 3, ...: the Nth slab allocation of the calling thread fails
 * (failslab with probability 0 and ignore-gfp-wait off, so that only
 * fail-nth injects and GFP_KERNEL allocations count), until a run in
 * which the operation needed fewer than N.  Operations: creating a
 * virtual SE (SECEL_VSE_IOC_NEW), opening /dev/secelN and /dev/secel-ctl,
 * opening a logical channel, an APDU exchange, GET_ITEM, LIST, RESET,
 * VERIFY, INQUIRE, and DELETE then ADD on /dev/secel-ctl.
 *
 * After every run: the call returned ENOMEM, or succeeded where the
 * failed allocation has a fallback (a lost uevent, kvmalloc falling back
 * to vmalloc); the SE list (SECEL_CTL_LIST), /sys/class/secel and /dev
 * name exactly the SEs the test holds (no SE left half registered, none
 * lost); the SE is still listed and answers an APDU; a logical channel
 * that failed to open left no channel behind; an SE whose creation
 * succeeded under injection is verified, listed and answers when a card
 * serves it, and goes away with its card.  A second thread runs ADD,
 * INQUIRE and LIST on the other SE numbers all along, so that a
 * registration that fails races with the configurator.  At the end a new
 * SE, created without injection, answers an APDU.  An alarm turns a hang
 * into a failure.  TRANSMIT and OPEN_CHANNEL on a file that has
 * exchanged before must take no fault at all: the APDU path allocates
 * nothing in the steady state.  KTAP on stdout; SKIP without failslab in
 * debugfs.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "secel_test.h"
#include "vse_card.h"

#define MAX_NTH		400
#define FS		"/sys/kernel/debug/failslab/"
#define PROBE_SES	16

enum op { OP_VSE_NEW, OP_OPEN_SE, OP_OPEN_CTL, OP_CHANNEL, OP_TRANSMIT,
	  OP_GET_ITEM, OP_LIST, OP_RESET, OP_VERIFY, OP_INQUIRE, OP_ADD,
	  N_OPS };

static const char *const op_name[] = {
	"failslab_vse_new", "failslab_open_se", "failslab_open_ctl",
	"failslab_open_channel", "failslab_transmit", "failslab_get_item",
	"failslab_list", "failslab_reset", "failslab_verify",
	"failslab_inquire", "failslab_delete_add",
};

#define N_TESTS		(N_OPS + 1)

static int nth_fd = -1;
static int test_no;
static int failures;
static struct vse_card *card;
static volatile const char *phase = "setup";
static volatile int alarm_nth;

/* the prober thread */
static volatile bool stop_probe;
static unsigned long probe_calls, probe_adds;

static void on_alarm(int sig)
{
	char msg[200];
	int n;

	(void)sig;
	n = snprintf(msg, sizeof(msg),
		     "not ok %d %s # hung in %s (fault %d)\n", test_no + 1,
		     test_no < N_OPS ? op_name[test_no] : "failslab_clean_create",
		     phase, alarm_nth);
	if (write(1, msg, n) < 0)
		_exit(2);
	_exit(1);
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n < 0 ? -errno : 0;
}

static void arm(int n)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%d", n);
	if (pwrite(nth_fd, buf, strlen(buf), 0) < 0)
		perror("fail-nth");
}

/* true when the armed fault was injected; disarms */
static bool fired(void)
{
	char buf[16] = "";

	if (pread(nth_fd, buf, sizeof(buf) - 1, 0) <= 0)
		return false;
	if (atoi(buf) == 0)
		return true;
	arm(0);
	return false;
}

static int dir_indexes(const char *dir_name, unsigned int *idx, int room)
{
	struct dirent *d;
	unsigned int v;
	char tail;
	int n = 0;
	DIR *dir = opendir(dir_name);

	if (!dir)
		return 0;
	while ((d = readdir(dir)) && n < room)
		if (sscanf(d->d_name, "secel%u%c", &v, &tail) == 1)
			idx[n++] = v;
	closedir(dir);
	return n;
}

static bool same_set(const unsigned int *a, int na, const unsigned int *b,
		     int nb)
{
	int i, j;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++) {
		for (j = 0; j < nb && b[j] != a[i]; j++)
			;
		if (j == nb)
			return false;
	}
	return true;
}

/*
 * SECEL_CTL_LIST (all states), sysfs and /dev name exactly the SEs in
 * @want, and the card's SE is listed.
 */
static bool consistent(int ctl, const unsigned int *want, int nw, char *why,
		       size_t len)
{
	struct secel_list_entry e[64];
	unsigned int l[64], s[64], d[64];
	int tries, ns, nd, i;
	char state[32] = "";

	for (tries = 0; tries < 30; tries++) {
		struct secel_list req = { .entries_ptr = (uintptr_t)e,
					  .count = 64,
					  .flags = SECEL_LIST_ALL };

		if (ioctl(ctl, SECEL_CTL_LIST, &req)) {
			snprintf(why, len, "SECEL_CTL_LIST: %s",
				 strerror(errno));
			return false;
		}
		for (i = 0; i < (int)req.count && i < 64; i++)
			l[i] = e[i].index;
		ns = dir_indexes(SECEL_CLASS_DIR, s, 64);
		nd = dir_indexes("/dev", d, 64);
		secel_sysfs_read(card->index, "state", state, sizeof(state));
		if (same_set(l, req.count, want, nw) &&
		    same_set(s, ns, want, nw) && same_set(d, nd, want, nw) &&
		    !strcmp(state, "listed"))
			return true;
		snprintf(why, len,
			 "%d SEs held, list has %u, sysfs %d, /dev %d; secel%u %s",
			 nw, req.count, ns, nd, card->index, state);
		usleep(100000);
	}
	return false;
}

static void result(const char *name, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void result(const char *name, bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d %s # ", ok ? "" : "not ", ++test_no, name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		failures++;
}

/* An APDU that must work on @fd: SELECT the test applet. */
static bool works(int fd)
{
	uint8_t cmd[] = { 0x00, 0xa4, 0x04, 0x00, 0x07, 0xf0, 0x53, 0x45,
			  0x43, 0x45, 0x4c, 0x01, 0x00 };
	uint8_t rsp[64];
	uint32_t rl = sizeof(rsp);

	return !secel_transmit(fd, cmd, sizeof(cmd), rsp, &rl, 0, 0) &&
	       rl >= 2 && rsp[rl - 2] == 0x90;
}

/*
 * Every channel of the card can be opened on @fd, and closed: none was
 * left to a failed OPEN_CHANNEL, on the card or in the core.
 */
static bool all_channels_free(int fd, char *why, size_t len)
{
	/* a file may hold only a few channels: spread them over several */
	enum { PER_FD = 4, FDS = (SECEL_MAX_CHANNELS + PER_FD - 1) / PER_FD };
	uint32_t ch[SECEL_MAX_CHANNELS], rl;
	int fds[FDS], n, i, ret = 0;
	struct secel_info info;
	uint8_t rsp[64];

	if (secel_get_info(fd, &info)) {
		snprintf(why, len, "GET_INFO failed");
		return false;
	}
	for (i = 0; i < FDS; i++)
		fds[i] = -1;
	for (n = 0; n < SECEL_MAX_CHANNELS; n++) {
		int f = n / PER_FD;

		if (fds[f] < 0) {
			fds[f] = secel_open_se(info.index);
			if (fds[f] < 0) {
				ret = fds[f];
				break;
			}
		}
		rl = sizeof(rsp);
		ret = secel_open_channel(fds[f], NULL, 0, rsp, &rl, &ch[n]);
		if (ret)
			break;
	}
	/* closing the files closes their channels */
	for (i = 0; i < FDS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (ret == -EBUSY && n == SECEL_MAX_CHANNELS - 1)
		return true;
	snprintf(why, len, "%d channels open, then %s", n,
		 ret ? strerror(-ret) : "no failure");
	return false;
}

/* ADD, INQUIRE and LIST on every other SE number, until told to stop. */
static void *prober(void *arg)
{
	struct secel_list_entry e[8];
	struct secel_list l;
	int ctl = *(int *)arg;
	unsigned int i;

	while (!stop_probe) {
		for (i = 0; i < PROBE_SES && !stop_probe; i++) {
			if (i == card->index)
				continue;
			if (!secel_ctl(ctl, SECEL_CTL_ADD, i, 0, NULL))
				probe_adds++;
			secel_ctl(ctl, SECEL_CTL_INQUIRE, i, 0, NULL);
			memset(&l, 0, sizeof(l));
			l.entries_ptr = (uintptr_t)e;
			l.count = 8;
			l.flags = SECEL_LIST_ALL;
			ioctl(ctl, SECEL_CTL_LIST, &l);
			probe_calls += 3;
		}
	}
	return NULL;
}

/*
 * An SE created under injection: served by a card now, it must be
 * verified, listed and answer, then go with its card.
 */
static bool new_se_works(struct secel_vse_new *req, char *why, size_t len)
{
	struct vse_card *c = vse_card_adopt(req, NULL);
	unsigned int index = req->index;
	bool ok = false;
	int fd;

	if (!c) {
		snprintf(why, len, "serving secel%u: %s", index,
			 strerror(errno));
		return secel_wait_gone(index, 10000);
	}
	if (!secel_wait_state(index, "listed", 10000)) {
		snprintf(why, len, "secel%u made under a fault never listed",
			 index);
	} else {
		fd = secel_open_se(index);
		if (fd < 0)
			snprintf(why, len, "open /dev/secel%u: %s", index,
				 strerror(-fd));
		else if (!works(fd))
			snprintf(why, len, "secel%u made under a fault does not answer",
				 index);
		else
			ok = true;
		if (fd >= 0)
			close(fd);
	}
	vse_card_free(c);
	if (!secel_wait_gone(index, 10000)) {
		snprintf(why, len, "secel%u stays after its card closed",
			 index);
		ok = false;
	}
	return ok;
}

/*
 * One run of @op under injection; returns the call's result (-errno).
 * @why gets a reason when a check inside the run fails (then *@bad).
 */
static int run_op(enum op op, int se_fd, int ctl, int nth, bool *injected,
		  bool *bad, char *why, size_t len)
{
	struct secel_vse_new req;
	struct secel_list_entry e[8];
	struct secel_list l;
	struct secel_reset rs;
	uint8_t rsp[300], apdu[] = { 0x80, 0x10, 0x00, 0x00, 0x02, 0xca,
				     0xfe, 0x00 };
	uint32_t rl = sizeof(rsp), ch;
	int ret = 0, fd, vse;

	switch (op) {
	case OP_VSE_NEW:
		vse = open(SECEL_VSE_DEV, O_RDWR | O_CLOEXEC);
		memset(&req, 0, sizeof(req));
		req.atr_len = vse_good_atr_len;
		memcpy(req.atr, vse_good_atr, vse_good_atr_len);
		arm(nth);
		ret = ioctl(vse, SECEL_VSE_IOC_NEW, &req) ? -errno : 0;
		*injected = fired();
		close(vse);
		if (!ret && !new_se_works(&req, why, len))
			*bad = true;
		break;
	case OP_OPEN_SE:
		arm(nth);
		fd = secel_open_se(card->index);
		*injected = fired();
		ret = fd < 0 ? fd : 0;
		if (fd >= 0) {
			if (!works(fd)) {
				snprintf(why, len, "a file opened under fault %d does not work",
					 nth);
				*bad = true;
			}
			close(fd);
		}
		break;
	case OP_OPEN_CTL:
		arm(nth);
		fd = open(SECEL_CTL_DEV, O_RDWR | O_CLOEXEC);
		ret = fd < 0 ? -errno : 0;
		*injected = fired();
		if (fd >= 0)
			close(fd);
		break;
	case OP_CHANNEL:
		arm(nth);
		ret = secel_open_channel(se_fd, (const uint8_t *)VSE_TEST_AID,
					 VSE_TEST_AID_LEN, rsp, &rl, &ch);
		*injected = fired();
		if (!ret)
			secel_close_channel(se_fd, ch);
		if (*injected && !all_channels_free(se_fd, why, len))
			*bad = true;
		break;
	case OP_TRANSMIT:
		arm(nth);
		ret = secel_transmit(se_fd, apdu, sizeof(apdu), rsp, &rl, 0, 0);
		*injected = fired();
		if (!ret && (rl != 4 || memcmp(rsp, "\xca\xfe\x90\x00", 4))) {
			snprintf(why, len, "answer of %u bytes under fault %d",
				 rl, nth);
			*bad = true;
		}
		break;
	case OP_GET_ITEM:
		arm(nth);
		ret = secel_get_item(se_fd, SECEL_ITEM_CPLC, rsp, &rl);
		*injected = fired();
		if (!ret && (rl != sizeof(vse_cplc) ||
			     memcmp(rsp, vse_cplc, rl))) {
			snprintf(why, len, "CPLC of %u bytes under fault %d",
				 rl, nth);
			*bad = true;
		}
		break;
	case OP_LIST:
		memset(&l, 0, sizeof(l));
		l.entries_ptr = (uintptr_t)e;
		l.count = 8;
		l.flags = SECEL_LIST_ALL;
		arm(nth);
		ret = ioctl(ctl, SECEL_CTL_LIST, &l) ? -errno : 0;
		*injected = fired();
		break;
	case OP_RESET:
		memset(&rs, 0, sizeof(rs));
		arm(nth);
		ret = ioctl(se_fd, SECEL_IOC_RESET, &rs) ? -errno : 0;
		*injected = fired();
		break;
	case OP_VERIFY:
		arm(nth);
		ret = secel_ctl(ctl, SECEL_CTL_VERIFY, card->index, 0, NULL);
		*injected = fired();
		break;
	case OP_INQUIRE:
		arm(nth);
		ret = secel_ctl(ctl, SECEL_CTL_INQUIRE, card->index, 0, NULL);
		*injected = fired();
		break;
	case OP_ADD:
		secel_ctl(ctl, SECEL_CTL_DELETE, card->index, 0, NULL);
		arm(nth);
		ret = secel_ctl(ctl, SECEL_CTL_ADD, card->index, 0, NULL);
		*injected = fired();
		break;
	default:
		break;
	}
	arm(0);
	return ret;
}

int main(void)
{
	unsigned int total_injected = 0, total_absorbed = 0, want[1];
	struct vse_card *fresh;
	int ctl, se_fd, nth, ret, fd, i;
	pthread_t probe_thread;
	bool probing = false;
	enum op op;
	char why[160];

	printf("KTAP version 1\n1..%d\n", N_TESTS);
	if (geteuid() || access(FS "probability", F_OK) ||
	    access("/proc/thread-self/fail-nth", F_OK)) {
		/* the debug lane's kernel has failslab: missing is a failure */
		if (getenv("SECEL_DEBUG_LANE")) {
			printf("Bail out! no failslab (%s) on the debug kernel, or not root\n",
			       FS);
			return 1;
		}
		for (i = 0; i < N_OPS; i++)
			printf("ok %d %s # SKIP no failslab (%s) or not root\n",
			       i + 1, op_name[i], FS);
		printf("ok %d failslab_clean_create # SKIP\n", N_OPS + 1);
		return 4;
	}
	signal(SIGALRM, on_alarm);
	alarm(120);
	/* only fail-nth injects; GFP_KERNEL allocations count */
	write_str(FS "probability", "0");
	write_str(FS "ignore-gfp-wait", "N");
	write_str(FS "verbose", "0");
	nth_fd = open("/proc/thread-self/fail-nth", O_RDWR);

	card = vse_card_new(NULL);
	if (!card || !secel_wait_state(card->index, "listed", 10000)) {
		printf("Bail out! no virtual SE\n");
		return 1;
	}
	want[0] = card->index;
	ctl = open(SECEL_CTL_DEV, O_RDWR | O_CLOEXEC);
	se_fd = secel_open_se(card->index);
	if (nth_fd < 0 || ctl < 0 || se_fd < 0) {
		printf("Bail out! cannot open the nodes\n");
		return 1;
	}
	if (!pthread_create(&probe_thread, NULL, prober, &ctl))
		probing = true;
	else
		printf("# no prober thread\n");

	for (op = 0; op < N_OPS; op++) {
		unsigned int injected_runs = 0, errors = 0, absorbed = 0;
		bool ok = true, injected = false, bad;

		why[0] = 0;
		for (nth = 1; nth <= MAX_NTH; nth++) {
			alarm(120);
			alarm_nth = nth;
			phase = "the operation";
			bad = false;
			ret = run_op(op, se_fd, ctl, nth, &injected, &bad, why,
				     sizeof(why));
			if (bad) {
				ok = false;
				break;
			}
			if (!injected) {
				if (ret) {
					ok = false;
					snprintf(why, sizeof(why),
						 "failed without injection: %s",
						 strerror(-ret));
				}
				break;
			}
			injected_runs++;
			if (ret)
				errors++;
			else
				absorbed++;
			if (ret && ret != -ENOMEM) {
				ok = false;
				snprintf(why, sizeof(why),
					 "fault %d: errno %d (%s), not ENOMEM",
					 nth, -ret, strerror(-ret));
				break;
			}
			/* a failed ADD or VERIFY leaves the SE to add again */
			phase = "the checks";
			if (op == OP_VERIFY || op == OP_ADD)
				secel_ctl(ctl, SECEL_CTL_ADD, card->index, 0,
					  NULL);
			/* the list is never half changed */
			if (!consistent(ctl, want, 1, why, sizeof(why))) {
				ok = false;
				break;
			}
			/* and the SE keeps working */
			if (!works(se_fd)) {
				ok = false;
				snprintf(why, sizeof(why),
					 "the SE stopped working after fault %d",
					 nth);
				break;
			}
		}
		/*
		 * Every operation allocates but the APDU path: TRANSMIT and
		 * OPEN_CHANNEL use the SE's buffers, which the file's first
		 * exchange allocated, so a fault there is a failure (no
		 * allocation per APDU in the steady state); elsewhere no
		 * fault means no test.
		 */
		if (ok && injected_runs && (op == OP_TRANSMIT ||
					    op == OP_CHANNEL)) {
			ok = false;
			snprintf(why, sizeof(why),
				 "the APDU path allocated in the steady state");
		} else if (ok && !injected_runs && op != OP_TRANSMIT &&
			   op != OP_CHANNEL) {
			ok = false;
			snprintf(why, sizeof(why),
				 "no fault injected: failslab not working?");
		}
		if (nth > MAX_NTH) {
			ok = false;
			snprintf(why, sizeof(why), "still failing at %d",
				 MAX_NTH);
		}
		total_injected += injected_runs;
		total_absorbed += absorbed;
		result(op_name[op], ok,
		       "%u faults injected: %u ENOMEM, %u absorbed%s%s",
		       injected_runs, errors, absorbed, why[0] ? "; " : "",
		       why);
	}

	alarm(120);
	phase = "the clean create";
	if (probing) {
		stop_probe = true;
		pthread_join(probe_thread, NULL);
	}
	close(se_fd);
	fd = card->index;
	vse_card_free(card);
	card = NULL;
	if (!secel_wait_gone(fd, 10000))
		printf("# secel%d did not go away\n", fd);

	/* without injection, a new SE comes up and answers */
	fresh = vse_card_new(NULL);
	why[0] = 0;
	if (!fresh) {
		snprintf(why, sizeof(why), "VSE_IOC_NEW: %s", strerror(errno));
	} else if (!secel_wait_state(fresh->index, "listed", 10000)) {
		snprintf(why, sizeof(why), "secel%u not listed", fresh->index);
	} else {
		fd = secel_open_se(fresh->index);
		if (fd < 0 || !works(fd))
			snprintf(why, sizeof(why), "secel%u does not answer",
				 fresh->index);
		if (fd >= 0)
			close(fd);
	}
	if (fresh) {
		i = fresh->index;
		vse_card_free(fresh);
		if (!secel_wait_gone(i, 10000) && !why[0])
			snprintf(why, sizeof(why), "secel%d stays", i);
	}
	result("failslab_clean_create", !why[0], "%s",
	       why[0] ? why : "a new SE answers");
	close(ctl);
	alarm(0);
	printf("# prober: %lu calls, %lu SEs added\n", probe_calls, probe_adds);
	printf("# failslab: %u faults injected over %d operations, %u absorbed\n",
	       total_injected, N_OPS, total_absorbed);
	return failures ? 1 : 0;
}

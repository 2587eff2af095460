// SPDX-License-Identifier: GPL-2.0
/*
 * libifdsecel - a pcsc-lite IFD handler: each secel SE is a PC/SC reader
 *
 * pcscd loads this handler once per reader.conf entry that names it; the
 * entry's DEVICENAME is an SE name (eSE1, VSE2, ...) or "designated".  The
 * SE behind a reader is looked up by name in /sys/class/secel at every
 * presence poll, so a card "is inserted" while an SE of that name is
 * listed, and "removed" when it is deleted, unplugged or replaced.
 *
 * Logical channels.  The secel core refuses MANAGE CHANNEL as an APDU and
 * owns each channel per open file.  pcscd calls a reader's handler from
 * one thread per client context (SCardEstablishContext), so the handler
 * opens one file of /dev/secelN per client context and per reader and
 * keeps that context's view of channel numbers: a MANAGE CHANNEL from the
 * application becomes SECEL_IOC_OPEN_CHANNEL / CLOSE_CHANNEL on its own
 * file, and the channel in each APDU's CLA is translated to the kernel's
 * channel on that file.  A channel number the context did not open is
 * refused (6881) before anything reaches the SE, and the kernel refuses
 * it again for a file that does not own it.  The file, and with it every
 * channel it opened, is closed when the context's thread ends.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <syslog.h>
#include <unistd.h>

#include <PCSC/ifdhandler.h>
#include <PCSC/reader.h>

#include <linux/secel.h>

#define SYSFS_DIR	"/sys/class/secel"
#define DEV_DIR		"/dev"
#define MAX_READERS	16	/* PCSCLITE_MAX_READERS_CONTEXTS */
#define APP_CHANNELS	SECEL_MAX_CHANNELS

/* one PC/SC client context on one reader: its file and channel map */
struct client {
	struct client *next;
	pthread_t thread;
	int fd;
	unsigned char kchan[APP_CHANNELS];	/* app channel -> kernel, 0 free */
};

struct reader {
	bool used;
	DWORD lun;
	char device[64];	/* SE name, or "designated" */
	int fd;			/* -1 while no SE is behind the reader */
	unsigned int index;
	struct secel_info info;
	struct client *clients;
	pthread_mutex_t lock;
	/* exchange buffers: the SE's exchanges are serialised by @lock */
	unsigned char cmd[SECEL_APDU_MAX];
	unsigned char rsp[SECEL_RESP_MAX];
};

static struct reader readers[MAX_READERS];
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_key_t thread_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static bool key_made;

static void say(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void say(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (getenv("SECEL_IFD_STDERR")) {
		fprintf(stderr, "ifd-secel: ");
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	} else {
		vsyslog(LOG_DAEMON | prio, fmt, ap);
	}
	va_end(ap);
}

/* ------------------------------------------------------------------ */
/* readers and client contexts */

static void thread_gone(void *mark);

static void make_key(void)
{
	if (pthread_key_create(&thread_key, thread_gone))
		say(LOG_ERR, "pthread_key_create failed: channels of ended "
		    "clients stay open until the card is removed");
	else
		key_made = true;
}

/* pcscd unloads the handler: no thread may call into it on exit any more */
__attribute__((destructor)) static void unload(void)
{
	if (key_made)
		pthread_key_delete(thread_key);
}

static struct reader *reader_of(DWORD lun)
{
	struct reader *r = NULL;
	int i;

	pthread_mutex_lock(&table_lock);
	for (i = 0; i < MAX_READERS; i++)
		if (readers[i].used && readers[i].lun == lun) {
			r = &readers[i];
			break;
		}
	pthread_mutex_unlock(&table_lock);
	return r;
}

static void client_free(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);	/* the kernel closes the file's channels */
	free(c);
}

/* Every client's file and channels; the SE went away or was reset. */
static void drop_clients(struct reader *r)
{
	struct client *c;

	while ((c = r->clients)) {
		r->clients = c->next;
		client_free(c);
	}
}

/* The SE left the reader: the card is "removed". */
static void detach(struct reader *r)
{
	drop_clients(r);
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	memset(&r->info, 0, sizeof(r->info));
}

/* The calling pcscd thread's context on @r, created on first use. */
static struct client *client_of(struct reader *r, bool create)
{
	pthread_t self = pthread_self();
	char path[64];
	struct client *c;

	for (c = r->clients; c; c = c->next)
		if (pthread_equal(c->thread, self))
			return c;
	if (!create || r->fd < 0)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	snprintf(path, sizeof(path), DEV_DIR "/secel%u", r->index);
	c->fd = open(path, O_RDWR | O_CLOEXEC);
	if (c->fd < 0) {
		say(LOG_ERR, "%s (%s): %s", path, r->device, strerror(errno));
		free(c);
		return NULL;
	}
	c->thread = self;
	c->next = r->clients;
	r->clients = c;
	pthread_once(&key_once, make_key);
	/* any non-NULL value: the destructor then runs when the thread ends */
	pthread_setspecific(thread_key, (void *)1);
	return c;
}

/* A pcscd client thread ends: close its files on every reader. */
static void thread_gone(void *mark)
{
	pthread_t self = pthread_self();
	struct client **pp, *c;
	int i;

	(void)mark;
	pthread_mutex_lock(&table_lock);
	for (i = 0; i < MAX_READERS; i++) {
		struct reader *r = &readers[i];

		if (!r->used)
			continue;
		pthread_mutex_lock(&r->lock);
		for (pp = &r->clients; (c = *pp);) {
			if (pthread_equal(c->thread, self)) {
				*pp = c->next;
				client_free(c);
			} else {
				pp = &c->next;
			}
		}
		pthread_mutex_unlock(&r->lock);
	}
	pthread_mutex_unlock(&table_lock);
}

/* ------------------------------------------------------------------ */
/* the SE behind a reader */

static int read_attr(unsigned int idx, const char *attr, char *buf,
		     size_t size)
{
	char path[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), SYSFS_DIR "/secel%u/%s", idx, attr);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	if (n && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
	return 0;
}

/* The index of the listed SE @device names, or -1. */
static long find_se(const char *device)
{
	bool want_designated = !strcmp(device, "designated");
	char val[64];
	struct dirent *d;
	long found = -1;
	unsigned long v;
	char *end;
	DIR *dir;

	dir = opendir(SYSFS_DIR);
	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		if (strncmp(d->d_name, "secel", 5))
			continue;
		v = strtoul(d->d_name + 5, &end, 10);
		if (*end || end == d->d_name + 5)
			continue;
		if (read_attr(v, "state", val, sizeof(val)) ||
		    strcmp(val, "listed"))
			continue;
		if (want_designated) {
			if (read_attr(v, "designated", val, sizeof(val)) ||
			    strcmp(val, "1"))
				continue;
		} else if (read_attr(v, "name", val, sizeof(val)) ||
			   strcmp(val, device)) {
			continue;
		}
		found = v;
		break;
	}
	closedir(dir);
	return found;
}

/* Bring the reader in line with the SE list; true when an SE is there. */
static bool refresh(struct reader *r)
{
	long idx = find_se(r->device);
	char path[64];

	if (r->fd >= 0 && idx == (long)r->index) {
		/* still listed under this index: still the same SE? */
		if (!ioctl(r->fd, SECEL_IOC_GET_INFO, &r->info) &&
		    r->info.state == SECEL_STATE_LISTED)
			return true;
	}
	if (r->fd >= 0) {
		say(LOG_INFO, "secel %s: SE secel%u gone", r->device, r->index);
		detach(r);
	}
	if (idx < 0)
		return false;
	snprintf(path, sizeof(path), DEV_DIR "/secel%ld", idx);
	r->fd = open(path, O_RDWR | O_CLOEXEC);
	if (r->fd < 0) {
		say(LOG_ERR, "%s (%s): %s", path, r->device, strerror(errno));
		return false;
	}
	if (ioctl(r->fd, SECEL_IOC_GET_INFO, &r->info) ||
	    r->info.state != SECEL_STATE_LISTED) {
		detach(r);
		return false;
	}
	r->index = idx;
	say(LOG_INFO, "secel %s: SE %s is secel%ld", r->device, r->info.name,
	    idx);
	return true;
}

/* ------------------------------------------------------------------ */
/* the IFD handler API */

RESPONSECODE IFDHCreateChannelByName(DWORD Lun, LPSTR DeviceName)
{
	const char *dev = DeviceName;
	struct reader *r = NULL;
	int i;

	/*
	 * "secel:NAME": pcscd insists that a DEVICENAME without ':' is a
	 * file it can stat; a bare NAME is taken too
	 */
	if (!strncmp(dev, "secel:", 6))
		dev += 6;
	if (!*dev || strlen(dev) >= sizeof(r->device)) {
		say(LOG_ERR, "DEVICENAME '%s': an SE name or 'designated'",
		    DeviceName);
		return IFD_COMMUNICATION_ERROR;
	}
	pthread_mutex_lock(&table_lock);
	for (i = 0; i < MAX_READERS; i++)
		if (!readers[i].used) {
			r = &readers[i];
			break;
		}
	if (r) {
		memset(r, 0, sizeof(*r));
		r->used = true;
		r->lun = Lun;
		r->fd = -1;
		snprintf(r->device, sizeof(r->device), "%s", dev);
		pthread_mutex_init(&r->lock, NULL);
	}
	pthread_mutex_unlock(&table_lock);
	if (!r) {
		say(LOG_ERR, "secel %s: more than %d readers", dev, MAX_READERS);
		return IFD_COMMUNICATION_ERROR;
	}
	return IFD_SUCCESS;
}

/* A reader.conf entry without DEVICENAME: the SE secelN, N = CHANNELID. */
RESPONSECODE IFDHCreateChannel(DWORD Lun, DWORD Channel)
{
	char name[SECEL_NAME_LEN];
	unsigned int idx = Channel;

	if (read_attr(idx, "name", name, sizeof(name))) {
		say(LOG_ERR, "secel: CHANNELID %u: no SE secel%u; use "
		    "DEVICENAME <SE name>", idx, idx);
		return IFD_COMMUNICATION_ERROR;
	}
	return IFDHCreateChannelByName(Lun, name);
}

RESPONSECODE IFDHCloseChannel(DWORD Lun)
{
	struct reader *r = reader_of(Lun);

	if (!r)
		return IFD_SUCCESS;
	pthread_mutex_lock(&table_lock);
	pthread_mutex_lock(&r->lock);
	detach(r);
	r->used = false;
	pthread_mutex_unlock(&r->lock);
	pthread_mutex_destroy(&r->lock);
	pthread_mutex_unlock(&table_lock);
	return IFD_SUCCESS;
}

static RESPONSECODE put_bytes(PDWORD len, PUCHAR val, const void *src,
			      size_t n)
{
	if (*len < n)
		return IFD_ERROR_INSUFFICIENT_BUFFER;
	memcpy(val, src, n);
	*len = n;
	return IFD_SUCCESS;
}

static RESPONSECODE put_u32(PDWORD len, PUCHAR val, uint32_t v)
{
	return put_bytes(len, val, &v, sizeof(v));
}

RESPONSECODE IFDHGetCapabilities(DWORD Lun, DWORD Tag, PDWORD Length,
				 PUCHAR Value)
{
	struct reader *r = reader_of(Lun);
	RESPONSECODE rc = IFD_ERROR_TAG;
	char text[80];

	if (!r)
		return IFD_COMMUNICATION_ERROR;
	pthread_mutex_lock(&r->lock);
	switch (Tag) {
	case TAG_IFD_ATR:
	case SCARD_ATTR_ATR_STRING:
		rc = r->fd < 0 ? IFD_ICC_NOT_PRESENT :
		     put_bytes(Length, Value, r->info.atr, r->info.atr_len);
		break;
	case TAG_IFD_SLOTS_NUMBER:
		rc = put_bytes(Length, Value, "\x01", 1);
		break;
	case TAG_IFD_SIMULTANEOUS_ACCESS:
		/*
		 * More than 1: pcscd then numbers our readers "NAME 00 00",
		 * "NAME 01 00", ... and gives each its own Lun (number << 16);
		 * with 1 every reader of this library would get Lun 0.
		 */
		rc = put_bytes(Length, Value, (unsigned char[]){ MAX_READERS },
			       1);
		break;
	case TAG_IFD_THREAD_SAFE:
		/* readers are independent; pcscd may call them at once */
		rc = put_bytes(Length, Value, "\x01", 1);
		break;
	case TAG_IFD_SLOT_THREAD_SAFE:
		rc = put_bytes(Length, Value, "\x00", 1);
		break;
	case SCARD_ATTR_ICC_PRESENCE:
		rc = put_bytes(Length, Value, r->fd < 0 ? "\x00" : "\x02", 1);
		break;
	case SCARD_ATTR_VENDOR_NAME:
		rc = put_bytes(Length, Value, "secel", 6);
		break;
	case SCARD_ATTR_VENDOR_IFD_TYPE:
		/* "secel vse eSE1 designated": transport, name, designation */
		snprintf(text, sizeof(text), "secel %s %s%s",
			 r->fd < 0 ? "-" : r->info.transport,
			 r->fd < 0 ? r->device : r->info.name,
			 r->info.flags & SECEL_INFO_DESIGNATED ?
			 " designated" : "");
		rc = put_bytes(Length, Value, text, strlen(text) + 1);
		break;
	case SCARD_ATTR_VENDOR_IFD_SERIAL_NO:
		if (r->fd < 0) {
			rc = IFD_ICC_NOT_PRESENT;
			break;
		}
		snprintf(text, sizeof(text), "secel%u", r->index);
		rc = put_bytes(Length, Value, text, strlen(text) + 1);
		break;
	case SCARD_ATTR_MAXINPUT:
		rc = put_u32(Length, Value, r->fd < 0 ? 261 : r->info.max_cmd);
		break;
	default:
		break;
	}
	pthread_mutex_unlock(&r->lock);
	return rc;
}

RESPONSECODE IFDHSetCapabilities(DWORD Lun, DWORD Tag, DWORD Length,
				 PUCHAR Value)
{
	(void)Lun;
	(void)Tag;
	(void)Length;
	(void)Value;
	return IFD_NOT_SUPPORTED;
}

RESPONSECODE IFDHSetProtocolParameters(DWORD Lun, DWORD Protocol, UCHAR Flags,
				       UCHAR PTS1, UCHAR PTS2, UCHAR PTS3)
{
	struct reader *r = reader_of(Lun);
	RESPONSECODE rc = IFD_SUCCESS;
	uint32_t t;

	(void)Flags;
	(void)PTS1;
	(void)PTS2;
	(void)PTS3;
	if (!r)
		return IFD_COMMUNICATION_ERROR;
	/* SCARD_PROTOCOL_T0 is 1, T1 is 2: the same bits as info.protocols */
	t = Protocol & (SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1);
	pthread_mutex_lock(&r->lock);
	if (r->fd < 0)
		rc = IFD_ICC_NOT_PRESENT;
	else if (!t || (r->info.protocols && !(r->info.protocols & t)))
		rc = IFD_PROTOCOL_NOT_SUPPORTED;
	pthread_mutex_unlock(&r->lock);
	return rc;
}

RESPONSECODE IFDHPowerICC(DWORD Lun, DWORD Action, PUCHAR Atr,
			  PDWORD AtrLength)
{
	struct reader *r = reader_of(Lun);
	struct secel_reset rs;
	RESPONSECODE rc = IFD_SUCCESS;
	DWORD room = *AtrLength;

	*AtrLength = 0;
	if (!r)
		return IFD_COMMUNICATION_ERROR;
	pthread_mutex_lock(&r->lock);
	if (!refresh(r)) {
		rc = IFD_ICC_NOT_PRESENT;
		goto out;
	}
	switch (Action) {
	case IFD_POWER_DOWN:
		/* pcscd powers down only with no card handle left */
		drop_clients(r);
		goto out;
	case IFD_POWER_UP:
		break;
	case IFD_RESET:
		memset(&rs, 0, sizeof(rs));
		rs.flags = SECEL_RESET_WARM;
		if (ioctl(r->fd, SECEL_IOC_RESET, &rs)) {
			int err = errno;

			say(LOG_ERR, "secel %s: reset of secel%u refused: %s%s",
			    r->device, r->index, strerror(err),
			    err == EPERM ? " (SECEL_IOC_RESET needs "
			    "CAP_SYS_ADMIN in pcscd)" : "");
			rc = IFD_ERROR_POWER_ACTION;
			goto out;
		}
		/* the kernel closed every channel of every file */
		drop_clients(r);
		if (ioctl(r->fd, SECEL_IOC_GET_INFO, &r->info)) {
			rc = IFD_COMMUNICATION_ERROR;
			goto out;
		}
		break;
	default:
		rc = IFD_NOT_SUPPORTED;
		goto out;
	}
	if (room < r->info.atr_len) {
		rc = IFD_ERROR_INSUFFICIENT_BUFFER;
		goto out;
	}
	memcpy(Atr, r->info.atr, r->info.atr_len);
	*AtrLength = r->info.atr_len;
out:
	pthread_mutex_unlock(&r->lock);
	return rc;
}

/* ------------------------------------------------------------------ */
/* APDUs: channels in CLA, MANAGE CHANNEL */

/* ISO/IEC 7816-4 5.4.1; GlobalPlatform's 80..FE classes use the same bits */
static int cla_channel(unsigned char cla)
{
	return cla & 0x40 ? 4 + (cla & 0x0f) : cla & 0x03;
}

/*
 * The same class byte for the basic channel, in the first form.  Secure
 * messaging in the further form (b6) is, in the first form, ISO's b4-b3 =
 * 10 for an interindustry class but GlobalPlatform's b3 (84) for a
 * proprietary one: a GP host MACs its command with 84, and the card with
 * the class it receives, channel bits cleared.
 */
static unsigned char cla_basic(unsigned char cla)
{
	if (cla & 0x40)
		return (cla & 0x80) | (cla & 0x10) |
		       (cla & 0x20 ? (cla & 0x80 ? 0x04 : 0x08) : 0);
	return cla & ~0x03;
}

static RESPONSECODE put_sw(PUCHAR rx, PDWORD rx_len, unsigned int sw)
{
	return put_bytes(rx_len, rx, (unsigned char[]){ sw >> 8, sw & 0xff },
			 2);
}

static unsigned int sw_of_open_error(int err, const struct secel_channel_open *o,
				     const unsigned char *rsp)
{
	switch (err) {
	case EBUSY:	/* the card has no channel left */
	case EMFILE:	/* this file holds secel.max_file_channels */
		return 0x6a81;
	case EOPNOTSUPP:
		return 0x6881;
	case EACCES:	/* the kernel's access rules */
		return 0x6982;
	case ENOENT:
	case EIO:
		if (o->rsp_len >= 2)
			return rsp[o->rsp_len - 2] << 8 | rsp[o->rsp_len - 1];
		return 0x6f00;
	default:
		return 0x6f00;
	}
}

/*
 * MANAGE CHANNEL from the application: open (P1 00, P2 00 any channel or
 * P2 the channel wanted) or close (P1 80, P2 the channel, 00 the one in
 * CLA) on the client's own file.
 */
static RESPONSECODE manage_channel(struct reader *r, struct client *c,
				   const unsigned char *tx, DWORD tx_len,
				   PUCHAR rx, PDWORD rx_len)
{
	unsigned char p1 = tx[2], p2 = tx[3];
	struct secel_channel_close cl;
	struct secel_channel_open o;
	unsigned int ch, want;

	if (p1 == 0x80) {
		ch = p2 ? p2 : (unsigned int)cla_channel(tx[0]);
		if (!ch)
			return put_sw(rx, rx_len, 0x6a86);	/* basic */
		if (ch >= APP_CHANNELS || !c->kchan[ch])
			return put_sw(rx, rx_len, 0x6881);
		memset(&cl, 0, sizeof(cl));
		cl.channel = c->kchan[ch];
		c->kchan[ch] = 0;
		if (ioctl(c->fd, SECEL_IOC_CLOSE_CHANNEL, &cl)) {
			say(LOG_ERR, "secel %s: close channel %u (kernel %u): "
			    "%s", r->device, ch, cl.channel, strerror(errno));
			return put_sw(rx, rx_len, errno == ENODEV ?
				      0x6f00 : 0x6581);
		}
		return put_sw(rx, rx_len, 0x9000);
	}
	if (p1 != 0x00)
		return put_sw(rx, rx_len, 0x6a86);
	want = p2;
	if (want >= APP_CHANNELS || (want && c->kchan[want]))
		return put_sw(rx, rx_len, want ? 0x6a86 : 0x6a81);
	if (!want) {
		for (want = 1; want < APP_CHANNELS && c->kchan[want]; want++)
			;
		if (want == APP_CHANNELS)
			return put_sw(rx, rx_len, 0x6a81);
	}
	memset(&o, 0, sizeof(o));
	o.rsp_ptr = (uintptr_t)r->rsp;
	o.rsp_len = sizeof(r->rsp);
	o.aid_len = 0;		/* the default application on the new channel */
	if (ioctl(c->fd, SECEL_IOC_OPEN_CHANNEL, &o)) {
		int err = errno;

		say(LOG_ERR, "secel %s: MANAGE CHANNEL open: %s", r->device,
		    strerror(err));
		return put_sw(rx, rx_len, sw_of_open_error(err, &o, r->rsp));
	}
	c->kchan[want] = o.channel;
	if (p2)		/* case 1: the channel is the one asked for */
		return put_sw(rx, rx_len, 0x9000);
	(void)tx_len;
	return put_bytes(rx_len, rx, (unsigned char[]){ want, 0x90, 0x00 }, 3);
}

RESPONSECODE IFDHTransmitToICC(DWORD Lun, SCARD_IO_HEADER SendPci,
			       PUCHAR TxBuffer, DWORD TxLength,
			       PUCHAR RxBuffer, PDWORD RxLength,
			       PSCARD_IO_HEADER RecvPci)
{
	struct reader *r = reader_of(Lun);
	unsigned char cmd_cla, *cmd;
	struct secel_transmit t;
	RESPONSECODE rc;
	struct client *c;
	int ch;

	(void)SendPci;
	if (RecvPci)
		RecvPci->Protocol = SendPci.Protocol;
	if (!r)
		return IFD_COMMUNICATION_ERROR;
	if (TxLength < 4) {
		*RxLength = 0;
		return IFD_COMMUNICATION_ERROR;
	}
	pthread_mutex_lock(&r->lock);
	if (r->fd < 0) {
		rc = IFD_ICC_NOT_PRESENT;
		*RxLength = 0;
		goto out;
	}
	c = client_of(r, true);
	if (!c) {
		rc = IFD_COMMUNICATION_ERROR;
		*RxLength = 0;
		goto out;
	}
	if (TxBuffer[0] == 0xff) {	/* no reader pseudo-APDUs here */
		rc = put_sw(RxBuffer, RxLength, 0x6e00);
		goto out;
	}
	/* interindustry MANAGE CHANNEL: INS 70 */
	if (!(TxBuffer[0] & 0x80) && TxBuffer[1] == 0x70) {
		rc = manage_channel(r, c, TxBuffer, TxLength, RxBuffer,
				    RxLength);
		goto out;
	}
	ch = cla_channel(TxBuffer[0]);
	if (ch && (ch >= APP_CHANNELS || !c->kchan[ch])) {
		/* not a channel this application opened */
		rc = put_sw(RxBuffer, RxLength, 0x6881);
		goto out;
	}
	cmd_cla = cla_basic(TxBuffer[0]);
	cmd = TxBuffer;
	if (cmd_cla != TxBuffer[0]) {
		if (TxLength > sizeof(r->cmd)) {
			rc = put_sw(RxBuffer, RxLength, 0x6700);
			goto out;
		}
		cmd = r->cmd;
		memcpy(cmd, TxBuffer, TxLength);
		cmd[0] = cmd_cla;
	}
	memset(&t, 0, sizeof(t));
	t.cmd_ptr = (uintptr_t)cmd;
	t.cmd_len = TxLength;
	t.rsp_ptr = (uintptr_t)r->rsp;
	t.rsp_len = sizeof(r->rsp);
	t.channel = ch ? c->kchan[ch] : 0;
	if (ioctl(c->fd, SECEL_IOC_TRANSMIT, &t)) {
		int err = errno;

		say(LOG_ERR, "secel %s: APDU %02X %02X %02X %02X on channel "
		    "%d: %s", r->device, TxBuffer[0], TxBuffer[1],
		    TxBuffer[2], TxBuffer[3], ch, strerror(err));
		if (err == EOPNOTSUPP)	/* extended, not carried */
			rc = put_sw(RxBuffer, RxLength, 0x6700);
		else if (err == EINVAL)	/* not a well-formed APDU */
			rc = put_sw(RxBuffer, RxLength, 0x6700);
		else if (err == EPERM)
			rc = put_sw(RxBuffer, RxLength, 0x6d00);
		else if (err == ENXIO)	/* kernel: not this file's channel */
			rc = put_sw(RxBuffer, RxLength, 0x6881);
		else if (err == EACCES)	/* the kernel's access rules */
			rc = put_sw(RxBuffer, RxLength, 0x6982);
		else {
			rc = err == ENODEV ? IFD_ICC_NOT_PRESENT :
			     IFD_COMMUNICATION_ERROR;
			*RxLength = 0;
		}
		goto out;
	}
	rc = put_bytes(RxLength, RxBuffer, r->rsp, t.rsp_len);
out:
	pthread_mutex_unlock(&r->lock);
	return rc;
}

RESPONSECODE IFDHControl(DWORD Lun, DWORD dwControlCode, PUCHAR TxBuffer,
			 DWORD TxLength, PUCHAR RxBuffer, DWORD RxLength,
			 LPDWORD pdwBytesReturned)
{
	(void)TxBuffer;
	(void)TxLength;
	(void)RxBuffer;
	(void)RxLength;
	*pdwBytesReturned = 0;
	if (!reader_of(Lun))
		return IFD_COMMUNICATION_ERROR;
	/* CM_IOCTL_GET_FEATURE_REQUEST: no PIN pad, no features */
	if (dwControlCode == CM_IOCTL_GET_FEATURE_REQUEST)
		return IFD_SUCCESS;
	return IFD_ERROR_NOT_SUPPORTED;
}

RESPONSECODE IFDHICCPresence(DWORD Lun)
{
	struct reader *r = reader_of(Lun);
	bool here;

	if (!r)
		return IFD_COMMUNICATION_ERROR;
	pthread_mutex_lock(&r->lock);
	here = refresh(r);
	pthread_mutex_unlock(&r->lock);
	return here ? IFD_ICC_PRESENT : IFD_ICC_NOT_PRESENT;
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * secel-vcard's second transport: QEMU's VSCard protocol, spoken to a
 * ccid-card-passthru device over a socket, so that the card sits in
 * QEMU's emulated CCID reader (usb-ccid) instead of /dev/secel-vse.
 */
#ifndef SECEL_VCARD_VSCARD_H
#define SECEL_VCARD_VSCARD_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "card.h"

/* what the card does wrong, from the command line; see secel-vcard(1) */
struct vscard_faults {
	unsigned int delay_ms;		/* every answer this late */
	bool silent;			/* no answer at all */
	bool silent_after_set;
	unsigned long silent_after;
	bool garbage;			/* answer: 00 */
	bool bad_sw;			/* answer: 12 34 */
	bool empty;			/* answer: nothing */
	bool remove_after_set;		/* card out with APDU N+1 pending */
	unsigned long remove_after;
	unsigned int reinsert_ms;	/* ... and back in after this */
	bool control;			/* 80 5E fault-control APDUs */
	bool exit_after_set;
	unsigned long exit_after;
	bool verbose;
};

/*
 * Listen on @spec (unix:PATH or tcp:HOST:PORT); returns the socket, or
 * -1 with a one-line message in @err.
 */
int vscard_listen(const char *spec, char *err, size_t err_size);

/*
 * Serve @vc to each QEMU that connects to @lfd, one at a time, until
 * @got_signal is set or --exit-after; returns the exit status.
 */
int vscard_serve(int lfd, const char *spec, struct vcard *vc,
		 const struct vscard_faults *f,
		 volatile sig_atomic_t *got_signal, const sigset_t *unblocked);

#endif

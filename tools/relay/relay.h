/* SPDX-License-Identifier: GPL-2.0 */
/*
 * secel-relay - the device side of GlobalPlatform Amendment B (RAM over
 * HTTP): the protocol loop, apart from the SE it runs on so that the host
 * unit test can give it a fake card (Documentation/secel/tsm.rst).
 */
#ifndef SECEL_RELAY_H
#define SECEL_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "backstage.h"

#define RELAY_VERSION	"1.0"
#define RELAY_LINE_MAX	2048
#define RELAY_RESUMES	2	/* POSTs again after a broken connection */
#define RELAY_LIST_MAX	8192	/* X-Secel-SE-List */
#define RELAY_POLL_MAX	604800	/* X-Secel-Poll: a week at most */

/* The SE's logical channel, as the loop sees it. */
struct relay_card {
	/*
	 * Send @cmd (written for the basic channel) on the session's
	 * channel; the response APDU in @rsp, *@rsp_len bytes of room in,
	 * its length out.  0, or a negative errno.
	 */
	int (*transmit)(void *priv, const uint8_t *cmd, size_t len,
			uint8_t *rsp, size_t *rsp_len);
	void *priv;
};

/* An item of the SE's information; len 0: the SE does not have it. */
struct relay_item {
	const uint8_t *data;
	size_t len;
};

/* What the headers of the first POST say about the SE. */
struct relay_se {
	const char *name;
	const char *kind;		/* "virtual", "physical" */
	const char *transport;
	unsigned int channel;
	bool extended;			/* carries extended-length APDUs */
	struct relay_item atr, cplc, iin, cin, card_data;
};

/*
 * X-Admin-From: "//se-id/cin/<CIN>;//aa-id/aid/<RID>/<PIX>", or
 * "//se-id/name/<name>;..." for an SE without a CIN.  X-Secel-SE-Info:
 * "name=..;kind=..;transport=..;channel=..;atr=..;..." with absent items
 * left out, and ";extended=1" last when the SE carries extended-length
 * APDUs (SECEL_INFO_EXTENDED_LENGTH).  0, or -EMSGSIZE / -EINVAL.
 */
int relay_from_header(const struct relay_se *se, const uint8_t *sd,
		      size_t sd_len, char *out, size_t room);
int relay_se_info_header(const struct relay_se *se, char *out, size_t room);

/*
 * The backstage (tsm.rst): the SE list for the bodiless POSTs and the
 * control instructions of the TSM's answers, carried out by the caller.
 */
struct relay_backstage {
	/*
	 * X-Secel-SE-List of the SEs @tsm may inquire into @out; 0, or
	 * -errno: the POST goes without
	 */
	int (*list)(void *priv, const struct bs_tsm *tsm, char *out,
		    size_t room);
	/*
	 * Carry out @rq for @tsm (policy, the operation, the log) and
	 * append its result to @result with bs_result_add().
	 */
	void (*control)(void *priv, const struct bs_tsm *tsm,
			const struct bs_request *rq, char *result, size_t room);
	/*
	 * X-Secel-Targeted-SE: the channel of SE @se (opened to the same
	 * security domain as the relay's own) for the next script, or NULL
	 * for the relay's own SE.  0 with *@card, or a negative errno
	 * (-ENODEV: no such SE, -EPERM: the policy does not allow
	 * "script" on it) with the reason in @why.  May be NULL: no
	 * targeting.
	 */
	int (*target)(void *priv, const struct bs_tsm *tsm, const char *se,
		      const struct relay_card **card, char *why, size_t room);
	void *priv;
};

struct relay_cfg {
	const char *url;		/* the first POST goes there */
	const char *se_name;		/* for messages */
	const char *from;		/* X-Admin-From */
	const char *se_info;		/* X-Secel-SE-Info */
	const uint8_t *sd;		/* what the channel has selected */
	size_t sd_len;
	const char *cacert;		/* NULL: the system's CAs */
	const char *cert, *key;		/* the relay's client certificate */
	const struct relay_backstage *backstage;	/* NULL: none */
	long timeout;			/* seconds per HTTP request */
	unsigned int max_rounds;	/* POSTs at most */
	bool verbose;			/* exchanges and APDUs on @log */
	FILE *log;			/* warnings and -v */
};

struct relay_outcome {
	bool ok;			/* every script ran ok, and the
					 * TSM did not say otherwise */
	unsigned int rounds;		/* POSTs made */
	unsigned int resumed;		/* of which with X-Admin-Resume */
	unsigned int scripts;		/* command scripts received */
	unsigned long apdus;		/* C-APDUs sent to the SE */
	char url[RELAY_LINE_MAX];	/* the last URL posted to */
	char result[RELAY_LINE_MAX];	/* X-Secel-Result, or "ok; N scripts,
					 * M APDUs" without one */
	char error[RELAY_LINE_MAX];	/* why the relay failed, "" if not */
	unsigned int controls;		/* control instructions carried out */
	char control[RELAY_LINE_MAX];	/* the last X-Secel-Control-Result */
	struct bs_tsm tsm;		/* the TSM's certificate, last seen */
	unsigned long poll;		/* X-Secel-Poll of the last answer
					 * that had one, seconds; 0: none */
};

/*
 * One session, from the first POST to the TSM's last answer.  Returns 0
 * when the TSM ended it (no Next-URI) and every script ran with status
 * ok, unless an X-Secel-Result says "error; ...", else 1 with
 * @out->error set to one line ("TSM <url>: ...", "SE <name>: ...").
 * curl_global_init() must have been called.
 */
int relay_run(const struct relay_cfg *cfg, const struct relay_card *card,
	      struct relay_outcome *out);

/* Whether @url is an absolute http or https URL; 0 or -EINVAL. */
int relay_check_url(const char *url);

#endif

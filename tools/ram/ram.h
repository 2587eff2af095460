/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libsecelram - what travels between secel's relay and a TSM:
 * GlobalPlatform Card Specification Amendment B (remote application
 * management over HTTP) headers and content types, and the expanded
 * remote command and response scripts of ETSI TS 102 226 5.2 they carry.
 *
 * Command script: 'AA' L { '22' L C-APDU }...   (definite length), or
 *                 'AE' '80' { '22' L C-APDU }... '00' '00' (indefinite).
 * Response script: 'AB' L '80' '01' n { '23' L R-APDU }...  (definite), or
 *                  'AF' '80' { '23' L R-APDU }... '00' '00' (indefinite).
 * n is the number of C-APDUs executed; an R-APDU is response data and
 * SW1 SW2.  A script the agent cannot parse is answered with '90' '01' c,
 * c = 01 unknown tag, 02 wrong length, 03 length not found.
 * Inner lengths are BER definite: 00-7F, 81 xx, 82 xx xx, and 83 xx xx xx
 * for an APDU of more than 65535 bytes (extended, or 65536 data and SW).
 *
 * Parsers never read outside the buffer and point into it; functions
 * return 0 or a negative errno, and fill a struct ram_err with the offset
 * and a one-line reason when a script is malformed.
 */
#ifndef SECEL_RAM_RAM_H
#define SECEL_RAM_RAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Amendment B */
#define RAM_PROTOCOL		"globalplatform-remote-admin/1.0"
#define RAM_CT_SCRIPT		"application/vnd.globalplatform.card-content-mgt;version=1.0"
#define RAM_CT_RESPONSE		"application/vnd.globalplatform.card-content-mgt-response;version=1.0"
#define RAM_H_PROTOCOL		"X-Admin-Protocol"
#define RAM_H_FROM		"X-Admin-From"
#define RAM_H_NEXT_URI		"X-Admin-Next-URI"
#define RAM_H_TARGET		"X-Admin-Targeted-Application"
#define RAM_H_STATUS		"X-Admin-Script-Status"
#define RAM_H_RESUME		"X-Admin-Resume"	/* "true": the same request again */
/* secel's own: what the kernel acquired of the SE (relay -> TSM) and
 * secel-tsm's verdict on the session (TSM -> relay, with the last
 * answer; a standard server sends none, and the relay then judges by the
 * scripts' statuses) */
#define RAM_H_SE_INFO		"X-Secel-SE-Info"
#define RAM_H_RESULT		"X-Secel-Result"
/* the backstage (tsm.rst): the SE list, control instructions, results */
#define RAM_H_SE_LIST		"X-Secel-SE-List"
#define RAM_H_CONTROL		"X-Secel-Control"
#define RAM_H_CONTROL_RESULT	"X-Secel-Control-Result"
#define RAM_H_TARGET_SE		"X-Secel-Targeted-SE"
#define RAM_H_POLL		"X-Secel-Poll"	/* seconds to the next session */

/* X-Admin-Script-Status values */
#define RAM_ST_OK		"ok"
#define RAM_ST_UNKNOWN_APP	"unknown-application"
#define RAM_ST_NOT_SD		"not-a-security-domain"
#define RAM_ST_SECURITY		"security-error"

/* TS 101 220 tags */
#define RAM_TAG_CMD		0xAA
#define RAM_TAG_CMD_INDEF	0xAE
#define RAM_TAG_RSP		0xAB
#define RAM_TAG_RSP_INDEF	0xAF
#define RAM_TAG_CAPDU		0x22
#define RAM_TAG_RAPDU		0x23
#define RAM_TAG_COUNT		0x80
#define RAM_TAG_BAD_FORMAT	0x90

/* '90' Bad format values */
#define RAM_BAD_TAG		0x01
#define RAM_BAD_LENGTH		0x02
#define RAM_BAD_NO_LENGTH	0x03

/* Limits: an APDU (extended, 65535 bytes of data), a script */
#define RAM_APDU_MAX		(7 + 65535 + 2)
#define RAM_SCRIPT_APDUS	1024
#define RAM_SCRIPT_MAX		(1024 * 1024)

struct ram_apdu {
	const uint8_t *data;
	size_t len;
};

struct ram_script {
	size_t n;
	struct ram_apdu apdu[RAM_SCRIPT_APDUS];
};

struct ram_response {
	bool has_count;		/* '80' was there (definite form) */
	size_t executed;	/* its value */
	bool bad_format;	/* the agent could not parse the script */
	uint8_t bad_format_code;
	size_t n;
	struct ram_apdu rapdu[RAM_SCRIPT_APDUS];
};

struct ram_err {
	size_t offset;
	uint8_t bad_format;	/* the '90' code that says it, for a reply */
	char why[128];
};

/*
 * Parse a command script.  -EBADMSG (malformed: @err says where and why),
 * -E2BIG (more than RAM_SCRIPT_APDUS commands), -EMSGSIZE (longer than
 * RAM_SCRIPT_MAX).  A C-APDU shorter than 4 bytes is malformed.
 */
int ram_script_parse(const uint8_t *buf, size_t len, struct ram_script *s,
		     struct ram_err *err);
/* Parse a response script; -EBADMSG, -E2BIG, -EMSGSIZE as above. */
int ram_response_parse(const uint8_t *buf, size_t len, struct ram_response *r,
		       struct ram_err *err);

/* A buffer that grows; build functions append and return 0 or -ENOMEM. */
struct ram_buf {
	uint8_t *data;
	size_t len, room;
};

void ram_buf_free(struct ram_buf *b);
int ram_buf_put(struct ram_buf *b, const void *data, size_t len);

/*
 * Scripts are built in three steps: begin, one add per APDU, end.  The
 * definite forms are written with the largest length form the content
 * needs (81 or 82 or 83), fixed up at the end.
 */
int ram_script_begin(struct ram_buf *b, bool indefinite);
int ram_script_add(struct ram_buf *b, const uint8_t *capdu, size_t len);
int ram_script_end(struct ram_buf *b);
/* @executed is written as '80' (definite form only, as TS 102 226 has it) */
int ram_response_begin(struct ram_buf *b, bool indefinite, size_t executed);
int ram_response_add(struct ram_buf *b, const uint8_t *rapdu, size_t len);
int ram_response_end(struct ram_buf *b);
/* 'AB' L '80' '01' '00' '90' '01' @code: the script could not be parsed */
int ram_response_bad_format(struct ram_buf *b, uint8_t code);

/*
 * AIDs in headers: "//aid/RID/PIX" with RID the first 5 bytes, upper-case
 * hex (Amendment B's X-Admin-Targeted-Application).  Format returns the
 * length written (< @room) or -EMSGSIZE; parse returns the AID length
 * (5-16) or -EINVAL.
 */
int ram_aid_format(const uint8_t *aid, size_t len, char *out, size_t room);
int ram_aid_parse(const char *s, uint8_t *aid, size_t room);

/* Upper-case hex of @len bytes; @out has 2 * len + 1 bytes. */
void ram_hex(const uint8_t *data, size_t len, char *out);
/* Hex (spaces allowed) into @out; bytes written, or -EINVAL. */
int ram_unhex(const char *hex, uint8_t *out, size_t room);

#endif /* SECEL_RAM_RAM_H */

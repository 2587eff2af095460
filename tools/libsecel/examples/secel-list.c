// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * secel-list - an example libsecel program: list the SEs the kernel shows,
 * then with --watch SECONDS print the hot-plug events for that long.
 *
 *   cc -o secel-list secel-list.c $(pkg-config --cflags --libs libsecel)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libsecel.h>

static void print_se(unsigned int index)
{
	struct secel_se_info *info = secel_se_info_from_sysfs(index);
	const uint8_t *atr;
	size_t len, i;

	if (!info) {
		/* unplugged while we looked */
		if (errno != ENOENT)
			fprintf(stderr, "secel-list: secel%u: %s\n", index,
				strerror(errno));
		return;
	}
	printf("secel%-3u %-8s %-8s %-9s %-9s %s ", index,
	       secel_se_info_name(info),
	       secel_se_kind_name(secel_se_info_kind(info)),
	       secel_se_info_transport(info),
	       secel_se_state_name(secel_se_info_state(info)),
	       secel_se_info_designated(info) ? "*" : " ");
	atr = secel_se_info_atr(info, &len);
	for (i = 0; atr && i < len; i++)
		printf("%02X", atr[i]);
	printf("%s\n", atr ? "" : "-");
	secel_se_info_free(info);
}

static int watch(int seconds)
{
	static const char *const what[] = { "?", "add", "remove", "change" };
	struct secel_monitor *mon = secel_monitor_new();
	struct secel_event *ev;

	if (!mon) {
		fprintf(stderr, "secel-list: uevent socket: %s\n",
			strerror(errno));
		return 1;
	}
	for (;;) {
		ev = secel_monitor_wait(mon, seconds * 1000);
		if (!ev)
			break;
		printf("%s secel%u %s %s%s\n", what[secel_event_type(ev)],
		       secel_event_index(ev), secel_event_name(ev),
		       secel_se_state_name(secel_event_state(ev)),
		       secel_event_designated(ev) ? " designated" : "");
		fflush(stdout);
		secel_event_free(ev);
	}
	secel_monitor_free(mon);
	if (errno == ETIMEDOUT)
		return 0;
	fprintf(stderr, "secel-list: waiting for events: %s\n",
		strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	unsigned int *idx;
	int n, i, seconds = 0;
	char *end;

	if (argc == 2 && !strcmp(argv[1], "--version")) {
		printf("secel-list (libsecel) %s\n", secel_version_string());
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "--watch")) {
		seconds = strtol(argv[2], &end, 10);
		if (*end || end == argv[2] || seconds < 1 || seconds > 86400) {
			fprintf(stderr, "secel-list: --watch: '%s' is not a number of seconds from 1 to 86400\n",
				argv[2]);
			return 2;
		}
	} else if (argc != 1) {
		fprintf(stderr, "usage: secel-list [--watch SECONDS | --version]\n");
		return 2;
	}
	n = secel_list(&idx);
	if (n < 0) {
		fprintf(stderr, "secel-list: /sys/class/secel: %s%s\n",
			strerror(errno),
			errno == ENOENT ? " (is the secel module loaded?)" : "");
		return 1;
	}
	for (i = 0; i < n; i++)
		print_se(idx[i]);
	free(idx);
	return seconds ? watch(seconds) : 0;
}

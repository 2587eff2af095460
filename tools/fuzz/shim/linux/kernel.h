/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for what the T=1 engine takes from kernel.h. */
#ifndef SECEL_FUZZ_LINUX_KERNEL_H
#define SECEL_FUZZ_LINUX_KERNEL_H
#include <limits.h>
#include <linux/types.h>
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))
#define DIV_ROUND_UP_ULL(n, d) \
	DIV_ROUND_UP((unsigned long long)(n), (unsigned long long)(d))
#define min_t(t, a, b) ((t)(a) < (t)(b) ? (t)(a) : (t)(b))
unsigned int secel_fi(u8 fi_di);
unsigned int secel_di(u8 fi_di);
#endif

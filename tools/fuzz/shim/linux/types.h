/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for the kernel's types, for the parsers only. */
#ifndef SECEL_FUZZ_LINUX_TYPES_H
#define SECEL_FUZZ_LINUX_TYPES_H
#include_next <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t s32;
#define __user
#endif

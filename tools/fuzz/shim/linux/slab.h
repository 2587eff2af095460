/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SECEL_FUZZ_LINUX_SLAB_H
#define SECEL_FUZZ_LINUX_SLAB_H
#include <stdlib.h>
#define GFP_KERNEL 0
#define kmalloc(n, gfp) malloc(n)
#define kfree(p) free(p)
#endif

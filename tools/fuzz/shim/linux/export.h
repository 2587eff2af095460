/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SECEL_FUZZ_LINUX_EXPORT_H
#define SECEL_FUZZ_LINUX_EXPORT_H
#define EXPORT_SYMBOL_GPL(sym)
#endif

# SPDX-License-Identifier: GPL-2.0
#
# secel: the modules (out of tree), the tools, the tests and the demo.
#
#   make              modules and tools
#   make check        every test: check-fast, then check-debug (what CI runs)
#   make check-fast   install what is missing, build, run the test suite in a VM
#   make demo         install what is missing, build, run the demo in a VM
#   make bench        figures: APDU path against a pipe floor, isolation,
#                     scale, a 64 KiB load through the TSM, devices on a
#                     TSM's backstage, PC/SC over secel against vpcd
#   make fuzz         libFuzzer on the kernel parsers and the tools' parsers
#   make check-debug  the reliability lane: the tests, KUnit, stress, ioctl
#                     fuzzing and failslab on a KASAN/lockdep/kmemleak/UBSAN
#                     kernel
#   make modules KDIR=/path/to/kernel/build
#   make install      modules (kbuild's modules_install), tools, man pages,
#                     uapi headers, udev rules, systemd unit, sysusers.d,
#                     modules-load.d; PREFIX=/usr/local DESTDIR= and the
#                     *DIR variables below; INSTALL_MODULES=0 for userspace
#                     only (the modules from DKMS: dkms.conf)
#   make uninstall    the same files removed (directories are left)
#   make dkms-install the module sources in /usr/src/secel-VERSION, then
#                     dkms install (dkms-source: the copy only, DESTDIR=)

# Build against the running kernel when its build tree is here, else
# against Debian's installed kernel, the one vm-run boots.
VM_KVER := $(shell tools/testing/kernel-version 2>/dev/null)
KDIR ?= $(firstword $(wildcard /lib/modules/$(shell uname -r)/build) \
		    /usr/src/linux-headers-$(VM_KVER))

# libsecel first: the tools may link it
TOOLS := $(patsubst %/Makefile,%,$(wildcard tools/libsecel/Makefile \
					     tools/gp/Makefile tools/secel-vcard/Makefile \
					     tools/secelctl/Makefile tools/ram/Makefile \
					     tools/relay/Makefile tools/tsm/Makefile \
					     tools/pcsc/Makefile \
					     tools/vpcd/Makefile))

SECEL_VERSION := $(shell cat $(CURDIR)/VERSION)

# Where make install puts things.  The defaults are the ones systemd and
# udev read under /usr/local as well as under /usr; a distribution
# package sets PREFIX=/usr and the directories its policy wants
# (debian/rules).  Each tool's Makefile installs its own files: the
# directories reach it on its command line ($(INSTALL_VARS)), not through
# the environment, so that nothing else make runs (make check's package
# build) inherits them.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
LIBDIR ?= $(PREFIX)/lib
LIBEXECDIR ?= $(PREFIX)/libexec
INCLUDEDIR ?= $(PREFIX)/include
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
PCSCDIR ?= $(LIBDIR)/pcsc
UDEVRULESDIR ?= $(PREFIX)/lib/udev/rules.d
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
MODULESLOADDIR ?= $(PREFIX)/lib/modules-load.d
INSTALL_MODULES ?= 1
INSTALL ?= install
INSTALL_VARS = $(foreach v,DESTDIR PREFIX BINDIR SBINDIR LIBDIR LIBEXECDIR \
	INCLUDEDIR DATADIR MANDIR PCSCDIR UDEVRULESDIR SYSTEMDUNITDIR SYSUSERSDIR \
	MODULESLOADDIR INSTALL,'$(v)=$($(v))')

all: modules tools

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

sparse:
	$(MAKE) -C $(KDIR) M=$(CURDIR) C=2 modules

# ccid.c uses the USB descriptors' field names (bInterval...), which
# checkpatch --no-tree cannot find in include/uapi/linux/usb/ch9.h.
checkpatch:
	@for f in drivers/secel/*.[ch] include/linux/secel.h uapi/linux/secel.h \
		 uapi/linux/secel_vse.h; do \
		case $$f in *.mod.c) continue ;; esac; \
		ign=; case $$f in */ccid.c) ign="--ignore CAMELCASE" ;; esac; \
		perl $(or $(SECEL_CACHE),$(HOME)/.cache/secel)/linux-source-6.1/scripts/checkpatch.pl \
			--strict --no-tree -q $$ign -f $$f || exit 1; \
	done; echo "checkpatch --strict: clean"

tools:
	@for d in $(TOOLS); do $(MAKE) -C $$d || exit 1; done

selftests:
	$(MAKE) -C selftests/secel

# The modules go to updates/secel, where they take precedence over any
# in-tree copy.  depmod runs here unless DESTDIR is set (packagers run it
# at installation): kbuild's own call does nothing without a System.map,
# which header packages do not have.
install: $(if $(filter 1,$(INSTALL_MODULES)),install-modules) install-tools install-data

# Debian's header packages carry the upstream version in kernel.release;
# the release the modules belong to is UTS_RELEASE.
KVER ?= $(shell sed -n 's/^.*UTS_RELEASE "\(.*\)"/\1/p' $(KDIR)/include/generated/utsrelease.h 2>/dev/null)

install-modules: modules
	$(MAKE) -C $(KDIR) M=$(CURDIR) KERNELRELEASE=$(KVER) INSTALL_MOD_PATH=$(DESTDIR) \
		INSTALL_MOD_DIR=updates/secel DEPMOD=true modules_install
	$(if $(DESTDIR),,depmod -a $(KVER))

install-tools: tools
	@for d in $(TOOLS); do $(MAKE) -C $$d $(INSTALL_VARS) install || exit 1; done

install-data:
	$(INSTALL) -d $(DESTDIR)$(INCLUDEDIR)/linux $(DESTDIR)$(UDEVRULESDIR) \
		$(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(MODULESLOADDIR)
	$(INSTALL) -m 0644 uapi/linux/secel.h uapi/linux/secel_vse.h $(DESTDIR)$(INCLUDEDIR)/linux/
	$(INSTALL) -m 0644 udev/60-secel.rules $(DESTDIR)$(UDEVRULESDIR)/
	$(INSTALL) -m 0644 udev/secel-sysusers.conf $(DESTDIR)$(SYSUSERSDIR)/secel.conf
	$(INSTALL) -m 0644 udev/secel-modules-load.conf $(DESTDIR)$(MODULESLOADDIR)/secel.conf

# What DKMS builds from: the kbuild files and the module sources, without
# build products, and dkms.conf with the version of ./VERSION.
DKMS_SRC := $(DESTDIR)/usr/src/secel-$(SECEL_VERSION)
dkms-source:
	rm -rf $(DKMS_SRC)
	$(INSTALL) -d $(DKMS_SRC)
	$(INSTALL) -m 0644 Kbuild Kconfig Makefile VERSION $(DKMS_SRC)/
	sed 's/#MODULE_VERSION#/$(SECEL_VERSION)/' dkms.conf > $(DKMS_SRC)/dkms.conf
	find drivers include uapi -type f \( -name '*.[ch]' -o -name Makefile -o -name Kconfig \) \
		! -name '*.mod.c' -exec $(INSTALL) -D -m 0644 {} $(DKMS_SRC)/{} \;

dkms-install: dkms-source
	dkms install secel/$(SECEL_VERSION)

dkms-uninstall:
	dkms remove secel/$(SECEL_VERSION) --all
	rm -rf $(DKMS_SRC)

uninstall:
	@for d in $(TOOLS); do $(MAKE) -C $$d $(INSTALL_VARS) uninstall || exit 1; done
	rm -f $(DESTDIR)$(INCLUDEDIR)/linux/secel.h $(DESTDIR)$(INCLUDEDIR)/linux/secel_vse.h \
		$(DESTDIR)$(UDEVRULESDIR)/60-secel.rules $(DESTDIR)$(SYSUSERSDIR)/secel.conf \
		$(DESTDIR)$(MODULESLOADDIR)/secel.conf
	@if [ "$(INSTALL_MODULES)" = 1 ] && [ -n "$(KVER)" ]; then \
		m=$(DESTDIR)/lib/modules/$(KVER)/updates/secel; \
		echo "rm -rf $$m"; rm -rf "$$m"; \
		if [ -z "$(DESTDIR)" ]; then depmod -a $(KVER); fi; \
	fi

check:
	tools/testing/check-all

check-fast:
	tools/testing/check

demo:
	tools/testing/demo

# figures for the data path and scale, then a 64 KiB load through the TSM
# (tools/testing/bench-tsm), one guest run, no assertions;
# BENCH_ARGS="-r 3 -n 1000" and so on (tools/testing/bench -h),
# SECEL_BENCH_TSM_ROUNDS=5 and the other variables of tools/testing/bench-tsm;
# then PC/SC over secel against secel and against vpcd (tools/testing/
# bench-vpcd), with QEMU's CCID reader for its lines (d) and (e: secel_ccid
# against pcscd + libccid on that reader) unless BENCH_CCID=0; then the UART
# converter with T=1 at 38400 and 115200 bit/s against the wire's maximum
# (tools/testing/bench-uart, a guest each through tools/testing/uart/run-guest;
# BENCH_UART_TA1="18" for one rate, "" for none)
BENCH_ARGS ?=
BENCH_CCID ?= 1
BENCH_UART_TA1 ?= 13 18
bench: modules tools
	$(CC) -std=gnu11 -Wall -Wextra -Werror -O2 -Iuapi -pthread \
		-o tools/testing/bench tools/testing/bench.c
	@set -- ; \
	if [ "$(BENCH_CCID)" != 0 ] && out=$$(tools/testing/ccid-nssdb 2>&1); then \
		for a in $$out; do set -- "$$@" --qemu-arg "$$a"; done; \
	fi; \
	tools/testing/vm-run --timeout 1800 "$$@" -- tools/testing/bench-all $(BENCH_ARGS)
	@[ -z "$(BENCH_UART_TA1)" ] || { echo; tools/testing/bench-uart $(BENCH_UART_TA1); }

# libFuzzer on the parsers, FUZZ_SECONDS each (clang from Debian)
fuzz:
	tools/testing/install-deps fuzz
	$(MAKE) -C tools/fuzz run SHELL=/bin/bash

# the reliability lane: debug kernel (built once, ~9 min), KUnit, selftests,
# stress, ioctl fuzzing, failslab
check-debug:
	tools/testing/debug/check-debug

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	@for d in $(TOOLS) $(patsubst %/Makefile,%,$(wildcard selftests/secel/Makefile)); do $(MAKE) -C $$d clean; done

.PHONY: all modules sparse checkpatch tools selftests check check-fast demo check-debug bench fuzz clean \
	install install-modules install-tools install-data uninstall dkms-source dkms-install \
	dkms-uninstall

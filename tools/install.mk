# SPDX-License-Identifier: GPL-2.0
#
# What every tool's make install / uninstall shares.  A tool's Makefile
# names its files, then includes this one:
#
#   INSTALL_BIN    programs for $(BINDIR)
#   INSTALL_SBIN   programs for $(SBINDIR)
#   INSTALL_UNITS  systemd units for $(SYSTEMDUNITDIR); the daemon's path in
#                  ExecStart= (/usr/local/sbin/) becomes $(SBINDIR)/
#   man pages      every NAME.[1-8] in the tool's directory
#
# and adds its other files with install:: / uninstall:: rules of its own.
# The top-level Makefile passes the directories (PREFIX, DESTDIR, ...) on
# the command line; these defaults serve a make -C in a tool's directory.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
LIBDIR ?= $(PREFIX)/lib
LIBEXECDIR ?= $(PREFIX)/libexec
MANDIR ?= $(PREFIX)/share/man
UDEVRULESDIR ?= $(PREFIX)/lib/udev/rules.d
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
INSTALL ?= install
MANPAGES := $(wildcard *.[1-8])

install:: all
	@set -e; \
	for p in $(INSTALL_BIN); do \
		echo "install $$p $(DESTDIR)$(BINDIR)/"; \
		$(INSTALL) -D -m 0755 $$p $(DESTDIR)$(BINDIR)/$$p; \
	done; \
	for p in $(INSTALL_SBIN); do \
		echo "install $$p $(DESTDIR)$(SBINDIR)/"; \
		$(INSTALL) -D -m 0755 $$p $(DESTDIR)$(SBINDIR)/$$p; \
	done; \
	for u in $(INSTALL_UNITS); do \
		echo "install $$u $(DESTDIR)$(SYSTEMDUNITDIR)/"; \
		$(INSTALL) -d $(DESTDIR)$(SYSTEMDUNITDIR); \
		sed 's|/usr/local/sbin/|$(SBINDIR)/|' $$u > $(DESTDIR)$(SYSTEMDUNITDIR)/$$u; \
		chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/$$u; \
	done; \
	for m in $(MANPAGES); do \
		echo "install $$m $(DESTDIR)$(MANDIR)/man$${m##*.}/"; \
		$(INSTALL) -D -m 0644 $$m $(DESTDIR)$(MANDIR)/man$${m##*.}/$$m; \
	done

uninstall::
	@for p in $(INSTALL_BIN); do rm -f $(DESTDIR)$(BINDIR)/$$p; done
	@for p in $(INSTALL_SBIN); do rm -f $(DESTDIR)$(SBINDIR)/$$p; done
	@for u in $(INSTALL_UNITS); do rm -f $(DESTDIR)$(SYSTEMDUNITDIR)/$$u; done
	@for m in $(MANPAGES); do rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$$m; done

.PHONY: install uninstall

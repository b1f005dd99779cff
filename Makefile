# SPDX-License-Identifier: GPL-2.0
#
# Out-of-tree front end: `make` builds labyrinth.ko against KDIR; the other
# targets wrap scripts/ (see README.md).

KDIR ?= /lib/modules/$(shell uname -r)/build
DKMS_VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
DKMS_SRC := /usr/src/labyrinth-$(DKMS_VERSION)

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

samples: modules
	$(MAKE) -C $(KDIR) M=$(CURDIR)/samples \
		KBUILD_EXTRA_SYMBOLS=$(CURDIR)/Module.symvers modules

# torture/labyrinth_torture.ko; `make torture` boots it in QEMU instead.
torture-module: modules
	$(MAKE) -C $(KDIR) M=$(CURDIR)/torture \
		KBUILD_EXTRA_SYMBOLS=$(CURDIR)/Module.symvers modules

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C $(KDIR) M=$(CURDIR)/samples clean
	[ ! -d torture ] || $(MAKE) -C $(KDIR) M=$(CURDIR)/torture clean

check:
	@bash scripts/check.sh

demo:
	@bash scripts/demo.sh

bench:
	@bash scripts/bench.sh

# the interleaving explorer and its mutations; DEEP=1 raises every bound
explore:
	@bash scripts/explore.sh $(if $(DEEP),--deep)

# make torture DURATION=<seconds> PAGES=<pool frames> KERNEL=<6.12, 6.1, 5.10, 7.2, 7.2-rt>
torture:
	@DURATION='$(DURATION)' PAGES='$(PAGES)' KERNEL='$(KERNEL)' bash scripts/torture.sh

# DKMS rebuilds labyrinth.ko for every kernel installed from now on.
dkms-install:
	rm -rf $(DKMS_SRC)
	mkdir -p $(DKMS_SRC)
	cp -r Makefile Kbuild Kconfig dkms.conf labyrinth*.h labyrinth*.c samples $(DKMS_SRC)/
	dkms add labyrinth/$(DKMS_VERSION)
	dkms build labyrinth/$(DKMS_VERSION)
	dkms install labyrinth/$(DKMS_VERSION)

dkms-remove:
	-dkms remove labyrinth/$(DKMS_VERSION) --all
	rm -rf $(DKMS_SRC)

.PHONY: all modules samples torture-module clean check demo bench explore torture dkms-install \
	dkms-remove

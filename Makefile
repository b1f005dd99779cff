# SPDX-License-Identifier: GPL-2.0
#
# Out-of-tree front end: `make` builds labyrinth.ko against KDIR; the other
# targets wrap scripts/ (see README.md).

KDIR ?= /lib/modules/$(shell uname -r)/build

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

samples: modules
	$(MAKE) -C $(KDIR) M=$(CURDIR)/samples \
		KBUILD_EXTRA_SYMBOLS=$(CURDIR)/Module.symvers modules

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C $(KDIR) M=$(CURDIR)/samples clean

check:
	@bash scripts/check.sh

demo:
	@bash scripts/demo.sh

.PHONY: all modules samples clean check demo

# gph: guest page hinting for Linux 6.12. `make help` lists the targets.
#
# ARCH=x86_64|s390x picks the guest architecture (default x86_64).
# KDIR=<built kernel tree> builds module, BPF and tools against your kernel.
# V=1 shows commands. Output: build/ (kernels: ${GPH_CACHE:-~/.cache/gph}).

ARCH ?= x86_64
FLAVOUR ?= test
BUILD := $(CURDIR)/build
export GPH_CACHE ?= $(HOME)/.cache/gph

ifneq ($(filter-out x86_64 s390x,$(ARCH)),)
$(error ARCH=$(ARCH) is not supported; use ARCH=x86_64 or ARCH=s390x)
endif

.DELETE_ON_ERROR:
.PHONY: help deps kernel module bpf tools all image unit check check-full demo bench bench-host hostd fuzz-hostd clean

help:
	@echo 'make deps               install missing host packages (apt, by name)'
	@echo 'make kernel  [ARCH=…]   build or reuse the patched test kernel'
	@echo 'make all     [ARCH=…]   kernel + module + BPF objects + tools'
	@echo 'make module  KDIR=…     build gph.ko against your own kernel tree'
	@echo 'make demo    [ARCH=…]   boot a guest, load gph, show what the tools see'
	@echo 'make check              unit tests, every VM scenario on x86_64, the arch-specific ones on s390x'
	@echo 'make check-full         unit tests, then every VM scenario on both arches'
	@echo 'make unit               host-built unit tests only'
	@echo 'make bench              page-fault benchmark: unpatched vs patched vs gph.ko (x86_64)'
	@echo 'make bench-host         what the host gets back: gph-hostd vs virtio-balloon free page reporting (x86_64)'
	@echo 'make hostd              the host agent build/host/gph-hostd (and its test helpers)'
	@echo 'make fuzz-hostd         fuzz gph-hostd'"'"'s table handling for FUZZ_SECONDS (default 600)'
	@echo 'make clean              remove build/ (cached kernels stay)'

deps:
	@scripts/install-deps.sh
	@if [ "$(ARCH)" = s390x ]; then scripts/s390x-sysroot >/dev/null; fi

kernel: deps
	@scripts/build kernel $(ARCH) $(FLAVOUR)

module bpf tools: deps
	@scripts/build $@ $(ARCH) $(FLAVOUR)

all: deps
	@scripts/build all $(ARCH) $(FLAVOUR)

image: all
	@tests/vm/mkimage $(ARCH) $(FLAVOUR)

unit: deps
	@tests/unit/run

check: deps
	@scripts/s390x-sysroot >/dev/null
	@tests/run-check

check-full: deps
	@scripts/s390x-sysroot >/dev/null
	@GPH_FULL=1 tests/run-check

demo: image
	@scripts/demo $(ARCH)

bench: deps
	@bench/run

bench-host: deps
	@bench/host-run

# gph-hostd runs on the host: built with the host's gcc, never cross-compiled.
HOST := $(BUILD)/host
Q := $(if $(filter 1,$(V)),,@)
HOSTD_CFLAGS := -O2 -g -Wall -Wextra -Werror -Iinclude -Imodule
HOSTD_HDRS := include/gph_abi.h module/table_proto.h module/states.h $(wildcard tools/hostd/*.h)
FUZZ_SECONDS ?= 600

hostd: $(HOST)/gph-hostd $(HOST)/gph-fake-guest $(HOST)/bench-scan

$(HOST)/gph-hostd: tools/hostd/hostd.c tools/hostd/qmp.c tools/hostd/table_scan.c module/states.c $(HOSTD_HDRS)
	@mkdir -p $(@D)
	$(Q)gcc $(HOSTD_CFLAGS) $(filter %.c,$^) -o $@

$(HOST)/gph-fake-guest: tools/hostd/fake-guest.c module/states.c $(HOSTD_HDRS)
	@mkdir -p $(@D)
	$(Q)gcc $(HOSTD_CFLAGS) $(filter %.c,$^) -o $@

$(HOST)/bench-scan: tools/hostd/bench-scan.c tools/hostd/table_scan.c module/states.c $(HOSTD_HDRS)
	@mkdir -p $(@D)
	$(Q)gcc $(HOSTD_CFLAGS) $(filter %.c,$^) -o $@

fuzz-hostd: deps
	@mkdir -p $(HOST)/fuzz-corpus
	$(Q)clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-Iinclude -Imodule tools/hostd/fuzz_table.c tools/hostd/table_scan.c tools/hostd/qmp.c module/states.c \
		-o $(HOST)/fuzz_table
	$(Q)cd $(HOST) && ./fuzz_table -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
		-print_final_stats=1 fuzz-corpus

clean:
	rm -rf $(BUILD)

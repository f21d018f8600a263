# podpath — build, test, benchmark, demo.
#
#   make            build ./podpath
#   make deps       install the Debian packages podpath and its tests need
#   make check      bats lint, unit tests (ASan+UBSan), fuzz corpus replay, bats
#                   suites; ends with "N passed, N failed"
#   make bench      benchmarks under tests/bench/ (podpath next to its baseline)
#   make demo       build, set up the default lab, show it, prove reachability
#   make install    PREFIX=/usr/local DESTDIR=

VERSION  := 0.1.0
PREFIX   ?= /usr/local
DESTDIR  ?=
CC       ?= cc
PKGS     := libmnl libnftnl libpcap ncursesw jansson libnetfilter_conntrack nettle libssl libcrypto libbpf libip4tc
BUILD    := build

# Debian packages: build libraries (clang and bpftool build the BPF
# programs in lib/**/*.bpf.c), what labs run (dnsmasq-base: the cluster
# and internet DNS, without the host service of package dnsmasq; nginx: the
# ingress controller), observers for tests and demo.
DEB_BUILD := build-essential pkg-config libmnl-dev libnftnl-dev libpcap-dev libnetfilter-conntrack-dev nettle-dev libssl-dev libiptc-dev libip4tc-dev \
	     libncurses-dev libjansson-dev clang libclang-rt-14-dev libbpf-dev bpftool
DEB_RUN   := dnsmasq-base nginx bird2
DEB_TEST  := bats iproute2 iputils-ping jq nftables tcpdump curl dnsutils conntrack iptables \
	     socat procps graphviz tmux valgrind zsh fish

# Asked of pkg-config when the first recipe needs them, never while make
# reads this file: on a fresh machine `make demo` installs the -dev packages
# (deps) before anything is compiled, and a value read earlier would be
# empty. Each is computed once and kept (the eval replaces the variable).
PKG_CFLAGS = $(eval PKG_CFLAGS := $$(shell pkg-config --cflags $(PKGS)))$(PKG_CFLAGS)
PKG_LIBS   = $(eval PKG_LIBS := $$(shell pkg-config --libs $(PKGS)))$(PKG_LIBS)

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	    -Wno-unused-parameter -Wformat=2 -Wvla
CFLAGS   ?= -O2 -g
CPPFLAGS += -D_GNU_SOURCE -DPODPATH_VERSION='"$(VERSION)"' -Ilib $(PKG_CFLAGS)
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS)
LDLIBS   += $(PKG_LIBS) -lpthread

# BPF programs (*.bpf.c) are built for the kernel, not the host: each
# becomes an object (clang -target bpf, stripped of DWARF by bpftool's
# linker, BTF kept for CO-RE) embedded in a skeleton header
# $(BUILD)/DIR/NAME.skel.h that DIR/NAME.c includes.
BPF_SRC  := $(sort $(wildcard lib/*/*.bpf.c lib/*/*/*.bpf.c))
BPF_SKEL := $(BPF_SRC:%.bpf.c=$(BUILD)/%.skel.h)
BPF_ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/' -e 's/ppc64le/powerpc/')
BPF_CLANG ?= clang
# Recursive, so it is looked for when a recipe runs (after deps); root's
# bpftool is in /usr/sbin, which a user's PATH may lack.
BPFTOOL  ?= $(or $(wildcard /usr/sbin/bpftool),bpftool)
CPPFLAGS += $(addprefix -I$(BUILD)/,$(sort $(dir $(BPF_SRC))))

LIB_SRC  := $(sort $(filter-out %.bpf.c,$(wildcard lib/*.c lib/*/*.c lib/*/*/*.c)))
LIB_HDR  := $(wildcard lib/*.h lib/*/*.h lib/*/*/*.h)
CMD_SRC  := $(sort $(wildcard cmd/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
CMD_OBJ  := $(CMD_SRC:%.c=$(BUILD)/%.o)

# Unit tests: every tests/unit/test_*.c is its own program, linked against
# lib/ built with AddressSanitizer and UndefinedBehaviorSanitizer.
SAN        := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
UNIT_SRC   := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/asan/%)
ASAN_OBJ   := $(LIB_SRC:%.c=$(BUILD)/asan/%.o)
FUZZ_BIN   := $(BUILD)/fuzz/fuzz_topo

.PHONY: all deps check unit fuzz-check bats lint-bats bench demo install clean fuzz

all: podpath podpath-responder

podpath: $(LIB_OBJ) $(CMD_OBJ) podpath-responder
	$(CC) $(ALL_CFLAGS) -o $@ $(LIB_OBJ) $(CMD_OBJ) $(LDFLAGS) $(LDLIBS)

# The container program: libc only, so a lab of thousands starts fast; and
# static, so none of its hundreds of starts pays the dynamic loader.
podpath-responder: $(BUILD)/responder/main.o $(BUILD)/lib/lab/responder.o
	$(CC) $(ALL_CFLAGS) -static -o $@ $^ $(LDFLAGS)

# Without the -dev packages, one clear line instead of pages of missing
# headers. Order-only: the stamp never makes an object out of date.
$(BUILD)/.pkgs-ok:
	@pkg-config --exists $(PKGS) 2>/dev/null && command -v $(BPF_CLANG) $(BPFTOOL) >/dev/null || { \
		echo "podpath: build tools or libraries missing ($(BPF_CLANG), bpftool, $(PKGS)); run 'make deps' as root, or 'make demo' / 'make check', which do" >&2; exit 1; }
	@mkdir -p $(BUILD) && touch $@

$(BUILD)/%.o: %.c $(LIB_HDR) $(wildcard cmd/*.h) Makefile | $(BUILD)/.pkgs-ok
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/asan/%.o: %.c $(LIB_HDR) Makefile | $(BUILD)/.pkgs-ok
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -O1 $(SAN) -c -o $@ $<

$(BUILD)/%.bpf.o: %.bpf.c $(LIB_HDR) Makefile | $(BUILD)/.pkgs-ok
	@mkdir -p $(dir $@)
	$(BPF_CLANG) -g -O2 -Wall -Werror -target bpf -D__TARGET_ARCH_$(BPF_ARCH) \
		-idirafter /usr/include/$$($(CC) -print-multiarch) -I$(dir $<) -c -o $@.tmp $<
	$(BPFTOOL) gen object $@ $@.tmp
	@rm -f $@.tmp

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $(notdir $*)_bpf >$@.tmp && mv $@.tmp $@

.SECONDARY: $(BPF_SRC:%.bpf.c=$(BUILD)/%.bpf.o)

# X.c includes the skeleton of X.bpf.c: built first, in both builds.
$(foreach s,$(BPF_SRC:%.bpf.c=%),$(eval $(BUILD)/$(s).o $(BUILD)/asan/$(s).o: $(BUILD)/$(s).skel.h))

$(BUILD)/asan/test_%: tests/unit/test_%.c tests/unit/unit.h $(ASAN_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/unit $(ALL_CFLAGS) -O1 $(SAN) -o $@ $< $(ASAN_OBJ) $(LDLIBS)

# libFuzzer harness for the topology parser (clang); replayed over the seed
# corpus by `make check`, run open-ended by `make fuzz`.
$(FUZZ_BIN): tests/fuzz/fuzz_topo.c $(LIB_SRC) $(LIB_HDR) $(BPF_SKEL)
	@mkdir -p $(dir $@)
	clang $(CPPFLAGS) -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
		-o $@ tests/fuzz/fuzz_topo.c $(LIB_SRC) $(LDLIBS)

# nginx runs only inside the lab's ingress pods, BIRD only inside bgp-mode
# nodes: the packages' host services are neither started by the install
# (policy-rc.d answers 101, "not allowed") nor enabled for the next boot, so
# no BIRD ever touches the host's routes.
deps:
	@missing=$$(for p in $(DEB_BUILD) $(DEB_RUN) $(DEB_TEST); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		guard=; \
		if [ ! -e /usr/sbin/policy-rc.d ]; then \
			printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; guard=1; \
		fi; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; st=$$?; \
		[ -z "$$guard" ] || rm -f /usr/sbin/policy-rc.d; \
		case " $$missing " in *" nginx "*) \
			systemctl disable nginx >/dev/null 2>&1 || update-rc.d nginx disable >/dev/null 2>&1 || true;; \
		esac; \
		case " $$missing " in *" bird2 "*) \
			systemctl disable bird >/dev/null 2>&1 || update-rc.d bird disable >/dev/null 2>&1 || true;; \
		esac; \
		exit $$st; \
	fi

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "unit: $$t"; $$t; done

# New inputs go to a scratch corpus (first directory), never into the seeds.
fuzz-check: $(FUZZ_BIN)
	@rm -rf $(BUILD)/fuzz/scratch && mkdir -p $(BUILD)/fuzz/scratch
	$(FUZZ_BIN) -runs=20000 -max_len=4096 $(BUILD)/fuzz/scratch tests/fuzz/corpus \
		>$(BUILD)/fuzz/last.log 2>&1 || { tail -40 $(BUILD)/fuzz/last.log; exit 1; }
	@echo "fuzz: $$(ls tests/fuzz/corpus | wc -l) seeds replayed, 20000 runs clean"

fuzz: $(FUZZ_BIN)
	mkdir -p $(BUILD)/fuzz/corpus
	$(FUZZ_BIN) -max_total_time=$${FUZZ_SECONDS:-60} $(BUILD)/fuzz/corpus tests/fuzz/corpus

# Rejects the shell forms whose failure bats never sees (`! cmd`, `A && B`).
lint-bats:
	tests/lint-bats.sh

bats: podpath lint-bats
	bats --print-output-on-failure tests/bats

# Every stage runs whatever failed before it, each unit program, the fuzz
# replay and each bats test counted; the last line is "N passed, N failed"
# (CI reads it) and the exit status is 1 if anything failed.
check: deps
	$(MAKE) podpath
	MAKE='$(MAKE)' bash tests/run-check.sh

bench: deps
	$(MAKE) podpath
	@set -e; for b in tests/bench/*.sh; do [ $$b = tests/bench/lib.sh ] || bash $$b; done

# Benchmark helpers linked against lib/ (not part of the product).
$(BUILD)/bench/%: tests/bench/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $< $(LIB_OBJ) $(LDFLAGS) $(LDLIBS)

demo: deps
	$(MAKE) podpath
	bash tests/demo.sh

install: podpath
	install -D -m 0755 podpath $(DESTDIR)$(PREFIX)/sbin/podpath
	install -D -m 0755 podpath-responder $(DESTDIR)$(PREFIX)/sbin/podpath-responder
	install -d $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0644 docs/*.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	install -d $(DESTDIR)$(PREFIX)/share/doc/podpath/examples
	install -m 0644 docs/examples/*.json $(DESTDIR)$(PREFIX)/share/doc/podpath/examples/
	install -D -m 0644 completions/podpath.bash \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/podpath
	install -D -m 0644 completions/_podpath $(DESTDIR)$(PREFIX)/share/zsh/vendor-completions/_podpath
	install -D -m 0644 completions/podpath.fish \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/podpath.fish

clean:
	rm -rf $(BUILD) podpath podpath-responder

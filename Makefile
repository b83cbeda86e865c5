# tally - one non-recursive Makefile.
#
#   make                 all programs into bin/
#   make check           install missing packages, build, run every test
#   make demo            install missing packages, build, run the whole story
#   make bench           benchmarks, with ratios against their baselines
#   make install         PREFIX=/usr/local DESTDIR= CREDSTORE=/etc/credstore
#   make MODE=asan ...   AddressSanitizer + UBSan build (into build/asan)
#   make fuzz            libFuzzer targets (clang), FUZZ_SECONDS each
#
# lib/WING/*.c is one static library, cmd/X.c is program X, tests/test_*.c is a
# test program, tests/support/*.c is linked into every test.

MODE ?= release
O ?= build/$(MODE)
ifeq ($(MODE),release)
BINDIR ?= bin
else
BINDIR ?= $(O)/bin
endif
PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
FUZZ_SECONDS ?= 20

PKGS := libpq xlsxwriter libmicrohttpd libcurl libcrypto jansson libsystemd
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lcsv -lcrypt -lm

WARN := -std=c17 -Wall -Wextra -Wpedantic -Wshadow -Wformat=2 \
	-Wstrict-prototypes -Wmissing-prototypes -Wvla -Wimplicit-fallthrough \
	-Wpointer-arith -Wwrite-strings -Wundef -Wnull-dereference \
	-Werror
DEFS := -D_GNU_SOURCE -include lib/base/banned.h -Ilib -I$(O) -Itests

ifeq ($(MODE),release)
OPT := -O2 -g -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
HARDEN_LD := -pie -Wl,-z,relro,-z,now
else ifeq ($(MODE),asan)
OPT := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
HARDEN_LD := -fsanitize=address,undefined
else ifeq ($(MODE),debug)
OPT := -O0 -g
HARDEN_LD :=
else
$(error MODE must be release, asan or debug)
endif

ALL_CFLAGS = $(WARN) $(OPT) $(DEFS) $(PKG_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(HARDEN_LD) $(LDFLAGS)

LIB_SRC := $(sort $(wildcard lib/*/*.c))
CMD_SRC := $(sort $(wildcard cmd/*.c))
TEST_SRC := $(sort $(wildcard tests/test_*.c))
TESTSUPPORT_SRC := $(sort $(wildcard tests/support/*.c))
FUZZ_SRC := $(sort $(wildcard tests/fuzz_*.c))
EMBED_SRC := $(sort $(wildcard sql/*.sql) $(wildcard queries/*/*.sql) \
	$(wildcard reports/*/*.sql) docs/openapi.json \
	lib/admin/static/panel.css lib/admin/static/panel.js)

LIB_OBJ := $(patsubst %.c,$(O)/%.o,$(LIB_SRC)) $(O)/embedded.o
LIBTALLY := $(O)/libtally.a
PROGRAMS := $(patsubst cmd/%.c,$(BINDIR)/%,$(CMD_SRC))
TESTS := $(patsubst tests/%.c,$(O)/%,$(TEST_SRC))
TESTSUPPORT_OBJ := $(patsubst %.c,$(O)/%.o,$(TESTSUPPORT_SRC))

# objects are intermediate files of the pattern rules; keep them so a
# second make does nothing
.SECONDARY:

.PHONY: all check test unit demo bench install clean deps fuzz
all: $(PROGRAMS) $(TESTS)

# quiet unless V=1: errors stand out in CI logs
ifeq ($(V),1)
Q :=
else
Q := @
endif

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# Migrations, queries and report queries live inside the binaries, so an
# installed program never depends on a runtime path to its SQL.
$(O)/embedded.c: tools/embed.sh $(EMBED_SRC)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  EMBED   $(words $(EMBED_SRC)) SQL files")
	$(Q)sh tools/embed.sh $(EMBED_SRC) > $@.tmp && mv $@.tmp $@

$(O)/embedded.o: $(O)/embedded.c
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIBTALLY): $(LIB_OBJ)
	$(Q)rm -f $@
	$(Q)ar rcsP $@ $^

$(BINDIR)/%: $(O)/cmd/%.o $(LIBTALLY)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBTALLY) $(PKG_LIBS)

$(O)/test_%: $(O)/tests/test_%.o $(TESTSUPPORT_OBJ) $(LIBTALLY)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(TESTSUPPORT_OBJ) $(LIBTALLY) $(PKG_LIBS) \
		$(shell pkg-config --libs cmocka)

-include $(shell find $(O) -name '*.d' 2>/dev/null)

# Installs only what is missing; as root it installs, otherwise it prints the
# exact command to run and stops.  libreoffice-calc-nogui and poppler-utils
# are for tests/t_report_pdf.sh: the reports printed to PDF as an admin
# would, pages counted and charts checked.  chromium, chromium-driver and
# python3-selenium are for tests/t_panel_browser.sh: the admin panel in a
# real (headless) browser, with fonts-dejavu-core so that its screenshots
# show letters on a machine that has no other font.
DEB_PACKAGES := build-essential pkg-config libpq-dev postgresql postgresql-contrib \
	libxlsxwriter-dev libcsv-dev libcurl4-openssl-dev libmicrohttpd-dev \
	libssl-dev libcmocka-dev libjansson-dev libsystemd-dev python3-openpyxl \
	curl zip unzip clang libclang-rt-14-dev time systemd jq \
	libreoffice-calc-nogui poppler-utils libcrypt-dev \
	chromium chromium-driver python3-selenium fonts-dejavu-core
deps:
	@sh tools/deps.sh $(DEB_PACKAGES)

BENCH_PACKAGES := wrk python3-fastapi python3-uvicorn python3-uvloop python3-httptools python3-psycopg2 \
	python3-xlsxwriter hyperfine
deps-bench:
	@sh tools/deps.sh $(BENCH_PACKAGES)

# make check: everything from a fresh machine; unit tests need no database,
# the rest run against a throwaway PostgreSQL that tests/run.sh starts.
check: deps
	$(MAKE) all
	bash tests/run.sh $(O) $(BINDIR)

test: all
	bash tests/run.sh $(O) $(BINDIR)

unit: all
	TALLY_UNIT_ONLY=1 bash tests/run.sh $(O) $(BINDIR)

demo: deps
	$(MAKE) all
	sh tests/demo.sh $(BINDIR)

bench: deps deps-bench
	$(MAKE) all
	sh bench/run.sh $(BINDIR) $(O)

fuzz:
	@mkdir -p $(O)/fuzz
	@set -e; for f in $(FUZZ_SRC); do \
		n=$$(basename $$f .c); \
		clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
			-include lib/base/banned.h -Ilib -I$(O) $(PKG_CFLAGS) -o $(O)/fuzz/$$n \
			$$f $(filter-out lib/base/log.c,$(LIB_SRC)) lib/base/log.c $(O)/embedded.c \
			$(PKG_LIBS); \
		mkdir -p $(O)/fuzz/$$n.corpus; \
		echo "fuzz: $$n for $(FUZZ_SECONDS)s"; \
		$(O)/fuzz/$$n -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
			$(O)/fuzz/$$n.corpus 2>$(O)/fuzz/$$n.log || \
			{ tail -40 $(O)/fuzz/$$n.log; exit 1; }; \
		grep -E '^(Done|#[0-9]+ *DONE)' $(O)/fuzz/$$n.log | tail -1; \
	done

fuzz: $(O)/embedded.c

# The units name /usr/local/bin (PREFIX's default); another PREFIX is
# written into them as they are installed.
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
# The audit chain's key (README: Security) goes to $(CREDSTORE)/tally.audit,
# created once with 32 random bytes, mode 0600, and never replaced.  A
# package build passes CREDSTORE= so that no key is shipped: each machine
# makes its own (tallyctl db up makes the embedded one).
CREDSTORE ?= /etc/credstore
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(PREFIX)/share/doc/tally \
		$(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(PROGRAMS) $(DESTDIR)$(PREFIX)/bin/
	set -e; for u in systemd/*.service systemd/*.timer; do \
		sed 's|/usr/local/|$(PREFIX)/|g' $$u > $(DESTDIR)$(UNITDIR)/$${u#systemd/}; \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$${u#systemd/}; done
	install -m 0644 systemd/tally.sysusers $(DESTDIR)$(SYSUSERSDIR)/tally.conf
	install -m 0644 tally.conf.example README.md $(DESTDIR)$(PREFIX)/share/doc/tally/
	set -e; k=$(DESTDIR)$(CREDSTORE)/tally.audit; \
	if [ -n "$(CREDSTORE)" ] && [ ! -e "$$k" ]; then \
		install -d -m 0700 $(DESTDIR)$(CREDSTORE); \
		(umask 077; { od -An -vtx1 -N32 /dev/urandom | tr -d ' \n'; \
		    echo; } > "$$k.new"); \
		chmod 0600 "$$k.new"; \
		mv "$$k.new" "$$k"; \
		echo "created the audit key $$k: keep a copy off this machine"; \
	fi

clean:
	rm -rf build bin

# Thin front end over the CMake presets (CMakePresets.json) and scripts/.
# `make run` and `make test` are the two commands the README promises.
SHELL := /bin/bash
MAKEFLAGS += --no-print-directory
JOBS ?= $(shell nproc)
KERNEL := build/kernel/arch/x86_64/feuerbird.elf
INITRD := build/kernel/user/initrd.cpio
ISO := build/feuerbird.iso
TEST_ISO := build/feuerbird-test.iso
FUZZ_SECONDS ?= 60

.PHONY: all deps host kernel iso run test debug coverage docs fuzz fuzz-smoke bench sanitize clean

all: host kernel iso

deps:
	@echo "==> checking build dependencies (scripts/deps.sh)"
	@bash scripts/deps.sh

host: deps
	@echo "==> building host configuration (core + host HAL + tests)"
	@cmake --preset host --log-level=WARNING >/dev/null && cmake --build --preset host -j$(JOBS)

kernel: deps
	@echo "==> building kernel configuration (freestanding x86_64)"
	@cmake --preset kernel --log-level=WARNING >/dev/null && cmake --build --preset kernel -j$(JOBS)
	@echo "==> kernel: $(KERNEL) ($$(stat -c %s $(KERNEL)) bytes)"
	@echo "==> initrd: $(INITRD) ($$(stat -c %s $(INITRD)) bytes)"

iso: kernel
	@echo "==> building GRUB2 ISOs"
	@bash scripts/mkiso.sh $(KERNEL) $(ISO) "" $(INITRD)
	@bash scripts/mkiso.sh $(KERNEL) $(TEST_ISO) "autoexit"

run: iso
	@echo "==> booting $(ISO) (kernel + initrd) in QEMU"
	@bash scripts/qemu-run.sh --iso $(ISO) --interactive

test: deps
	@bash scripts/test.sh

debug: kernel
	@echo "==> QEMU paused with a gdb stub on :1234; in another terminal: gdb -x scripts/gdbinit"
	@bash scripts/qemu-run.sh --kernel $(KERNEL) --gdb

sanitize: deps
	@for p in host-asan host-tsan; do \
	    echo "==> $$p: build and test"; \
	    cmake --preset $$p --log-level=WARNING >/dev/null && cmake --build --preset $$p -j$(JOBS) && \
	    ctest --preset $$p -j$(JOBS) || exit 1; \
	done

coverage: deps
	@echo "==> coverage build (host-cov) and tests"
	@cmake --preset host-cov --log-level=WARNING >/dev/null && cmake --build --preset host-cov -j$(JOBS)
	@find build/host-cov -name '*.gcda' -delete
	@# The report is written even when a test fails; the target still fails then.
	@ctest --preset host-cov -j$(JOBS) >build/host-cov/ctest.log 2>&1; rc=$$?; \
	    mkdir -p build/coverage && \
	    gcovr -r . build/host-cov --filter 'core/' --filter 'hal/host/' \
	        --html-details build/coverage/index.html --txt build/coverage/summary.txt --print-summary && \
	    echo "==> coverage report: build/coverage/index.html" && \
	    if [ $$rc -ne 0 ]; then tail -n 30 build/host-cov/ctest.log; echo "==> tests failed"; exit 1; fi

docs: deps
	@echo "==> Doxygen (warnings are errors) -> build/docs/html"
	@mkdir -p build/docs && doxygen docs/Doxyfile

fuzz: deps
	@bash scripts/fuzz.sh afl $(FUZZ_SECONDS)

fuzz-smoke: deps
	@bash scripts/fuzz.sh libfuzzer 10

bench: deps iso
	@echo "==> host-release build for benchmarks"
	@cmake --preset host-release --log-level=WARNING >/dev/null && cmake --build --preset host-release -j$(JOBS)
	@bash bench/run.sh

clean:
	rm -rf build

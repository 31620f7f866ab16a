# The two set-up commands (see README.md): `make run` and `make test`.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
export BUILD_DIR BUILD_TYPE JOBS

.PHONY: deps configure build run test bench fuzz lint package clean

deps:
	@packaging/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	@packaging/run-app.sh $(BUILD_DIR)

# Every phase (deps, configure, build, fixtures, tests, instrumented), each timed: tests/make_test.sh.
test:
	@tests/make_test.sh

bench: build
	@cmake --build $(BUILD_DIR) --target bench

# The instrumented tree of `make test` (clang, ASan + UBSan, libFuzzer), every fuzz target for 10 minutes.
fuzz: configure
	@/usr/bin/python3 tests/sanitize/run_instrumented.py --source $(CURDIR) --tree $(CURDIR)/$(BUILD_DIR)/instrumented \
		--fixtures $(CURDIR)/$(BUILD_DIR)/fixtures --no-tests --fuzz-seconds 600 --jobs $(JOBS)

# clang-format and clang-tidy (tests/lint): the same checks as the "lint" ctests of `make test`.
lint: configure
	@cd $(BUILD_DIR) && ctest -L lint --output-on-failure

package: build
	@cd $(BUILD_DIR) && cpack -G DEB

clean:
	@rm -rf $(BUILD_DIR)

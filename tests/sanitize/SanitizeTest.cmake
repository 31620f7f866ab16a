# The ctest test "instrumented" (labels "sanitize" and "fuzz"): one clang tree with AddressSanitizer +
# UndefinedBehaviorSanitizer and the libFuzzer targets, under this build directory. In it the core and cli ctests
# run sanitized, the fuzz regressions are replayed and every fuzz target runs FUZZ_CI_SECONDS
# (tests/sanitize/run_instrumented.py). Included from tests/fuzz/CMakeLists.txt. Why the GUI and the LibTorch
# module are left out: tests/sanitize/README.md.
find_program(CKPT_CLANGXX clang++)
find_program(CKPT_CLANG clang)
if(NOT CKPT_CLANGXX OR NOT CKPT_CLANG)
    message(WARNING "clang not found: no sanitizer or fuzz test (packaging/install-deps.sh installs it)")
    return()
endif()
add_test(NAME instrumented
         COMMAND ${CKPT_PYTHON} ${CMAKE_SOURCE_DIR}/tests/sanitize/run_instrumented.py
                 --source ${CMAKE_SOURCE_DIR} --tree ${CMAKE_BINARY_DIR}/instrumented --fixtures ${CKPT_FIXTURE_DIR}
                 --cxx ${CKPT_CLANGXX} --c ${CKPT_CLANG} --fuzz-seconds ${FUZZ_CI_SECONDS})
set_tests_properties(instrumented PROPERTIES LABELS "sanitize;fuzz" TIMEOUT 2700 FIXTURES_REQUIRED torch_fixtures)

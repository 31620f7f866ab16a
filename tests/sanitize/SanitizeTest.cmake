# The ctest test "sanitize" (label "sanitize"): builds an AddressSanitizer + UndefinedBehaviorSanitizer tree of the
# engine, the CLI and their tests under this build directory and runs the core and cli ctests in it. Included from
# tests/fuzz/CMakeLists.txt (tests/CMakeLists.txt adds only the fixed list of test folders). Why the GUI and the
# LibTorch module are left out: tests/sanitize/README.md.
add_test(NAME sanitize
         COMMAND ${CKPT_PYTHON} ${CMAKE_SOURCE_DIR}/tests/sanitize/run_sanitized.py
                 --source ${CMAKE_SOURCE_DIR} --tree ${CMAKE_BINARY_DIR}/sanitize-tree --fixtures ${CKPT_FIXTURE_DIR}
                 --cxx ${CMAKE_CXX_COMPILER} --c ${CMAKE_C_COMPILER})
set_tests_properties(sanitize PROPERTIES LABELS sanitize TIMEOUT 1500 FIXTURES_REQUIRED torch_fixtures
                                         RESOURCE_LOCK instrumented_tree)

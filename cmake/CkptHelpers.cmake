# Shared build helpers: warnings, and the one way tests are declared.

# CKPT_WERROR (on in CI: tests/make_test.sh sets it when CI=true) makes them errors for the project's own targets
# only; third-party headers come in as system includes and are not affected.
function(ckpt_warnings target)
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra>)
    if(CKPT_WERROR)
        target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-Werror>)
    endif()
endfunction()

# ckpt_moc_included(target sources...): a test declares its QObject class in its .cpp and includes "<name>.moc" at
# the end; this runs moc on each such source into the target's own folder. AUTOMOC did the same with a per-target
# step (the compiler's predefined macros, moc following every include for a dependency file, one more
# mocs_compilation unit) that cost about 5 CPU-seconds per test executable and ran for every test in both trees
# of `make test`; moc on the bare file takes 0.06 s and writes the same output (it needs no include path to read
# a class declaration). The target's definitions are passed on for classes whose slots depend on them.
function(ckpt_moc_included target)
    set_target_properties(${target} PROPERTIES AUTOMOC OFF)
    set(dir ${CMAKE_CURRENT_BINARY_DIR}/${target}_moc)
    set(defs "$<TARGET_PROPERTY:${target},COMPILE_DEFINITIONS>")
    foreach(src ${ARGN})
        get_filename_component(src ${src} ABSOLUTE)
        file(STRINGS ${src} declares_qobject REGEX "Q_OBJECT" LIMIT_COUNT 1)
        if(NOT declares_qobject)
            continue()
        endif()
        get_filename_component(name ${src} NAME_WE)
        add_custom_command(OUTPUT ${dir}/${name}.moc
                           COMMAND Qt6::moc "$<$<BOOL:${defs}>:-D$<JOIN:${defs},;-D>>" ${src} -o ${dir}/${name}.moc
                           DEPENDS ${src} Qt6::moc
                           COMMENT "moc ${name}.cpp" COMMAND_EXPAND_LISTS VERBATIM)
        target_sources(${target} PRIVATE ${dir}/${name}.moc)
    endforeach()
    target_include_directories(${target} PRIVATE ${dir})
endfunction()

# ckpt_add_test(NAME name SOURCES ... LIBS ... [GUI] [FIXTURES] [LABELS ...] [TIMEOUT s])
# Declares a test executable and registers it with ctest. FIXTURES makes the test depend on the
# generated PyTorch fixtures; GUI runs it on the offscreen platform.
function(ckpt_add_test)
    cmake_parse_arguments(T "GUI;FIXTURES" "NAME;TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
    add_executable(${T_NAME} ${T_SOURCES})
    target_link_libraries(${T_NAME} PRIVATE ${T_LIBS})
    ckpt_moc_included(${T_NAME} ${T_SOURCES})
    target_compile_definitions(${T_NAME} PRIVATE
        CKPT_FIXTURE_DIR="${CKPT_FIXTURE_DIR}"
        CKPT_SOURCE_DIR="${CMAKE_SOURCE_DIR}"
        CKPT_BINARY_DIR="${CMAKE_BINARY_DIR}"
        CKPT_PYTHON="${CKPT_PYTHON}")
    ckpt_warnings(${T_NAME})
    add_test(NAME ${T_NAME} COMMAND ${T_NAME})
    set(env "")
    if(T_GUI)
        list(APPEND env "QT_QPA_PLATFORM=offscreen")
    endif()
    if(env)
        set_tests_properties(${T_NAME} PROPERTIES ENVIRONMENT "${env}")
    endif()
    if(T_FIXTURES)
        set_tests_properties(${T_NAME} PROPERTIES FIXTURES_REQUIRED torch_fixtures)
    endif()
    if(T_LABELS)
        set_tests_properties(${T_NAME} PROPERTIES LABELS "${T_LABELS}")
    endif()
    if(T_TIMEOUT)
        set_tests_properties(${T_NAME} PROPERTIES TIMEOUT ${T_TIMEOUT})
    endif()
    if(DEFINED CKPT_TEST_COST_${T_NAME})
        set_tests_properties(${T_NAME} PROPERTIES COST ${CKPT_TEST_COST_${T_NAME}})
    endif()
endfunction()

# Unity builds for the project's libraries and executables: nearly every unit includes nlohmann/json.hpp (and Qt or
# LibTorch headers), and parsing them and instantiating their templates is most of a unit's compile time. Batches
# of 8 units cut ckptcore from 396 to about 140 CPU-seconds and the CLI from 202 to about 42 (together with -g1,
# top-level CMakeLists.txt). Names in anonymous namespaces must therefore be unique within a target: a clash is a
# compile error, never a silent overload, as long as such helpers are not overloaded by argument type.
function(ckpt_unity target)
    set_target_properties(${target} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 8)
endfunction()

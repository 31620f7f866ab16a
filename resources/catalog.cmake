# The built-in architecture catalog: the committed zlib-compressed JSON (made by catalog/generate_catalog.py)
# becomes a C array in a generated .cpp, so the binaries carry it without Qt resources or files beside them.
set(CKPT_CATALOG_BLOB ${CMAKE_CURRENT_LIST_DIR}/catalog/torchvision-catalog.json.zz)
set(CKPT_CATALOG_CPP ${CMAKE_CURRENT_BINARY_DIR}/catalog/catalogblob.cpp)
add_custom_command(
    OUTPUT ${CKPT_CATALOG_CPP}
    COMMAND ${CMAKE_COMMAND} -DINPUT=${CKPT_CATALOG_BLOB} -DOUTPUT=${CKPT_CATALOG_CPP}
            -P ${CMAKE_CURRENT_LIST_DIR}/catalog/embed.cmake
    DEPENDS ${CKPT_CATALOG_BLOB} ${CMAKE_CURRENT_LIST_DIR}/catalog/embed.cmake
    COMMENT "Embedding the architecture catalog"
    VERBATIM)
add_library(ckpt_catalog_data STATIC ${CKPT_CATALOG_CPP} ${CMAKE_CURRENT_LIST_DIR}/catalog/catalogblob.h)
target_include_directories(ckpt_catalog_data PUBLIC ${CMAKE_CURRENT_LIST_DIR}/catalog)

# The committed catalog must be what the committed generator makes from the installed torchvision.
if(CKPT_PYTHON)
    add_test(NAME catalog_up_to_date
             COMMAND ${CKPT_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/catalog/generate_catalog.py --check ${CKPT_CATALOG_BLOB})
    set_tests_properties(catalog_up_to_date PROPERTIES LABELS data TIMEOUT 120)
endif()

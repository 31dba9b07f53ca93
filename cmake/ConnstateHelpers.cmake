# ConnstateHelpers.cmake — the declarative helpers every folder's CMakeLists.txt uses.
#
#   connstate_cc_library(NAME x SRCS … PUBLIC_INCLUDES … DEPS …)  -> target connstate_x, alias connstate::x
#   connstate_cc_test(NAME x SRCS … DEPS … LABELS …)             -> Boost.Test executable registered with CTest
#   connstate_embed_text(OUTPUT f.cpp NAMESPACE ns FILES n=path)  -> generated source with each file as a string_view

set(CONNSTATE_HELPERS_DIR ${CMAKE_CURRENT_LIST_DIR})

set(CONNSTATE_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # GCC 12 reports -Wrestrict/-Wstringop-overflow false positives inside libstdc++'s std::string
  # concatenation at -O2 (GCC bug 105329); they are not about our code.
  list(APPEND CONNSTATE_WARNINGS -Wno-restrict -Wno-stringop-overflow)
endif()
if(CONNSTATE_WERROR)
  list(APPEND CONNSTATE_WARNINGS -Werror)
endif()

function(connstate_cc_library)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;PUBLIC_INCLUDES;PRIVATE_INCLUDES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(connstate_${ARG_NAME} ${ARG_SRCS})
  add_library(connstate::${ARG_NAME} ALIAS connstate_${ARG_NAME})
  set_target_properties(connstate_${ARG_NAME} PROPERTIES EXPORT_NAME ${ARG_NAME} OUTPUT_NAME connstate_${ARG_NAME})
  target_include_directories(connstate_${ARG_NAME} PUBLIC ${ARG_PUBLIC_INCLUDES} PRIVATE ${ARG_PRIVATE_INCLUDES})
  target_link_libraries(connstate_${ARG_NAME} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  target_compile_options(connstate_${ARG_NAME} PRIVATE ${CONNSTATE_WARNINGS})
endfunction()

set(CONNSTATE_TEST_TIMEOUT_FACTOR 1 CACHE STRING "multiplies every test's timeout (the asan preset sets 6)")

function(connstate_cc_test)
  if(NOT CONNSTATE_BUILD_TESTING)
    return()
  endif()
  cmake_parse_arguments(ARG "" "NAME;TIMEOUT" "SRCS;DEPS;LABELS;ARGS;ENV" ${ARGN})
  find_package(Boost 1.81 CONFIG REQUIRED COMPONENTS unit_test_framework)
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} Boost::unit_test_framework)
  target_compile_definitions(${ARG_NAME} PRIVATE BOOST_TEST_DYN_LINK
                             CONNSTATE_SOURCE_DIR="${PROJECT_SOURCE_DIR}" CONNSTATE_BINARY_DIR="${PROJECT_BINARY_DIR}")
  target_compile_options(${ARG_NAME} PRIVATE ${CONNSTATE_WARNINGS})
  set_target_properties(${ARG_NAME} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  add_test(NAME ${ARG_NAME} COMMAND ${ARG_NAME} --log_level=message ${ARG_ARGS})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  # A sanitizer build runs the same work several times slower: its preset scales every limit.
  math(EXPR ARG_TIMEOUT "${ARG_TIMEOUT} * ${CONNSTATE_TEST_TIMEOUT_FACTOR}")
  set_tests_properties(${ARG_NAME} PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT}
                       SKIP_RETURN_CODE 77 ENVIRONMENT "${ARG_ENV}")
endfunction()

# connstate_embed_text(OUTPUT file.cpp NAMESPACE ns FILES name=path ...) -> a generated source that defines
# `extern const std::string_view ns::name` holding each file's text (web pages a program serves).
function(connstate_embed_text)
  cmake_parse_arguments(ARG "" "OUTPUT;NAMESPACE" "FILES" ${ARGN})
  set(paths "")
  foreach(entry IN LISTS ARG_FILES)
    string(REGEX REPLACE "^[^=]*=" "" path "${entry}")
    list(APPEND paths "${path}")
  endforeach()
  string(REPLACE ";" "|" files_arg "${ARG_FILES}")
  add_custom_command(
    OUTPUT ${ARG_OUTPUT}
    COMMAND ${CMAKE_COMMAND} -DOUTPUT=${ARG_OUTPUT} -DNAMESPACE=${ARG_NAMESPACE} "-DFILES=${files_arg}"
            -P ${CONNSTATE_HELPERS_DIR}/EmbedText.cmake
    DEPENDS ${paths} ${CONNSTATE_HELPERS_DIR}/EmbedText.cmake
    COMMENT "Embedding ${ARG_NAMESPACE} text files"
    VERBATIM)
endfunction()

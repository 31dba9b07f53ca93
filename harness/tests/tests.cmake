# Harness tests (included from harness/CMakeLists.txt).
connstate_cc_test(NAME harness_cases_test SRCS tests/cases_test.cpp DEPS connstate::harness LABELS unit)
connstate_cc_test(NAME harness_runner_test SRCS tests/runner_test.cpp DEPS connstate::harness LABELS unit)
connstate_cc_test(NAME cli_test SRCS tests/cli_test.cpp DEPS connstate::harness LABELS unit conformance)
connstate_cc_test(NAME html_report_chromium_test SRCS tests/html_report_chromium_test.cpp DEPS connstate::harness
                  LABELS integration)
connstate_cc_test(NAME stacks_test SRCS tests/stacks_test.cpp DEPS connstate::harness LABELS integration TIMEOUT 900)
connstate_cc_test(NAME adapter_protocol_doc_test SRCS tests/adapter_protocol_doc_test.cpp DEPS connstate::harness
                  LABELS unit conformance)
connstate_cc_test(NAME legacy_differences_test SRCS tests/legacy_differences_test.cpp DEPS connstate::harness
                  LABELS conformance)
find_program(CONNSTATE_PYTHON3_FOR_TESTS NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(CONNSTATE_BUILD_TESTING)
  add_test(NAME protocol_schema_test COMMAND ${CONNSTATE_PYTHON3_FOR_TESTS}
           ${CMAKE_CURRENT_SOURCE_DIR}/tests/protocol_schema_test.py ${PROJECT_SOURCE_DIR} $<TARGET_FILE:connstate>)
  set_tests_properties(protocol_schema_test PROPERTIES LABELS "unit;integration" SKIP_RETURN_CODE 77)
endif()
connstate_cc_test(NAME compare_test SRCS tests/compare_test.cpp DEPS connstate::harness LABELS integration)
connstate_cc_test(NAME spec_diff_test SRCS tests/spec_diff_test.cpp DEPS connstate::harness LABELS unit)
connstate_cc_test(NAME self_documentation_test SRCS tests/self_documentation_test.cpp
                  DEPS connstate::harness connstate::trace LABELS unit)
connstate_cc_test(NAME findings_doc_test SRCS tests/findings_doc_test.cpp DEPS connstate::harness LABELS unit)
connstate_cc_test(NAME harness_alternatives_test SRCS tests/alternatives_test.cpp DEPS connstate::harness LABELS unit)
# Both plugin ABI versions through the one loader (the plugins are built in harness/plugins).
connstate_cc_test(NAME plugin_abi_test SRCS tests/plugin_abi_test.cpp DEPS connstate::harness LABELS unit)
if(TARGET plugin_abi_test)
  add_dependencies(plugin_abi_test connstate_reference_plugin connstate_reference_plugin_v1)
endif()

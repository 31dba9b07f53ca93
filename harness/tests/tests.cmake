# Harness tests (included from harness/CMakeLists.txt).
connstate_cc_test(NAME harness_cases_test SRCS tests/cases_test.cpp DEPS connstate::harness LABELS unit)
connstate_cc_test(NAME harness_runner_test SRCS tests/runner_test.cpp DEPS connstate::harness LABELS unit)
connstate_cc_test(NAME cli_test SRCS tests/cli_test.cpp DEPS connstate::harness LABELS unit conformance)
connstate_cc_test(NAME html_report_chromium_test SRCS tests/html_report_chromium_test.cpp DEPS connstate::harness
                  LABELS integration)
connstate_cc_test(NAME stacks_test SRCS tests/stacks_test.cpp DEPS connstate::harness LABELS integration TIMEOUT 900)

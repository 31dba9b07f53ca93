# Tests of connstate live (included from harness/live/CMakeLists.txt).

# The clients the server tests and bench/live-load drive it with (not installed).
if(CONNSTATE_BUILD_TESTING OR CONNSTATE_BUILD_BENCH)
  add_executable(connstate-live-client tests/live_client.cpp)
  target_link_libraries(connstate-live-client PRIVATE Boost::headers Boost::json Threads::Threads)
  target_compile_options(connstate-live-client PRIVATE ${CONNSTATE_WARNINGS})
  set_target_properties(connstate-live-client PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
endif()

connstate_cc_test(NAME live_session_test SRCS tests/session_test.cpp DEPS connstate::live LABELS unit)

if(CONNSTATE_BUILD_TESTING)
  find_package(Boost 1.81 CONFIG REQUIRED COMPONENTS json)
  connstate_cc_test(NAME live_server_test SRCS tests/server_test.cpp DEPS Boost::headers Boost::json Threads::Threads
                    LABELS integration)
  target_include_directories(live_server_test PRIVATE ${PROJECT_SOURCE_DIR}/harness/tests)
  add_dependencies(live_server_test connstate connstate-live-client)
endif()

# Real browsers (label integration): a page with two pcs that includes only /probe.js, in headless
# Chromium and in headless Firefox ESR, and the live page in headless Chromium. Each runs in its own
# network namespace (browser_test.sh) and skips, saying why, when its browser is missing (not under CI).
if(CONNSTATE_BUILD_TESTING)
  foreach(scenario probe-chromium probe-firefox live-page)
    add_test(NAME live_browser_${scenario}
             COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/tests/browser_test.sh ${scenario} $<TARGET_FILE:connstate>
                     $<TARGET_FILE:connstate-live-client> ${CMAKE_BINARY_DIR}/live-browser/${scenario})
    set_tests_properties(live_browser_${scenario} PROPERTIES LABELS integration TIMEOUT 300 SKIP_RETURN_CODE 77)
  endforeach()
endif()

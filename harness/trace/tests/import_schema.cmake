# import_schema.cmake — CTest: every bundled chrome://webrtc-internals dump (cases/traces/*/*.txt and
# *.gz) and every made-up dump shape (harness/trace/tests/data/*.json) imports, and every line of the
# result is valid against cases/schema/trace.schema.json.
# Usage: cmake -DCONNSTATE=… -DPYTHON3=… -DSOURCE_DIR=… -DOUT_DIR=… -P import_schema.cmake
file(GLOB dumps ${SOURCE_DIR}/cases/traces/*/*.txt ${SOURCE_DIR}/cases/traces/*/*.gz
     ${SOURCE_DIR}/harness/trace/tests/data/*.json)
file(REMOVE_RECURSE ${OUT_DIR})
file(MAKE_DIRECTORY ${OUT_DIR})
set(n 0)
foreach(dump IN LISTS dumps)
  math(EXPR n "${n} + 1")
  execute_process(COMMAND ${CONNSTATE} import webrtc-internals ${dump} -o ${OUT_DIR}/${n}.jsonl RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "cannot import ${dump}")
  endif()
endforeach()
if(n EQUAL 0)
  message(FATAL_ERROR "no dumps found")
endif()
execute_process(COMMAND ${PYTHON3} ${SOURCE_DIR}/harness/trace/tests/validate_traces.py
                        ${SOURCE_DIR}/cases/schema/trace.schema.json ${OUT_DIR} RESULT_VARIABLE rc)
if(rc EQUAL 77)
  message(STATUS "python3-jsonschema is not installed: skipped")
  # ctest sees SKIP_RETURN_CODE only from a process exit code; cmake -P cannot exit 77, so say it.
  message(FATAL_ERROR "SKIPPED: python3-jsonschema is not installed")
elseif(NOT rc EQUAL 0)
  message(FATAL_ERROR "imported dumps that are not valid traces")
endif()
message(STATUS "${n} dumps imported into valid traces")

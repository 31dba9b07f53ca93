# planted_bug.cmake — the fuzzer's acceptance loop against one planted-bug plugin, as a CTest test.
#
#   cmake -DCONNSTATE=<connstate> -DPLUGIN=<bug plugin> -DREFERENCE_PLUGIN=<reference plugin>
#         -DWORK_DIR=<scratch dir> -DSOURCE_DIR=<connstate source> [-DPYTHON=<python3>] -P planted_bug.cmake
#
# 1. `connstate fuzz` (generator engine, fixed seed, from the seeds) finds a difference (exit 1);
# 2. `connstate case-from-crash --minimize` turns it into a case file;
# 3. the case loads (`connstate list`), satisfies the case-file schema (when python3-jsonschema is
#    there), fails against the bug plugin and passes against the reference.
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

function(run expected_rc)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc STREQUAL expected_rc)
    message(FATAL_ERROR "exit ${rc} (expected ${expected_rc}): ${ARGN}\n--- stdout\n${out}\n--- stderr\n${err}")
  endif()
  message(STATUS "ok (exit ${rc}): ${ARGN}")
endfunction()

run(1 ${CONNSTATE} fuzz --sut plugin:${PLUGIN} --engine generator --seed 1 --max-time 60 --quiet
      --findings ${WORK_DIR}/findings)
file(GLOB findings ${WORK_DIR}/findings/diff-*)
list(FILTER findings EXCLUDE REGEX "\\.(txt|json|min)$")
list(LENGTH findings n)
if(NOT n EQUAL 1)
  message(FATAL_ERROR "expected one finding, got: ${findings}")
endif()
run(0 ${CONNSTATE} case-from-crash ${findings} --minimize --out-dir ${WORK_DIR}/cases/fuzz)
run(0 ${CONNSTATE} list --cases-dir ${WORK_DIR}/cases --exhaustive 0 --sequence-depth 0)
if(PYTHON)
  file(COPY ${SOURCE_DIR}/cases/schema DESTINATION ${WORK_DIR}/cases)
  execute_process(COMMAND ${PYTHON} ${SOURCE_DIR}/tools/validate-cases ${WORK_DIR}/cases RESULT_VARIABLE rc
                  OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0 AND NOT rc EQUAL 77)
    message(FATAL_ERROR "the case file does not satisfy the schema:\n${out}")
  endif()
  message(STATUS "schema (exit ${rc}): ${out}")
endif()
run(1 ${CONNSTATE} run --quiet --sut plugin:${PLUGIN} --cases-dir ${WORK_DIR}/cases --exhaustive 0 --sequence-depth 0)
run(0 ${CONNSTATE} run --quiet --sut plugin:${REFERENCE_PLUGIN} --cases-dir ${WORK_DIR}/cases --exhaustive 0 --sequence-depth 0)

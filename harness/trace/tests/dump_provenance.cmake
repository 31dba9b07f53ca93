# dump_provenance.cmake — CTest: every bundled webrtc-internals dump is the file its README's provenance
# table describes (same SHA-256: the dumps are kept unedited), and every dump has a row.
# Usage: cmake -DDIR=cases/traces/chromium-internals -P dump_provenance.cmake
# The rows must be ASCII: CMake's regex stops matching at some non-ASCII bytes.
cmake_minimum_required(VERSION 3.25)  # IN_LIST in script mode
file(STRINGS ${DIR}/README.md rows REGEX "^\\| `[^`]+\\.(txt|gz)` \\|")
file(GLOB dumps RELATIVE ${DIR} ${DIR}/*.txt ${DIR}/*.gz)
set(seen "")
foreach(row IN LISTS rows)
  string(REGEX MATCH "^\\| `([^`]+)`" _ "${row}")
  set(name ${CMAKE_MATCH_1})
  string(REGEX MATCH "`([0-9a-f]+)` \\|$" _ "${row}")
  set(want ${CMAKE_MATCH_1})
  if(NOT EXISTS ${DIR}/${name})
    message(FATAL_ERROR "README row for ${name}, but there is no such file")
  endif()
  file(SHA256 ${DIR}/${name} got)
  if(NOT got STREQUAL want)
    message(FATAL_ERROR "${name}: SHA-256 ${got}, the README says ${want} (the dump was edited or replaced)")
  endif()
  list(APPEND seen ${name})
endforeach()
foreach(dump IN LISTS dumps)
  if(NOT dump IN_LIST seen)
    message(FATAL_ERROR "${dump} has no provenance row in ${DIR}/README.md")
  endif()
endforeach()
list(LENGTH seen n)
message(STATUS "${n} dumps match their provenance")

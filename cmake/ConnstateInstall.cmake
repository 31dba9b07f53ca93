# ConnstateInstall.cmake — what `cmake --install` puts where, and the package other projects find.
#
#   <prefix>/bin/connstate                                the CLI
#   <prefix>/share/connstate/cases/…                      the case files (the installed CLI finds them there)
#   <prefix>/share/connstate/docs/spec/…                  the spec notes the cases and reports link to
#   <prefix>/include/connstate/*.h                        the public headers of connstate::reference
#   <prefix>/lib/libconnstate_reference.a                 the reference library (static)
#   <prefix>/lib/cmake/connstate/connstate{Config,ConfigVersion,Targets}.cmake
#   <prefix>/lib/pkgconfig/connstate.pc                   pkg-config file for the reference library
#
# A consumer writes
#   find_package(connstate 1.0 REQUIRED)
#   target_link_libraries(app PRIVATE connstate::reference)
# and may also use the imported executable connstate::connstate and ${connstate_CASES_DIR}.
# Components: `connstate_Runtime` (CLI + cases) and `connstate_Development` (library, headers,
# CMake package, pkg-config file): `cmake --install build --component connstate_Runtime`.

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# The CLI finds its cases at <exe dir>/../share/connstate/cases (harness/src/cases.cpp,
# default_cases_dir()); a different layout still installs, but the CLI then needs
# --cases-dir or CONNSTATE_CASES_DIR.
if(NOT CMAKE_INSTALL_BINDIR STREQUAL "bin" OR NOT CMAKE_INSTALL_DATADIR STREQUAL "share")
  message(WARNING "connstate: CMAKE_INSTALL_BINDIR='${CMAKE_INSTALL_BINDIR}' and CMAKE_INSTALL_DATADIR="
                  "'${CMAKE_INSTALL_DATADIR}': the installed CLI only finds its cases by itself with bin and share "
                  "(else set CONNSTATE_CASES_DIR or pass --cases-dir)")
endif()

set(CONNSTATE_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/connstate")
set(CONNSTATE_INSTALL_CASESDIR "${CMAKE_INSTALL_DATADIR}/connstate/cases")

# Consumers of the headers need C++20 (std::span, defaulted comparisons); carry that on the
# target instead of relying on the consumer's CMAKE_CXX_STANDARD.
target_compile_features(connstate_reference INTERFACE cxx_std_20)

# --- targets -------------------------------------------------------------------------------------
install(TARGETS connstate_reference
        EXPORT connstateTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT connstate_Development
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT connstate_Development)
# The CLI has its own export set (installed with the runtime component), so that a development-only
# install still gives a valid connstateTargets.cmake; the config file includes the CLI's if present.
install(TARGETS connstate
        EXPORT connstateCliTargets
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT connstate_Runtime)

# Only the public headers: reference/include/connstate/*.h (not reference/internal, not the harness's).
install(DIRECTORY ${PROJECT_SOURCE_DIR}/reference/include/connstate
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        COMPONENT connstate_Development
        FILES_MATCHING PATTERN "*.h")
# The C ABI of stack-under-test plugins (plugin:<path.so>), for stack authors.
install(FILES ${PROJECT_SOURCE_DIR}/harness/include/connstate/plugin.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/connstate COMPONENT connstate_Development)

# The suite: every file under cases/ except the build script (JSON case files, schema, and
# whatever data folders the loader knows, e.g. traces/). The suite version the installed CLI
# prints is the same hash as the source tree's.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/cases/
        DESTINATION ${CONNSTATE_INSTALL_CASESDIR}
        COMPONENT connstate_Runtime
        PATTERN "CMakeLists.txt" EXCLUDE
        PATTERN "*.cmake" EXCLUDE)
# The notes the cases and reports link to (docs/spec/<page>.md#<anchor>): next to the cases, where the
# installed CLI's reports find them (harness/src/spec_links.cpp, notes_href).
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/spec
        DESTINATION ${CMAKE_INSTALL_DATADIR}/connstate/docs
        COMPONENT connstate_Runtime)

# --- CMake package -------------------------------------------------------------------------------
install(EXPORT connstateTargets
        NAMESPACE connstate::
        FILE connstateTargets.cmake
        DESTINATION ${CONNSTATE_INSTALL_CMAKEDIR}
        COMPONENT connstate_Development)
install(EXPORT connstateCliTargets
        NAMESPACE connstate::
        FILE connstateCliTargets.cmake
        DESTINATION ${CONNSTATE_INSTALL_CMAKEDIR}
        COMPONENT connstate_Runtime)

configure_package_config_file(
  ${CMAKE_CURRENT_LIST_DIR}/connstateConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/connstateConfig.cmake
  INSTALL_DESTINATION ${CONNSTATE_INSTALL_CMAKEDIR}
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR CONNSTATE_INSTALL_CASESDIR)
# 1.x accepts any request for 1.y with y <= x; 2.0 will not satisfy a request for 1.0.
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/cmake/connstateConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/cmake/connstateConfig.cmake ${PROJECT_BINARY_DIR}/cmake/connstateConfigVersion.cmake
        DESTINATION ${CONNSTATE_INSTALL_CMAKEDIR}
        COMPONENT connstate_Development)

# --- pkg-config ----------------------------------------------------------------------------------
# Relocatable: the prefix is computed from the .pc file's own location (${pcfiledir}), so that
# `cmake --install build --prefix /anywhere` gives a correct file without reconfiguring.
# Absolute CMAKE_INSTALL_{LIB,INCLUDE,DATA}DIR are written as they are. `pkg-config --variable=casesdir
# connstate` gives the installed suite.
set(_connstate_pc_dir "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
if(IS_ABSOLUTE "${_connstate_pc_dir}")
  set(CONNSTATE_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH _connstate_pc_up "/connstate-prefix/${_connstate_pc_dir}" "/connstate-prefix")
  string(REGEX REPLACE "/$" "" _connstate_pc_up "${_connstate_pc_up}")
  set(CONNSTATE_PC_PREFIX "\${pcfiledir}/${_connstate_pc_up}")
endif()
foreach(_dir LIBDIR INCLUDEDIR DATADIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${_dir}}")
    set(CONNSTATE_PC_${_dir} "${CMAKE_INSTALL_${_dir}}")
  else()
    set(CONNSTATE_PC_${_dir} "\${prefix}/${CMAKE_INSTALL_${_dir}}")
  endif()
endforeach()
get_target_property(CONNSTATE_PC_LIBNAME connstate_reference OUTPUT_NAME)
configure_file(${CMAKE_CURRENT_LIST_DIR}/connstate.pc.in ${PROJECT_BINARY_DIR}/pkgconfig/connstate.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/pkgconfig/connstate.pc
        DESTINATION ${_connstate_pc_dir}
        COMPONENT connstate_Development)
unset(_connstate_pc_dir)
unset(_connstate_pc_up)

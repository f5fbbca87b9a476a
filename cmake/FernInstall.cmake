# Install rules and the CMake package, so that a consumer writes
#
#   find_package(fern REQUIRED)
#   target_link_libraries(app PRIVATE fern::fern)   # or one layer: fern::greenlet
#
# Included from the root CMakeLists.txt after every layer's add_subdirectory(), when the GLOBAL
# property FERN_LAYER_TARGETS (filled by fern_add_layer) is complete.
#
# Layers are static libraries, so everything they link -- PUBLIC or PRIVATE -- must be found again by
# the consumer. The config file does that: for each imported target a layer links, it emits the
# find_dependency() call from the table below. A new dependency is one fern_install_dependency() line.

include(CMakePackageConfigHelpers)

set(FERN_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/fern" CACHE STRING
    "Where fernConfig.cmake is installed, relative to the prefix")

# fern_install_dependency(<imported target> <cmake code that defines it in the consumer>)
function(fern_install_dependency target code)
  string(MAKE_C_IDENTIFIER "${target}" key)
  set_property(GLOBAL PROPERTY FERN_DEP_${key} "${code}")
endfunction()

fern_install_dependency(Threads::Threads "find_dependency(Threads)")
fern_install_dependency(PkgConfig::URING [=[
find_dependency(PkgConfig)
if(NOT TARGET PkgConfig::URING)
  pkg_check_modules(URING REQUIRED QUIET IMPORTED_TARGET liburing)
endif()]=])
fern_install_dependency(OpenSSL::SSL "find_dependency(OpenSSL)")
fern_install_dependency(OpenSSL::Crypto "find_dependency(OpenSSL)")
fern_install_dependency(c-ares::cares "find_dependency(c-ares)")
fern_install_dependency(PkgConfig::CARES [=[
find_dependency(PkgConfig)
if(NOT TARGET PkgConfig::CARES)
  pkg_check_modules(CARES REQUIRED QUIET IMPORTED_TARGET libcares)
endif()]=])
fern_install_dependency(PkgConfig::MARIADB [=[
find_dependency(PkgConfig)
if(NOT TARGET PkgConfig::MARIADB)
  pkg_check_modules(MARIADB REQUIRED QUIET IMPORTED_TARGET libmariadb)
endif()]=])
fern_install_dependency(Boost::context "find_dependency(Boost COMPONENTS context)")

# Installed targets: every layer, the fern umbrella, and anything registered in the GLOBAL property
# FERN_INSTALL_TARGETS (e.g. a shared libfern_hook that is not a layer library).
get_property(_fern_layer_targets GLOBAL PROPERTY FERN_LAYER_TARGETS)
get_property(_fern_extra_targets GLOBAL PROPERTY FERN_INSTALL_TARGETS)
set(_fern_install_targets ${_fern_layer_targets} ${_fern_extra_targets})
if(TARGET fern)
  list(APPEND _fern_install_targets fern)
endif()
list(REMOVE_DUPLICATES _fern_install_targets)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/fern
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.hpp" PATTERN "*.h" PATTERN "*.ipp")

install(TARGETS ${_fern_install_targets}
        EXPORT fernTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

install(EXPORT fernTargets
        NAMESPACE fern::
        FILE fernTargets.cmake
        DESTINATION ${FERN_INSTALL_CMAKEDIR})

# Collect the find_dependency() code for what the installed targets link. Threads always: the hub's
# cross-thread wakeup and thread pool need it whatever the layers declare today.
set(_fern_dep_code "find_dependency(Threads)\n")
set(_fern_dep_seen Threads::Threads)
foreach(tgt IN LISTS _fern_install_targets)
  get_target_property(_links ${tgt} INTERFACE_LINK_LIBRARIES)
  if(NOT _links)
    continue()
  endif()
  foreach(item IN LISTS _links)
    # Static libraries record PRIVATE deps as $<LINK_ONLY:X>; strip that and any other genex wrapper.
    string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" item "${item}")
    if(NOT item MATCHES "::" OR item MATCHES "^fern::" OR item MATCHES "[$<>]")
      continue()
    endif()
    if(item IN_LIST _fern_dep_seen)
      continue()
    endif()
    list(APPEND _fern_dep_seen ${item})
    string(MAKE_C_IDENTIFIER "${item}" key)
    get_property(code GLOBAL PROPERTY FERN_DEP_${key})
    if(code)
      string(APPEND _fern_dep_code "${code}\n")
    else()
      message(WARNING "fern: ${tgt} links ${item}, which cmake/FernInstall.cmake does not know how to "
                      "find in a consumer; add a fern_install_dependency(${item} ...) line there.")
    endif()
  endforeach()
endforeach()

set(_fern_config_in "${CMAKE_CURRENT_BINARY_DIR}/fernConfig.cmake.in")
file(WRITE "${_fern_config_in}"
     "@PACKAGE_INIT@\n\n"
     "include(CMakeFindDependencyMacro)\n"
     "${_fern_dep_code}\n"
     "include(\"\${CMAKE_CURRENT_LIST_DIR}/fernTargets.cmake\")\n"
     "check_required_components(fern)\n")

configure_package_config_file("${_fern_config_in}" "${CMAKE_CURRENT_BINARY_DIR}/fernConfig.cmake"
                              INSTALL_DESTINATION ${FERN_INSTALL_CMAKEDIR})
# 0.x: a minor release may break the API, so only the same minor version is compatible.
write_basic_package_version_file("${CMAKE_CURRENT_BINARY_DIR}/fernConfigVersion.cmake"
                                 VERSION ${PROJECT_VERSION}
                                 COMPATIBILITY SameMinorVersion)
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/fernConfig.cmake"
              "${CMAKE_CURRENT_BINARY_DIR}/fernConfigVersion.cmake"
        DESTINATION ${FERN_INSTALL_CMAKEDIR})

unset(_fern_layer_targets)
unset(_fern_extra_targets)
unset(_fern_install_targets)
unset(_fern_dep_code)
unset(_fern_dep_seen)
unset(_fern_config_in)

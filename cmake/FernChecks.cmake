# Repository checks that run under ctest next to the unit tests (label "check"):
#   check.layers           no #include points up the layer table (cmake/check_layers.py)
#   check.layers_selftest  the layer check catches a planted violation
#   check.guide            every fern name in docs/guide/from-*.md is declared in the header it cites
#   check.guide_selftest   the guide check catches a misspelt name and a missing header
#   check.format           clang-format --dry-run -Werror over the C++ sources (when clang-format exists)
#   check.install          install fern to a temporary prefix and build a find_package() consumer
# Included at the end of tests/CMakeLists.txt.

# Debian's interpreter first: the checks use only the standard library, and a user's pyenv shim may
# point at a Python that is not installed for this directory.
find_program(FERN_PYTHON3 NAMES python3 HINTS /usr/bin DOC "Python 3 for the repository checks")
find_program(FERN_CLANG_FORMAT NAMES clang-format clang-format-14 DOC "clang-format for check.format")

if(FERN_PYTHON3)
  add_test(NAME check.layers
           COMMAND ${FERN_PYTHON3} ${PROJECT_SOURCE_DIR}/cmake/check_layers.py ${PROJECT_SOURCE_DIR})
  add_test(NAME check.layers_selftest
           COMMAND ${FERN_PYTHON3} ${PROJECT_SOURCE_DIR}/cmake/check_layers.py --self-test)
  add_test(NAME check.guide COMMAND ${FERN_PYTHON3} ${PROJECT_SOURCE_DIR}/cmake/check_guide.py ${PROJECT_SOURCE_DIR})
  add_test(NAME check.guide_selftest COMMAND ${FERN_PYTHON3} ${PROJECT_SOURCE_DIR}/cmake/check_guide.py --self-test)
  set_tests_properties(check.layers check.layers_selftest check.guide check.guide_selftest PROPERTIES LABELS "check"
                                                                                                       TIMEOUT 60)
else()
  message(WARNING "fern: python3 not found; check.layers is not registered")
endif()

if(FERN_CLANG_FORMAT)
  # Files are listed when the test runs, so new files are checked without re-running CMake.
  add_test(NAME check.format
           COMMAND sh -c "find $(ls -d src include tests examples bench 2>/dev/null) -type f \\( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' -o -name '*.c' \\) -print0 | xargs -0 -r \"$0\" --dry-run -Werror"
                   ${FERN_CLANG_FORMAT}
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(check.format PROPERTIES LABELS "check" TIMEOUT 300)
endif()

# The install check builds fern a second time, without sanitizers and without tests, examples or
# benchmarks, so it stays a test of the package and not of the build flags of this tree.
set(_fern_install_type "${CMAKE_BUILD_TYPE}")
if(NOT _fern_install_type)
  set(_fern_install_type Debug)
endif()
set(_fern_install_args
    -DCMAKE_CXX_COMPILER=${CMAKE_CXX_COMPILER}
    -DCMAKE_C_COMPILER=${CMAKE_C_COMPILER}
    -DCMAKE_BUILD_TYPE=${_fern_install_type})
add_test(NAME check.install
         COMMAND bash ${PROJECT_SOURCE_DIR}/tests/install/check_install.sh
                 ${PROJECT_SOURCE_DIR} ${CMAKE_CURRENT_BINARY_DIR}/check_install
                 "${CMAKE_GENERATOR}" ${_fern_install_args})
set_tests_properties(check.install PROPERTIES LABELS "check;install" TIMEOUT 600)
unset(_fern_install_args)
unset(_fern_install_type)

# Compiler flags shared by every fern target.
add_compile_options(-Wall -Wextra -Werror -Wno-missing-field-initializers)
# GCC 12 at -O3 reports std::string copies as overlapping memcpy (GCC bug 105329, a false positive).
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  add_compile_options(-Wno-restrict)
endif()
# ThreadSanitizer, for the code that crosses threads (./run test builds the core this way and runs
# the tests of the thread pool, the remote hub, the wake-up and the thread-safe setter under it).
if(FERN_SANITIZE_THREAD)
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
endif()
if(FERN_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
  add_compile_definitions(FERN_ASAN=1)
endif()

# In a fuzz build every library is instrumented for coverage, so a fuzzer sees inside the code it
# drives, not only its own harness.
if(FERN_BUILD_FUZZ)
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

# fern_add_layer(<name> SOURCES ... DEPENDS ...): one static library per layer, public headers under
# include/fern/<name>/.
function(fern_add_layer name)
  cmake_parse_arguments(L "" "" "SOURCES;DEPENDS;LIBS" ${ARGN})
  add_library(fern_${name} STATIC ${L_SOURCES})
  add_library(fern::${name} ALIAS fern_${name})
  set_target_properties(fern_${name} PROPERTIES EXPORT_NAME ${name} OUTPUT_NAME fern_${name})
  target_include_directories(fern_${name} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  foreach(dep IN LISTS L_DEPENDS)
    target_link_libraries(fern_${name} PUBLIC fern_${dep})
  endforeach()
  if(L_LIBS)
    target_link_libraries(fern_${name} PUBLIC ${L_LIBS})
  endif()
  set_property(GLOBAL APPEND PROPERTY FERN_LAYER_TARGETS fern_${name})
endfunction()

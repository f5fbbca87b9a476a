# The driver matrix: every test that waits on I/O through the hub runs again under each non-default
# Driver (FERN_DRIVER picks the hub's driver), as unit.<layer>.<concept>@<driver>. The plain test
# covers epoll, the default. Where the kernel refuses io_uring, the @uring runs report "skipped"
# (the driver's error message says so) instead of failing.
set(FERN_DRIVER_MATRIX_TESTS
  hub.io_wait hub.spawn hub.hub hub.timeout hub.wait_queue hub.thread_pool
  loop.event_loop)
foreach(test IN LISTS FERN_DRIVER_MATRIX_TESTS)
  string(REPLACE "." "_" target "test_${test}")
  if(NOT TARGET ${target})
    continue()
  endif()
  string(REPLACE "." ";" parts ${test})
  list(GET parts 0 layer)
  set(drivers poll select uring)
  if(DEFINED FERN_WITH_URING AND NOT FERN_WITH_URING)
    set(drivers poll select)
  endif()
  foreach(driver IN LISTS drivers)
    set(name unit.${test}@${driver})
    add_test(NAME ${name} COMMAND ${target})
    set_tests_properties(${name} PROPERTIES
      ENVIRONMENT FERN_DRIVER=${driver}
      LABELS "unit;${layer};driver_matrix"
      TIMEOUT 300)
    if(driver STREQUAL "uring")
      set_tests_properties(${name} PROPERTIES SKIP_REGULAR_EXPRESSION "fern: io_uring is not available")
    endif()
  endforeach()
endforeach()

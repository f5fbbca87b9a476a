# The driver matrix: every test that waits on I/O through the hub runs again under each non-default
# Driver (FERN_DRIVER picks the hub's driver), as <test>@<driver>. The plain test covers epoll, the
# default. Where the kernel refuses io_uring (or the build has no io_uring driver), the @uring runs
# report "skipped" (the driver's error message says so) instead of failing.
#
# Unit tests are named unit.<layer>.<concept> and built as test_<layer>_<concept>; integration tests
# are listed with the target that runs them.
set(FERN_DRIVER_MATRIX_UNIT_TESTS
  hub.io_wait hub.socket_io hub.fd_watch hub.spawn hub.hub hub.timeout hub.wait_queue hub.thread_pool hub.fork
  loop.event_loop
  net.socket net.stream net.stream_server net.datagram_server net.create_connection net.tls_stream
  http.server http.client http.curl_interop
  aio.fd aio.stream
  process.signal process.pipe process.subprocess)
set(FERN_DRIVER_MATRIX_INTEGRATION_TESTS
  integration.redis.connection=test_redis_connection
  integration.redis.failures=test_redis_failures
  integration.redis.subscriber=test_redis_subscriber
  integration.http_client.nginx=test_http_client_nginx
  integration.http_server.clients=test_integration_http_server
  integration.tls.interop=test_integration_tls
  integration.mysql.connection=test_mysql_connection
  integration.mysql.failures=test_mysql_failures
  integration.mysql.pool=test_mysql_pool
  integration.amqp.client=test_amqp_client
  integration.amqp.failures=test_amqp_failures)

set(fern_matrix_drivers poll select uring)
if(DEFINED FERN_WITH_URING AND NOT FERN_WITH_URING)
  set(fern_matrix_drivers poll select)
endif()

# fern_driver_matrix(<test name> <target> <labels>)
function(fern_driver_matrix test target labels)
  if(NOT TARGET ${target})
    return()
  endif()
  foreach(driver IN LISTS fern_matrix_drivers)
    set(name ${test}@${driver})
    add_test(NAME ${name} COMMAND ${target})
    set_tests_properties(${name} PROPERTIES
      ENVIRONMENT FERN_DRIVER=${driver}
      LABELS "${labels};driver_matrix"
      TIMEOUT 600)
    if(driver STREQUAL "uring")
      set_tests_properties(${name} PROPERTIES SKIP_REGULAR_EXPRESSION "fern: io_uring is not available")
    endif()
  endforeach()
endfunction()

foreach(test IN LISTS FERN_DRIVER_MATRIX_UNIT_TESTS)
  string(REPLACE "." "_" target "test_${test}")
  string(REPLACE "." ";" parts ${test})
  list(GET parts 0 layer)
  fern_driver_matrix(unit.${test} ${target} "unit;${layer}")
endforeach()
foreach(entry IN LISTS FERN_DRIVER_MATRIX_INTEGRATION_TESTS)
  string(REPLACE "=" ";" pair ${entry})
  list(GET pair 0 test)
  list(GET pair 1 target)
  fern_driver_matrix(${test} ${target} "integration")
endforeach()

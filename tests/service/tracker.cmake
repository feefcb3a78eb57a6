# Unit tests of the Tracker service's parts that stand alone: the writer
# thread (against a fake storage engine) and the status map. Included from
# tests/service/CMakeLists.txt.
set(RT_SERVICE_SRC ${CMAKE_SOURCE_DIR}/service)

add_executable(test_writer ${CMAKE_CURRENT_LIST_DIR}/test_writer.c
                           ${RT_SERVICE_SRC}/rt_writer.c)
target_include_directories(test_writer PRIVATE ${RT_SERVICE_SRC}
                                               ${CMAKE_SOURCE_DIR}/storage)
target_link_libraries(test_writer PRIVATE rt_proto rt_common PkgConfig::LIBUV
                                          Threads::Threads PkgConfig::CMOCKA)
add_test(NAME service_writer_batching COMMAND test_writer)

add_executable(test_status_map ${CMAKE_CURRENT_LIST_DIR}/test_status_map.c
                               ${RT_SERVICE_SRC}/rt_status_map.c)
target_include_directories(test_status_map PRIVATE ${RT_SERVICE_SRC})
target_link_libraries(test_status_map PRIVATE rt_common PkgConfig::CMOCKA)
add_test(NAME service_writer_status_map COMMAND test_status_map)

# The Tracker handlers against the real storage engine and a fake
# transport (rt_call_* implemented by the test).
if(TARGET rt_storage)
  add_executable(test_tracker
    ${CMAKE_CURRENT_LIST_DIR}/test_tracker.c
    ${RT_SERVICE_SRC}/rt_status_map.c ${RT_SERVICE_SRC}/rt_writer.c
    ${RT_SERVICE_SRC}/rt_tracker.c ${RT_SERVICE_SRC}/rt_tracker_reads.c
    ${RT_SERVICE_SRC}/rt_tracker_writes.c ${RT_SERVICE_SRC}/rt_tracker_watch.c
    ${RT_SERVICE_SRC}/rt_tracker_review_stub.c ${RT_SERVICE_SRC}/rt_log.c)
  target_include_directories(test_tracker PRIVATE ${RT_SERVICE_SRC})
  target_link_libraries(test_tracker PRIVATE rt_storage rt_proto rt_common
                        rt_auth PkgConfig::LIBUV Threads::Threads
                        PkgConfig::CMOCKA)
  add_test(NAME service_writer_tracker_calls COMMAND test_tracker)
endif()

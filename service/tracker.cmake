# The Tracker service of rectrackd (rt_tracker): handlers of every
# rectrack.v1.Tracker RPC, the writer thread with group commit and the
# RT_E* -> gRPC status table. Included from service/CMakeLists.txt.
# GetReviewSummary/ExportReview are served when the review module
# (rt_review) is part of the build, and answer UNIMPLEMENTED otherwise.
if(TARGET rt_review)
  set(RT_TRACKER_REVIEW_SOURCE ${CMAKE_CURRENT_LIST_DIR}/rt_tracker_review.c)
else()
  set(RT_TRACKER_REVIEW_SOURCE
      ${CMAKE_CURRENT_LIST_DIR}/rt_tracker_review_stub.c)
endif()
add_library(rt_tracker STATIC
  ${CMAKE_CURRENT_LIST_DIR}/rt_status_map.c
  ${CMAKE_CURRENT_LIST_DIR}/rt_writer.c
  ${CMAKE_CURRENT_LIST_DIR}/rt_tracker.c
  ${CMAKE_CURRENT_LIST_DIR}/rt_tracker_reads.c
  ${CMAKE_CURRENT_LIST_DIR}/rt_tracker_writes.c
  ${CMAKE_CURRENT_LIST_DIR}/rt_tracker_watch.c
  ${RT_TRACKER_REVIEW_SOURCE})
target_include_directories(rt_tracker PUBLIC ${CMAKE_CURRENT_LIST_DIR}
                                             ${CMAKE_SOURCE_DIR}/storage)
target_link_libraries(rt_tracker PUBLIC rt_proto rt_common rt_auth
                                        PkgConfig::LIBUV Threads::Threads)
if(TARGET rt_storage)
  target_link_libraries(rt_tracker PUBLIC rt_storage)
endif()
# rt_call_* (the transport side of rt_call.h) live in rt_service.
if(TARGET rt_service)
  target_link_libraries(rt_tracker PUBLIC rt_service)
endif()
if(TARGET rt_review)
  target_link_libraries(rt_tracker PUBLIC rt_review)
endif()

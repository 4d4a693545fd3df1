# Installs the built library into a fresh temporary prefix, then configures, builds and runs the consumer
# project against it. Run as: cmake -DXVIS_BUILD_DIR=... -DCONSUMER_SOURCE_DIR=... -DWORK_DIR=... -P this
file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")
execute_process(COMMAND ${CMAKE_COMMAND} --install "${XVIS_BUILD_DIR}" --prefix "${prefix}"
  RESULT_VARIABLE rc OUTPUT_QUIET)
if(rc)
  message(FATAL_ERROR "cmake --install failed (${rc})")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -S "${CONSUMER_SOURCE_DIR}" -B "${WORK_DIR}/build"
  -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=${CMAKE_BUILD_TYPE} RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "configuring the consumer against ${prefix} failed (${rc})")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build "${WORK_DIR}/build" RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "building the consumer failed (${rc})")
endif()
execute_process(COMMAND "${WORK_DIR}/build/xvis_consumer" RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "the consumer ran and failed (${rc})")
endif()

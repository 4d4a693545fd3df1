# Folders that hold public headers (installed under include/xvis/<folder>) and library sources.
# CONFIGURE_DEPENDS: a new .cpp in one of these folders is picked up without editing this list.
set(XVIS_HEADER_DIRS tensor autodiff layers losses optimizer visualization models image io training sweep)
set(XVIS_SOURCES)
foreach(dir ${XVIS_HEADER_DIRS})
  file(GLOB dir_sources CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/${dir}/*.cpp")
  list(APPEND XVIS_SOURCES ${dir_sources})
endforeach()

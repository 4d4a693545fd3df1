# Install step (install(SCRIPT)): the public headers are installed by install(DIRECTORY) without their
# detail/ folders; this installs the detail headers that a public header includes, directly or not, so the
# installed tree is self-contained and holds no internal header that nothing public needs. Scanning at install
# time (not configure time) keeps it right when an #include changes without a re-configure.
# Set beforehand (install(CODE)): XVIS_SOURCE_DIR, XVIS_HEADER_DIRS, XVIS_INCLUDE_DEST (e.g. "include").
include("${CMAKE_CURRENT_LIST_DIR}/xvis_headers.cmake")
xvis_public_headers(public "${XVIS_SOURCE_DIR}" ${XVIS_HEADER_DIRS})
xvis_header_closure(reached missing "${XVIS_SOURCE_DIR}" ${public})
if(missing)
  message(FATAL_ERROR "xvis headers include files that do not exist: ${missing}")
endif()
set(dest "${XVIS_INCLUDE_DEST}")
if(NOT IS_ABSOLUTE "${dest}")
  set(dest "${CMAKE_INSTALL_PREFIX}/${dest}")
endif()
foreach(header IN LISTS reached)
  if(header MATCHES "/detail/")
    get_filename_component(dir "${header}" DIRECTORY)
    file(INSTALL DESTINATION "${dest}/xvis/${dir}" TYPE FILE
      FILES "${XVIS_SOURCE_DIR}/${header}")
  endif()
endforeach()

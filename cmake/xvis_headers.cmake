# Which headers a set of headers reaches through #include <xvis/...>: used at install time (detail headers
# are installed only when a public header reaches them) and by the install check (tests/consumer).
cmake_policy(VERSION 3.20)  # IN_LIST etc. in script mode, where no project set the policies
# Works in script mode (cmake -P) as well as at configure time.

# Three kinds of headers (docs/autodiff.md, "Extending xvis"):
#   user API       <folder>/*.hpp, reached from xvis.hpp;
#   extending xvis these: writing op types (the Op interface, the registry, the raw kernels an op's forward
#                  calls) and ONNX import builders. Installed, but neither xvis.hpp nor any header it reaches
#                  includes them (the install check in tests/consumer enforces it);
#   internals      <folder>/detail/*.hpp: installed only where a public header includes them.
set(XVIS_EXTENSION_HEADERS
  autodiff/op.hpp autodiff/op_attributes.hpp autodiff/op_registry.hpp autodiff/op_support.hpp
  tensor/elementwise.hpp tensor/gather.hpp tensor/gemm.hpp tensor/layout.hpp tensor/reduce.hpp tensor/regularizers.hpp
  io/onnx_import.hpp io/onnx_ops.hpp)

# out_var: the paths, relative to the include root ("tensor/detail/strided.hpp"), of `headers` (relative
# too) and everything they include from xvis, transitively, found under `root` (a source tree whose folders
# are the xvis/<folder> include folders, or an installed include/xvis). Missing files are listed in
# `missing_var` as "<includer>: <path>" (they are not followed).
function(xvis_header_closure out_var missing_var root)
  set(seen ${ARGN})
  set(queue ${ARGN})
  set(missing)
  while(queue)
    list(POP_FRONT queue header)
    if(NOT EXISTS "${root}/${header}")
      continue()
    endif()
    file(STRINGS "${root}/${header}" lines REGEX "^[ \t]*#[ \t]*include[ \t]*<xvis/[^>]+>")
    foreach(line IN LISTS lines)
      string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*<xvis/([^>]+)>.*$" "\\1" included "${line}")
      if(NOT EXISTS "${root}/${included}")
        list(APPEND missing "${header}: ${included}")
      elseif(NOT included IN_LIST seen)
        list(APPEND seen "${included}")
        list(APPEND queue "${included}")
      endif()
    endforeach()
  endwhile()
  set(${out_var} ${seen} PARENT_SCOPE)
  set(${missing_var} ${missing} PARENT_SCOPE)
endfunction()

# The public headers of a tree: xvis.hpp and <folder>/*.hpp (not <folder>/detail/), relative to `root`.
function(xvis_public_headers out_var root)
  set(headers xvis.hpp)
  foreach(dir ${ARGN})
    file(GLOB in_dir RELATIVE "${root}" "${root}/${dir}/*.hpp")
    list(APPEND headers ${in_dir})
  endforeach()
  list(SORT headers)
  set(${out_var} ${headers} PARENT_SCOPE)
endfunction()

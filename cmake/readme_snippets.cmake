# Turns every ```cpp block of a Markdown file into one C++ translation unit, so a test can compile (and run)
# the README's snippets and the README cannot go stale. Run at build time:
#   cmake -DREADME=README.md -DOUT=snippets.cpp [-DTUTORIAL_HEADER=xvis.hpp] [-DRENAME_FROM=a -DRENAME_TO=b] -P this
# Conventions (also stated in README.md, "Using it"):
#   - a block is the body of a function, compiled after #include <xvis/xvis.hpp> and using namespace xvis (a
#     README's later blocks read as continuations of its first), unless an HTML comment right before it says
#     `file`: then it is a whole file (its own includes and using-directives, types, functions, a `main`),
#     placed in a namespace of its own;
#   - `#include` lines of either form move to the top of the translation unit;
#   - `run`: the test also runs the block (a body is called; a file's `int main()` is called, 0 = success);
#     blocks without it are compiled only (they may read files the test does not have);
#   - `tutorial`: the one block that TUTORIAL_HEADER repeats as its opening comment ("//   " + line);
#     the extraction fails when the two differ, so the header's tutorial stays true too.
# Every block keeps its README line numbers (#line), so a compiler error names README.md and the line.
# RENAME_FROM / RENAME_TO: replaces the name RENAME_FROM in every block by RENAME_TO, a name the library does not
# have: the blocks are then stale as after a library rename (the test proving that a stale block fails).
cmake_minimum_required(VERSION 3.20)

if(NOT README OR NOT OUT)
  message(FATAL_ERROR "readme_snippets.cmake: set README and OUT")
endif()
file(READ "${README}" text)
file(TO_CMAKE_PATH "${README}" readme_path)
get_filename_component(readme_name "${README}" NAME)

set(includes "#include <xvis/xvis.hpp>\n#include <cstdio>\n#include <exception>\n")
set(units "")
set(calls "")
set(count 0)
set(tutorial "")
set(pos 0)
string(LENGTH "${text}" text_length)
while(pos LESS text_length)
  string(SUBSTRING "${text}" ${pos} -1 rest)
  string(FIND "${rest}" "```cpp\n" found)
  if(found EQUAL -1)
    break()
  endif()
  math(EXPR fence "${pos} + ${found}")
  math(EXPR code_begin "${fence} + 7")
  string(SUBSTRING "${text}" 0 ${fence} before)
  if(NOT before STREQUAL "" AND NOT before MATCHES "\n$")
    math(EXPR pos "${code_begin}")  # ```cpp inside a line: not a fence
    continue()
  endif()
  string(SUBSTRING "${text}" ${code_begin} -1 after)
  string(FIND "${after}" "\n```" code_length)
  string(REGEX MATCHALL "\n" newlines "${before}")
  list(LENGTH newlines line)
  math(EXPR line "${line} + 2")  # 1-based line of the block's first code line
  if(code_length EQUAL -1)
    message(FATAL_ERROR "${readme_path}:${line}: the ```cpp block is not closed")
  endif()
  string(SUBSTRING "${after}" 0 ${code_length} code)
  math(EXPR pos "${code_begin} + ${code_length} + 4")
  math(EXPR count "${count} + 1")

  # The HTML comment right before the fence (only blank space between) holds the block's words.
  set(words "")
  if(before MATCHES "<!--([^\n]*)-->[ \t\n]*$")
    string(STRIP "${CMAKE_MATCH_1}" words)
    string(REGEX REPLACE "[ \t]+" ";" words "${words}")
    foreach(word IN LISTS words)
      if(NOT word MATCHES "^(run|file|tutorial)$")
        message(FATAL_ERROR "${readme_path}:${line}: unknown snippet marker '${word}' (run, file, tutorial)")
      endif()
    endforeach()
  endif()

  if("tutorial" IN_LIST words)
    if(NOT tutorial STREQUAL "")
      message(FATAL_ERROR "${readme_path}:${line}: a second tutorial block (the first is at line ${tutorial_line})")
    endif()
    set(tutorial "${code}")
    set(tutorial_line ${line})
  endif()

  if(RENAME_FROM)
    string(REGEX REPLACE "([^A-Za-z0-9_])${RENAME_FROM}([^A-Za-z0-9_])" "\\1${RENAME_TO}\\2" code "\n${code}")
    string(SUBSTRING "${code}" 1 -1 code)
  endif()

  # #include lines go to the top; an empty line keeps their place, so line numbers stay right.
  string(REGEX MATCHALL "\n[ \t]*#[ \t]*include[^\n]*" block_includes "\n${code}")
  foreach(inc IN LISTS block_includes)
    string(STRIP "${inc}" inc)
    string(FIND "${includes}" "${inc}\n" known)
    if(known EQUAL -1)
      string(APPEND includes "${inc}\n")
    endif()
  endforeach()
  string(REGEX REPLACE "\n[ \t]*#[ \t]*include[^\n]*" "\n" code "\n${code}")
  string(SUBSTRING "${code}" 1 -1 code)

  set(ns "readme_snippet_${count}")
  set(where "${readme_name}:${line}")
  if("file" IN_LIST words)
    string(APPEND units "namespace ${ns} {  // ${where}, a file\n#line ${line} \"${readme_path}\"\n${code}\n}  // namespace ${ns}\n")
    set(call "[] { return ${ns}::main(); }")
  else()
    string(APPEND units "namespace ${ns} {  // ${where}, a function body\nusing namespace xvis;\nvoid body() {\n#line ${line} \"${readme_path}\"\n${code}\n}\n}  // namespace ${ns}\n")
    set(call "[] { ${ns}::body(); return 0; }")
  endif()
  if("run" IN_LIST words)
    string(APPEND calls "    failed += run_snippet(\"${where}\", ${call});\n    ++ran;\n")
  endif()
endwhile()

if(count EQUAL 0)
  message(FATAL_ERROR "${readme_path}: no ```cpp blocks (nothing would be tested)")
endif()
# A C++ block fenced otherwise (```c++, trailing blanks, CRLF) would be skipped without a word: refuse it.
string(REGEX MATCHALL "\n```[ \t]*([Cc]\\+\\+|[Cc][Pp][Pp]|[Cc][Xx][Xx])[^\n]*" fences "\n${text}")
list(LENGTH fences fence_count)
if(NOT fence_count EQUAL count)
  message(FATAL_ERROR "${readme_path}: ${fence_count} C++ fences but ${count} blocks fenced exactly as ```cpp "
    "(a line ```cpp, nothing after it)")
endif()

if(TUTORIAL_HEADER)
  if(tutorial STREQUAL "")
    message(FATAL_ERROR "${readme_path}: no block is marked <!-- tutorial --> (the one ${TUTORIAL_HEADER} repeats)")
  endif()
  # The header's comment: "//   <line>" per line, "//" for an empty line.
  string(REPLACE "\n" "\n//   " expected "//   ${tutorial}")
  string(REGEX REPLACE "//   \n" "//\n" expected "${expected}\n")
  file(READ "${TUTORIAL_HEADER}" header)
  string(FIND "${header}" "${expected}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${TUTORIAL_HEADER}'s tutorial comment differs from the tutorial block at "
      "${readme_path}:${tutorial_line}; the header must hold these lines exactly:\n${expected}")
  endif()
endif()

set(head "// Generated from ${readme_path} by cmake/readme_snippets.cmake: edit the README, not this file.
${includes}
namespace {
template <class F>
int run_snippet(const char* where, F f) {
    try {
        const int rc = f();
        if (rc != 0) std::fprintf(stderr, \"%s: main() returned %d\\n\", where, rc);
        else std::printf(\"%s: ran\\n\", where);
        return rc != 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, \"%s: threw: %s\\n\", where, e.what());
        return 1;
    }
}
}  // namespace

${units}")
# Back to this file's own line numbers for the driver below the snippets.
string(REGEX MATCHALL "\n" newlines "${head}")
list(LENGTH newlines head_lines)
math(EXPR driver_line "${head_lines} + 2")
file(TO_CMAKE_PATH "${OUT}" out_path)
file(WRITE "${OUT}" "${head}#line ${driver_line} \"${out_path}\"
int main() {
    int failed = 0, ran = 0;
${calls}    std::printf(\"%d snippets compiled, %d run, %d failed\\n\", ${count}, ran, failed);
    return failed != 0;
}
")

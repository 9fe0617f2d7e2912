# Warnings and build flags shared by every minnow target (library, tests, tools, examples).
function(minnow_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    # GCC 12 reports -Wrestrict false positives inside std::string's operator+ at -O2
    # (GCC bug 105651); the warning stays on for every other compiler.
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
  if(MINNOW_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(MINNOW_NATIVE)
    target_compile_options(${target} PRIVATE -march=native)
  endif()
  if(MINNOW_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined
      -fno-omit-frame-pointer -fno-sanitize-recover=all)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()

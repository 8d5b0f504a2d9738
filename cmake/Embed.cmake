# sg_embed(OUT_C SYMBOL FILE...): turn data files into a C source that defines
# `const char SYMBOL[]` (the files concatenated, NUL-terminated) and `const size_t SYMBOL_len`.
# Used for the built-in recommendations, which are YAML data compiled into the binary.
function(sg_embed out_c symbol)
  set(files ${ARGN})
  # A CMake list holds ';', which would split the command line: pass '|' instead.
  string(REPLACE ";" "|" files_arg "${files}")
  add_custom_command(
    OUTPUT ${out_c}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out_c} -DSYMBOL=${symbol} "-DFILES=${files_arg}"
            -P ${PROJECT_SOURCE_DIR}/cmake/EmbedRun.cmake
    DEPENDS ${files} ${PROJECT_SOURCE_DIR}/cmake/EmbedRun.cmake
    COMMENT "Embedding ${symbol}"
    VERBATIM)
endfunction()

# Use ccache when it is installed: LibTorch translation units are slow to compile.
find_program(IMITATE_CCACHE ccache)
if(IMITATE_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_CXX_COMPILER_LAUNCHER
      ${CMAKE_COMMAND} -E env CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
      ${IMITATE_CCACHE})
  set(CMAKE_C_COMPILER_LAUNCHER ${IMITATE_CCACHE})
endif()

# imitate_add_plugin(<target> SOURCES <files...> [DEPS <targets...>])
#
# Builds one plugin: a shared library loaded by the engine at run time. It links only the SDK
# (and DEPS), hides all symbols but the manifest, and lands in the build's plugin folder.
if(NOT IMITATE_PLUGIN_OUTPUT_DIR)
  set(IMITATE_PLUGIN_OUTPUT_DIR ${CMAKE_BINARY_DIR}/plugins)
endif()

function(imitate_add_plugin target)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE imitate::sdk ${ARG_DEPS})
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    OUTPUT_NAME "imitate_${target}"
    LIBRARY_OUTPUT_DIRECTORY ${IMITATE_PLUGIN_OUTPUT_DIR}
    BUILD_RPATH "$<TARGET_FILE_DIR:imitate::sdk>"
    # installed in <libdir>/imitate/plugins: the SDK libraries are two folders up
    INSTALL_RPATH "$ORIGIN/../..")
  if(COMMAND imitate_set_warnings)
    imitate_set_warnings(${target})
  endif()
  if(TARGET imitate_torch_pch)
    target_precompile_headers(${target} REUSE_FROM imitate_torch_pch)
  endif()
  if(NOT IMITATE_OUT_OF_TREE)
    install(TARGETS ${target} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/imitate/plugins)
  endif()
endfunction()

# imitate_add_test(<name> SOURCES <files...> [DEPS <targets...>] [LABELS <labels...>]
#                  [TIMEOUT <seconds>])
#
# A GoogleTest executable (in build/bin, so that the loader finds build/plugins next to it)
# registered with CTest. Label slow tests "slow": `make test` leaves them out.
function(imitate_add_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  set_target_properties(${name} PROPERTIES BUILD_RPATH "$<TARGET_FILE_DIR:imitate::sdk>")
  imitate_set_warnings(${name})
  add_test(NAME ${name} COMMAND ${name})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  set_tests_properties(${name} PROPERTIES TIMEOUT ${ARG_TIMEOUT}
    ENVIRONMENT "IMITATE_SOURCE_DIR=${PROJECT_SOURCE_DIR};IMITATE_BINARY_DIR=${PROJECT_BINARY_DIR}")
  if(ARG_LABELS)
    set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}")
  endif()
endfunction()

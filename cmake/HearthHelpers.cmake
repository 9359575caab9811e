# Small helpers that keep each folder's CMakeLists.txt to a list of files.
#
#   hearth_cc_library(NAME profile SRCS a.cc b.cc DEPS hearth::base absl::status)
#     -> target hearth_profile, alias hearth::profile, includes rooted at src/.
#   hearth_cc_test(NAME pprof_decode_test SRCS pprof_decode_test.cc DEPS hearth::profile)
#     -> a GoogleTest binary registered with ctest (label "unit" unless LABELS given).
#   hearth_cc_fuzzer(NAME pprof_decode_fuzzer SRCS ... DEPS ...)
#     -> a libFuzzer binary, only when HEARTH_FUZZ is on (clang).

function(hearth_cc_library)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS" ${ARGN})
  set(target hearth_${ARG_NAME})
  add_library(${target} STATIC ${ARG_SRCS})
  add_library(hearth::${ARG_NAME} ALIAS ${target})
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR}/src ${PROJECT_BINARY_DIR}/src)
  target_link_libraries(${target} PUBLIC ${ARG_DEPS})
endfunction()

function(hearth_cc_test)
  cmake_parse_arguments(ARG "" "NAME;TIMEOUT" "SRCS;DEPS;LABELS" ${ARGN})
  if(NOT HEARTH_BUILD_TESTS)
    return()
  endif()
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  target_compile_definitions(${ARG_NAME} PRIVATE
    HEARTH_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    HEARTH_BINARY_DIR="${PROJECT_BINARY_DIR}")
  add_test(NAME ${ARG_NAME} COMMAND ${ARG_NAME})
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  set_tests_properties(${ARG_NAME} PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT}
    ENVIRONMENT "TZ=UTC;HEARTH_SOURCE_DIR=${PROJECT_SOURCE_DIR};HEARTH_BINARY_DIR=${PROJECT_BINARY_DIR}")
endfunction()

function(hearth_cc_fuzzer)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS" ${ARGN})
  if(NOT HEARTH_FUZZ)
    return()
  endif()
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS})
  target_compile_options(${ARG_NAME} PRIVATE -fsanitize=fuzzer)
  target_link_options(${ARG_NAME} PRIVATE -fsanitize=fuzzer)
  add_dependencies(hearth_fuzzers ${ARG_NAME})
endfunction()

function(hearth_cc_benchmark)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS" ${ARGN})
  if(NOT HEARTH_BUILD_BENCHMARKS)
    return()
  endif()
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} benchmark::benchmark)
  target_compile_definitions(${ARG_NAME} PRIVATE HEARTH_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
endfunction()

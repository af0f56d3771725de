# SPDX-License-Identifier: Apache-2.0
# valgrind.cmake — the test suite's valgrind mode, -DONNXBN_VALGRIND=ON (its own build folder, no
# sanitizers): every ctest runs the onnxbn programs it starts under valgrind memcheck.
#
# What the tests' CMakeLists use (plain outside valgrind mode):
#   ONNXBN_TEST_RUN        first words of every test command (tests/valgrind/run_test.sh)
#   ONNXBN_MEMCHECK        first words of a program a test runs directly (unit tests, fuzz replays)
#   ONNXBN_MEMCHECK_PYTHON the same for a Python interpreter (PYTHONMALLOC=malloc, python.supp)
#   ONNXBN_TEST_CLI        the onnxbn tool to hand to test scripts: in valgrind mode a script that
#                          runs $<TARGET_FILE:onnxbn_cli> under memcheck, so no script changes
#   onnxbn_memcheck_tests() called at the end of each folder that adds tests: in valgrind mode a
#                          missing valgrind skips (77), timeouts grow, and the run_test.sh verdict
#                          fails even tests that pass by a PASS_REGULAR_EXPRESSION.
#
# ONNXBN_VALGRIND_SUBSET (ON) bounds the time: valgrind takes ~0.6 s CPU to start a program and
# runs code 20-50x slower. ONNXBN_MEMCHECK_SUBSET (valgrind mode with that option) means:
#   - no per-case conformance tests: the four suite tests run every one of those cases under
#     memcheck, in one process per suite (that each case passes is the other builds' check);
#   - converter.testdata fuses only the node models using an operator the converter rewrites or
#     holding a subgraph, with every model of the other suites (fuse_testdata.py --memcheck-subset);
#   - ONNXBN_TEST_CLI_REPEAT, the CLI of tests whose onnxbn runs repeat other tests' runs
#     (converter.onnxruntime re-runs every converter.<case>, converter.deterministic re-fuses what
#     converter.models fuses), is the plain one;
#   - ONNXBN_MEMCHECK_PYTEST_ARGS picks the Python tests: all but the backend runner's node cases,
#     of which those of BatchNormalization, Cast/CastLike (every type in and out), Split (several
#     outputs), Clip (omitted optional inputs), Reshape, Gather, ArgMax (int64) and Constant.
# OFF runs all of it in full under memcheck (docs/security.md has the times).
set(ONNXBN_VALGRIND_DIR "${CMAKE_CURRENT_LIST_DIR}")
set(ONNXBN_VALGRIND_TIMEOUT_FACTOR 10 CACHE STRING "valgrind mode: test timeouts are multiplied by this")
option(ONNXBN_VALGRIND_SUBSET "valgrind mode: the slowest tests on subsets (tests/valgrind/valgrind.cmake)" ON)

set(ONNXBN_TEST_RUN "")
set(ONNXBN_MEMCHECK "")
set(ONNXBN_MEMCHECK_PYTHON "")
set(ONNXBN_TEST_CLI "$<TARGET_FILE:onnxbn_cli>")
set(ONNXBN_TEST_CLI_REPEAT "$<TARGET_FILE:onnxbn_cli>")
set(ONNXBN_MEMCHECK_SUBSET OFF)
set(ONNXBN_MEMCHECK_PYTEST_ARGS "")

if(ONNXBN_VALGRIND)
  if(ONNXBN_SANITIZE)
    message(FATAL_ERROR "ONNXBN_VALGRIND and ONNXBN_SANITIZE do not go together: valgrind cannot run "
                        "sanitized programs; use one build folder for each")
  endif()
  if(CMAKE_VERSION VERSION_LESS 3.20)
    message(FATAL_ERROR "ONNXBN_VALGRIND needs CMake 3.20 (file(GENERATE ... FILE_PERMISSIONS))")
  endif()
  find_program(ONNXBN_BASH bash REQUIRED)
  set(ONNXBN_TEST_RUN "${ONNXBN_BASH}" "${ONNXBN_VALGRIND_DIR}/run_test.sh")
  set(ONNXBN_MEMCHECK "${ONNXBN_BASH}" "${ONNXBN_VALGRIND_DIR}/memcheck.sh")
  set(ONNXBN_MEMCHECK_PYTHON ${ONNXBN_MEMCHECK} --python)
  set(ONNXBN_TEST_CLI "${CMAKE_BINARY_DIR}/memcheck/onnxbn")
  set(ONNXBN_TEST_CLI_REPEAT "${ONNXBN_TEST_CLI}")
  file(GENERATE OUTPUT "${ONNXBN_TEST_CLI}"
       CONTENT "#!/bin/sh\n# The onnxbn tool under valgrind memcheck (valgrind mode of the tests).\nexec '${ONNXBN_BASH}' '${ONNXBN_VALGRIND_DIR}/memcheck.sh' '$<TARGET_FILE:onnxbn_cli>' \"$@\"\n"
       FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ
                        WORLD_EXECUTE)
  if(ONNXBN_VALGRIND_SUBSET)
    set(ONNXBN_MEMCHECK_SUBSET ON)
    set(ONNXBN_TEST_CLI_REPEAT "$<TARGET_FILE:onnxbn_cli>")
    set(ONNXBN_MEMCHECK_PYTEST_ARGS -k "not OnnxBackendNodeModelTest or test_batchnorm or test_cast or test_split or test_clip or test_reshape or test_gather or test_argmax or test_constant")
  endif()
endif()

function(onnxbn_memcheck_tests)
  if(NOT ONNXBN_VALGRIND)
    return()
  endif()
  get_property(tests DIRECTORY PROPERTY TESTS)
  foreach(t ${tests})
    get_test_property(${t} TIMEOUT timeout)
    get_test_property(${t} FAIL_REGULAR_EXPRESSION fail_re)
    set(props SKIP_RETURN_CODE 77)
    if(timeout)
      math(EXPR timeout "${timeout} * ${ONNXBN_VALGRIND_TIMEOUT_FACTOR}")
      list(APPEND props TIMEOUT ${timeout})
    endif()
    if(fail_re)
      set(fail_re "${fail_re};valgrind memcheck found errors or leaks")
    else()
      set(fail_re "valgrind memcheck found errors or leaks")
    endif()
    set_tests_properties(${t} PROPERTIES ${props} FAIL_REGULAR_EXPRESSION "${fail_re}")
  endforeach()
endfunction()

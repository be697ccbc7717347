# Fails when a doctest test case name contains a character that breaks CTest discovery or doctest filters.
execute_process(COMMAND ${BINARY} --list-test-cases --no-version OUTPUT_VARIABLE listing RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cannot list test cases (${rc})")
endif()
# doctest's own banner lines start with "[doctest]"; drop them.
string(REGEX REPLACE "\\[doctest\\][^\n]*" "" listing "${listing}")
string(REGEX MATCHALL "[^\n]*[],;[][^\n]*" bad "${listing}")
if(bad)
  message(FATAL_ERROR "test case names must not contain ',', ';', '[' or ']':\n${bad}")
endif()
message(STATUS "all test case names are filter-safe")

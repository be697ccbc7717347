# Every dependency is a Debian 12 package (tools/setup.sh installs them); nothing is downloaded.
find_package(Eigen3 3.4 REQUIRED NO_MODULE)
find_package(Boost 1.74 REQUIRED COMPONENTS graph)
find_package(yaml-cpp 0.7 REQUIRED)
find_package(HDF5 REQUIRED COMPONENTS C HL)
find_package(OpenMP REQUIRED COMPONENTS CXX)
find_package(CLI11 2.1 REQUIRED)
find_package(fmt 9 REQUIRED)
find_package(spdlog 1.10 REQUIRED)
find_package(OpenSSL REQUIRED COMPONENTS Crypto)
find_package(NLopt 2.7 REQUIRED)

# Random123 is header-only and ships no CMake package.
find_path(RANDOM123_INCLUDE_DIR NAMES Random123/philox.h REQUIRED)
add_library(Random123::Random123 INTERFACE IMPORTED)
target_include_directories(Random123::Random123 SYSTEM INTERFACE ${RANDOM123_INCLUDE_DIR})

if(HAVEN_BUILD_TESTS)
  find_package(doctest 2.4 REQUIRED)
endif()

if(HAVEN_BUILD_BENCHMARKS)
  find_package(benchmark QUIET)
  if(NOT benchmark_FOUND)
    message(WARNING "Google Benchmark not found (Debian package libbenchmark-dev): micro-benchmarks are not built")
    set(HAVEN_BUILD_BENCHMARKS OFF)
  endif()
endif()

if(HAVEN_WITH_MPI)
  find_package(MPI REQUIRED COMPONENTS CXX)
endif()

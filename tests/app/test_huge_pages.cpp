// The CLI's heap on transparent huge pages (sim/app/huge_pages.cpp).

#include <doctest/doctest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "huge_pages.hpp"

namespace {

std::string first_line(const char* path) {
  std::string line;
  std::getline(std::ifstream(path), line);
  return line;
}

bool sanitized() {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
  return true;
#else
  return false;
#endif
#else
  return false;
#endif
}

// The sizes (KiB) of the heap's mappings marked for huge pages (VmFlags `hg` in /proc/self/smaps).
std::vector<long> advised_heap_kib() {
  std::ifstream smaps("/proc/self/smaps");
  std::vector<long> found;
  bool in_heap = false;
  long size_kib = 0;
  for (std::string line; std::getline(smaps, line);) {
    if (!line.empty() && !std::isupper(static_cast<unsigned char>(line[0]))) {
      in_heap = line.ends_with("[heap]");  // a mapping's header (its address range first); fields are `Name:`
    } else if (in_heap && line.starts_with("Size:")) {
      size_kib = std::stol(line.substr(5));
    } else if (in_heap && line.starts_with("VmFlags:") && (line + " ").find(" hg ") != std::string::npos) {
      found.push_back(size_kib);
    }
  }
  return found;
}

}  // namespace

TEST_CASE("huge_pages - the heap is reserved ahead and marked for huge pages where the kernel waits to be asked") {
  rlimit as{}, data{};
  REQUIRE(::getrlimit(RLIMIT_AS, &as) == 0);
  REQUIRE(::getrlimit(RLIMIT_DATA, &data) == 0);
  const bool possible =
      first_line("/sys/kernel/mm/transparent_hugepage/enabled").find("[madvise]") != std::string::npos &&
      first_line("/proc/sys/vm/overcommit_memory") != "2" && as.rlim_cur == RLIM_INFINITY &&
      data.rlim_cur == RLIM_INFINITY && !sanitized();
  REQUIRE(advised_heap_kib().empty());
  const bool done = haven::app::back_heap_with_huge_pages();
  CHECK(done == possible);
  const auto advised = advised_heap_kib();
  if (!done) {
    CHECK(advised.empty());
    return;
  }
  // The reserve: a quarter of the memory, at most 1 GiB, less the part below the first 2 MiB boundary.
  const long memory_kib = ::sysconf(_SC_PHYS_PAGES) / 1024 * ::sysconf(_SC_PAGESIZE);
  const long reserve_kib = std::min(memory_kib / 4, 1L << 20);
  REQUIRE(advised.size() == 1);
  CHECK(advised[0] >= reserve_kib - 4096);
  CHECK(advised[0] <= reserve_kib + 4096);
  // Freeing a large block at the heap's top gives nothing back: the reserve stays marked.
  void* block = std::malloc(std::size_t{64} << 20);
  REQUIRE(block != nullptr);
  std::fill_n(static_cast<char*>(block), std::size_t{64} << 20, 'x');
  std::free(block);
  CHECK(advised_heap_kib() == advised);
}

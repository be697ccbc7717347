#include "huge_pages.hpp"

#include <malloc.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

namespace haven::app {

namespace {

std::string first_line(const char* path) {
  std::string line;
  std::getline(std::ifstream(path), line);
  return line;
}

}  // namespace

// Haven allocates its networks, tables and cohorts in many small pieces: hundreds of MB for a 10^5-node network.
// On the 4 KiB pages a kernel in `madvise` mode gives a process, faulting them in was half of loading such a network
// (docs/benchmarks.md), and the page walks of a run's scattered cohorts cost more. glibc's own switch (the tunable
// glibc.malloc.hugetlb=1) is read only as a process starts. So the heap is grown once by a reserve (address space:
// memory only once touched), that range is marked for huge pages, and malloc is told not to give it back while less
// than twice the reserve lies unused at its top. Beyond the reserve the heap goes on as before, on ordinary pages.
bool back_heap_with_huge_pages() {
  if (first_line("/sys/kernel/mm/transparent_hugepage/enabled").find("[madvise]") == std::string::npos) return false;
  // Under strict overcommit a reserve would be charged in full; under a limit on address space it may not fit.
  if (first_line("/proc/sys/vm/overcommit_memory") == "2") return false;
  rlimit limit{};
  if (::getrlimit(RLIMIT_AS, &limit) != 0 || limit.rlim_cur != RLIM_INFINITY) return false;
  if (::getrlimit(RLIMIT_DATA, &limit) != 0 || limit.rlim_cur != RLIM_INFINITY) return false;
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page_bytes = ::sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page_bytes <= 0) return false;
  // A quarter of the memory, at most 1 GiB: malloc's settings are ints, and the trim threshold must stay above the
  // reserve, or the first large free() would give the reserve back.
  const std::size_t reserve_bytes = std::min<std::size_t>(
      static_cast<std::size_t>(pages) * static_cast<std::size_t>(page_bytes) / 4, std::size_t{1} << 30);
  constexpr std::uintptr_t huge_page_bytes = std::uintptr_t{2} << 20;
  constexpr int default_top_pad_bytes = 128 * 1024;         // glibc's (mallopt(3))
  constexpr int default_trim_threshold_bytes = 128 * 1024;  // glibc's
  if (reserve_bytes < 4 * huge_page_bytes) return false;
  // Without a marked reserve, freed memory goes back to the system as it would have.
  const auto give_up = [] {
    ::mallopt(M_TOP_PAD, default_top_pad_bytes);
    ::mallopt(M_TRIM_THRESHOLD, default_trim_threshold_bytes);
    return false;
  };
  if (::mallopt(M_TRIM_THRESHOLD, static_cast<int>(2 * reserve_bytes - 1)) != 1) return give_up();
  if (::mallopt(M_TOP_PAD, static_cast<int>(reserve_bytes)) != 1) return give_up();
  const auto before = reinterpret_cast<std::uintptr_t>(::sbrk(0));
  // Blocks below the mmap threshold, until the heap grows (by the reserve).
  std::array<void*, 64> blocks{};
  std::size_t taken = 0;
  while (taken < blocks.size() && reinterpret_cast<std::uintptr_t>(::sbrk(0)) == before) {
    blocks[taken++] = std::malloc(64 * 1024);
  }
  // Later growth takes what it needs, as without the reserve.
  ::mallopt(M_TOP_PAD, default_top_pad_bytes);
  for (std::size_t k = 0; k < taken; ++k) std::free(blocks[k]);
  const auto after = reinterpret_cast<std::uintptr_t>(::sbrk(0));
  const std::uintptr_t begin = (before + huge_page_bytes - 1) & ~(huge_page_bytes - 1);
  if (after <= begin + huge_page_bytes) return give_up();
  if (::madvise(reinterpret_cast<void*>(begin), after - begin, MADV_HUGEPAGE) != 0) return give_up();
  return true;
}

}  // namespace haven::app

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>

#include "cli.hpp"
#include "haven/io/partial_files.hpp"
#include "haven/io/read_guard.hpp"
#include "huge_pages.hpp"

int main(int argc, char** argv) {
  haven::app::back_heap_with_huge_pages();
  haven::install_partial_file_cleanup();
  haven::guard_file_reads(true);  // a damaged run file is reported, not a crash of the command (read_guard.hpp)
  std::vector<std::string> args(argv + 1, argv + argc);
  const int code = haven::app::run_cli(args, std::cout, std::cerr);
  // What went to standard output (a scenario from `import-flee -o -`, `schema > FILE`) may not have reached it: a
  // full disk or a closed pipe is found only when the buffer is written. Said, and not a success.
  errno = 0;
  std::cout.flush();
  const bool written = static_cast<bool>(std::cout) && std::fflush(stdout) == 0 && std::ferror(stdout) == 0;
  if (!written) {
    const int error = errno;
    std::cerr << "haven: error: cannot write standard output ("
              << (error != 0 ? std::strerror(error) : "a full disk, or a reader gone")
              << "); what it received is incomplete\n";
    return code == haven::app::exit_ok ? haven::app::exit_failure : code;
  }
  return code;
}

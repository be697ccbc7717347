#include <iostream>

#include "cli.hpp"
#include "haven/io/partial_files.hpp"
#include "huge_pages.hpp"

int main(int argc, char** argv) {
  haven::app::back_heap_with_huge_pages();
  haven::install_partial_file_cleanup();
  std::vector<std::string> args(argv + 1, argv + argc);
  return haven::app::run_cli(args, std::cout, std::cerr);
}

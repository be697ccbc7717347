#include <iostream>

#include "cli.hpp"
#include "huge_pages.hpp"

int main(int argc, char** argv) {
  haven::app::back_heap_with_huge_pages();
  std::vector<std::string> args(argv + 1, argv + argc);
  return haven::app::run_cli(args, std::cout, std::cerr);
}

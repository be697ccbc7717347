// Files written whole or not at all: through a registered `.partial` file, renamed into place.

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <string>

#include "../support.hpp"
#include "haven/io/partial_files.hpp"

namespace fs = std::filesystem;

TEST_CASE("write_whole_file writes or replaces a file whole and leaves nothing behind when it cannot") {
  const fs::path dir = fs::temp_directory_path() / ("haven_whole_file_" + std::to_string(getpid()));
  fs::remove_all(dir);
  const fs::path file = dir / "made" / "report.html";
  haven::write_whole_file(file, "first");  // its folder is made
  CHECK(haven::test::read_text(file) == "first");
  haven::write_whole_file(file, std::string(100000, 'x'));
  CHECK(haven::test::read_text(file) == std::string(100000, 'x'));
  CHECK_FALSE(fs::exists(file.string() + ".partial"));
  // A directory where the file goes: an error naming it, the directory untouched, no partial file left.
  fs::create_directories(dir / "a_directory");
  try {
    haven::write_whole_file(dir / "a_directory", "text");
    FAIL("a directory was written over");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()).find((dir / "a_directory").string()) != std::string::npos);
  }
  CHECK(fs::is_directory(dir / "a_directory"));
  CHECK_FALSE(fs::exists((dir / "a_directory").string() + ".partial"));
  // A file where its folder would go.
  CHECK_THROWS_AS(haven::write_whole_file(file / "below_a_file.txt", "text"), std::runtime_error);
  CHECK(haven::test::read_text(file) == std::string(100000, 'x'));
  fs::remove_all(dir);
}

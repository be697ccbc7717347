// Files written whole or not at all: through a registered `.partial` file, renamed into place.

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

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

TEST_CASE("SIGTERM removes every registered partial file - however many are registered at once") {
  // An export stages 6 files a run, all registered at once: past the 64 fixed slots, registrations must still be
  // kept (they used to be dropped, and an interrupted export of 11 runs left hidden partial files behind).
  const fs::path dir = fs::temp_directory_path() / ("haven_partial_signal_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  constexpr int files = 300;
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    haven::install_partial_file_cleanup();
    std::vector<std::unique_ptr<haven::PartialFile>> registered;
    for (int k = 0; k < files; ++k) {
      const fs::path partial = dir / (".file_" + std::to_string(k) + ".partial");
      registered.push_back(std::make_unique<haven::PartialFile>(partial));
      std::ofstream(partial) << "half";
    }
    registered.resize(files / 2);  // some released again: their slots free, their files the writer's business
    for (int k = files / 2; k < files; ++k) fs::remove(dir / (".file_" + std::to_string(k) + ".partial"));
    for (int k = 0; k < 20; ++k) {  // and registered afresh in the freed slots
      const fs::path partial = dir / (".again_" + std::to_string(k) + ".partial");
      registered.push_back(std::make_unique<haven::PartialFile>(partial));
      std::ofstream(partial) << "half";
    }
    std::raise(SIGTERM);
    _exit(3);  // not reached: the handler stops the process as SIGTERM would
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGTERM);
  std::vector<std::string> left;
  for (const auto& entry : fs::directory_iterator(dir)) left.push_back(entry.path().filename().string());
  CHECK(left.empty());
  fs::remove_all(dir);
}

TEST_CASE("remove_unused_partials removes the partial files of the file that no process is writing") {
  const fs::path dir = fs::temp_directory_path() / ("haven_unused_partials_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path file = dir / "run.h5";
  const fs::path left = haven::own_partial_path(file);  // a killed run's: nobody holds it
  const fs::path writing = haven::own_partial_path(file);
  CHECK(left != writing);  // each writer its own name
  CHECK(std::regex_match(left.filename().string(), std::regex(R"(run\.h5\.[0-9a-f]{16}\.partial)")));
  const fs::path other_file = haven::own_partial_path(dir / "other.h5");
  const fs::path shared = file.string() + ".partial";  // a sweep member's: one writer, never another's
  const fs::path not_ours = file.string() + ".notes.partial";
  for (const auto& path : {left, writing, other_file, shared, not_ours}) std::ofstream(path) << "x";
  // A writer holds its lock (HDF5's, on the file it writes) until it is done.
  const int fd = ::open(writing.c_str(), O_RDONLY);
  REQUIRE(fd >= 0);
  REQUIRE(::flock(fd, LOCK_EX) == 0);
  haven::remove_unused_partials(file);
  CHECK_FALSE(fs::exists(left));
  for (const auto& path : {writing, other_file, shared, not_ours}) CHECK(fs::exists(path));
  ::close(fd);  // the writer is done (or died): the next run writing the file removes it
  // Unless HDF5's locking is off: a writer then holds no lock, and an unlocked file may be one being written.
  ::setenv("HDF5_USE_FILE_LOCKING", "FALSE", 1);
  haven::remove_unused_partials(file);
  ::unsetenv("HDF5_USE_FILE_LOCKING");
  CHECK(fs::exists(writing));
  haven::remove_unused_partials(file);
  CHECK_FALSE(fs::exists(writing));
  fs::remove_all(dir);
}

// Files written whole or not at all: through a registered `.partial` file, renamed into place.

#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "../support.hpp"
#include "haven/io/partial_files.hpp"

namespace fs = std::filesystem;

namespace {
// FILE.HOST.PID.partial, as own_partial_path names a partial file of the process PID on HOST.
fs::path fmt_path(const fs::path& file, const std::string& host, pid_t pid) {
  return file.string() + "." + host + "." + std::to_string(pid) + ".partial";
}
}  // namespace

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

TEST_CASE("remove_dead_partials removes only what dead processes of this host left of the file") {
  const fs::path dir = fs::temp_directory_path() / ("haven_dead_partials_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path file = dir / "run.h5";
  const std::string here = haven::host_name();
  // A child that has exited and been reaped: its id names no process now.
  const pid_t child = fork();
  if (child == 0) _exit(0);
  REQUIRE(child > 0);
  waitpid(child, nullptr, 0);
  const fs::path dead = fmt_path(file, here, child);
  const fs::path alive = haven::own_partial_path(file);
  const fs::path other_host = fmt_path(file, here + "x", child);
  const fs::path other_file = fmt_path(dir / "other.h5", here, child);
  const fs::path shared = file.string() + ".partial";  // a sweep member's: one writer, never another's
  for (const auto& path : {dead, alive, other_host, other_file, shared}) std::ofstream(path) << "x";
  CHECK(alive.filename().string() == "run.h5." + here + "." + std::to_string(getpid()) + ".partial");
  haven::remove_dead_partials(file);
  CHECK_FALSE(fs::exists(dead));
  for (const auto& path : {alive, other_host, other_file, shared}) CHECK(fs::exists(path));
  fs::remove_all(dir);
}

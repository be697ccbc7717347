#pragma once
// Shared by the fuzz harnesses (tools/fuzz/fuzz_*.cpp): a private copy of the shipped scenarios in a temporary
// directory, so that harnesses whose loader reads files (sweep files name their scenario; overlays are applied
// to one) see the same tree as the repository, and the bytes under test can be written next to it.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "haven/util/diagnostics.hpp"

namespace haven::fuzz {

// A harness found a broken promise (not a rejected input): stop as a crash, so libFuzzer keeps the input.
[[noreturn]] inline void broken_promise(std::string_view what) {
  std::fprintf(stderr, "haven fuzz: broken promise: %.*s\n", static_cast<int>(what.size()), what.data());
  std::abort();
}

// Every load returns either a result or at least one located error, never neither.
inline void check_outcome(bool loaded, const Diagnostics& diagnostics) {
  if (loaded == diagnostics.has_errors()) {
    broken_promise(loaded ? "a result was returned together with errors" : "nothing was loaded, yet no error");
  }
  for (const auto& d : diagnostics.all()) {
    if (d.location.file.empty()) broken_promise("a diagnostic names no file");
    if (d.message.empty()) broken_promise("a diagnostic has no message");
  }
}

// The temporary tree: <root>/scenarios (a copy of the shipped ones) and <root>/tests/data with the scenarios
// copied one level up from the bad sweep files, so both `../examples/valley.yaml` (as in scenarios/sweeps/) and
// `../../../scenarios/examples/valley.yaml` (as in tests/data/bad_sweeps/) resolve from <root>/tests/data/x/.
class Workspace {
 public:
  static Workspace& get() {
    static Workspace workspace;
    return workspace;
  }
  [[nodiscard]] const std::filesystem::path& root() const noexcept { return root_; }
  // A file the harness writes the input to, one directory below tests/data.
  [[nodiscard]] std::filesystem::path input_path(std::string_view name) const {
    return root_ / "tests" / "data" / "input" / name;
  }
  [[nodiscard]] std::filesystem::path scenario(std::string_view relative) const {
    return root_ / "scenarios" / relative;
  }
  void write(const std::filesystem::path& path, const std::uint8_t* data, std::size_t size) const {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    if (!out) broken_promise("cannot write the fuzz input to the temporary directory");
  }

  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;
  ~Workspace() {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }

 private:
  Workspace() {
    namespace fs = std::filesystem;
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/haven-fuzz-XXXXXX";
    if (!mkdtemp(pattern.data())) broken_promise("cannot create a temporary directory");
    root_ = pattern;
    const fs::path source = fs::path(HAVEN_SOURCE_DIR) / "scenarios";
    fs::copy(source, root_ / "scenarios", fs::copy_options::recursive);
    fs::create_directories(root_ / "tests" / "data" / "input");
    fs::create_directories(root_ / "tests" / "data" / "examples");
    for (const char* file : {"idlib_2019_2020.yaml", "idlib_2018.yaml", "examples/valley.yaml"}) {
      fs::copy_file(source / file, root_ / "tests" / "data" / file);
    }
  }
  std::filesystem::path root_;
};

}  // namespace haven::fuzz

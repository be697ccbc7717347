#pragma once
// Shared by the fuzz harnesses (tools/fuzz/fuzz_*.cpp): a private copy of the shipped scenarios in a temporary
// directory, so that harnesses whose loader reads files (sweep files name their scenario; overlays are applied
// to one) see the same tree as the repository, and the bytes under test can be written next to it.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

// Several files in one fuzz input: each begins at a line `==> NAME <==` (as `head` prints several files) and runs
// to the next such line; bytes before the first are ignored. Only names in `allowed` are written (so no input
// names a path outside the directory); at most one of each, the last one kept. Returns the names written.
inline std::vector<std::string> write_files(const std::filesystem::path& directory, std::string_view input,
                                            const std::vector<std::string>& allowed) {
  namespace fs = std::filesystem;
  std::error_code ignored;
  fs::remove_all(directory, ignored);
  fs::create_directories(directory);
  std::vector<std::pair<std::string, std::string_view>> files;
  std::size_t at = 0;
  std::string current;
  std::size_t body = std::string_view::npos;
  const auto close = [&](std::size_t end) {
    if (body != std::string_view::npos) files.emplace_back(current, input.substr(body, end - body));
  };
  while (at < input.size()) {
    std::size_t end = input.find('\n', at);
    if (end == std::string_view::npos) end = input.size();
    const std::string_view line = input.substr(at, end - at);
    if (line.size() > 8 && line.substr(0, 4) == "==> " && line.substr(line.size() - 4) == " <==") {
      close(at);
      current = std::string(line.substr(4, line.size() - 8));
      body = std::min(end + 1, input.size());
    }
    at = end + 1;
  }
  close(input.size());
  std::vector<std::string> written;
  for (const auto& [name, text] : files) {
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) continue;
    const fs::path path = directory / name;
    fs::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    if (!out) broken_promise("cannot write a fuzz input file to the temporary directory");
    if (std::find(written.begin(), written.end(), name) == written.end()) written.push_back(name);
  }
  return written;
}

}  // namespace haven::fuzz

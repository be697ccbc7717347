#pragma once
// Shared helpers for the test suite.

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli.hpp"

namespace haven::test {

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

inline void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

struct CliResult {
  int exit_code = 0;
  std::string out;
  std::string err;

  // The transcript golden files hold.
  [[nodiscard]] std::string transcript() const {
    return "exit: " + std::to_string(exit_code) + "\n--- stdout\n" + out + "--- stderr\n" + err;
  }
};

// Runs the CLI in-process from the source directory, so paths in messages are stable.
inline CliResult run_cli(const std::vector<std::string>& args) {
  std::filesystem::current_path(HAVEN_SOURCE_DIR);
  std::ostringstream out, err;
  CliResult result;
  result.exit_code = haven::app::run_cli(args, out, err);
  result.out = out.str();
  result.err = err.str();
  return result;
}

// True when HAVEN_UPDATE_GOLDEN=1: golden files are rewritten instead of compared (review the diff!).
inline bool updating_golden() {
  const char* flag = std::getenv("HAVEN_UPDATE_GOLDEN");
  return flag != nullptr && std::string(flag) == "1";
}

// The files in `directory` ending in `extension`, sorted (the golden cases of a folder).
inline std::vector<std::filesystem::path> files_with_extension(const std::filesystem::path& directory,
                                                               const std::string& extension) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    if (entry.path().extension() == extension) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Checks a transcript against its golden file, or rewrites the file under HAVEN_UPDATE_GOLDEN=1.
inline void check_golden(const CliResult& result, const std::filesystem::path& expected_path) {
  if (updating_golden()) {
    write_text(expected_path, result.transcript());
    return;
  }
  REQUIRE_MESSAGE(std::filesystem::exists(expected_path),
                  "missing " << expected_path << "; run with HAVEN_UPDATE_GOLDEN=1");
  CHECK(result.transcript() == read_text(expected_path));
}

// The error lines of a diagnostics transcript that are not located: neither `file:line:col: error:` nor
// `command line (...): error:`.
inline std::vector<std::string> unlocated_errors(const std::string& err) {
  std::vector<std::string> found;
  std::size_t begin = 0;
  while (begin < err.size()) {
    const std::size_t end = std::min(err.find('\n', begin), err.size());
    const std::string line = err.substr(begin, end - begin);
    begin = end + 1;
    const auto at = line.find(": error: ");
    if (at == std::string::npos || line.rfind("command line (", 0) == 0) continue;
    // file:line:col: the two last ':'-separated fields before ": error" are numbers.
    const std::string where = line.substr(0, at);
    const auto col = where.rfind(':');
    const auto row = col == std::string::npos || col == 0 ? std::string::npos : where.rfind(':', col - 1);
    auto digits = [](const std::string& text) {
      return !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
    };
    if (row == std::string::npos || !digits(where.substr(row + 1, col - row - 1)) || !digits(where.substr(col + 1)))
      found.push_back(line);
  }
  return found;
}

// Splits "a b 'c d'" into words; single quotes group.
inline std::vector<std::string> split_words(const std::string& line) {
  std::vector<std::string> words;
  std::string word;
  bool quoted = false, any = false;
  for (char c : line) {
    if (c == '\'') {
      quoted = !quoted;
      any = true;
    } else if (c == ' ' && !quoted) {
      if (any) words.push_back(word);
      word.clear();
      any = false;
    } else {
      word.push_back(c);
      any = true;
    }
  }
  if (any) words.push_back(word);
  return words;
}

}  // namespace haven::test

#pragma once
// Shared helpers for the test suite.

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

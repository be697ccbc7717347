// Golden transcripts of the CLI: tests/data/golden/NAME.cmd holds the arguments, NAME.expected the exit code,
// stdout and stderr. Regenerate with HAVEN_UPDATE_GOLDEN=1 and review the diff.

#include <doctest/doctest.h>

#include <algorithm>

#include "../support.hpp"
#include "haven/scenario/parameters.hpp"
#include "haven/scenario/schema.hpp"

namespace fs = std::filesystem;
using namespace haven::test;

TEST_CASE("CLI transcripts match their golden files") {
  const auto cases = files_with_extension(HAVEN_TEST_DATA_DIR "/golden", ".cmd");
  CHECK(!cases.empty());
  for (const auto& path : cases) {
    CAPTURE(path.stem().string());
    std::string line = read_text(path);
    line.erase(std::remove(line.begin(), line.end(), '\n'), line.end());
    const auto result = run_cli(split_words(line));
    check_golden(result, fs::path(path).replace_extension(".expected"));
  }
}

TEST_CASE("haven --version names the version and a commit") {
  auto result = run_cli({"--version"});
  CHECK(result.exit_code == 0);
  CHECK(result.out.rfind("haven 0.", 0) == 0);
  CHECK(result.out.find("(commit ") != std::string::npos);
}

TEST_CASE("haven params lists every registered parameter") {
  auto result = run_cli({"params"});
  CHECK(result.exit_code == 0);
  for (const auto& spec : haven::parameter_specs) CHECK(result.out.find(std::string(spec.name)) != std::string::npos);
}

TEST_CASE("haven schema prints the schema which names every node kind") {
  auto result = run_cli({"schema"});
  CHECK(result.exit_code == 0);
  CHECK(result.out == haven::scenario_json_schema());
  CHECK(result.out.find("\"border_crossing\"") != std::string::npos);
}

TEST_CASE("usage errors exit with code 2") {
  CHECK(run_cli({"frobnicate"}).exit_code == 2);
  CHECK(run_cli({"check"}).exit_code == 2);
  CHECK(run_cli({"--help"}).exit_code == 0);
}

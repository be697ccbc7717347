// Every file in tests/data/bad/ is a scenario with mistakes. `haven check` must reject each with exit code 2
// and exactly the located messages in its .expected transcript. A first line `# args: ...` adds arguments
// (e.g. --variant or --set). Regenerate transcripts with HAVEN_UPDATE_GOLDEN=1 and review the diff.

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <random>

#include "../support.hpp"

namespace fs = std::filesystem;
using namespace haven::test;

TEST_CASE("bad scenarios are rejected with exit code 2 and their exact located messages") {
  const auto cases = files_with_extension(HAVEN_TEST_DATA_DIR "/bad", ".yaml");
  CHECK(cases.size() >= 40);
  for (const auto& path : cases) {
    const std::string name = path.stem().string();
    CAPTURE(name);
    std::vector<std::string> args = {"check", fs::relative(path, HAVEN_SOURCE_DIR).string()};
    const std::string text = read_text(path);
    if (text.rfind("# args:", 0) == 0) {
      const auto extra = split_words(text.substr(7, text.find('\n') - 7));
      args.insert(args.end(), extra.begin(), extra.end());
    }
    const auto result = run_cli(args);
    CHECK(result.exit_code == 2);
    CHECK(result.out.empty());
    // Every message is located: file:line:col, or the command line for --set.
    CHECK(result.err.find(": error: ") != std::string::npos);
    CHECK(unlocated_errors(result.err).empty());
    check_golden(result, fs::path(path).replace_extension(".expected"));
  }
}

TEST_CASE("hostile inputs never crash the loader") {
  const fs::path dir = fs::temp_directory_path() / "haven_hostile";
  fs::create_directories(dir);

  SUBCASE("empty file") {
    write_text(dir / "empty.yaml", "");
    auto result = run_cli({"check", (dir / "empty.yaml").string()});
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("the file is empty") != std::string::npos);
  }
  SUBCASE("a byte-order mark and nothing else") {
    for (const char* text : {"\xEF\xBB\xBF", "\xEF\xBB\xBF\n# a comment\n"}) {
      write_text(dir / "bom.yaml", text);
      auto result = run_cli({"check", (dir / "bom.yaml").string()});
      CHECK(result.exit_code == 2);
      CHECK(result.err.find("the file is empty") != std::string::npos);
    }
  }
  SUBCASE("binary garbage") {
    std::mt19937 random(7);
    std::string bytes(4096, '\0');
    for (auto& b : bytes) b = static_cast<char>(random() & 0xff);
    write_text(dir / "garbage.yaml", bytes);
    auto result = run_cli({"check", (dir / "garbage.yaml").string()});
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("error:") != std::string::npos);
  }
  SUBCASE("garbage without NUL bytes") {
    std::mt19937 random(11);
    std::string bytes(1 << 16, ' ');
    for (auto& b : bytes) b = static_cast<char>(1 + random() % 255);
    write_text(dir / "noisy.yaml", bytes);
    auto result = run_cli({"check", (dir / "noisy.yaml").string()});
    CHECK(result.exit_code == 2);
  }
  SUBCASE("a file in Latin-1, not UTF-8") {
    std::string text = read_text(HAVEN_SOURCE_DIR "/scenarios/examples/valley.yaml");
    const auto at = text.find("South Town");
    REQUIRE(at != std::string::npos);
    text.replace(at, 10, "S\xFC\x64 Town");  // "Süd Town" as Latin-1 writes it
    write_text(dir / "latin1.yaml", text);
    auto result = run_cli({"check", (dir / "latin1.yaml").string()});
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("latin1.yaml:23:") != std::string::npos);
    CHECK(result.err.find("the byte 0xFC here is not UTF-8; save a scenario as UTF-8") != std::string::npos);
    // An overlay likewise.
    write_text(dir / "latin1-overlay.yaml", "nodes.southtown.name: S\xFC\x64\n");
    result = run_cli({"check", HAVEN_SOURCE_DIR "/scenarios/examples/valley.yaml", "--set-file",
                      (dir / "latin1-overlay.yaml").string()});
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("not UTF-8; save an overlay as UTF-8") != std::string::npos);
  }
  SUBCASE("deep nesting") {
    const std::string deep = "scenario: " + std::string(100000, '[') + std::string(100000, ']') + "\n";
    write_text(dir / "deep.yaml", deep);
    auto result = run_cli({"check", (dir / "deep.yaml").string()});
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("nesting is too deep") != std::string::npos);
  }
  SUBCASE("a 50 MB file") {
    std::string big = "scenario: {name: big, start_date: 2020-01-01, days: 10}\n";
    big += "nodes:\n  - {id: a, kind: town, lat: 0, lon: 0, population: 1}\n";
    big += "# " + std::string(50u << 20, 'x') + "\n";
    big += "bogus: 1\n";
    write_text(dir / "big.yaml", big);
    auto result = run_cli({"check", (dir / "big.yaml").string()});
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("unknown key 'bogus'") != std::string::npos);
  }
  SUBCASE("CR-only line endings read as line breaks") {
    std::string text = read_text(HAVEN_SOURCE_DIR "/scenarios/examples/valley.yaml");
    std::replace(text.begin(), text.end(), '\n', '\r');
    write_text(dir / "classic_mac.yaml", text);
    auto result = run_cli({"check", (dir / "classic_mac.yaml").string()});
    CHECK(result.exit_code == 0);
    CHECK(result.out.find("is valid") != std::string::npos);
    // Line numbers count CRs as line ends too.
    text.replace(text.find("days: 60"), 8, "days: -1");
    write_text(dir / "classic_mac_bad.yaml", text);
    result = run_cli({"check", (dir / "classic_mac_bad.yaml").string()});
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("classic_mac_bad.yaml:11:9: error: scenario.days") != std::string::npos);
  }
  SUBCASE("a huge value is echoed clipped") {
    // 2 MB keeps the test fast (yaml-cpp scans a long scalar at ~2 MB/s); clipping does not depend on the size.
    const std::string huge(2u << 20, 'z');
    std::string text = read_text(HAVEN_SOURCE_DIR "/scenarios/examples/valley.yaml");
    text.replace(text.find("name: valley"), 12, "name: " + huge);
    text.replace(text.find("kind: town"), 10, "kind: " + huge);
    write_text(dir / "huge_value.yaml", text);
    auto result = run_cli({"check", (dir / "huge_value.yaml").string()});
    CHECK(result.exit_code == 2);
    CHECK(result.err.size() < 2000);
    CHECK(result.err.find("'" + std::string(57, 'z') + "\u2026'") != std::string::npos);
    result = run_cli({"check", "scenarios/examples/valley.yaml", "--set", "scenario.name=" + huge.substr(0, 100000)});
    CHECK(result.exit_code == 2);
    CHECK(result.err.size() < 2000);
  }
  SUBCASE("a device is read only up to the cap") {
    if (!fs::exists("/dev/zero")) return;
    auto result = run_cli({"check", "/dev/zero"});
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("/dev/zero: error: larger than 256 MiB") != std::string::npos);
  }
  SUBCASE("an alias bomb in a --set value") {
    std::string bomb = "[&a0 [x, x, x, x, x, x, x, x, x, x]";
    for (int level = 1; level < 9; ++level) {
      bomb += fmt::format(", &a{} [*a{}", level, level - 1);
      for (int k = 1; k < 10; ++k) bomb += fmt::format(", *a{}", level - 1);
      bomb += "]";
    }
    bomb += "]";
    auto result = run_cli({"check", "scenarios/examples/valley.yaml", "--set", "parameters.threat_kernel_km=" + bomb});
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("error: aliases (*name) repeat more than 1000000 values") != std::string::npos);
  }
  SUBCASE("a long text repeated by many aliases") {
    // Few values, but every alias copies the text in full (a 1 MB text aliased 5,000 times ran out of memory at
    // 4 GB: "std::bad_alloc", exit 1).
    const auto scenario = [](int copies) {
      std::string text = "scenario:\n  name: small\n  start_date: 2024-01-01\n  days: 30\n  description: &long " +
                         std::string(256u << 10, 'x') + "\n  sources:\n";
      for (int k = 0; k < copies; ++k) text += "    - {publisher: *long}\n";
      return text +
             "nodes:\n  - {id: hometown, kind: town, lat: 35.0, lon: 36.0, population: 10000}\n"
             "  - {id: camp, kind: camp, lat: 35.3, lon: 36.1, capacity: 5000}\n"
             "corridors:\n  - {from: hometown, to: camp, length_km: 35, kind: road}\n";
    };
    write_text(dir / "long_aliases.yaml", scenario(300));  // 75 MiB of copies
    auto result = run_cli({"check", (dir / "long_aliases.yaml").string()});
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("long_aliases.yaml:") != std::string::npos);
    CHECK(result.err.find("error: aliases (*name) repeat more than 64 MiB of text in all") != std::string::npos);
    write_text(dir / "long_aliases.yaml", scenario(200));  // 50 MiB: read as before
    result = run_cli({"check", (dir / "long_aliases.yaml").string()});
    CHECK(result.exit_code == 0);
  }
  SUBCASE("a directory and a missing file") {
    CHECK(run_cli({"check", dir.string()}).exit_code == 2);
    auto result = run_cli({"check", (dir / "nope.yaml").string()});
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("cannot open") != std::string::npos);
  }
}

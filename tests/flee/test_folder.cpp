// Reading Flee conflict folders (tests/data/flee/: hand-written, with the quirks of the real ones) and turning
// them into Haven scenarios.

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "../support.hpp"
#include "haven/engine/simulation.hpp"
#include "haven/flee/folder.hpp"
#include "haven/io/output.hpp"
#include "haven/scenario/load.hpp"

namespace fs = std::filesystem;
using namespace haven;
using namespace haven::test;

namespace {
const fs::path good_folder = HAVEN_TEST_DATA_DIR "/flee/good";
const fs::path bad_folder = HAVEN_TEST_DATA_DIR "/flee/bad";

// A fresh copy of the good folder, haven_flee_<tag>_<pid> in the temporary directory, for a test to spoil.
fs::path copy_of_good_folder(const char* tag) {
  const fs::path folder = fs::temp_directory_path() / fmt::format("haven_flee_{}_{}", tag, static_cast<long>(getpid()));
  fs::remove_all(folder);
  fs::copy(good_folder, folder, fs::copy_options::recursive);
  return folder;
}

bool has_diagnostic(const Diagnostics& diagnostics, const std::string& where, const std::string& text) {
  return std::any_of(diagnostics.all().begin(), diagnostics.all().end(), [&](const Diagnostic& d) {
    const std::string formatted = format_diagnostic(d);
    return formatted.find(where) != std::string::npos && formatted.find(text) != std::string::npos;
  });
}
}  // namespace

TEST_CASE("a Flee folder with the real files' quirks reads as Flee reads it") {
  Diagnostics diagnostics;
  const auto conflict = flee::read_flee_folder(good_folder, diagnostics);
  for (const auto& diagnostic : diagnostics.all()) MESSAGE(format_diagnostic(diagnostic));
  REQUIRE(conflict.has_value());
  CHECK(diagnostics.all().empty());
  CHECK(conflict->days == 10);
  CHECK(format_iso_date(conflict->start_date) == "2020-01-01");
  REQUIRE(conflict->locations.size() == 7);  // the '#' header row is not a location
  CHECK(conflict->locations[2].name == "Gamma-Hub");
  CHECK(conflict->locations[2].population == 0);  // an empty population column is 0, as in Flee
  CHECK_FALSE(conflict->locations[2].conflict_date.has_value());
  REQUIRE(conflict->routes.size() == 6);
  CHECK(conflict->routes[0].forced_redirection == 0);  // empty forced_redirection column
  CHECK(conflict->routes[1].distance_km == 55.0);      // " 55": a space after the comma
  CHECK(conflict->routes[2].forced_redirection == 1);
  // "#Day, Alpha Town, Beta,": spaces after commas and a trailing comma (car2013) leave two columns.
  REQUIRE(conflict->conflicts.size() == 2);
  CHECK(conflict->conflicts[1].location == "Beta");
  CHECK(conflict->conflicts[1].intensity_by_day.size() == 10);
  CHECK(conflict->conflicts[1].intensity_by_day[3] == 0.5);
  CHECK(conflict->closures.size() == 4);
  // A file name with a space (syria2013's "closures - syria.csv"): Flee never reads it, so neither do we.
  CHECK(conflict->ignored_files == std::vector<std::string>{"input_csv/closures - extra.csv"});
  REQUIRE(conflict->camp_series.size() == 2);
  CHECK(conflict->camp_series[0].points_by_file[0].size() == 5);  // its "Date,Count" header row is skipped
  CHECK(conflict->total.has_value());
  CHECK(conflict->registration_corrections.size() == 1);
  CHECK(conflict->inputs.size() == 11);
  for (const auto& input : conflict->inputs) CHECK(input.sha256.size() == 64);
}

TEST_CASE("every mistake in a Flee folder is reported at once at its file line and column") {
  Diagnostics diagnostics;
  CHECK_FALSE(flee::read_flee_folder(bad_folder, diagnostics).has_value());
  CHECK(diagnostics.error_count() == 23);
  CHECK(has_diagnostic(diagnostics, "input_csv/routes.csv:2:1: error: column 'name1'",
                       "unknown location 'Alpah Town'; did you mean 'Alpha Town'?"));
  // A space after the comma is part of a name in Flee, so ' Gamma' names no location.
  CHECK(has_diagnostic(diagnostics, "input_csv/routes.csv:3:6:", "did you mean 'Gamma'?"));
  CHECK(has_diagnostic(diagnostics, "input_csv/conflicts.csv:1:17:", "unknown location 'Btea'; did you mean 'Beta'?"));
  CHECK(has_diagnostic(diagnostics, "input_csv/conflicts.csv:4:7:", "Flee would misalign the columns"));
  CHECK(has_diagnostic(diagnostics, "input_csv/locations.csv:6:1:", "duplicate location 'Delta'"));
  CHECK(has_diagnostic(diagnostics, "input_csv/closures.csv:3:18: error: column 'name2'", "did you mean 'Neighbour'?"));
}

TEST_CASE("one mistake in a Flee folder is one error - not followed by what it makes of other rows") {
  const fs::path folder = copy_of_good_folder("one");
  // Delta's row cut short: Delta is still a name of the folder, not an unknown one in routes.csv and closures.csv.
  const fs::path locations = folder / "input_csv" / "locations.csv";
  std::string text = read_text(locations);
  const std::string delta = "Delta,South,Homeland,11.5,21.5,town,,8000";
  REQUIRE(text.find(delta) != std::string::npos);
  text.replace(text.find(delta), delta.size(), "Delta,South,Homeland,11.5,21.5");
  write_text(locations, text);
  // Days 4 and 5 missing: one error, and the rows after it read as the days they say.
  const fs::path conflicts = folder / "input_csv" / "conflicts.csv";
  std::string days = read_text(conflicts);
  for (const char* row : {"4,", "5,"}) {
    const auto at = days.find(std::string("\n") + row);
    REQUIRE(at != std::string::npos);
    days.erase(at + 1, days.find('\n', at + 1) - at);
  }
  write_text(conflicts, days);
  Diagnostics diagnostics;
  CHECK_FALSE(flee::read_flee_folder(folder, diagnostics).has_value());
  CHECK(has_diagnostic(diagnostics, "input_csv/locations.csv:5:", "expected 8 columns"));
  CHECK(has_diagnostic(diagnostics, "input_csv/conflicts.csv:6:1:",
                       "expected day 4 (Flee takes the rows in order, one per day), got '6': days 4 to 5 are missing"));
  CHECK(diagnostics.error_count() == 2);
  fs::remove_all(folder);
}

TEST_CASE("two days swapped in a Flee conflicts.csv are said as they are - not as a day missing") {
  const fs::path folder = copy_of_good_folder("swap");
  const fs::path conflicts = folder / "input_csv" / "conflicts.csv";
  std::string days = read_text(conflicts);
  const auto three = days.find("\n3,");
  const auto four = days.find("\n4,");
  REQUIRE(three != std::string::npos);
  REQUIRE(four != std::string::npos);
  const auto after_four = days.find('\n', four + 1);
  const std::string row3 = days.substr(three + 1, four - three - 1);
  const std::string row4 = days.substr(four + 1, after_four - four - 1);
  days.replace(three + 1, after_four - three - 1, row4 + "\n" + row3);
  write_text(conflicts, days);
  Diagnostics diagnostics;
  CHECK_FALSE(flee::read_flee_folder(folder, diagnostics).has_value());
  CHECK(diagnostics.error_count() == 2);
  CHECK(has_diagnostic(diagnostics, "input_csv/conflicts.csv:5:1:",
                       "expected day 3 (Flee takes the rows in order, one "
                       "per day), got '4'"));
  CHECK(has_diagnostic(diagnostics, "input_csv/conflicts.csv:6:1:",
                       "expected day 4 (Flee takes the rows in order, one "
                       "per day), got '3'"));
  for (const auto& d : diagnostics.all()) CHECK(d.message.find("missing") == std::string::npos);
  fs::remove_all(folder);
}

TEST_CASE("a Flee folder's file or settings file that never ends is refused at 256 MiB - not read to exhaustion") {
  // A settings file or a folder's CSV may be a device (or a link to one): read up to the cap, as haven check reads
  // a scenario, then refused at its name, with nothing else read into memory.
  Diagnostics settings;
  CHECK_FALSE(flee::read_flee_folder(good_folder, settings, "/dev/zero").has_value());
  CHECK(has_diagnostic(settings, "/dev/zero", "larger than 256 MiB, the most Haven reads of such a file"));
  const fs::path folder = copy_of_good_folder("zero");
  fs::remove(folder / "input_csv" / "routes.csv");
  fs::create_symlink("/dev/zero", folder / "input_csv" / "routes.csv");
  Diagnostics routes;
  CHECK_FALSE(flee::read_flee_folder(folder, routes).has_value());
  CHECK(has_diagnostic(routes, "input_csv/routes.csv", "larger than 256 MiB"));
  fs::remove_all(folder);
}

TEST_CASE("import-flee says the camp series miss the simulated period - not that the folder names none") {
  // A StartDate after every point of the UNHCR data: the series are named, but none of their points is inside.
  const fs::path folder = copy_of_good_folder("late");
  write_text(folder / "input_csv" / "sim_period.csv", "StartDate,2025-01-01\nLength,10\n");
  const auto flee_rules = run_cli({"import-flee", folder.string(), "-o", "-"});
  CHECK(flee_rules.exit_code == 2);
  CHECK(flee_rules.err.find("the camp series this file names have no point in the simulated period (10 days from "
                            "2025-01-01)") != std::string::npos);
  CHECK(flee_rules.err.find("names none") == std::string::npos);
  const auto haven_rules = run_cli({"import-flee", folder.string(), "--rules", "haven", "-o", "-"});
  CHECK(haven_rules.exit_code == 0);
  CHECK(haven_rules.err.find("the UNHCR total (data_layout.csv row 'total') has no point in the simulated period") !=
        std::string::npos);
  CHECK(haven_rules.err.find("no UNHCR total") == std::string::npos);
  fs::remove_all(folder);
}

TEST_CASE("Flee names become Haven ids and stay the nodes' names") {
  CHECK(flee::derive_id("Kaga Bandoro") == "Kaga_Bandoro");
  CHECK(flee::derive_id("As-Sweida") == "As_Sweida");
  CHECK(flee::derive_id("2nd camp") == "n_2nd_camp");
  CHECK(flee::derive_id("D\xC3\xA9lta \xCE\xA9mega") == "D_lta__mega");  // one '_' a character, not a byte
  flee::FleeConflict conflict;
  conflict.folder_name = "tiny";
  conflict.start_date = *parse_iso_date("2020-01-01");
  conflict.days = 3;
  conflict.locations = {{"A-B", "", "X", 1, 1, "conflict_zone", 0, 100, {}},
                        {"A B", "", "X", 1, 2, "camp", std::nullopt, 50, {}}};
  conflict.routes = {{"A-B", "A B", 10, 0, {}}};
  conflict.conflicts = {{"A-B", {0, 2, 2}, {}}};
  const auto imported = flee::import_conflict(conflict, {"haven", "given"});  // no camp series: Haven's rules
  CHECK(imported.yaml.find("{id: A_B, name: \"A-B\", kind: town") != std::string::npos);
  CHECK(imported.yaml.find("{id: A_B_2, name: \"A B\", kind: camp") != std::string::npos);
  // Two days of intensity 2 are one armed conflict of intensity 2.
  CHECK(imported.yaml.find("kind: armed_conflict, node: A_B, day: 1, until: 2, intensity: 2") != std::string::npos);
  const auto loaded = load_scenario_text(imported.yaml, "tiny.yaml");
  CHECK(loaded.scenario.has_value());

  // A name with control characters (Flee takes any text) is written escaped, never raw: YAML readers other than
  // Haven's refuse them raw. It reads back as it was.
  conflict.locations[1].name =
      "A\x01"
      "B\x7f\xC2\x91";
  conflict.routes[0].name2 = conflict.locations[1].name;
  const auto escaped = flee::import_conflict(conflict, {"haven", "given"});
  CHECK(escaped.yaml.find("name: \"A\\x01B\\x7F\\x91\"") != std::string::npos);
  CHECK(std::none_of(escaped.yaml.begin(), escaped.yaml.end(),
                     [](char c) { return (static_cast<unsigned char>(c) < 0x20 && c != '\n') || c == '\x7f'; }));
  const auto reread = load_scenario_text(escaped.yaml, "tiny.yaml");
  REQUIRE(reread.scenario.has_value());
  CHECK(reread.scenario->nodes[1].name ==
        "A\x01"
        "B\x7f\xC2\x91");
}

TEST_CASE("under Flee's rules the event log says each event's place or corridor and value") {
  Diagnostics diagnostics;
  const auto conflict = flee::read_flee_folder(good_folder, diagnostics);
  REQUIRE(conflict);
  const auto imported = flee::import_conflict(*conflict);
  const auto loaded = load_scenario_text(imported.yaml, "good.yaml");
  REQUIRE(loaded.scenario);
  Scenario s = *loaded.scenario;
  REQUIRE(s.rules == RuleSetKind::flee);
  // An opening of a road that is open anyway: open when it starts, and still open when it ends.
  const auto open_road =
      std::find_if(s.corridors.begin(), s.corridors.end(), [](const Corridor& c) { return !c.closed; });
  REQUIRE(open_road != s.corridors.end());
  const auto open_index = static_cast<CorridorIndex>(open_road - s.corridors.begin());
  s.events.push_back(Event{"extra_opening", 1, 2, CorridorOpening{open_index}, ""});
  struct Log : Observer {
    std::vector<EventRecord> events;
    void on_day(const DayRecord&) override {}
    void on_event(const EventRecord& event) override { events.push_back(event); }
  } log;
  Simulation simulation(s, RunConfig{.seed = 1});
  simulation.add_observer(log);
  simulation.run();
  std::size_t conflicts = 0, closures = 0, openings = 0;
  for (const auto& e : log.events) {
    CAPTURE(e.kind);
    const auto event =
        std::find_if(s.events.begin(), s.events.end(), [&](const Event& x) { return x.id == e.event_id; });
    REQUIRE(event != s.events.end());
    if (const auto* armed = std::get_if<ArmedConflict>(&event->action)) {
      CHECK(e.node == armed->node);
      CHECK(e.value == armed->intensity);
      ++conflicts;
    } else if (const auto* closure = std::get_if<CorridorClosure>(&event->action)) {
      CHECK(e.corridor == closure->corridor);
      if (e.kind.ends_with("_start")) CHECK(e.value == 0.0);  // closed once it starts
      ++closures;
    } else if (const auto* opening = std::get_if<CorridorOpening>(&event->action)) {
      CHECK(e.corridor == opening->corridor);
      CHECK(e.value == 1.0);  // the state that day, not the opposite of the event's own effect
      ++openings;
    }
  }
  CHECK(conflicts >= 2);
  CHECK(closures >= 2);
  CHECK(openings == 2);
}

TEST_CASE("haven run on a Flee folder equals import-flee then run") {
  const fs::path dir = fs::temp_directory_path() / "haven_flee_run";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const auto direct = run_cli({"run", good_folder.string(), "-o", (dir / "direct.h5").string(), "--quiet"});
  REQUIRE(direct.exit_code == 0);
  const auto imported = run_cli({"import-flee", good_folder.string(), "-o", (dir / "good.yaml").string()});
  REQUIRE(imported.exit_code == 0);
  const auto again = run_cli({"import-flee", good_folder.string(), "-o", (dir / "good.yaml").string()});
  CHECK(again.exit_code == 2);  // nothing is overwritten without --overwrite
  const auto via_file = run_cli({"run", (dir / "good.yaml").string(), "-o", (dir / "via_file.h5").string(), "--quiet"});
  REQUIRE(via_file.exit_code == 0);
  const RunFile a = read_run_file(dir / "direct.h5"), b = read_run_file(dir / "via_file.h5");
  CHECK(a.node_name == b.node_name);
  CHECK(a.time_days.size() == 10);  // every day recorded
  CHECK(a.displaced_present == b.displaced_present);
  CHECK(a.departures == b.departures);
  CHECK(a.arrivals == b.arrivals);
  CHECK(a.cumulative_displaced == b.cumulative_displaced);
  CHECK(a.scenario_yaml == b.scenario_yaml);
  CHECK(a.scenario_yaml.find("\nrules: flee") != std::string::npos);  // the import's default, in memory too
  fs::remove_all(dir);
}

TEST_CASE("import-flee defaults to Flee's rules with departures given by the camps' series") {
  Diagnostics diagnostics;
  const auto conflict = flee::read_flee_folder(good_folder, diagnostics);
  REQUIRE(conflict.has_value());
  const auto imported = flee::import_conflict(*conflict);
  CHECK(imported.yaml.find("\nrules: flee") != std::string::npos);
  CHECK(imported.yaml.find("departures: {mode: given, observation: unhcr_camps_summed}") != std::string::npos);
  const auto loaded = load_scenario_text(imported.yaml, "good.yaml");
  REQUIRE(loaded.scenario.has_value());
  CHECK(loaded.scenario->rules == RuleSetKind::flee);
  // Flee's rules are told how many flee: predicted departures need Haven's rules, and say so.
  const auto predicted = run_cli({"import-flee", good_folder.string(), "--departures", "predicted", "-o", "-"});
  CHECK(predicted.exit_code == 2);
  CHECK(predicted.out.empty());
  CHECK(predicted.err.find("--rules haven") != std::string::npos);
  const auto haven =
      run_cli({"import-flee", good_folder.string(), "--rules", "haven", "--departures", "predicted", "-o", "-"});
  CHECK(haven.exit_code == 0);
  CHECK(haven.out.find("departures: {mode: predicted, observation: unhcr_total}") != std::string::npos);
  CHECK(haven.out.find("\nrules: flee") == std::string::npos);
}

namespace {
// A copy of the good folder in a scratch directory, with `file` replaced by `text` (or removed when empty).
fs::path variant_of_good(const std::string& name, const std::string& file, const std::string& text) {
  const fs::path dir = fs::temp_directory_path() / ("haven_flee_" + name);
  fs::remove_all(dir);
  fs::copy(good_folder, dir, fs::copy_options::recursive);
  if (text.empty()) {
    fs::remove(dir / file);
  } else {
    write_text(dir / file, text);
  }
  return dir;
}
}  // namespace

TEST_CASE("Flee folder quirks Flee accepts are accepted: a byte-order mark and location types in capitals") {
  const auto dir = variant_of_good("quirks", "input_csv/locations.csv",
                                   "\xEF\xBB\xBF#name,region,country,latitude,longitude,location_type,conflict_date,"
                                   "population\n"
                                   "Alpha Town,North,Homeland,10.0,20.0,Conflict_Zone,0,50000\n"
                                   "Beta,North,Homeland,10.5,20.5,conflict_zone,3,20000\n"
                                   "Gamma-Hub,South,Homeland,11.0,21.0,forwarding_hub,,\n"
                                   "Delta,South,Homeland,11.5,21.5,Town,,8000\n"
                                   "Echo,South,Homeland,11.6,21.4,town,,0\n"
                                   "Camp One,Over,Neighbour,12.0,22.0,CAMP,,30000\n"
                                   "Camp Two,Over,Neighbour,12.5,22.5,camp,,10000\n");
  Diagnostics diagnostics;
  const auto conflict = flee::read_flee_folder(dir, diagnostics);
  for (const auto& diagnostic : diagnostics.all()) MESSAGE(format_diagnostic(diagnostic));
  REQUIRE(conflict.has_value());
  CHECK(conflict->locations[0].name == "Alpha Town");
  CHECK(conflict->locations[5].location_type == "camp");
  fs::remove_all(dir);
}

TEST_CASE("an empty line in conflicts.csv is no day - as Flee's reader appends nothing for it") {
  const auto dir = variant_of_good("conflicts_empty_line", "input_csv/conflicts.csv",
                                   "#Day, Alpha Town, Beta,\n0, 1, 0\n\n1, 1, 0\n2, 1, 0\n3, 1, 0.5\n4, 1, 0.5\n"
                                   "5, 0.5, 0.5\n\n\n6, 0.5, 0.5\n7, 0, 0.5\n8, 0, 0.5\n9, 0, 0.5\n\n");
  Diagnostics with_empty, as_shipped;
  const auto conflict = flee::read_flee_folder(dir, with_empty);
  const auto good = flee::read_flee_folder(good_folder, as_shipped);
  for (const auto& diagnostic : with_empty.all()) MESSAGE(format_diagnostic(diagnostic));
  REQUIRE(conflict.has_value());
  REQUIRE(good.has_value());
  CHECK_FALSE(with_empty.has_errors());
  REQUIRE(conflict->conflicts.size() == good->conflicts.size());
  for (std::size_t k = 0; k < good->conflicts.size(); ++k)
    CHECK(conflict->conflicts[k].intensity_by_day == good->conflicts[k].intensity_by_day);
  fs::remove_all(dir);
}

TEST_CASE("a Flee folder without a file Flee needs is reported by the file's name") {
  const auto dir = variant_of_good("missing", "input_csv/routes.csv", "");
  Diagnostics diagnostics;
  CHECK_FALSE(flee::read_flee_folder(dir, diagnostics).has_value());
  CHECK(has_diagnostic(diagnostics, "input_csv/routes.csv: error:", "missing"));
  fs::remove_all(dir);
}

TEST_CASE("an empty UNHCR series file is an error - not a camp left out") {
  for (const char* file : {"source_data/camp-one.csv", "source_data/refugees.csv"}) {
    CAPTURE(file);
    const auto dir = variant_of_good("empty_series", file, "Date,Count\n");
    Diagnostics diagnostics;
    CHECK_FALSE(flee::read_flee_folder(dir, diagnostics).has_value());
    CHECK(has_diagnostic(diagnostics, std::string(file) + ": error:", "no dated count"));
    fs::remove_all(dir);
  }
}

TEST_CASE("a Flee CSV in another encoding than UTF-8 is located at its first such byte") {
  const auto dir = variant_of_good("latin1", "input_csv/locations.csv",
                                   "#name,region,country,latitude,longitude,location_type,conflict_date,population\n"
                                   "Alpha Town,North,Homeland,10.0,20.0,conflict_zone,0,50000\n"
                                   "B\xE9ta,North,Homeland,10.5,20.5,conflict_zone,3,20000\n");
  Diagnostics diagnostics;
  CHECK_FALSE(flee::read_flee_folder(dir, diagnostics).has_value());
  CHECK(has_diagnostic(diagnostics, "input_csv/locations.csv:3:2: error:", "the byte 0xE9 here is not UTF-8"));
  // The camps' series name locations the unread file holds: nothing is said of them as if it held none.
  for (const auto& d : diagnostics.all()) {
    CAPTURE(d.message);
    CHECK(d.message.find("is not a location") == std::string::npos);
  }
  fs::remove_all(dir);
}

TEST_CASE("a NUL byte in a Flee CSV is located in that CSV - not in the YAML written from it") {
  using namespace std::string_literals;
  const auto dir = variant_of_good("nul", "input_csv/locations.csv",
                                   "#name,region,country,latitude,longitude,location_type,conflict_date,population\n"
                                   "Alpha Town,North,Homeland,10.0,20.0,conflict_zone,0,50000\n"
                                   "Zu\0ch,North,Homeland,10.5,20.5,conflict_zone,3,20000\n"s);
  Diagnostics diagnostics;
  CHECK_FALSE(flee::read_flee_folder(dir, diagnostics).has_value());
  CHECK(has_diagnostic(diagnostics, "input_csv/locations.csv:3:3: error:", "a NUL byte here"));
  CHECK(diagnostics.error_count() == 1);
  fs::remove_all(dir);
}

TEST_CASE("a bad Flee setting file is located at its line") {
  const auto dir = variant_of_good("settings", "simsetting.yml", "move_rules:\n  max_move_speed: [1, 2\n");
  Diagnostics diagnostics;
  CHECK_FALSE(flee::read_flee_folder(dir, diagnostics).has_value());
  CHECK(has_diagnostic(diagnostics, "simsetting.yml:", "YAML syntax"));
  write_text(dir / "simsetting.yml", "move_rules: 3\n");
  Diagnostics again;
  CHECK_FALSE(flee::read_flee_folder(dir, again).has_value());
  CHECK(has_diagnostic(again, "simsetting.yml:1:1:", "move_rules: expected a mapping of settings"));
  fs::remove_all(dir);
}

TEST_CASE("haven run on a bad Flee folder runs nothing and exits 2") {
  const auto result = run_cli({"run", "tests/data/flee/bad", "--no-output"});
  CHECK(result.exit_code == 2);
  CHECK(result.err.find("23 errors; nothing was run.") != std::string::npos);
  CHECK(result.out.empty());
}

TEST_CASE("haven run on a Flee folder says it ran Flee's rules rather than counting no events") {
  const auto result = run_cli({"run", "tests/data/flee/good", "--no-output"});
  CHECK(result.exit_code == 0);
  CHECK(result.err.find("simulated 10 days in ") != std::string::npos);
  CHECK(result.err.find(" s (Flee's rules)\n") != std::string::npos);
  CHECK(result.err.find("cohorts") == std::string::npos);
}

TEST_CASE("the importer maps every Flee feature of the good folder and can express them all") {
  Diagnostics diagnostics;
  const auto conflict = flee::read_flee_folder(good_folder, diagnostics);
  REQUIRE(conflict.has_value());
  const auto imported = flee::import_conflict(*conflict, {"haven", "given"});
  CHECK(imported.unexpressed.empty());
  const auto has = [&](const std::string& text) {
    INFO(text);
    CHECK(imported.yaml.find(text) != std::string::npos);
  };
  // conflicts.csv: one armed_conflict per run of conflict days, with its first day's intensity (Beta: 0.5 on
  // days 3-9; Alpha Town: 1 on days 0-4 then 0.5 on 5-6, still one run of intensity 1, as in Flee).
  has("{id: conflict_1, kind: armed_conflict, node: Alpha_Town, day: 0, until: 6, intensity: 1,");
  has("{id: conflict_2, kind: armed_conflict, node: Beta, day: 3, until: 9, intensity: 0.5,");
  // closures: country, camp (6..8: days 6-7), remove_forced_redirection (7..9: days 7-8).
  has("kind: country_closure, countries: [\"Homeland\", \"Neighbour\"], day: 0, until: 3,");
  has("kind: camp_closure, node: Camp_Two, day: 6, until: 7,");
  has("kind: redirection_end, corridor: Gamma_Hub-Camp_One, day: 7, until: 8,");
  // routes: forced_redirection 1 runs name1 -> name2, 2 runs name2 -> name1.
  has("{from: Gamma_Hub, to: Camp_One, length_km: 120, kind: road, forced_redirection: true}");
  has("{from: Echo, to: Delta, length_km: 25, kind: road, forced_redirection: true}");
  // A town without residents hosts people; the first location's country is home.
  has("{id: Echo, name: \"Echo\", kind: town, lat: 11.6, lon: 21.4, capacity: unlimited,");
  has("home_country: \"Homeland\"");
  // Registration correction on 2020-01-05 (1200 after 900): the earlier points x 4/3 (600 -> 800, 900 -> 1200);
  // the day-0 value goes into the camp (Flee's insert_day0).
  has("points: [{day: 0, value: 800}, {day: 2, value: 1200}, {day: 4, value: 1200}, {day: 8, value: 2500}]");
  has("capacity: 30000, displaced: 800,");
  // Camp Two summed as Flee's AddCSVTables does: (0, 0), (1, 100 + 800), (5, 300 + 800).
  has("points: [{day: 0, value: 0}, {day: 1, value: 900}, {day: 5, value: 1100}]");
  // The UNHCR total over the camps, with day 0 (500 + 2/6 x 900 = 800) and day 9 (3300 + 1/11 x 1200, whole)
  // interpolated from the points outside the period.
  has("nodes: [Camp_One, Camp_Two]");
  has("{day: 0, value: 800, note: \"interpolated by the importer as Flee does\"}, {day: 4, value: 1400}, "
      "{day: 8, value: 3300}, {day: 9, value: 3409, note:");
  has("departures: {mode: given, observation: unhcr_total}");
  const auto loaded = load_scenario_text(imported.yaml, "good.yaml");
  REQUIRE(loaded.scenario.has_value());
  CHECK(loaded.scenario->departures.mode == DepartureMode::given);
  const auto predicted = flee::import_conflict(*conflict, {"haven", "predicted"});
  CHECK(predicted.yaml.find("departures: {mode: predicted, observation: unhcr_total}") != std::string::npos);
  CHECK(predicted.unexpressed.empty());
  // Flee's conflict_spawn_decay [1.0, 1.0, 0.5]: the last factor holds from the 3rd step on.
  Diagnostics with_settings;
  const auto settled = flee::read_flee_folder(good_folder, with_settings, HAVEN_TEST_DATA_DIR "/flee/simsetting.yml");
  REQUIRE(settled.has_value());
  const auto decayed = flee::import_conflict(*settled).yaml;
  CHECK(decayed.find("  spawn_decay_1: 1.0\n  spawn_decay_2: 1.0\n  spawn_decay_3: 0.5\n  spawn_decay_4: 0.5\n  "
                     "spawn_decay_5: 0.5\n") != std::string::npos);
}

TEST_CASE("a misspelt Flee setting is warned of and one that is not a number is an error located in simsetting.yml") {
  // Flee itself would leave a misspelt key at its default, unsaid (a warning: Flee takes the file, and another
  // Flee version may read a key the list lacks), and fail on a number it cannot read (an error).
  const auto dir = variant_of_good(
      "typo", "simsetting.yml", "move_rules:\n  max_move_sped: 10.0\n  awareness_level: many\n  not_close_at_all: 1\n");
  Diagnostics diagnostics;
  CHECK_FALSE(flee::read_flee_folder(dir, diagnostics).has_value());
  REQUIRE(diagnostics.all().size() == 2);
  CHECK(diagnostics.error_count() == 1);
  const auto& typo = diagnostics.all()[0];
  CHECK(typo.severity == Severity::warning);
  CHECK(typo.message ==
        "move_rules.max_move_sped: not a setting Flee reads; did you mean 'move_rules.max_move_speed'? "
        "(its default is used)");
  CHECK((typo.location.line == 2 && typo.location.column == 3));
  const auto& not_number = diagnostics.all()[1];
  CHECK(not_number.severity == Severity::error);
  CHECK(not_number.message == "move_rules.awareness_level: expected a number, got 'many'");
  CHECK((not_number.location.line == 3 && not_number.location.column == 20));
  CHECK(typo.location.file.ends_with("simsetting.yml"));
  // The typo alone: imported, with the setting listed as not expressed and the one meant named.
  Diagnostics warned;
  const auto typo_only = flee::read_flee_folder(
      variant_of_good("typo_only", "simsetting.yml", "move_rules:\n  max_move_sped: 10.0\n"), warned);
  REQUIRE(typo_only.has_value());
  CHECK((warned.all().size() == 1 && warned.error_count() == 0));
  const auto imported = flee::import_conflict(*typo_only);
  REQUIRE(imported.unexpressed.size() == 1);
  CHECK(imported.unexpressed[0].extent ==
        "1 setting (not in the Flee rule set; did you mean 'move_rules.max_move_speed'?)");
  // A setting Flee reads that these rules do not express is no typo: no setting is guessed for it.
  for (const std::string setting : {"home_distance_power: 0.5", "idpcamp_movechance: 0.1"}) {
    const auto real =
        variant_of_good("real_" + setting.substr(0, 4), "simsetting.yml", "move_rules:\n  " + setting + "\n");
    Diagnostics fine;
    const auto read = flee::read_flee_folder(real, fine);
    REQUIRE(read.has_value());
    const auto as_imported = flee::import_conflict(*read);
    REQUIRE(as_imported.unexpressed.size() == 1);
    CHECK(as_imported.unexpressed[0].extent == "1 setting (not in the Flee rule set)");
  }
  // Nor for a key far from every setting: listed as not expressed, as before.
  Diagnostics fine;
  const auto far =
      flee::read_flee_folder(variant_of_good("far", "simsetting.yml", "move_rules:\n  not_close_at_all: 1\n"), fine);
  REQUIRE(far.has_value());
  const auto far_imported = flee::import_conflict(*far);
  REQUIRE(far_imported.unexpressed.size() == 1);
  CHECK(far_imported.unexpressed[0].feature == "Flee setting move_rules.not_close_at_all = 1");
}

TEST_CASE(
    "a Flee setting Haven would read as another value or refuse is listed as not expressed and its default kept") {
  const auto dir =
      variant_of_good("fraction", "simsetting.yml", "move_rules:\n  awareness_level: 2.5\n  start_on_foot: True\n");
  Diagnostics diagnostics;
  const auto conflict = flee::read_flee_folder(dir, diagnostics);
  REQUIRE(conflict.has_value());
  const auto imported = flee::import_conflict(*conflict);
  REQUIRE(imported.unexpressed.size() == 1);
  CHECK(imported.unexpressed[0].feature ==
        "Flee setting move_rules.awareness_level = 2.5 (Haven's flee_awareness_level takes a whole number in [0, 4])");
  // True is a switch's on; the scenario loads, with the default awareness.
  CHECK(imported.yaml.find("flee_start_on_foot: 1") != std::string::npos);
  const auto loaded = load_scenario_text(imported.yaml, "fraction.yaml");
  REQUIRE(loaded.scenario.has_value());
  CHECK(loaded.scenario->parameters.flee_awareness_level == 1.0);
  CHECK(loaded.scenario->parameters.flee_start_on_foot == 1.0);
  // Checked or run as a folder, it is said too, as import-flee says it.
  const auto checked = run_cli({"check", dir.string()});
  CHECK(checked.exit_code == 0);
  CHECK(checked.err.find(": warning: not expressed by the scenario: Flee setting move_rules.awareness_level = 2.5") !=
        std::string::npos);
  // So is a value out of range, and a spawn decay the scenario would refuse: never an error located in the YAML the
  // import makes (a file nobody wrote).
  write_text(dir / "simsetting.yml",
             "move_rules:\n  max_move_speed: 10000\nspawn_rules:\n  conflict_spawn_decay: [1, 0.5, x]\n"
             "  conflict_spawn_decay_interval: 0\n");
  const auto out_of_range = run_cli({"check", dir.string()});
  CHECK(out_of_range.exit_code == 0);
  INFO(out_of_range.err);
  for (const char* said :
       {"Flee setting move_rules.max_move_speed = 10000 (Haven's flee_max_move_speed_km_per_day takes [1, 5000])",
        "Flee setting spawn_rules.conflict_spawn_decay = [1, 0.5, x] (Haven's spawn_decay_1 takes [0, 1])",
        "Flee setting spawn_rules.conflict_spawn_decay_interval = 0 (Haven's spawn_decay_interval_days takes [1, "
        "3650])"}) {
    const std::string text = said;
    CAPTURE(text);
    CHECK(out_of_range.err.find(text) != std::string::npos);
    CHECK(out_of_range.err.find(text, out_of_range.err.find(text) + 1) == std::string::npos);  // said once
  }
  // A hex number (which the scenario's YAML would not read as one), and a decay that is no list, are said too.
  write_text(dir / "simsetting.yml",
             "spawn_rules:\n  conflict_spawn_decay: 0.5\n  conflict_spawn_decay_interval: 0x7\n");
  const auto unusual = run_cli({"check", dir.string()});
  CHECK(unusual.exit_code == 0);
  INFO(unusual.err);
  CHECK(unusual.err.find("Flee setting spawn_rules.conflict_spawn_decay = 0.5 (Haven takes a list of factors") !=
        std::string::npos);
  CHECK(unusual.err.find("Flee setting spawn_rules.conflict_spawn_decay_interval = 0x7") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE(
    "a folder without camp series cannot run Flee's rules: import and check and run say so and name --rules haven") {
  const auto dir = variant_of_good("no_series", "source_data/data_layout.csv", "total,refugees.csv\n");
  write_text(dir / "input_csv" / "registration_corrections.csv", "");
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"import-flee", dir.string(), "-o", "-"}, {"check", dir.string()}, {"run", dir.string(), "--no-output"}}) {
    const auto result = run_cli(args);
    INFO(args.front(), ": ", result.err);
    CHECK(result.exit_code == 2);
    CHECK(result.out.find("rules: flee") == std::string::npos);
    CHECK(result.err.find("data_layout.csv:1:1: error: Flee's rules need the camps' UNHCR series") !=
          std::string::npos);
    CHECK(result.err.find("--rules haven") != std::string::npos);
  }
  const auto haven = run_cli({"import-flee", dir.string(), "--rules", "haven", "-o", "-"});
  CHECK(haven.exit_code == 0);
  fs::remove_all(dir);
}

TEST_CASE("a folder with input_csv but no locations.csv is read as a Flee folder that lacks the file") {
  // haven check and run read a folder as Flee's when is_flee_folder says so: they then say the file is missing,
  // where they said a directory is not a scenario file.
  const auto dir = variant_of_good("no_locations", "input_csv/locations.csv", "");
  CHECK(flee::is_flee_folder(dir));
  CHECK_FALSE(flee::is_flee_folder(dir / "input_csv"));
  Diagnostics diagnostics;
  CHECK_FALSE(flee::read_flee_folder(dir, diagnostics).has_value());
  REQUIRE(diagnostics.error_count() >= 1);
  CHECK(diagnostics.all()[0].location.file.ends_with("input_csv/locations.csv"));
  CHECK(diagnostics.all()[0].message == "missing: a Flee conflict folder needs this file");
}

// Ensembles outside gather: a standalone (materialized) form, info/compare/validate reading ensemble.h5, a
// warning naming the run files a copied-away virtual ensemble misses, gathering a sweep killed before its
// manifest, and the stored scenario labelled as the member's it is.

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <hdf5.h>

#include "../support.hpp"
#include "haven/analysis/compare.hpp"
#include "haven/io/hdf5.hpp"
#include "haven/io/output.hpp"
#include "haven/sweep/ensemble.hpp"
#include "haven/sweep/gather.hpp"
#include "haven/sweep/runner.hpp"

namespace fs = std::filesystem;
using namespace haven;
using namespace haven::test;

namespace {

// A finished sweep of 4 members (2 design points x 2 replicates) of the valley example, not yet gathered.
fs::path finished_sweep(const std::string& name, const std::string& set = "") {
  const fs::path dir = fs::temp_directory_path() / "haven_ensemble" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  write_text(dir / "sweep.yaml", fmt::format(R"(sweep:
  name: ensemble_test
  scenario: {}
  seed: 5
  replicates: 2
  days: 20{}
design:
  method: list
  points:
    - {{threat_kernel_km: 0.5}}
    - {{threat_kernel_km: 3}}
)",
                                             (fs::path(HAVEN_SOURCE_DIR) / "scenarios/examples/valley.yaml").string(),
                                             set.empty() ? "" : "\n  set: " + set));
  auto loaded = load_sweep_file(dir / "sweep.yaml");
  REQUIRE(loaded.spec);
  SweepRunOptions options;
  options.output = dir / "out";
  options.threads = 2;
  REQUIRE(run_sweep(*loaded.spec, options).ran == 4);
  return options.output;
}

// ensemble.h5 copied on its own into a new directory, as a user sharing it would.
fs::path copied_away(const fs::path& out) {
  const fs::path away = out.parent_path() / "away";
  fs::remove_all(away);
  fs::create_directories(away);
  fs::copy_file(out / "ensemble.h5", away / "ensemble.h5");
  return away / "ensemble.h5";
}

std::vector<std::int64_t> stacked_cumulative(const fs::path& ensemble) {
  auto file = h5::File::open_read_only(ensemble);
  return h5::read<std::int64_t>(file.open_dataset("cumulative_displaced").id());
}

}  // namespace

TEST_CASE("a virtual ensemble copied away from its runs warns naming the missing run files") {
  const fs::path out = finished_sweep("virtual");
  REQUIRE(gather_sweep(out).written);
  const fs::path away = copied_away(out);

  const EnsembleFile ensemble = read_ensemble_file(away, true);
  CHECK(ensemble.members_stored == "virtual");
  CHECK(ensemble.missing_sources.size() == 4);
  CHECK(ensemble.members_without_source == std::vector<std::int64_t>{0, 1, 2, 3});
  CHECK(ensemble.runs.empty());  // fill values are never passed off as members' numbers
  const std::string warning = missing_sources_warning(away, ensemble);
  CHECK(warning.find("haven: warning:") == 0);
  CHECK(warning.find("runs/member_0000.h5") != std::string::npos);
  CHECK(warning.find("--materialize") != std::string::npos);

  const auto info = run_cli({"info", away.string()});
  CHECK(info.exit_code == 0);
  CHECK(info.err.find("runs/member_0003.h5") != std::string::npos);
  CHECK(info.out.find("0 usable (4 without their run file)") != std::string::npos);
  // Its stored figures are said to be the gathered ones, and what else needs the files.
  CHECK(info.out.find("the figures above were gathered when the members' run files were there; 4 of them are not") !=
        std::string::npos);
  for (const std::string command : {"compare", "validate"}) {
    CAPTURE(command);
    const auto refused = run_cli({command, away.string()});
    CHECK(refused.exit_code == 1);
    CHECK(refused.err.find("haven: warning:") != std::string::npos);
    CHECK(refused.err.find("none of its 4 members can be read") != std::string::npos);
  }
  // Beside its runs/ the same file reads every member.
  CHECK(read_ensemble_file(out / "ensemble.h5", false).missing_sources.empty());
}

TEST_CASE("gather --materialize writes an ensemble that stands alone") {
  const fs::path out = finished_sweep("materialized");
  REQUIRE(gather_sweep(out).written);
  const auto virtual_values = stacked_cumulative(out / "ensemble.h5");
  const auto gathered = run_cli({"gather", "--materialize", out.string()});
  REQUIRE(gathered.exit_code == 0);
  CHECK(gathered.err.empty());
  {
    // Gathered again without --materialize it reads runs/ again: said, not done silently; then back as it was.
    const auto virtual_again = run_cli({"gather", out.string()});
    REQUIRE(virtual_again.exit_code == 0);
    CHECK(virtual_again.err.find("haven: warning: the ensemble.h5 it replaced stood alone") == 0);
    CHECK(read_ensemble_file(out / "ensemble.h5", false).members_stored == "virtual");
    const auto again = run_cli({"gather", "--materialize", out.string()});
    REQUIRE(again.exit_code == 0);
    CHECK(again.err.empty());
  }
  const fs::path away = copied_away(out);
  fs::remove_all(out / "runs");  // no run file left anywhere

  CHECK(stacked_cumulative(away) == virtual_values);
  {
    auto file = h5::File::open_read_only(away);
    CHECK(h5::virtual_source_files(file.open_dataset("population").id()).empty());
    CHECK(h5::read_string_attribute(file.id(), "members_stored") == "materialized");
  }
  const EnsembleFile ensemble = read_ensemble_file(away, true);
  CHECK(ensemble.missing_sources.empty());
  REQUIRE(ensemble.runs.size() == 4);
  // Each member is described as its run file was: compare lists the description under its table.
  CHECK(ensemble.runs[0].description.starts_with("Bombardment of two southern towns pushes people north"));
  CHECK(run_cli({"compare", away.string()}).out.find("Bombardment of two southern towns pushes people north") !=
        std::string::npos);
  for (std::size_t m = 0; m < 4; ++m) {
    CHECK(ensemble.runs[m].cumulative_displaced.back() == virtual_values[m * 20 + 19]);
  }
  const auto info = run_cli({"info", away.string()});
  CHECK(info.exit_code == 0);
  CHECK(info.err.empty());
  CHECK(info.out.find("materialized") != std::string::npos);
  const auto validated = run_cli({"validate", away.string(), "--skip-unrecorded"});
  CHECK(validated.err.empty());
  CHECK(validated.out.find("ensemble of 4 runs") != std::string::npos);
}

TEST_CASE("info and compare of an ensemble recording some places give no network totals") {
  const fs::path out = finished_sweep("subset", "{outputs.nodes: [northcamp, hillcamp]}");
  REQUIRE(gather_sweep(out).written);
  const std::string ensemble_path = (out / "ensemble.h5").string();
  CHECK(read_ensemble_file(ensemble_path, false).scenario_nodes == 9);
  const auto info = run_cli({"info", ensemble_path});
  CHECK(info.exit_code == 0);
  CHECK(info.out.find("2 of 9 nodes") != std::string::npos);
  CHECK(info.out.find("displaced at the end  - (the members record 2 of 9 places)") != std::string::npos);
  CHECK(info.out.find("unsheltered peak      - (the members record 2 of 9 places)") != std::string::npos);
  // Gathered before the attribute was kept: the members' run files give the count.
  {
    const hid_t file = H5Fopen(ensemble_path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    REQUIRE(file >= 0);
    CHECK(H5Adelete(file, "scenario_nodes") >= 0);
    H5Fclose(file);
  }
  CHECK(read_ensemble_file(ensemble_path, false).scenario_nodes == 9);
  CHECK(info.out.find("displaced (left home) mean") != std::string::npos);
  // The ensemble's row says, as a member's would, that the file records some places: network totals empty.
  const auto compared = run_cli({"compare", ensemble_path});
  CHECK(compared.exit_code == 0);
  CHECK(compared.out.find("does not record 7 of 9 places") != std::string::npos);
}

TEST_CASE("info and compare and validate accept an ensemble") {
  const fs::path out = finished_sweep("tools");
  REQUIRE(gather_sweep(out).written);
  const std::string ensemble_path = (out / "ensemble.h5").string();
  const std::string member_path = member_file(out, 4, 0).string();

  const auto info = run_cli({"info", ensemble_path});
  CHECK(info.exit_code == 0);
  CHECK(info.err.empty());
  CHECK(info.out.find("ensemble_test: 4 members, 4 usable") != std::string::npos);
  CHECK(info.out.find("swept                 threat_kernel_km") != std::string::npos);
  CHECK(info.out.find("member 0's (threat_kernel_km=0.5)") != std::string::npos);
  CHECK(info.out.find("displaced (left home) mean") != std::string::npos);

  const auto compared = run_cli({"compare", member_path, ensemble_path});
  CHECK(compared.exit_code == 0);
  CHECK(compared.err.empty());
  CHECK(compared.out.find("valley (mean of 4 members)") != std::string::npos);
  // The row is the mean of the members' own outcomes.
  std::vector<RunFile> runs;
  for (std::int64_t m = 0; m < 4; ++m) runs.push_back(read_run_file(member_file(out, 4, m)));
  const auto points = default_compare_points(runs);
  const auto mean = summarise_members(runs, "mean", points);
  CHECK(mean.description == summarise_run(runs.front(), points).description);  // as export's row says it
  CHECK_FALSE(mean.description.empty());
  double present = 0;
  for (const auto& run : runs) present += summarise_run(run, points).displaced_present_end;
  CHECK(mean.displaced_present_end == doctest::Approx(present / 4));
  const auto ensemble = read_ensemble_file(ensemble_path, true);
  CHECK(summarise_members(ensemble.runs, "mean", points).displaced_present_end == doctest::Approx(present / 4));

  const auto validated = run_cli({"validate", ensemble_path, "--skip-unrecorded"});
  CHECK(validated.err.empty());
  CHECK(validated.out.find("valley: ensemble of 4 runs against its observations (mean and 5-95% band)") !=
        std::string::npos);
}

TEST_CASE("the ensemble's scenario_yaml is labelled as the member's it is and the sweep file is kept") {
  const fs::path out = finished_sweep("labels");
  REQUIRE(gather_sweep(out).written);
  auto file = h5::File::open_read_only(out / "ensemble.h5");
  CHECK(h5::read_attribute<std::int64_t>(file.id(), "scenario_yaml_member") == 0);
  CHECK(h5::read_string_attribute(file.id(), "scenario_yaml_values") == "threat_kernel_km=0.5");
  CHECK(h5::read_string_attribute(file.id(), "sweep_yaml") == read_text(out / "sweep.yaml"));
}

TEST_CASE("a killed sweep whose sweep file is gone is gathered from the copy in its directory") {
  // The shipped sweeps name their scenario relative to themselves (`scenario: ../x.yaml`): the copy in the output
  // directory must read it from where the sweep file was, not from beside the copy.
  const fs::path dir = fs::temp_directory_path() / "haven_ensemble" / "copy_fallback";
  fs::remove_all(dir);
  fs::create_directories(dir);
  fs::copy_file(fs::path(HAVEN_SOURCE_DIR) / "scenarios/examples/valley.yaml", dir / "valley.yaml");
  write_text(dir / "sweep.yaml", R"(sweep:
  name: copy_fallback
  scenario: valley.yaml
  seed: 5
  days: 10
design:
  method: list
  points:
    - {threat_kernel_km: 0.5}
    - {threat_kernel_km: 3}
)");
  auto loaded = load_sweep_file(dir / "sweep.yaml");
  REQUIRE(loaded.spec);
  SweepRunOptions options;
  options.output = dir / "out";
  REQUIRE(run_sweep(*loaded.spec, options).ran == 2);
  fs::remove(options.output / "manifest.csv");
  fs::remove(dir / "sweep.yaml");
  const auto gathered = run_cli({"gather", options.output.string()});
  CHECK(gathered.exit_code == 0);
  CHECK(fs::exists(options.output / "ensemble.h5"));
  fs::remove_all(dir);
}

TEST_CASE("a sweep killed before writing its manifest can still be gathered") {
  const fs::path out = finished_sweep("killed");
  fs::remove(out / "manifest.csv");
  fs::remove(member_file(out, 4, 2));  // killed mid-sweep: one member never finished

  const auto refused = run_cli({"gather", out.string()});
  CHECK(refused.exit_code == 1);
  CHECK(refused.err.find("member 2: missing") != std::string::npos);
  CHECK(fs::exists(out / "manifest.csv"));  // rebuilt from the sweep file and the files on disk

  fs::remove(out / "manifest.csv");
  GatherOptions options;
  options.allow_missing = true;
  const auto outcome = gather_sweep(out, options);
  CHECK(outcome.written);
  CHECK(outcome.members == 4);
  CHECK(outcome.usable == 3);

  // Neither the sweep file it was run from nor the directory's copy gives this sweep back: a located error.
  fs::remove(out / "manifest.csv");
  fs::remove(out.parent_path() / "sweep.yaml");
  const std::string copy = read_text(out / "sweep.yaml");
  write_text(out / "sweep.yaml",
             copy.substr(0, copy.find("  replicates: 2")) + "  replicates: 3\n" + copy.substr(copy.find("  days:")));
  const auto lost = run_cli({"gather", out.string()});
  CHECK(lost.exit_code == 2);
  CHECK(lost.err.find("no manifest.csv") != std::string::npos);
  CHECK(lost.err.find("not there") != std::string::npos);
  CHECK(lost.err.find("another sweep") != std::string::npos);
}

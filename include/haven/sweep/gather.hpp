#pragma once
// Gathering a sweep: <dir>/ensemble.h5 with a `member` dimension over the run files (HDF5 virtual datasets, so
// nothing is copied; or copies, with `materialize`), each member's swept values, seed and status, and
// materialised summaries over members (mean and 5th/50th/95th percentiles of the headline series). Every member
// is checked first.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace haven {

struct GatherOptions {
  // Gather what is there: missing, failed and broken members keep their row (status says why) and read as
  // fill values (-1, NaN), flagged so xarray masks them. Without it such members are an error.
  bool allow_missing = false;
  // Copy every member's series into ensemble.h5 (a standalone file, movable without runs/) instead of mapping
  // them as virtual datasets.
  bool materialize = false;
};

struct MemberProblem {
  std::int64_t member = 0;
  std::string status;  // "missing", "failed", "broken"
  std::string detail;
};

struct GatherOutcome {
  std::filesystem::path file;  // ensemble.h5, when written
  std::int64_t members = 0;
  std::int64_t usable = 0;
  std::vector<MemberProblem> problems;
  bool written = false;
};

// Reads <directory>/manifest.csv, checks every member's file and rewrites manifest.csv with what it found
// (done, pending, failed, broken); then, when all are usable (or allow_missing), writes <directory>/ensemble.h5.
// A sweep killed before it wrote manifest.csv gets one first, from its sweep file (recover_manifest).
GatherOutcome gather_sweep(const std::filesystem::path& directory, const GatherOptions& options = {});

}  // namespace haven

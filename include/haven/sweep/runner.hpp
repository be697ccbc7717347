#pragma once
// Running a sweep: this process's share of the run list (all of it, a Slurm array task's, an MPI rank's), in
// parallel, one HDF5 file per member, resumable. The files on disk are the record: a member is done when its file
// exists (files appear only complete, by rename), failed when its `.failed` note exists, pending otherwise.
//
// Directory layout (docs/sweeps.md):
//   <output>/sweep.yaml       the sweep file as first run (for the record)
//   <output>/.haven-sweep     fingerprint of the sweep and scenario texts, and the sweep's creation time
//   <output>/manifest.csv     one row per member: values, seed, path, status, error
//   <output>/runs/member_NNNN.h5, member_NNNN.failed

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "haven/sweep/sweep.hpp"

namespace haven {

// Which members this process runs: those with index % count == index_in (Slurm array tasks, MPI ranks, or both:
// task t of T on rank r of R is share t*R + r of T*R).
struct SweepShare {
  int index = 0;
  int count = 1;
  [[nodiscard]] bool owns(std::int64_t member) const noexcept { return member % count == index; }
};

struct SweepProgress {
  std::int64_t done = 0;   // finished or failed in this invocation
  std::int64_t total = 0;  // to run in this invocation
  std::int64_t failed = 0;
  double elapsed_seconds = 0.0;
};

struct SweepRunOptions {
  int threads = 1;
  SweepShare share;
  std::vector<std::int64_t> only;  // non-empty: just these members (re-running one alone)
  std::filesystem::path output;    // empty: the sweep's `output`, else output/<name>
  bool overwrite = false;          // start the directory again
  bool write_manifest = true;      // MPI ranks other than 0 leave it to rank 0
  std::function<void(const SweepProgress&)> progress;
};

enum class MemberStatus { pending, done, failed };
const char* to_string(MemberStatus status) noexcept;

struct SweepOutcome {
  std::filesystem::path directory;
  std::int64_t members = 0;   // in the whole sweep
  std::int64_t in_share = 0;  // this process's share (after `only`)
  std::int64_t skipped = 0;   // already done
  std::int64_t ran = 0;       // run now, successfully
  std::int64_t failed = 0;    // run now, failed
  double seconds = 0.0;
  // Why manifest.csv could not be written after the runs (a full disk), or empty: the runs' counts are still told.
  std::string manifest_error;
};

// The output directory a sweep uses.
std::filesystem::path sweep_directory(const SweepSpec& spec, const std::filesystem::path& override_path = {});
// runs/member_0042.h5 (zero-padded to the width of the largest index, at least 4 digits).
std::filesystem::path member_file(const std::filesystem::path& directory, std::int64_t members, std::int64_t index);

// Prepares the directory (creating it, or checking that it holds this same sweep), then runs this process's
// pending members. A member that fails is recorded (its `.failed` note) and the sweep goes on. Throws InputError
// when the directory holds a different sweep.
SweepOutcome run_sweep(const SweepSpec& spec, const SweepRunOptions& options);
// Only the directory part of run_sweep: under MPI, rank 0 does it before the other ranks look at the directory.
void prepare_sweep_directory(const SweepSpec& spec, const SweepRunOptions& options);

// Status of every member from the files on disk.
std::vector<MemberStatus> member_statuses(const std::filesystem::path& directory, std::int64_t members,
                                          std::vector<std::string>* errors = nullptr);

// Writes <directory>/manifest.csv from the files on disk (atomically: a temporary file, then a rename).
void write_manifest(const SweepSpec& spec, const std::vector<SweepMember>& members,
                    const std::filesystem::path& directory);

// One manifest row as written; `status` is done, pending or failed (gather also writes broken).
struct ManifestEntry {
  SweepMember member;
  std::string path;  // relative to the sweep directory
  std::string status;
  std::string error;
};
// A sweep killed before it wrote manifest.csv (it is written when the sweep's processes end): writes it from the
// files on disk and the sweep file, found where the directory's fingerprint (.haven-sweep) says it was run from,
// else the copy <directory>/sweep.yaml, and checked against the fingerprint's plan. Throws InputError, located
// at the directory, when neither gives this sweep back.
void recover_manifest(const std::filesystem::path& directory);

// Writes manifest.csv from rows (what write_manifest and gather share): the one place its layout is decided.
void write_manifest_entries(const std::filesystem::path& directory, const std::vector<std::string>& parameter_names,
                            const std::vector<ManifestEntry>& entries);

// Reads the CSV Haven writes (RFC 4180, fields as csv_field() of haven/util/csv.hpp writes them): rows of fields,
// unquoted and unguarded.
std::vector<std::vector<std::string>> parse_csv(const std::string& text);

}  // namespace haven

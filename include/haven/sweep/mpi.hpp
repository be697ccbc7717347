#pragma once
// MPI for `haven sweep` under mpirun: each rank runs a fixed share of the members (member i on rank i mod R), so
// ranks never talk while they run; they meet once at the end, when rank 0 writes the manifest. Built only with
// -DHAVEN_WITH_MPI=ON; otherwise (and when not launched by mpirun) there is one rank. Every rank reaches every
// collective whatever happened to it (a rank that fails still joins the sums, then all stop): a rank that left
// alone would keep the others waiting in MPI forever.

#include <cstdint>
#include <memory>
#include <vector>

namespace haven {

class MpiSession {
 public:
  // Initialises MPI when this process was started by mpirun/srun with more than one rank (and Haven was built
  // with MPI); nullptr otherwise.
  static std::unique_ptr<MpiSession> start_if_launched();
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

  [[nodiscard]] int rank() const noexcept { return rank_; }
  [[nodiscard]] int size() const noexcept { return size_; }
  // Element-wise sum over ranks, result on every rank.
  [[nodiscard]] std::vector<std::int64_t> sum(const std::vector<std::int64_t>& values) const;
  // True on every rank when it is true on any.
  [[nodiscard]] bool any(bool value) const { return sum({value ? 1 : 0})[0] > 0; }
  void barrier() const;

 private:
  MpiSession(int rank, int size) : rank_(rank), size_(size) {}
  int rank_ = 0;
  int size_ = 1;
};

// Ranks the launcher (mpirun, srun) started, from its environment; 1 when not launched by one.
int launched_ranks();

// True when Haven was built with MPI.
bool built_with_mpi() noexcept;

}  // namespace haven

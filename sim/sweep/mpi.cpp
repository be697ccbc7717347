#include "haven/sweep/mpi.hpp"

#include <cstdlib>
#include <string>

#ifndef HAVEN_WITH_MPI
#define HAVEN_WITH_MPI 0
#endif
#if HAVEN_WITH_MPI
#include <mpi.h>
#endif

namespace haven {

// The launchers' own variables: OpenMPI's mpirun, MPICH/Hydra and Slurm's srun (PMI).
int launched_ranks() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"}) {
    if (const char* value = std::getenv(name)) {
      try {
        return std::stoi(value);
      } catch (const std::exception&) {
        return 1;
      }
    }
  }
  return 1;
}

bool built_with_mpi() noexcept {
  return HAVEN_WITH_MPI != 0;
}

#if HAVEN_WITH_MPI

std::unique_ptr<MpiSession> MpiSession::start_if_launched() {
  if (launched_ranks() <= 1) return nullptr;
  int provided = 0;
  // Runs use OpenMP inside a rank; only the main thread calls MPI.
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  int rank = 0;
  int size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  return std::unique_ptr<MpiSession>(new MpiSession(rank, size));
}

MpiSession::~MpiSession() {
  MPI_Finalize();
}

std::vector<std::int64_t> MpiSession::sum(const std::vector<std::int64_t>& values) const {
  std::vector<std::int64_t> total(values.size());
  MPI_Allreduce(values.data(), total.data(), static_cast<int>(values.size()), MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD);
  return total;
}

void MpiSession::barrier() const {
  MPI_Barrier(MPI_COMM_WORLD);
}

#else

std::unique_ptr<MpiSession> MpiSession::start_if_launched() {
  return nullptr;
}
MpiSession::~MpiSession() = default;
std::vector<std::int64_t> MpiSession::sum(const std::vector<std::int64_t>& values) const {
  return values;
}
void MpiSession::barrier() const {}

#endif

}  // namespace haven

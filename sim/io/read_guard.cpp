#include "haven/io/read_guard.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <thread>

namespace haven {

namespace {

std::atomic<bool> guarded{false};

// The child's exit codes: it read the file, or the read threw (a located error the parent will meet itself).
constexpr int read_ok = 0;
constexpr int read_threw = 3;

}  // namespace

void guard_file_reads(bool on) noexcept {
  guarded = on;
}

namespace {

// The time a read of `path` is given: 20 s, and 1 s more for every 10 MB.
std::chrono::milliseconds read_time_limit(const std::filesystem::path& path) {
  std::error_code error;
  const auto bytes = std::filesystem::file_size(path, error);
  const std::uintmax_t extra_seconds = error ? 0 : bytes / 10'000'000;
  return std::chrono::milliseconds(20'000 + 1'000 * static_cast<std::int64_t>(extra_seconds));
}

}  // namespace

void read_in_child_first(const std::filesystem::path& path, const std::function<void()>& read) {
  if (!guarded) return;
  const auto limit = read_time_limit(path);
  const pid_t parent = ::getpid();
  const pid_t child = ::fork();
  if (child < 0) return;  // no child to spare: read it here, as without the guard
  if (child == 0) {
    // A parent killed while it waits (a job scheduler's SIGKILL) takes a child looping in libhdf5 with it.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(read_ok);
    int code = read_ok;
    try {
      read();
    } catch (...) {
      code = read_threw;
    }
    ::_exit(code);  // nothing of the parent's (buffers, handlers, files being written) runs here
  }
  const auto deadline = std::chrono::steady_clock::now() + limit;
  int status = 0;
  // Short waits first: a healthy file is read in a millisecond or two, and the command waits for no more.
  auto wait = std::chrono::microseconds(100);
  for (;;) {
    const pid_t done = ::waitpid(child, &status, WNOHANG);
    if (done == child) break;
    if (done < 0 && errno != EINTR) return;  // the child is not ours to wait for: read it here
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(child, SIGKILL);
      while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
      }
      throw std::runtime_error(fmt::format(
          "{}: damaged, it seems: reading it did not finish in {} s (a damaged file can send the HDF5 library round "
          "in circles); write it again, or copy it again from where it came",
          path.string(), limit.count() / 1000));
    }
    std::this_thread::sleep_for(wait);
    wait = std::min(wait * 2, std::chrono::microseconds(20'000));
  }
  if (WIFEXITED(status) && (WEXITSTATUS(status) == read_ok || WEXITSTATUS(status) == read_threw)) return;
  const std::string how = WIFSIGNALED(status)
                              ? fmt::format("crashed the HDF5 library ({})", ::strsignal(WTERMSIG(status)))
                              : fmt::format("stopped the reader (exit code {})", WEXITSTATUS(status));
  throw std::runtime_error(fmt::format(
      "{}: damaged: reading it {}; the file cannot be used: write it again, or copy it again from where it came",
      path.string(), how));
}

}  // namespace haven

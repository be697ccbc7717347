#include "haven/io/read_guard.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
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

bool file_reads_guarded() noexcept {
  return guarded;
}

std::chrono::milliseconds read_time_limit(const std::filesystem::path& path) {
  std::error_code error;
  const auto bytes = std::filesystem::file_size(path, error);
  const std::uintmax_t extra_seconds = error ? 0 : bytes / 10'000'000;
  return std::chrono::milliseconds(20'000 + 1'000 * static_cast<std::int64_t>(extra_seconds));
}

void read_in_child_first(const std::filesystem::path& path, const std::function<void()>& read,
                         std::chrono::milliseconds limit) {
  if (!guarded) return;
  const pid_t child = ::fork();
  if (child < 0) return;  // no child to spare: read it here, as without the guard
  if (child == 0) {
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
  auto wait_ms = std::chrono::milliseconds(1);
  for (;;) {
    const pid_t done = ::waitpid(child, &status, WNOHANG);
    if (done == child) break;
    if (done < 0 && errno != EINTR) return;  // the child is not ours to wait for: read it here
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(child, SIGKILL);
      while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
      }
      throw std::runtime_error(fmt::format(
          "{}: damaged: reading it did not finish in {} s (the HDF5 library went round in circles in it); the file "
          "cannot be used: write it again, or copy it again from where it came",
          path.string(), limit.count() / 1000));
    }
    std::this_thread::sleep_for(wait_ms);
    wait_ms = std::min(wait_ms * 2, std::chrono::milliseconds(50));
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

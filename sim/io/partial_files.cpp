#include "haven/io/partial_files.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>

namespace haven {

namespace {

// Read from a signal handler: no storage is ever freed or moved, and a slot's path is complete before its flag says
// so (unlink and raise are async-signal-safe; nothing the handler does allocates). 64 slots are fixed; past them
// (an export stages 6 files a run, all at once) slots are allocated and linked in front of a list, never unlinked,
// and reused once free: a registration is never dropped for want of a slot.
constexpr std::size_t slots = 64;
constexpr std::size_t max_path_bytes = 4096;

}  // namespace

struct PartialFileSlot {
  std::atomic<int> state{0};  // 0 free, 1 being filled or emptied, 2 registered
  std::array<char, max_path_bytes> path{};
  PartialFileSlot* next = nullptr;  // the overflow list's next slot (set before the slot is linked, never changed)
};

namespace {

using Slot = PartialFileSlot;
std::array<Slot, slots> registered;
std::atomic<Slot*> overflow{nullptr};

void remove_if_registered(Slot& slot) {
  // Claimed before it is read, so that no thread frees and refills the slot under the handler.
  int registered_state = 2;
  if (slot.state.compare_exchange_strong(registered_state, 1, std::memory_order_acq_rel)) ::unlink(slot.path.data());
}

extern "C" void remove_partial_files_and_stop(int signal_number) {
  for (auto& slot : registered) remove_if_registered(slot);
  for (Slot* slot = overflow.load(std::memory_order_acquire); slot; slot = slot->next) remove_if_registered(*slot);
  std::signal(signal_number, SIG_DFL);
  std::raise(signal_number);
}

// Claims `slot` if free and fills it with `text`.
bool claim(Slot& slot, const std::string& text) {
  int free = 0;
  if (!slot.state.compare_exchange_strong(free, 1, std::memory_order_acq_rel)) return false;
  std::memcpy(slot.path.data(), text.c_str(), text.size() + 1);
  slot.state.store(2, std::memory_order_release);
  return true;
}

}  // namespace

void install_partial_file_cleanup() {
  struct sigaction action {};
  action.sa_handler = remove_partial_files_and_stop;
  sigemptyset(&action.sa_mask);
  for (const int signal_number : {SIGINT, SIGTERM}) {
    // A signal the process was started ignoring (a background job of a shell without job control) stays ignored.
    struct sigaction inherited {};
    sigaction(signal_number, nullptr, &inherited);
    if (inherited.sa_handler != SIG_IGN) sigaction(signal_number, &action, nullptr);
  }
}

PartialFile::PartialFile(const std::filesystem::path& path) {
  const std::string text = path.string();
  if (text.size() >= max_path_bytes) return;
  for (auto& slot : registered) {
    if (claim(slot, text)) {
      slot_ = &slot;
      return;
    }
  }
  for (Slot* slot = overflow.load(std::memory_order_acquire); slot; slot = slot->next) {
    if (claim(*slot, text)) {
      slot_ = slot;
      return;
    }
  }
  // Every slot is taken: one more, filled before it is linked in (the handler reads only what the list holds).
  auto* fresh = new Slot;  // never freed: the handler may read it at any time
  std::memcpy(fresh->path.data(), text.c_str(), text.size() + 1);
  fresh->state.store(2, std::memory_order_relaxed);
  fresh->next = overflow.load(std::memory_order_relaxed);
  while (!overflow.compare_exchange_weak(fresh->next, fresh, std::memory_order_release, std::memory_order_relaxed)) {
  }
  slot_ = fresh;
}

PartialFile::~PartialFile() {
  if (!slot_) return;
  // Freed only from the registered state (a handler that claimed it is stopping the process).
  int registered_state = 2;
  slot_->state.compare_exchange_strong(registered_state, 0, std::memory_order_acq_rel);
}

std::string host_name() {
  std::array<char, 256> name{};
  if (::gethostname(name.data(), name.size() - 1) != 0) return "host";
  std::string text(name.data());
  for (auto& c : text)
    if (c == '/' || c == '.' || std::isspace(static_cast<unsigned char>(c))) c = '_';
  return text.empty() ? "host" : text;
}

std::filesystem::path own_partial_path(const std::filesystem::path& path) {
  // 64 random bits: no other process, of this host or another, in this PID namespace or another, picks the same.
  std::random_device source;
  const std::uint64_t bits = (static_cast<std::uint64_t>(source()) << 32) ^ source();
  return path.string() + fmt::format(".{:016x}.partial", bits);
}

void remove_unused_partials(const std::filesystem::path& path) {
  namespace fs = std::filesystem;
  // With HDF5's locking off (HDF5_USE_FILE_LOCKING=FALSE, usual where a cluster's file system has no locks) a writer
  // holds none, and a file being written would look unused: nothing is removed then.
  if (const char* locking = std::getenv("HDF5_USE_FILE_LOCKING")) {
    const std::string_view value = locking;
    if (value == "FALSE" || value == "false" || value == "0") return;
  }
  const fs::path folder = path.has_parent_path() ? path.parent_path() : fs::path(".");
  const std::string prefix = path.filename().string() + ".";
  constexpr std::string_view suffix = ".partial";
  constexpr std::size_t hex_digits = 16;
  std::error_code ignored;
  for (const auto& entry : fs::directory_iterator(folder, ignored)) {
    const std::string name = entry.path().filename().string();
    if (name.size() != prefix.size() + hex_digits + suffix.size() || !name.starts_with(prefix) ||
        !name.ends_with(suffix)) {
      continue;
    }
    const std::string_view digits = std::string_view(name).substr(prefix.size(), hex_digits);
    if (!std::all_of(digits.begin(), digits.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); }))
      continue;
    // A writer holds HDF5's lock on its file while it writes: a file no process holds is one a killed run left.
    // Where locks cannot be taken (a file system without them), nothing is removed.
    const int fd = ::open(entry.path().c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) continue;
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) fs::remove(entry.path(), ignored);
    ::close(fd);
  }
}

void write_whole_file(const std::filesystem::path& path, std::string_view text) {
  std::error_code error;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), error);
  if (error) throw std::runtime_error(fmt::format("cannot make {}: {}", path.parent_path().string(), error.message()));
  std::filesystem::path partial = path;
  partial += ".partial";
  const PartialFile registered(partial);
  {
    std::ofstream file(partial, std::ios::binary | std::ios::trunc);
    file.write(text.data(), static_cast<std::streamsize>(text.size()));
    file.flush();
    if (!file) {
      const std::string why = std::strerror(errno);  // before the clean-up, which may set errno again
      std::filesystem::remove(partial, error);
      throw std::runtime_error(fmt::format("cannot write {}: {}", path.string(), why));
    }
  }
  std::filesystem::rename(partial, path, error);
  if (error) {
    const std::string why = error.message();
    std::filesystem::remove(partial, error);
    throw std::runtime_error(fmt::format("cannot write {}: {}", path.string(), why));
  }
}

}  // namespace haven

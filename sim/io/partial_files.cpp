#include "haven/io/partial_files.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>

namespace haven {

namespace {

// Read from a signal handler: fixed storage, and a slot's path is complete before its flag says so (unlink and
// raise are async-signal-safe; nothing here allocates).
constexpr std::size_t slots = 64;
constexpr std::size_t max_path_bytes = 4096;
struct Slot {
  std::atomic<int> state{0};  // 0 free, 1 being filled or emptied, 2 registered
  std::array<char, max_path_bytes> path{};
};
std::array<Slot, slots> registered;

extern "C" void remove_partial_files_and_stop(int signal_number) {
  for (auto& slot : registered) {
    // Claimed before it is read, so that no thread frees and refills the slot under the handler.
    int registered_state = 2;
    if (slot.state.compare_exchange_strong(registered_state, 1, std::memory_order_acq_rel)) ::unlink(slot.path.data());
  }
  std::signal(signal_number, SIG_DFL);
  std::raise(signal_number);
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
  for (std::size_t k = 0; k < slots; ++k) {
    int free = 0;
    if (!registered[k].state.compare_exchange_strong(free, 1, std::memory_order_acq_rel)) continue;
    std::memcpy(registered[k].path.data(), text.c_str(), text.size() + 1);
    registered[k].state.store(2, std::memory_order_release);
    slot_ = static_cast<int>(k);
    return;
  }
}

PartialFile::~PartialFile() {
  if (slot_ < 0) return;
  // Freed only from the registered state (a handler that claimed it is stopping the process).
  int registered_state = 2;
  registered[static_cast<std::size_t>(slot_)].state.compare_exchange_strong(registered_state, 0,
                                                                            std::memory_order_acq_rel);
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

#pragma once
// Files being written under a temporary name (`X.h5.partial`, renamed into place when whole) are removed when the
// process is stopped by SIGINT (Ctrl-C) or SIGTERM: a stopped run leaves nothing behind, not even a partial file.

#include <filesystem>
#include <string_view>

namespace haven {

// Sets the SIGINT and SIGTERM handlers that remove the registered partial files and then stop the process as the
// signal would have (haven's main calls it; `haven serve` sets handlers of its own while it serves).
void install_partial_file_cleanup();

struct PartialFileSlot;  // sim/io/partial_files.cpp

// Registers `path` while it is alive, however many are registered at once (a path of 4096 bytes or more is not).
class PartialFile {
 public:
  explicit PartialFile(const std::filesystem::path& path);
  ~PartialFile();
  PartialFile(const PartialFile&) = delete;
  PartialFile& operator=(const PartialFile&) = delete;

 private:
  PartialFileSlot* slot_ = nullptr;
};

// Writes `text` to `path` whole or not at all: to `path.partial` (registered while it is written), then renamed over
// `path`, its folder made first. Throws std::runtime_error naming the file; nothing is left behind then.
void write_whole_file(const std::filesystem::path& path, std::string_view text);

}  // namespace haven

#pragma once
// Files being written under a temporary name (`X.h5.partial`, renamed into place when whole) are removed when the
// process is stopped by SIGINT (Ctrl-C) or SIGTERM: a stopped run leaves nothing behind, not even a partial file.

#include <filesystem>
#include <string>
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

// This host's name as it goes into a temporary file's name ('/', '.' and spaces made '_'; "host" when unknown):
// processes of many hosts may write into one directory (a sweep's shares on a cluster), where a process id alone
// names no process.
std::string host_name();

// `path`.XXXXXXXXXXXXXXXX.partial (16 random hex digits): a partial file of this process alone, for a file that
// another process may be writing at the same time (two `haven run -o same.h5` started together each write their
// own, where one `path.partial` was truncated and removed under the other).
std::filesystem::path own_partial_path(const std::filesystem::path& path);

// Removes the partial files of `path` named by own_partial_path that no process is writing: those on which no
// process holds a lock (a writer holds HDF5's on its file until it is done; a process killed with SIGKILL, which no
// handler sees, holds none). Where a lock cannot be taken, the file stays; with HDF5's locking switched off
// (HDF5_USE_FILE_LOCKING=FALSE), nothing is removed.
void remove_unused_partials(const std::filesystem::path& path);

// Writes `text` to `path` whole or not at all: to `path.partial` (registered while it is written), then renamed over
// `path`, its folder made first. Throws std::runtime_error naming the file; nothing is left behind then.
void write_whole_file(const std::filesystem::path& path, std::string_view text);

}  // namespace haven

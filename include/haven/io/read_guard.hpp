#pragma once
// Reading a file that libhdf5 cannot be trusted with. libhdf5 believes what a file says about itself: a damaged
// global heap (where variable-length strings such as node names are kept; it has no checksum) can make it read
// through a wild pointer or loop for ever. One byte changed there crashed `haven info` with SIGSEGV inside
// H5HG_read. So the haven command reads each file it is given in a child process first: a crash or a hang there is
// reported as a damaged file, and the command itself never reads it (docs/reliability.md, "Hostile input").

#include <filesystem>
#include <functional>

namespace haven {

// Off by default: a program that links Haven's library does not have its process forked behind its back. The haven
// command turns it on (sim/app/main.cpp).
void guard_file_reads(bool on) noexcept;

// When guarded reads are on, runs `read` in a child process first (fork): if it returns or throws, the child exits
// normally and nothing happens here (the caller then reads the file itself, and meets the same error, if any); if
// the child dies of a signal, exits otherwise, or is not done within 20 s and 1 s more for every 10 MB of `path`,
// throws std::runtime_error naming `path` as damaged. Off: does nothing.
void read_in_child_first(const std::filesystem::path& path, const std::function<void()>& read);

}  // namespace haven

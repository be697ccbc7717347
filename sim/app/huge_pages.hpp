#pragma once
// The heap on transparent huge pages (docs/architecture.md, "Memory").

namespace haven::app {

// Reserves the process's heap ahead and asks the kernel to back it with transparent huge pages, when the kernel
// gives them only on request (its `madvise` mode, Debian's default). Call it first thing in main(). Returns whether
// the heap was set up so.
bool back_heap_with_huge_pages();

}  // namespace haven::app

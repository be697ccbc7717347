#pragma once
// yaml-cpp 0.7 trips GCC 12's -Wdangling-pointer and -Wmaybe-uninitialized in its own headers (false positives
// on node iterators);
// silence it for those headers only, so the warning stays on for our code.
// Clang (the fuzz and tsan presets) has neither warning, and would warn about the unknown names.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdangling-pointer"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

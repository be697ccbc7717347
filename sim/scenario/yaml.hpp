#pragma once
// yaml-cpp 0.7 trips GCC 12's -Wdangling-pointer in its own headers (a false positive on node iterators);
// silence it for those headers only, so the warning stays on for our code.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdangling-pointer"
#include <yaml-cpp/yaml.h>
#pragma GCC diagnostic pop

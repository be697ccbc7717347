#pragma once
// The `haven` command line, callable in-process so that golden tests can replay it.

#include <ostream>
#include <string>
#include <vector>

namespace haven::app {

// Exit codes: 0 success, 1 runtime failure (or a validation threshold missed), 2 bad input or usage.
inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1;
inline constexpr int exit_bad_input = 2;

// `args` excludes the program name.
int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace haven::app

#pragma once
// `haven info` and `haven compare`: what a run file or ensemble holds, and several side by side at chosen days.

#include <ostream>
#include <string>
#include <vector>

namespace haven::app {

struct CompareArgs {
  std::vector<std::string> files;
  std::vector<std::string> at;
  bool csv = false;
};

// `haven compare FILE...`: each run file, or ensemble (its members' mean), as a row at the chosen points.
int command_compare(const CompareArgs& args, std::ostream& out, std::ostream& err);
// `haven info FILE`: a run file's or an ensemble's period, size, provenance and headline figures.
int command_info(const std::string& path, std::ostream& out, std::ostream& err);

}  // namespace haven::app

#pragma once
// Helpers the command implementations share.

#include <ostream>
#include <string>
#include <vector>

#include "haven/util/diagnostics.hpp"

namespace haven::app {

// Prints the diagnostics; with an error among them, says nothing was run and returns exit_bad_input.
int print_diagnostics(const Diagnostics& diagnostics, std::ostream& err);

// The command as typed (quoted where the shell would need it), for the output's `history` attribute.
std::string command_line(const std::vector<std::string>& args);

}  // namespace haven::app

#pragma once
// Helpers the command implementations share.

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "haven/sweep/ensemble.hpp"
#include "haven/util/diagnostics.hpp"

namespace haven::app {

// Prints the diagnostics; with an error among them, says nothing was run and returns exit_bad_input.
int print_diagnostics(const Diagnostics& diagnostics, std::ostream& err);
// The same for the scenario a run file or ensemble stores: only when it has an error (its warnings were said when
// it ran, and a file read again says them again to nobody's gain).
int print_stored_scenario_problems(const Diagnostics& diagnostics, std::ostream& err);

// The command as typed (quoted where the shell would need it), for the output's `history` attribute.
std::string command_line(const std::vector<std::string>& args);

// A --seed option taking every 64-bit seed, in decimal or 0x hex (as manifest.csv writes it).
CLI::Option* add_seed_option(CLI::App& command, std::optional<std::uint64_t>& seed, const std::string& description);
CLI::Option* add_seed_option(CLI::App& command, std::uint64_t& seed, const std::string& description);

// A path option given as "" (an unset shell variable, `-o "$OUT"`) is refused, not read as "use the default".
CLI::Validator names_a_path(std::string_view without_it = ", or leave the option out for its default");
// A --variant given as "" is refused the same way: it would run the scenario as written, not a variant.
CLI::Validator names_a_variant();

// Whether `path` starts with HDF5's signature (a run file or an ensemble, as opposed to a scenario).
bool is_hdf5_file(const std::string& path);
// A scenario (or anything but a run file) where one is wanted: said on `err` with what to do (the caller exits 2).
bool refuse_if_not_a_run_file(const std::string& path, const char* command, std::ostream& err);
// An ensemble where a run file is expected: its usable members, after a warning naming any missing run files.
EnsembleFile read_usable_ensemble(const std::string& path, std::ostream& err);
// "idlib_2019_2020 [variant] (mean of 20 members)".
std::string ensemble_label(const EnsembleFile& ensemble);

}  // namespace haven::app

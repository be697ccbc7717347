#pragma once
// Located diagnostics: every problem with user input names the file, line and column it came from.

#include <cstddef>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace haven {

// Where a piece of input came from. Line and column are 1-based, as editors show them; 0 means unknown.
struct SourceLocation {
  std::string file;
  std::size_t line = 0;
  std::size_t column = 0;
};

enum class Severity { error, warning };

struct Diagnostic {
  Severity severity = Severity::error;
  SourceLocation location;
  std::string message;
};

// Formats as `file:line:col: error: message`, the convention compilers use and editors jump to.
std::string format_diagnostic(const Diagnostic& diagnostic);

// Collects every problem found in one pass so the user can fix them all at once.
class Diagnostics {
 public:
  void error(SourceLocation location, std::string message);
  void warning(SourceLocation location, std::string message);

  [[nodiscard]] bool has_errors() const noexcept { return error_count_ > 0; }
  [[nodiscard]] std::size_t error_count() const noexcept { return error_count_; }
  [[nodiscard]] const std::vector<Diagnostic>& all() const noexcept { return items_; }
  void append(const Diagnostics& other);

  // Prints every diagnostic, one per line, in the order found.
  void print(std::ostream& out) const;

 private:
  std::vector<Diagnostic> items_;
  std::size_t error_count_ = 0;
};

// `found` (loading `file` with some edits: --set, --set-file, haven serve's starting point) with each error at a line
// of the file that loading it without them (`without`) does not give ending " (with EDITS)", the first three of
// `edits` named: the file alone is fine, and the message must not say otherwise.
Diagnostics naming_edits(const Diagnostics& found, const Diagnostics& without, std::string_view file,
                         const std::vector<std::string>& edits);

// Reports `text` (of `file`) at its first byte that is not UTF-8, "the byte 0xFC here is not UTF-8; <how_to_fix>", and
// returns false; true when it is all UTF-8. Text in another encoding (Latin-1 from an old editor) would pass into
// names, run files and exports that no reader then opens.
bool check_utf8(std::string_view text, const std::string& file, std::string_view how_to_fix, Diagnostics& diagnostics);

// Raised when input is invalid; carries every diagnostic collected. The CLI maps it to exit code 2.
class InputError : public std::exception {
 public:
  explicit InputError(Diagnostics diagnostics);
  [[nodiscard]] const char* what() const noexcept override { return summary_.c_str(); }
  [[nodiscard]] const Diagnostics& diagnostics() const noexcept { return diagnostics_; }

 private:
  Diagnostics diagnostics_;
  std::string summary_;
};

}  // namespace haven

#include "haven/util/diagnostics.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "haven/util/text.hpp"

namespace haven {

Diagnostics naming_edits(const Diagnostics& found, const Diagnostics& without, std::string_view file,
                         const std::vector<std::string>& edits) {
  const std::string named = first_names(edits, 3);
  Diagnostics named_found;
  for (const auto& d : found.all()) {
    const bool brought =
        d.severity == Severity::error && d.location.file == file &&
        std::none_of(without.all().begin(), without.all().end(), [&](const Diagnostic& o) {
          return o.message == d.message && o.location.line == d.location.line && o.location.column == d.location.column;
        });
    const std::string message = brought ? fmt::format("{} (with {})", d.message, named) : d.message;
    if (d.severity == Severity::error)
      named_found.error(d.location, message);
    else
      named_found.warning(d.location, message);
  }
  return named_found;
}

bool check_utf8(std::string_view text, const std::string& file, std::string_view how_to_fix, Diagnostics& diagnostics) {
  const auto bad = first_invalid_utf8(text);
  if (bad == std::string_view::npos) return true;
  const auto [line, column] = position_of(text, bad);
  diagnostics.error({file, line, column}, fmt::format("the byte 0x{:02X} here is not UTF-8; {}",
                                                      static_cast<unsigned char>(text[bad]), how_to_fix));
  return false;
}

std::string format_diagnostic(const Diagnostic& diagnostic) {
  const char* severity = diagnostic.severity == Severity::error ? "error" : "warning";
  const auto& where = diagnostic.location;
  if (where.line == 0) {
    return fmt::format("{}: {}: {}", where.file, severity, diagnostic.message);
  }
  return fmt::format("{}:{}:{}: {}: {}", where.file, where.line, where.column, severity, diagnostic.message);
}

void Diagnostics::error(SourceLocation location, std::string message) {
  items_.push_back({Severity::error, std::move(location), std::move(message)});
  ++error_count_;
}

void Diagnostics::warning(SourceLocation location, std::string message) {
  items_.push_back({Severity::warning, std::move(location), std::move(message)});
}

void Diagnostics::append(const Diagnostics& other) {
  items_.insert(items_.end(), other.items_.begin(), other.items_.end());
  error_count_ += other.error_count_;
}

void Diagnostics::print(std::ostream& out) const {
  for (const auto& item : items_) {
    out << format_diagnostic(item) << '\n';
  }
}

InputError::InputError(Diagnostics diagnostics)
    : diagnostics_(std::move(diagnostics)),
      summary_(diagnostics_.all().empty() ? std::string("invalid input")
                                          : format_diagnostic(diagnostics_.all().front())) {}

}  // namespace haven

#pragma once
// Internal: YAML text as `haven serve` writes it (edits, saved overlays and scenarios). yaml-cpp's emitter writes a
// text with a lone CR, DEL or a C1 control as a plain scalar, raw, which reads back changed or not at all; these
// write such text double-quoted and escaped.

#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>

namespace haven::serve {

// Whether `text` holds a C0 control character other than tab, DEL, or a C1 control (in UTF-8).
bool has_control_character(std::string_view text);
// `double_quoted` (yaml-cpp's double-quoted output) with each DEL escaped as \x7F.
std::string with_del_escaped(std::string double_quoted);
// `node` written as yaml-cpp writes it, except that a text holding a control character is double-quoted and escaped.
void emit(YAML::Emitter& out, const YAML::Node& node);
// `node` as one line of flow YAML, every container in it made flow first (`node` is changed in place: a handle,
// callers pass their own copy).
std::string flow_line(YAML::Node node);

}  // namespace haven::serve

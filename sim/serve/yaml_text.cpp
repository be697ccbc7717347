#include "yaml_text.hpp"

#include <functional>

namespace haven::serve {

// YAML takes no C0 control character but tab, nor DEL, in a plain scalar, and readers other than yaml-cpp
// (PyYAML) refuse them raw anywhere: text holding one is written double-quoted, each escaped. yaml-cpp's emitter
// escapes the C0 characters in double quotes but writes DEL as it is.
bool has_control_character(std::string_view text) {
  for (std::size_t k = 0; k < text.size(); ++k) {
    const auto byte = static_cast<unsigned char>(text[k]);
    if ((byte < 0x20 && byte != '\t') || byte == 0x7f) return true;
    // C1 controls, U+0080 to U+009F (0xC2 0x80-0x9F in UTF-8): Windows-1252 text read as Latin-1 brings them.
    if (byte == 0xC2 && k + 1 < text.size() && static_cast<unsigned char>(text[k + 1]) <= 0x9F &&
        static_cast<unsigned char>(text[k + 1]) >= 0x80) {
      return true;
    }
  }
  return false;
}
std::string with_del_escaped(std::string double_quoted) {
  for (std::size_t at = double_quoted.find('\x7f'); at != std::string::npos; at = double_quoted.find('\x7f', at)) {
    double_quoted.replace(at, 1, "\\x7F");
  }
  return double_quoted;
}

// `node` written as yaml-cpp writes it, except that a text holding a control character is double-quoted, where
// yaml-cpp escapes them (all but DEL: with_del_escaped()). yaml-cpp writes a text with a lone CR, DEL or a C1
// control as a plain scalar, raw: it reads back changed, or not at all.
void emit(YAML::Emitter& out, const YAML::Node& node) {
  if (node.IsMap()) {
    if (node.Style() == YAML::EmitterStyle::Flow) out << YAML::Flow;
    out << YAML::BeginMap;
    for (auto it = node.begin(); it != node.end(); ++it) {
      out << YAML::Key;
      emit(out, it->first);
      out << YAML::Value;
      emit(out, it->second);
    }
    out << YAML::EndMap;
  } else if (node.IsSequence()) {
    if (node.Style() == YAML::EmitterStyle::Flow) out << YAML::Flow;
    out << YAML::BeginSeq;
    for (const auto& item : node) emit(out, item);
    out << YAML::EndSeq;
  } else if (node.IsScalar() && has_control_character(node.Scalar())) {
    out << YAML::DoubleQuoted << node.Scalar();
  } else {
    out << node;
  }
}

// `node` as one line of flow YAML. The emitter keeps the style a node already has, and an event that a starting
// edit changed comes back from the loader in block style (lines the events list cannot be joined from): every
// container in it is made flow first. `node` is changed in place (a handle: callers pass their own copy).
std::string flow_line(YAML::Node node) {
  const std::function<void(YAML::Node)> to_flow = [&](YAML::Node n) {
    if (n.IsMap()) {
      n.SetStyle(YAML::EmitterStyle::Flow);
      for (auto it = n.begin(); it != n.end(); ++it) to_flow(it->second);
    } else if (n.IsSequence()) {
      n.SetStyle(YAML::EmitterStyle::Flow);
      for (auto child : n) to_flow(child);
    }
  };
  to_flow(node);
  YAML::Emitter emitter;
  emitter << YAML::Flow;
  emit(emitter, node);
  return with_del_escaped(emitter.c_str());
}

}  // namespace haven::serve

#pragma once
// Internal: how the items of a scenario's top-level lists are named, by the decoder's messages and by the key paths
// of variants and --set alike: an item goes by its `id`, or a default id (a corridor `<from>-<to>`, an event
// `<kind>_<n>`), or its index.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "yaml.hpp"

namespace haven::detail {

bool is_plain_id(const std::string& id);
// The `id` an item gives, or "".
std::string explicit_id(const YAML::Node& item);
// The scalar at `key` of a mapping item, or "".
std::string scalar_at(const YAML::Node& item, std::string_view key);
// Equal but for case, spaces, '-' and '_': "Mid City" and "mid_city".
bool same_letters(std::string_view a, std::string_view b);
// The id each item of a top-level list goes by, as the decoder names it: its `id`; without one, a corridor is
// `<from>-<to>` and an event `<kind>_<n>` (n counting the events of that kind in file order). "" when none.
std::vector<std::string> item_ids(std::string_view section, const YAML::Node& list);
// `section.<id>` when the item names a valid-looking id, else `section[index]`: messages say which item by name.
std::string item_path(std::string_view section, const YAML::Node& item, std::size_t index);

}  // namespace haven::detail

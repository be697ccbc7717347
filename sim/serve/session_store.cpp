#include "session_store.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <random>
#include <utility>
#include <vector>

namespace haven::serve {

std::string SessionStore::add(std::shared_ptr<SessionEntry> entry) {
  std::random_device device;
  std::string id;
  for (int i = 0; i < 4; ++i) id += fmt::format("{:08x}", device());
  std::vector<std::uint64_t> forgotten;
  {
    std::lock_guard guard(lock_);
    while (sessions_.size() >= max_sessions_ && !sessions_.empty()) {
      // Which goes first: a page left untouched for 10 minutes, then work left for an hour, then any untouched page,
      // then the least recently used work. A burst of reloads pushes out reloads, not a planner's edits; and a
      // room of sessions once edited and then abandoned does not make every new page push out the one before.
      const auto now = std::chrono::steady_clock::now();
      const auto tier = [now](const SessionEntry& e) {
        const auto idle = now - e.last_used;
        if (!e.touched && idle >= untouched_abandoned_after) return 0;
        if (e.touched && idle >= touched_abandoned_after) return 1;
        return e.touched ? 3 : 2;
      };
      const auto oldest = std::min_element(sessions_.begin(), sessions_.end(), [&](const auto& a, const auto& b) {
        return std::make_pair(tier(*a.second), a.second->last_used) <
               std::make_pair(tier(*b.second), b.second->last_used);
      });
      forgotten.push_back(oldest->second->serial);
      sessions_.erase(oldest);
    }
    sessions_.emplace(id, std::move(entry));
  }
  if (on_forget_) {
    for (const auto serial : forgotten) on_forget_(serial);
  }
  return id;
}

std::shared_ptr<SessionEntry> SessionStore::find(const std::string& id) {
  std::lock_guard guard(lock_);
  const auto it = sessions_.find(id);
  if (it == sessions_.end()) return nullptr;
  it->second->last_used = std::chrono::steady_clock::now();
  return it->second;
}

bool SessionStore::remove(const std::string& id) {
  std::uint64_t serial = 0;
  {
    std::lock_guard guard(lock_);
    const auto it = sessions_.find(id);
    if (it == sessions_.end()) return false;
    serial = it->second->serial;
    sessions_.erase(it);
  }
  if (on_forget_) on_forget_(serial);
  return true;
}

std::size_t SessionStore::size() {
  std::lock_guard guard(lock_);
  return sessions_.size();
}

}  // namespace haven::serve

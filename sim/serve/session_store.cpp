#include "session_store.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <random>

namespace haven::serve {

std::string SessionStore::add(std::shared_ptr<SessionEntry> entry) {
  std::random_device device;
  std::string id;
  for (int i = 0; i < 4; ++i) id += fmt::format("{:08x}", device());
  std::lock_guard guard(lock_);
  while (sessions_.size() >= max_sessions_ && !sessions_.empty()) {
    const auto oldest = std::min_element(sessions_.begin(), sessions_.end(), [](const auto& a, const auto& b) {
      return a.second->last_used < b.second->last_used;
    });
    sessions_.erase(oldest);
  }
  sessions_.emplace(id, std::move(entry));
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
  std::lock_guard guard(lock_);
  return sessions_.erase(id) > 0;
}

std::size_t SessionStore::size() {
  std::lock_guard guard(lock_);
  return sessions_.size();
}

}  // namespace haven::serve

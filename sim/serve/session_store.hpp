#pragma once
// The server's sessions: each browser session its own scenario copy, behind its own lock, so that two sessions
// never see each other's edits and one session's requests are answered one at a time.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "haven/serve/session.hpp"

namespace haven::serve {

struct SessionEntry {
  explicit SessionEntry(Session s, std::size_t scenario)
      : session(std::move(s)), scenario_index(scenario), serial(next_serial_++) {}
  std::mutex lock;  // held while the session is edited or run
  Session session;
  std::size_t scenario_index;
  std::uint64_t serial;  // never the same for two sessions of one server (its id is a secret; this is not)
  std::chrono::steady_clock::time_point last_used = std::chrono::steady_clock::now();
  // The scenario of the session's latest run (null: the base's, which the base run keeps): an edit's run saves its
  // state on the first day the edit changed it (SavedDays), where the next edit of the same event goes on from.
  std::shared_ptr<const Scenario> last_run_scenario;
  // An edit or a variant switch was applied to it, even if undone since: a page with work a planner would lose.
  // SessionStore::add pushes out an untouched session before a touched one of the same idleness (its tiers).
  std::atomic<bool> touched{false};

 private:
  static inline std::atomic<std::uint64_t> next_serial_{0};
};

inline constexpr std::chrono::minutes untouched_abandoned_after{10};
inline constexpr std::chrono::hours touched_abandoned_after{1};

class SessionStore {
 public:
  // `on_forget` is told the serial of each session removed or pushed out (outside the store's lock), for what is
  // kept of it elsewhere (its kept runs and saved days).
  explicit SessionStore(std::size_t max_sessions, std::function<void(std::uint64_t)> on_forget = {})
      : max_sessions_(max_sessions), on_forget_(std::move(on_forget)) {}
  // Keeps `entry` under a new unguessable id; beyond max_sessions one goes: an untouched session idle for
  // untouched_abandoned_after, else a touched one idle for touched_abandoned_after, else the least recently used
  // untouched one, else the least recently used.
  std::string add(std::shared_ptr<SessionEntry> entry);
  // nullptr for an unknown id.
  std::shared_ptr<SessionEntry> find(const std::string& id);
  bool remove(const std::string& id);
  [[nodiscard]] std::size_t size();

 private:
  std::mutex lock_;
  std::map<std::string, std::shared_ptr<SessionEntry>> sessions_;
  std::size_t max_sessions_;
  std::function<void(std::uint64_t)> on_forget_;
};

}  // namespace haven::serve

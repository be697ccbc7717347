#pragma once
// `haven serve`: how many runs go at once. Every request runs on one of the HTTP pool's threads, so without a bound
// twenty sessions editing at once ran twenty engines on two cores: each run ten times slower, all of them finishing
// together, and twenty runs' working sets in memory at once (docs/serve.md, "Limits"). The gate lets in as many
// runs as it has slots (the server gives it the cores it may use), first come first served; the others wait their turn,
// and a run's time limit counts from when it starts. A run may ask for more than one slot (an edit's run decides on
// two threads): it gets those free when its turn comes, at least one. Runs someone waits for go on the gate's own
// threads, one per slot, the one idle last first (a band's members on the band's): a run on a thread that ran the one
// before takes ~15% less than on a fresh one (its OpenMP team, its thread-local scratch and its caches warm;
// docs/benchmarks.md), and requests come on any of the HTTP pool's 32 threads.

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "haven/serve/runs.hpp"

namespace haven::serve {

// Safe to use from several threads at once.
class RunGate {
 public:
  // A place among the runs going at once, given back when it goes out of scope.
  class Slot {
   public:
    Slot() = default;
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    Slot(Slot&& other) noexcept : gate_(other.gate_), cores_(other.cores_), waited_ms_(other.waited_ms_) {
      other.gate_ = nullptr;
    }
    Slot& operator=(Slot&& other) noexcept;
    ~Slot() { leave(); }
    // How long the run waited for its turn.
    [[nodiscard]] double waited_ms() const noexcept { return waited_ms_; }
    // The slots it holds: the cores its run may use.
    [[nodiscard]] std::size_t cores() const noexcept { return cores_; }
    void leave() noexcept;

   private:
    friend class RunGate;
    Slot(RunGate* gate, std::size_t cores, double waited_ms) : gate_(gate), cores_(cores), waited_ms_(waited_ms) {}
    RunGate* gate_ = nullptr;
    std::size_t cores_ = 0;
    double waited_ms_ = 0.0;
  };

  // At most `slots` runs at once (at least one).
  explicit RunGate(std::size_t slots);
  RunGate(const RunGate&) = delete;
  RunGate& operator=(const RunGate&) = delete;
  // Ends the gate's threads; nobody may be inside it by then.
  ~RunGate();

  // Waits for a place, after everyone who asked before, and takes up to `cores` slots of those free then (at least
  // one). Throws RunCancelled once the gate is closed (the server is stopping), waiting or not.
  [[nodiscard]] Slot enter(std::size_t cores = 1);
  // Runs `scenario` when its turn comes, on the slots it got of the `request.cores` it asked for (on the gate's thread
  // idle last when it asked for more than one, else on the caller's); its time limit counts from then. A run whose
  // asker has gone by then (`request.abandoned`) gives its place to the next without running. The result says how long
  // it waited.
  [[nodiscard]] RunResult run(const Scenario& scenario, const RunRequest& request);
  // Runs `job` on one of the gate's threads, the one idle last (made when none is idle and fewer than the slots
  // exist), and returns when it has; an exception it throws is thrown here. For a caller inside the gate (run()).
  void execute(const std::function<void()>& job);
  // Wakes everyone waiting, and lets no one in from now on.
  void close();

  [[nodiscard]] std::size_t slots() const noexcept { return slots_; }
  // The slots taken now (a run may hold several).
  [[nodiscard]] std::size_t running() const;
  // Those who asked and were not let in yet (after close(), also those who gave up).
  [[nodiscard]] std::size_t waiting() const;
  // The threads it has made to run jobs on (execute()): at most its slots, each made when first needed.
  [[nodiscard]] std::size_t threads() const;

 private:
  void leave(std::size_t cores) noexcept;
  struct Job;
  struct Runner;
  void serve_jobs(Runner& runner);

  const std::size_t slots_;
  mutable std::mutex lock_;
  std::condition_variable turn_;
  std::uint64_t next_ticket_ = 0;  // the ticket of the next to ask
  std::uint64_t admitted_ = 0;     // tickets below it have been let in (after close(), those waiting never are)
  std::size_t running_ = 0;        // slots taken
  bool closed_ = false;

  mutable std::mutex runners_lock_;
  std::condition_variable runner_idle_;
  std::vector<std::unique_ptr<Runner>> runners_;  // at most slots_
  std::vector<Runner*> idle_;                     // the one idle last at the back
};

}  // namespace haven::serve

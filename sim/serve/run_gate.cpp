#include "run_gate.hpp"

#include <algorithm>
#include <chrono>
#include <exception>
#include <utility>

#include "haven/serve/runs.hpp"

namespace haven::serve {

// A job handed to one of the gate's threads, on its caller's stack until `done`.
struct RunGate::Job {
  const std::function<void()>* work = nullptr;
  std::exception_ptr failure;
  bool done = false;
};

// One of the gate's threads.
struct RunGate::Runner {
  std::mutex lock;
  std::condition_variable given;  // a job given, a job done, or stop
  Job* job = nullptr;
  bool stop = false;
  std::thread thread;
};

RunGate::RunGate(std::size_t slots) : slots_(std::max<std::size_t>(1, slots)) {}

RunGate::~RunGate() {
  for (auto& runner : runners_) {
    {
      std::lock_guard guard(runner->lock);
      runner->stop = true;
    }
    runner->given.notify_all();
  }
  for (auto& runner : runners_) runner->thread.join();
}

void RunGate::serve_jobs(Runner& runner) {
  std::unique_lock guard(runner.lock);
  for (;;) {
    runner.given.wait(guard, [&] { return runner.job != nullptr || runner.stop; });
    if (runner.job == nullptr) return;  // stopping, and nothing was given
    Job& job = *runner.job;
    guard.unlock();
    std::exception_ptr failure;
    try {
      (*job.work)();
    } catch (...) {
      failure = std::current_exception();
    }
    guard.lock();
    job.failure = failure;
    job.done = true;
    runner.job = nullptr;
    // Idle again, under its own lock: a caller that takes it now gives it a job once it waits again (below).
    {
      std::lock_guard idle(runners_lock_);
      idle_.push_back(&runner);
    }
    runner_idle_.notify_one();
    runner.given.notify_all();
  }
}

void RunGate::execute(const std::function<void()>& work) {
  Runner* runner = nullptr;
  {
    std::unique_lock guard(runners_lock_);
    // Inside the gate there are no more runs than slots: a thread is idle, or fewer than the slots exist.
    runner_idle_.wait(guard, [&] { return !idle_.empty() || runners_.size() < slots_; });
    if (!idle_.empty()) {
      runner = idle_.back();
      idle_.pop_back();
    } else {
      // Its thread first: one that cannot start (a limit on threads) leaves no runner behind, and the caller gets
      // the error.
      auto made = std::make_unique<Runner>();
      runner = made.get();
      made->thread = std::thread([this, runner] { serve_jobs(*runner); });
      runners_.push_back(std::move(made));
    }
  }
  Job job{&work};
  std::unique_lock guard(runner->lock);
  runner->job = &job;
  runner->given.notify_all();
  runner->given.wait(guard, [&] { return job.done; });
  if (job.failure) std::rethrow_exception(job.failure);
}

RunGate::Slot& RunGate::Slot::operator=(Slot&& other) noexcept {
  if (this != &other) {
    leave();
    gate_ = other.gate_;
    cores_ = other.cores_;
    waited_ms_ = other.waited_ms_;
    other.gate_ = nullptr;
  }
  return *this;
}

void RunGate::Slot::leave() noexcept {
  if (gate_ != nullptr) gate_->leave(cores_);
  gate_ = nullptr;
}

RunGate::Slot RunGate::enter(std::size_t cores) {
  const auto started = std::chrono::steady_clock::now();
  std::unique_lock guard(lock_);
  if (closed_) throw RunCancelled("the server is stopping");
  // First come, first served: a ticket goes in only when every earlier one has, and a place is free.
  const std::uint64_t ticket = next_ticket_++;
  const auto may_enter = [&] { return closed_ || (ticket == admitted_ && running_ < slots_); };
  const bool waits = !may_enter();
  turn_.wait(guard, may_enter);
  if (closed_) throw RunCancelled("the server is stopping");
  ++admitted_;
  // More than one slot only when nobody waits behind: the second core helps a run only while it decides (a run on
  // two takes ~85% of its time on one), so two runs side by side finish sooner than one after the other on both.
  const bool others_wait = next_ticket_ > admitted_;
  const std::size_t taken = others_wait ? 1 : std::clamp<std::size_t>(cores, 1, slots_ - running_);
  running_ += taken;
  guard.unlock();
  // The next ticket may go in too, if a place is still free.
  turn_.notify_all();
  // A run let in at once waited for nothing (0, not the lock's microseconds): the answers say when runs queue.
  const auto waited = std::chrono::steady_clock::now() - started;
  return Slot(this, taken, waits ? std::chrono::duration<double, std::milli>(waited).count() : 0.0);
}

RunResult RunGate::run(const Scenario& scenario, const RunRequest& request) {
  const auto slot = enter(request.cores);
  // Its turn may come after whoever asked has gone (a band dropped by the page): the place goes to the next.
  if (request.abandoned != nullptr && request.abandoned->load())
    throw RunCancelled("no one waited for it any more when its turn came");
  RunRequest granted = request;
  granted.cores = slot.cores();
  RunResult result;
  // A run asking for one core (a band's member) goes on its caller's thread, as before the gate had threads: a
  // band's two members on the gate's two threads took 1.6-2.1 s for 20 seeds on the page against 1.5-1.55 s on
  // the band's own (docs/benchmarks.md); a run someone waits for goes on the gate's thread idle last.
  if (request.cores > 1) {
    execute([&] { result = run_in_memory(scenario, granted); });
  } else {
    result = run_in_memory(scenario, granted);
  }
  result.queued_ms = slot.waited_ms();
  return result;
}

void RunGate::leave(std::size_t cores) noexcept {
  {
    std::lock_guard guard(lock_);
    running_ -= cores;
  }
  turn_.notify_all();
}

void RunGate::close() {
  {
    std::lock_guard guard(lock_);
    closed_ = true;
  }
  turn_.notify_all();
}

std::size_t RunGate::running() const {
  std::lock_guard guard(lock_);
  return running_;
}

std::size_t RunGate::waiting() const {
  std::lock_guard guard(lock_);
  return static_cast<std::size_t>(next_ticket_ - admitted_);
}

std::size_t RunGate::threads() const {
  std::lock_guard guard(runners_lock_);
  return runners_.size();
}

}  // namespace haven::serve

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>

#include "haven/serve/runs.hpp"
#include "haven/serve/session.hpp"
#include "serve/band.hpp"
#include "valley_source.hpp"

using namespace haven;
using namespace haven::serve;
using haven::serve::testing::valley_source;
using Json = nlohmann::json;

namespace {

BandRequest valley_band(std::size_t members) {
  Session session(valley_source(), "", Limits{});
  REQUIRE(session.ok());
  BandRequest band;
  band.scenario = std::make_shared<const Scenario>(session.scenario());
  band.members = members;
  return band;
}

struct Recorded {
  std::mutex lock;
  std::vector<Json> lines;
  std::atomic<int> runs{0};
};

BandStreamIo recording_io(Recorded& recorded) {
  BandStreamIo io;
  io.run = [&recorded](const Scenario& scenario, const RunRequest& request) {
    ++recorded.runs;
    return run_in_memory(scenario, request);
  };
  io.write = [&recorded](const std::string& line) {
    CHECK(!line.empty());  // not REQUIRE: a throw here would leave the band's threads running
    if (line.empty()) return false;
    CHECK(line.back() == '\n');
    std::lock_guard guard(recorded.lock);
    recorded.lines.push_back(Json::parse(line));
    return true;
  };
  io.still_reading = [] { return true; };
  return io;
}

}  // namespace

TEST_CASE("serve band: members stream in as they finish and the last line holds every member's bands") {
  constexpr std::size_t members = 6;
  const auto band = valley_band(members);
  Recorded recorded;
  stream_band(band, recording_io(recorded), 2);

  CHECK(recorded.runs.load() == static_cast<int>(members));
  REQUIRE(!recorded.lines.empty());
  std::size_t before = 0;
  for (const auto& line : recorded.lines) {
    CHECK(line["total"] == members);
    CHECK(line["done"].get<std::size_t>() > before);  // each line says more members than the last
    before = line["done"].get<std::size_t>();
    CHECK(line["parameters"].is_null());
  }
  const Json& last = recorded.lines.back();
  CHECK(last["finished"] == true);
  CHECK(last["done"] == members);
  // The bands do not depend on which member finished first: those of the members run one by one, here.
  std::vector<HeadlineSeries> series;
  for (std::size_t k = 0; k < members; ++k) {
    const auto run = run_in_memory(*band.scenario, RunRequest{band.scenario->seed, k});
    series.push_back(headline_series(*band.scenario, *run.recorder));
  }
  CHECK(last["bands"] == Json::parse(bands_json(series)));
}

TEST_CASE("serve band: members already run are not run again and count in the bands") {
  constexpr std::size_t members = 5;
  auto band = valley_band(members);
  const auto first = run_in_memory(*band.scenario, RunRequest{band.scenario->seed, 0});
  band.known_first.push_back(headline_series(*band.scenario, *first.recorder));
  Recorded recorded;
  auto io = recording_io(recorded);
  std::vector<std::uint64_t> indices;
  io.run = [&](const Scenario& scenario, const RunRequest& request) {
    ++recorded.runs;
    std::lock_guard guard(recorded.lock);
    indices.push_back(request.run_index);
    return run_in_memory(scenario, request);
  };
  stream_band(band, io, 2);
  std::sort(indices.begin(), indices.end());
  CHECK(indices == std::vector<std::uint64_t>{1, 2, 3, 4});
  REQUIRE(!recorded.lines.empty());
  CHECK(recorded.lines.front()["done"] >= 1);
  Recorded all;
  stream_band(valley_band(members), recording_io(all), 2);
  REQUIRE(!all.lines.empty());
  CHECK(all.runs.load() == static_cast<int>(members));
  CHECK(recorded.lines.back()["bands"] == all.lines.back()["bands"]);
}

namespace {

// Member 3 of 8 throws `failure`; on one thread. Returns the lines written and how many members ran.
std::pair<std::vector<Json>, int> band_failing_at_member_3(const std::function<void()>& failure) {
  const auto band = valley_band(8);
  Recorded recorded;
  auto io = recording_io(recorded);
  io.run = [&](const Scenario& scenario, const RunRequest& request) {
    ++recorded.runs;
    if (request.run_index == 3) failure();
    return run_in_memory(scenario, request);
  };
  stream_band(band, io, 1);
  return {recorded.lines, recorded.runs.load()};
}

}  // namespace

TEST_CASE("serve band: a member stopped at its time limit ends the band with one line saying it was cancelled") {
  const auto [lines, runs] =
      band_failing_at_member_3([] { throw RunCancelled("the run was cancelled after 20.00 s"); });
  REQUIRE(!lines.empty());
  const Json& last = lines.back();
  CHECK(last["finished"] == true);
  CHECK(last["cancelled"] == true);
  CHECK(last["error"].get<std::string>().rfind("member 3: the run was cancelled", 0) == 0);
  CHECK(runs == 4);  // on one thread, nothing after member 3 ran
  for (std::size_t k = 0; k + 1 < lines.size(); ++k) CHECK(lines[k]["done"] <= 3);
}

TEST_CASE("serve band: a member that fails ends the band with one line naming it and not said to be cancelled") {
  const auto [lines, runs] = band_failing_at_member_3([] { throw std::runtime_error("out of memory"); });
  REQUIRE(!lines.empty());
  CHECK(lines.back()["error"] == "member 3: out of memory");
  CHECK(lines.back()["cancelled"] == false);
  CHECK(lines.back()["finished"] == true);
  CHECK(runs == 4);
}

TEST_CASE("serve band: a client that has gone stops the band and the server stopping runs no further member") {
  const auto band = valley_band(20);
  {
    Recorded recorded;
    auto io = recording_io(recorded);
    int written = 0;
    io.write = [&written](const std::string&) { return ++written < 2; };  // the second line finds no reader
    stream_band(band, io, 1);
    CHECK(written == 2);
    CHECK(recorded.runs.load() < 20);
  }
  {
    // A member running (or waiting for its turn) when the page goes is told so: it stops, or never starts.
    Recorded recorded;
    auto io = recording_io(recorded);
    io.write = [](const std::string&) { return false; };  // the first line finds no reader
    std::atomic<int> told{0};
    std::atomic<bool> second_started{false};
    io.run = [&](const Scenario& scenario, const RunRequest& request) {
      if (request.run_index == 0) {
        // Member 0's line goes out (and finds no reader) only once member 1 is under way on the other thread.
        for (int k = 0; k < 2000 && !second_started; ++k) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        return run_in_memory(scenario, RunRequest{request.seed, 0});
      }
      second_started = true;
      for (int k = 0; k < 2000 && !(request.abandoned != nullptr && request.abandoned->load()); ++k)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      if (request.abandoned != nullptr && request.abandoned->load()) ++told;
      throw RunCancelled("no one waits for it any more");
    };
    stream_band(band, io, 2);
    CHECK(told.load() >= 1);
  }
  {
    Recorded recorded;
    auto io = recording_io(recorded);
    std::atomic<bool> stopping{false};
    io.stopping = &stopping;
    io.run = [&](const Scenario& scenario, const RunRequest& request) {
      ++recorded.runs;
      stopping = true;  // the server stops during the first member
      return run_in_memory(scenario, RunRequest{request.seed, request.run_index});
    };
    stream_band(band, io, 1);
    CHECK(recorded.runs.load() == 1);
    // Perhaps the first member's bands (if they were written before the next member's turn), then why no more came.
    REQUIRE(!recorded.lines.empty());
    CHECK(recorded.lines.size() <= 2);
    CHECK(recorded.lines.back()["error"] == "member 1: the server is stopping");
    CHECK(recorded.lines.back()["cancelled"] == true);
    CHECK(recorded.lines.back()["finished"] == true);
  }
}

#pragma once
// `haven serve`: the local web server (cpp-httplib) behind the what-if page. docs/serve.md lists its API.

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "haven/serve/session.hpp"

namespace haven::serve {

struct ServeOptions {
  std::vector<ScenarioSource> scenarios;  // at least one
  std::string host = "127.0.0.1";
  int port = 8765;                   // 0: any free port
  std::filesystem::path output_dir;  // empty: nothing is written on the server (downloads still work)
  std::string allow_origin;          // empty: no cross-origin access
  Limits limits;
};

// The Accept-Encoding httplib is left to choose from for a request that came from `peer_address` (the request's
// own header `accept_encoding`). Empty for a loopback peer: sending the 1.8 MB Idlib page as it is takes
// milliseconds there, compressing it took 86 ms (gzip) or 3.3 s (brotli, which httplib runs at its highest
// quality). "gzip" for another peer that accepts it (never brotli); empty when it does not.
std::string allowed_encoding(std::string_view accept_encoding, std::string_view peer_address);

// Whether a request that may change something (any method but GET and HEAD) is let in by its Origin header
// `origin`: when it has none (a program, not a browser's page; the server also asks Sec-Fetch-Site then), when it is
// the server's own (http:// and the request's Host, `host`, compared without regard to case), or `allow_origin`
// (--allow-origin, without regard to case or a trailing '/'; "*" lets any page in). A page elsewhere, or "null" (a
// sandboxed frame, a file), is refused: a browser sends its form's POST or its fetch with a text body without asking
// the server first, and the request would take effect unread.
bool origin_allowed(std::string_view origin, std::string_view host, std::string_view allow_origin);

class Server {
 public:
  explicit Server(ServeOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Runs every scenario's base once and binds the port; returns the port bound. Throws std::runtime_error (a
  // scenario that does not load, a port that cannot be bound).
  int start();
  // Serves until stop() is called (from another thread or a signal watcher).
  void serve();
  // Stops a server that is serving; false (nothing done) when it is not serving (yet).
  bool stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace haven::serve

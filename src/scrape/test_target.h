#pragma once

// Tests only: one in-test HTTP server on a free loopback port, standing in for a scrape
// target. `routes` registers its handlers before it starts listening.

#include <httplib.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "base/fmt.h"

namespace hearth::scrape::testing {

class TestTarget {
 public:
  explicit TestTarget(std::function<void(httplib::Server&)> routes) {
    routes(server_);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~TestTarget() { Stop(); }
  void Stop() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  std::string address() const { return fmt::format("127.0.0.1:{}", port_); }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace hearth::scrape::testing

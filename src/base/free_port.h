#pragma once

// A loopback TCP port the kernel had free a moment ago (bound to port 0, read back, closed),
// for tests and benchmarks that must name a port before anything listens on it; -1 if
// none could be had.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace hearth {

inline int FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  int port = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  close(fd);
  return port;
}

}  // namespace hearth

// A tiny HTTP/1.1 server on 127.0.0.1 for tests of upstream connections: it answers every
// request head with 200 and "ok", keeps connections alive, and can close them all on demand.
// One thread, poll(2); enough for a handful of connections.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace gatehouse::dataplane::fakes {

class LoopbackHttpServer {
 public:
  // `extra` follows each response in the same write (an upstream misbehaving, say).
  explicit LoopbackHttpServer(std::string extra = "") : extra_(std::move(extra)) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    listen(listen_fd_, 16);
    socklen_t length = sizeof(address);
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    pipe(wake_);
    thread_ = std::thread([this] { Run(); });
  }
  ~LoopbackHttpServer() {
    stop_ = true;
    Wake();
    thread_.join();
    for (auto& [fd, input] : connections_) close(fd);
    close(listen_fd_);
    close(wake_[0]);
    close(wake_[1]);
  }

  uint16_t port() const { return port_; }
  int accepted() const { return accepted_.load(); }
  int requests() const { return requests_.load(); }
  // Connections the server has open: accepted, and not yet closed by either side.
  int open_connections() const { return open_.load(); }
  // Closes every open connection (as an upstream's idle timeout would).
  void CloseAll() {
    close_all_ = true;
    Wake();
    while (close_all_) std::this_thread::yield();
  }

 private:
  void Wake() {
    char byte = 0;
    write(wake_[1], &byte, 1);
  }

  void Run() {
    while (!stop_) {
      std::vector<pollfd> fds = {{listen_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
      for (auto& [fd, input] : connections_) fds.push_back({fd, POLLIN, 0});
      poll(fds.data(), fds.size(), 1000);
      if (fds[1].revents & POLLIN) {
        char buffer[16];
        read(wake_[0], buffer, sizeof(buffer));
      }
      if (close_all_) {
        for (auto& [fd, input] : connections_) close(fd);
        connections_.clear();
        open_ = 0;
        close_all_ = false;
        continue;
      }
      if (fds[0].revents & POLLIN) {
        int fd = accept(listen_fd_, nullptr, nullptr);
        if (fd >= 0) {
          connections_[fd];
          ++accepted_;
          open_ = static_cast<int>(connections_.size());
        }
      }
      for (size_t i = 2; i < fds.size(); ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        char buffer[4096];
        ssize_t n = read(fds[i].fd, buffer, sizeof(buffer));
        if (n <= 0) {
          close(fds[i].fd);
          connections_.erase(fds[i].fd);
          open_ = static_cast<int>(connections_.size());
          continue;
        }
        std::string& input = connections_[fds[i].fd];
        input.append(buffer, static_cast<size_t>(n));
        size_t end;
        while ((end = input.find("\r\n\r\n")) != std::string::npos) {
          input.erase(0, end + 4);
          ++requests_;
          std::string response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok" + extra_;
          write(fds[i].fd, response.data(), response.size());
        }
      }
    }
  }

  const std::string extra_;
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};
  uint16_t port_ = 0;
  std::map<int, std::string> connections_;  // server thread only: fd -> unparsed input
  std::atomic<int> accepted_{0};
  std::atomic<int> requests_{0};
  std::atomic<int> open_{0};
  std::atomic<bool> stop_{false};
  std::atomic<bool> close_all_{false};
  std::thread thread_;
};

}  // namespace gatehouse::dataplane::fakes

#include "common/health_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/listen_socket.h"
#include "common/log.h"
#include "llhttp.h"

namespace gatehouse {

absl::StatusOr<std::unique_ptr<HealthServer>> HealthServer::Create(const HostPort& address,
                                                                   ReadyFn ready,
                                                                   const MetricsRegistry* metrics) {
  absl::StatusOr<int> fd = ListenTcp(address, /*reuse_port=*/false, 64);
  if (!fd.ok()) return fd.status();
  return std::unique_ptr<HealthServer>(
      new HealthServer(*fd, BoundPort(*fd), std::move(ready), metrics));
}

HealthServer::HealthServer(int listen_fd, uint16_t port, ReadyFn ready,
                           const MetricsRegistry* metrics)
    : listen_fd_(listen_fd), port_(port), ready_(std::move(ready)), metrics_(metrics) {
  if (pipe2(wake_fds_, O_CLOEXEC) != 0) wake_fds_[0] = wake_fds_[1] = -1;
  thread_ = std::thread([this] { Run(); });
}

HealthServer::~HealthServer() {
  if (wake_fds_[1] >= 0) {
    char byte = 0;
    ssize_t ignored = write(wake_fds_[1], &byte, 1);
    (void)ignored;
  }
  thread_.join();
  close(listen_fd_);
  for (int fd : wake_fds_) {
    if (fd >= 0) close(fd);
  }
}

void HealthServer::Run() {
  while (true) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fds_[0], POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      LOG_ERROR("health server poll: ", std::strerror(errno));
      return;
    }
    if (fds[1].revents != 0) return;
    if (fds[0].revents & POLLIN) {
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0) {
        Serve(fd);
        close(fd);
      }
    }
  }
}

namespace {

struct RequestState {
  std::string url;
  bool complete = false;
};

int OnUrl(llhttp_t* parser, const char* at, size_t length) {
  static_cast<RequestState*>(parser->data)->url.append(at, length);
  return 0;
}

int OnMessageComplete(llhttp_t* parser) {
  static_cast<RequestState*>(parser->data)->complete = true;
  return HPE_PAUSED;
}

std::string Response(int code, absl::string_view reason, absl::string_view content_type,
                     absl::string_view body) {
  return absl::StrCat("HTTP/1.1 ", code, " ", reason, "\r\nContent-Type: ", content_type,
                      "\r\nContent-Length: ", body.size(), "\r\nConnection: close\r\n\r\n", body);
}

}  // namespace

void HealthServer::Serve(int fd) {
  timeval timeout{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));

  llhttp_settings_t settings;
  llhttp_settings_init(&settings);
  settings.on_url = OnUrl;
  settings.on_message_complete = OnMessageComplete;
  llhttp_t parser;
  llhttp_init(&parser, HTTP_REQUEST, &settings);
  RequestState state;
  parser.data = &state;

  char buf[4096];
  size_t total = 0;
  // One deadline for the whole request, so a client trickling bytes cannot hold the thread.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (!state.complete) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd readable{fd, POLLIN, 0};
    if (left.count() <= 0 || poll(&readable, 1, static_cast<int>(left.count())) <= 0) return;
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) return;
    total += static_cast<size_t>(n);
    llhttp_errno_t err = llhttp_execute(&parser, buf, static_cast<size_t>(n));
    if (err != HPE_OK && err != HPE_PAUSED) {
      std::string out = Response(400, "Bad Request", "text/plain", "bad request\n");
      ssize_t ignored = write(fd, out.data(), out.size());
      (void)ignored;
      return;
    }
    if (total > 16 * 1024) return;
  }

  absl::string_view path = state.url;
  if (size_t q = path.find('?'); q != absl::string_view::npos) path = path.substr(0, q);
  std::string out;
  if (path == "/healthz") {
    out = Response(200, "OK", "text/plain", "ok\n");
  } else if (path == "/readyz") {
    out = ready_() ? Response(200, "OK", "text/plain", "ready\n")
                   : Response(503, "Service Unavailable", "text/plain", "not ready\n");
  } else if (path == "/metrics") {
    out = Response(200, "OK", "text/plain; version=0.0.4", metrics_->RenderPrometheus());
  } else {
    out = Response(404, "Not Found", "text/plain", "not found\n");
  }
  size_t sent = 0;
  while (sent < out.size()) {
    ssize_t n = write(fd, out.data() + sent, out.size() - sent);
    if (n <= 0) return;
    sent += static_cast<size_t>(n);
  }
}

}  // namespace gatehouse

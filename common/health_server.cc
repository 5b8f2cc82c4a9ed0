#include "common/health_server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/listen_socket.h"
#include "common/log.h"
#include "llhttp.h"

namespace gatehouse {
namespace {

using Clock = std::chrono::steady_clock;

std::string Response(int code, absl::string_view reason, absl::string_view content_type,
                     absl::string_view body) {
  return absl::StrCat("HTTP/1.1 ", code, " ", reason, "\r\nContent-Type: ", content_type,
                      "\r\nContent-Length: ", body.size(), "\r\nConnection: close\r\n\r\n", body);
}

}  // namespace

struct HealthServer::Client {
  explicit Client(int socket) : fd(socket), deadline(Clock::now() + kExchangeTimeout) {
    llhttp_settings_init(&settings);
    settings.on_url = [](llhttp_t* parser, const char* at, size_t length) {
      static_cast<Client*>(parser->data)->url.append(at, length);
      return 0;
    };
    settings.on_message_complete = [](llhttp_t* parser) {
      static_cast<Client*>(parser->data)->complete = true;
      return static_cast<int>(HPE_PAUSED);
    };
    llhttp_init(&parser, HTTP_REQUEST, &settings);
    parser.data = this;
  }
  ~Client() { close(fd); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const int fd;
  const Clock::time_point deadline;
  llhttp_settings_t settings;
  llhttp_t parser;
  std::string url;
  size_t received = 0;
  bool complete = false;  // the request is whole: `out` is the answer
  std::string out;
  size_t sent = 0;
};

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
  fcntl(listen_fd_, F_SETFL, fcntl(listen_fd_, F_GETFL) | O_NONBLOCK);
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
  std::vector<std::unique_ptr<Client>> clients;  // oldest first
  std::vector<pollfd> fds;
  while (true) {
    Clock::time_point now = Clock::now();
    clients.erase(std::remove_if(clients.begin(), clients.end(),
                                 [now](const auto& client) { return client->deadline <= now; }),
                  clients.end());
    fds.clear();
    fds.push_back({listen_fd_, POLLIN, 0});
    fds.push_back({wake_fds_[0], POLLIN, 0});
    for (const auto& client : clients) {
      fds.push_back({client->fd, static_cast<short>(client->complete ? POLLOUT : POLLIN), 0});
    }
    // Deadlines are in accept order: the oldest client's comes first.
    int wait_ms = -1;
    if (!clients.empty()) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(clients.front()->deadline - now);
      wait_ms = static_cast<int>(std::max<int64_t>(left.count(), 0));
    }
    if (poll(fds.data(), fds.size(), wait_ms) < 0) {
      if (errno == EINTR) continue;
      LOG_ERROR("health server poll: ", std::strerror(errno));
      return;
    }
    if (fds[1].revents != 0) return;
    // Clients first: accepting may close the oldest, which would shift the indices.
    size_t kept = 0;
    for (size_t i = 0; i < clients.size(); ++i) {
      short events = fds[i + 2].revents;
      bool open = true;
      if (events != 0) {
        open = clients[i]->complete ? OnWritable(*clients[i]) : OnReadable(*clients[i]);
        // A request read whole is answered at once, without waiting for another turn.
        if (open && clients[i]->complete && clients[i]->sent == 0) open = OnWritable(*clients[i]);
      }
      if (open) clients[kept++] = std::move(clients[i]);
    }
    clients.resize(kept);
    if (fds[0].revents & POLLIN) Accept(clients);
  }
}

void HealthServer::Accept(std::vector<std::unique_ptr<Client>>& clients) {
  while (true) {
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) return;  // none left (EAGAIN), or a transient error: poll tells again
    if (clients.size() >= kMaxClients) clients.erase(clients.begin());
    clients.push_back(std::make_unique<Client>(fd));
  }
}

bool HealthServer::OnReadable(Client& client) {
  char buf[4096];
  ssize_t n = read(client.fd, buf, sizeof(buf));
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return true;
  if (n <= 0) return false;
  client.received += static_cast<size_t>(n);
  llhttp_errno_t err = llhttp_execute(&client.parser, buf, static_cast<size_t>(n));
  if (err != HPE_OK && err != HPE_PAUSED) {
    client.out = Response(400, "Bad Request", "text/plain", "bad request\n");
    client.complete = true;
    return true;
  }
  if (client.complete) {
    client.out = Answer(client.url);
    return true;
  }
  return client.received <= kMaxRequestBytes;
}

bool HealthServer::OnWritable(Client& client) {
  while (client.sent < client.out.size()) {
    ssize_t n = send(client.fd, client.out.data() + client.sent, client.out.size() - client.sent,
                     MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return true;
    if (n <= 0) return false;
    client.sent += static_cast<size_t>(n);
  }
  return false;  // all written: the connection closes
}

std::string HealthServer::Answer(const std::string& url) {
  absl::string_view path = url;
  if (size_t q = path.find('?'); q != absl::string_view::npos) path = path.substr(0, q);
  if (path == "/healthz") return Response(200, "OK", "text/plain", "ok\n");
  if (path == "/readyz") {
    return ready_() ? Response(200, "OK", "text/plain", "ready\n")
                    : Response(503, "Service Unavailable", "text/plain", "not ready\n");
  }
  if (path == "/metrics") {
    return Response(200, "OK", "text/plain; version=0.0.4", metrics_->RenderPrometheus());
  }
  return Response(404, "Not Found", "text/plain", "not found\n");
}

}  // namespace gatehouse

// What a worker gives its connections and streams (WorkerContext), for tests: made and
// destroyed on the loop's thread, with `settings` as the test sets them.
#pragma once

#include "absl/random/random.h"
#include "dataplane/event/deadline_queue.h"
#include "dataplane/proxy/proxy_stream.h"
#include "dataplane/upstream/load_balancer.h"

namespace gatehouse::dataplane::fakes {

struct TestWorker {
  TestWorker(event::Dispatcher& dispatcher, upstream::UpstreamConnector& upstreams,
             const proxy::ProxySettings& settings)
      : settings(settings),
        balancer(random),
        idle(dispatcher, settings.idle_timeout),
        head(dispatcher, settings.request_header_timeout),
        tunnel(dispatcher, settings.tunnel_idle_timeout),
        send(dispatcher, settings.send_timeout),
        response(dispatcher, settings.upstream_response_timeout),
        body(dispatcher, settings.request_body_timeout),
        stream_idle(dispatcher, settings.stream_idle_timeout),
        mirrors(dispatcher, upstreams, balancer, this->settings),
        blocking_work(dispatcher, settings.blocking_work_limit),
        side_requests(dispatcher, upstreams, balancer),
        context{dispatcher, upstreams, balancer,    stats,   this->settings, random,
                nullptr,    0,         idle,        head,    tunnel,         send,
                response,   body,      stream_idle, mirrors, blocking_work,  side_requests} {}
  ~TestWorker() {
    mirrors.Clear();
    side_requests.Clear();
    for (event::DeadlineQueue* queue :
         {&idle, &head, &tunnel, &send, &response, &body, &stream_idle}) {
      queue->Close();
    }
  }
  proxy::ProxySettings settings;
  absl::InsecureBitGen random;
  upstream::LoadBalancer balancer;
  proxy::ProxyStats stats;
  event::DeadlineQueue idle, head, tunnel, send, response, body, stream_idle;
  proxy::Mirrors mirrors;
  event::WorkQueue blocking_work;
  proxy::SideRequests side_requests;
  proxy::WorkerContext context;
};

}  // namespace gatehouse::dataplane::fakes

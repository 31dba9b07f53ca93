// record_libnice.cpp — records a format-1 trace of two libnice agents talking through a UDP relay.
//
// Two NiceAgents (a: controlling, b: controlled) run in one process on the default GLib main
// context, each with one stream of one component on 127.0.0.1 only (UPnP and ICE-TCP off); the
// renegotiate-add-transport scenario adds a second stream to both once they are connected.
// They never see each other's real address: each is told that the other's host candidate is a
// port of a Boost.Asio UDP relay (its own thread), which forwards datagrams and can drop, delay
// or blackhole them per direction on command. Each relay is a "lane": lane 1 carries stream 1,
// lane 2 carries either the added stream or, in candidate-after-failed, a second path for stream 1
// that the agents learn about only after the first one failed. The scenario script blocks and
// unblocks lanes to make paths fail and recover.
//
// Trace (docs/trace-format.md, docs/recorders.md): libnice is an ICE agent, not a peer
// connection, so the header says "pc_events": false and the trace holds transport events only.
// Each "component-state-changed" signal is logged as it came (target ice:<pc>.<stream>, event
// "nice-component-state", raw state) and, when the mapped RTCIceTransportState changes, as a
// "statechange" with the mapped state (GStreamer webrtcbin's mapping, nicetransport.c):
// DISCONNECTED→disconnected, GATHERING→new, CONNECTING→checking, CONNECTED→connected,
// READY→completed, FAILED→failed. Nothing is edited after the fact.
//
// Usage: record-libnice --scenario SCENARIO -o FILE (kScenarios below; kCannotRun says which
// scenarios an ICE agent without signaling or DTLS cannot run)
// Exit: 0 the scenario reached its goal; 3 it did not (the trace is still written); 2 bad usage or
// a scenario libnice cannot run.
#include <agent.h>
#include <gio/gio.h>
#include <glib.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "connstate/harness/json_input.h"
#include "connstate/harness/version.h"

#ifndef CONNSTATE_NICE_VERSION
#define CONNSTATE_NICE_VERSION ""
#endif

namespace asio = boost::asio;
using asio::ip::udp;

namespace {

using Clock = std::chrono::steady_clock;
const Clock::time_point kStart = Clock::now();

double now_ms() { return std::chrono::duration<double, std::milli>(Clock::now() - kStart).count(); }

std::string json_str(const std::string& s) {
  std::string quoted;
  connstate::harness::append_json_string(quoted, s);
  return quoted;
}

// --- the trace writer (GLib main thread only) ------------------------------------------------------
class TraceWriter {
 public:
  explicit TraceWriter(std::FILE* f) : f_(f) {}
  void line(const std::string& body) {  // body: fields after t_ms, starting with ','
    char t[40];
    std::snprintf(t, sizeof t, "%.3f", now_ms());
    std::fprintf(f_, "{\"t_ms\":%s%s}\n", t, body.c_str());
    std::fflush(f_);
  }
  void raw(const std::string& s) {
    std::fputs(s.c_str(), f_);
    std::fflush(f_);
  }

 private:
  std::FILE* f_;
};

// --- the UDP relay (its own thread) ----------------------------------------------------------------
// Socket ra stands for agent a towards b (b sends to it), rb stands for b towards a.
// A datagram b→ra goes out of rb to a's real address (a sees it coming from "b"), and vice versa.
class Relay {
 public:
  enum Dir { AtoB = 0, BtoA = 1 };

  Relay() : ra_(io_, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
            rb_(io_, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {}
  ~Relay() { stop(); }

  unsigned short port_a() const { return ra_.local_endpoint().port(); }
  unsigned short port_b() const { return rb_.local_endpoint().port(); }
  void set_real(const udp::endpoint& a, const udp::endpoint& b) {
    std::lock_guard<std::mutex> l(mu_);
    a_real_ = a;
    b_real_ = b;
  }
  void block(Dir d, bool on) { block_[d] = on; }
  void delay(Dir d, int ms) { delay_ms_[d] = ms; }
  void drop_every(Dir d, int n) { drop_every_[d] = n; }  // 0 = none, n = drop 1 of n
  std::size_t forwarded(Dir d) const { return forwarded_[d]; }
  std::size_t dropped(Dir d) const { return dropped_[d]; }

  void start() {
    receive(ra_, BtoA);
    receive(rb_, AtoB);
    thread_ = std::thread([this] { io_.run(); });
  }
  void stop() {
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void receive(udp::socket& s, Dir d) {
    auto buf = std::make_shared<std::vector<char>>(65536);
    auto from = std::make_shared<udp::endpoint>();
    s.async_receive_from(asio::buffer(*buf), *from, [this, &s, d, buf, from](boost::system::error_code ec, std::size_t n) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) forward(d, buf, n);
      receive(s, d);
    });
  }
  void forward(Dir d, std::shared_ptr<std::vector<char>> buf, std::size_t n) {
    const unsigned count = ++seen_[d];
    if (block_[d] || (drop_every_[d] > 0 && count % static_cast<unsigned>(drop_every_[d]) == 0)) {
      ++dropped_[d];
      return;
    }
    udp::endpoint to;
    {
      std::lock_guard<std::mutex> l(mu_);
      to = d == AtoB ? b_real_ : a_real_;
    }
    udp::socket& out = d == AtoB ? ra_ : rb_;
    buf->resize(n);
    const int delay = delay_ms_[d];
    if (delay <= 0) {
      boost::system::error_code ec;
      out.send_to(asio::buffer(*buf), to, 0, ec);
      ++forwarded_[d];
      return;
    }
    auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(delay));
    timer->async_wait([this, &out, buf, to, timer, d](boost::system::error_code ec) {
      if (ec) return;
      boost::system::error_code e2;
      out.send_to(asio::buffer(*buf), to, 0, e2);
      ++forwarded_[d];
    });
  }

  asio::io_context io_;
  udp::socket ra_, rb_;
  std::mutex mu_;
  udp::endpoint a_real_, b_real_;
  std::atomic<bool> block_[2] = {false, false};
  std::atomic<int> delay_ms_[2] = {0, 0};
  std::atomic<int> drop_every_[2] = {0, 0};
  std::atomic<unsigned> seen_[2] = {0, 0};
  std::atomic<std::size_t> forwarded_[2] = {0, 0};
  std::atomic<std::size_t> dropped_[2] = {0, 0};
  std::thread thread_;
};

// --- the agents --------------------------------------------------------------------------------------
const char* nice_state_name(guint s) {
  switch (s) {
    case NICE_COMPONENT_STATE_DISCONNECTED: return "DISCONNECTED";
    case NICE_COMPONENT_STATE_GATHERING: return "GATHERING";
    case NICE_COMPONENT_STATE_CONNECTING: return "CONNECTING";
    case NICE_COMPONENT_STATE_CONNECTED: return "CONNECTED";
    case NICE_COMPONENT_STATE_READY: return "READY";
    case NICE_COMPONENT_STATE_FAILED: return "FAILED";
    default: return "UNKNOWN";
  }
}

// GStreamer webrtcbin's mapping (ext/webrtc/nice/nicetransport.c).
const char* mapped_state(guint s) {
  switch (s) {
    case NICE_COMPONENT_STATE_DISCONNECTED: return "disconnected";
    case NICE_COMPONENT_STATE_GATHERING: return "new";
    case NICE_COMPONENT_STATE_CONNECTING: return "checking";
    case NICE_COMPONENT_STATE_CONNECTED: return "connected";
    case NICE_COMPONENT_STATE_READY: return "completed";
    case NICE_COMPONENT_STATE_FAILED: return "failed";
    default: return nullptr;
  }
}

// One ICE stream (of one component) of an agent: an RTCIceTransport in the trace.
struct Stream {
  guint id = 0;
  bool gathered = false;
  bool removed = false;
  std::string mapped = "new";  // the transport's RTCIceTransportState as last logged
  guint nice_state = NICE_COMPONENT_STATE_DISCONNECTED;
  std::vector<std::pair<std::string, double>> history;  // mapped states in order, with their t_ms
};

struct Peer {
  std::string name;  // "a" / "b"
  NiceAgent* agent = nullptr;
  std::vector<Stream> streams;  // streams[0] is stream 1, the one every scenario uses
  Stream& first() { return streams.front(); }
  Stream* find(guint id) {
    for (Stream& s : streams)
      if (s.id == id) return &s;
    return nullptr;
  }
  std::string transport(guint stream) const { return "ice:" + name + "." + std::to_string(stream); }
};

struct Recorder {
  std::string scenario;
  TraceWriter* out = nullptr;
  std::vector<std::unique_ptr<Relay>> lanes;  // lanes[0] is lane 1
  Peer a = named("a"), b = named("b");

  static Peer named(const char* n) {
    Peer p;
    p.name = n;
    return p;
  }
  GMainLoop* loop = nullptr;
  bool goal = false;
  std::string failure;
  std::function<void()> on_state;     // the scenario's state watcher
  std::function<void()> on_gathered;  // the scenario's watcher of a gathering-done (after the exchange)

  Peer& peer_of(NiceAgent* agent) { return agent == a.agent ? a : b; }
  Relay& lane(std::size_t number) { return *lanes.at(number - 1); }

  void mark(const std::string& event, const std::string& extra = "") {
    out->line(",\"target\":\"relay\",\"event\":" + json_str(event) + extra);
  }
};

Recorder* g_rec = nullptr;

void on_recv(NiceAgent*, guint, guint, guint, gchar*, gpointer) {}

void on_state_changed(NiceAgent* agent, guint stream_id, guint component, guint state, gpointer) {
  Recorder& r = *g_rec;
  Peer& p = r.peer_of(agent);
  const std::string target = p.transport(stream_id);
  r.out->line(",\"pc\":" + json_str(p.name) + ",\"target\":" + json_str(target) +
              ",\"event\":\"nice-component-state\",\"component\":" + std::to_string(component) +
              ",\"nice_state\":" + json_str(nice_state_name(state)));
  Stream* s = p.find(stream_id);
  if (!s) return;
  s->nice_state = state;
  const char* m = mapped_state(state);
  if (m && s->mapped != m) {
    s->mapped = m;
    s->history.emplace_back(m, now_ms());
    r.out->line(",\"pc\":" + json_str(p.name) + ",\"target\":" + json_str(target) +
                ",\"event\":\"statechange\",\"state\":" + json_str(m) + ",\"nice_state\":" +
                json_str(nice_state_name(state)));
  }
  if (auto watcher = r.on_state) watcher();  // a copy: the watcher may replace itself
}

udp::endpoint host_endpoint(Peer& p, guint stream) {
  GSList* cands = nice_agent_get_local_candidates(p.agent, stream, 1);
  udp::endpoint ep;
  for (GSList* i = cands; i; i = i->next) {
    auto* c = static_cast<NiceCandidate*>(i->data);
    if (c->transport != NICE_CANDIDATE_TRANSPORT_UDP || c->type != NICE_CANDIDATE_TYPE_HOST) continue;
    char addr[NICE_ADDRESS_STRING_LEN];
    nice_address_to_string(&c->addr, addr);
    ep = udp::endpoint(asio::ip::make_address(addr), static_cast<unsigned short>(nice_address_get_port(&c->addr)));
    break;
  }
  g_slist_free_full(cands, reinterpret_cast<GDestroyNotify>(&nice_candidate_free));
  return ep;
}

// Gives `to` (optionally) the credentials of `from`'s stream and one host candidate of it rewritten
// to `relay_port`.
void introduce(Peer& from, Peer& to, guint stream, unsigned short relay_port, std::size_t lane, bool credentials) {
  if (credentials) {
    gchar *ufrag = nullptr, *pwd = nullptr;
    nice_agent_get_local_credentials(from.agent, stream, &ufrag, &pwd);
    nice_agent_set_remote_credentials(to.agent, stream, ufrag, pwd);
    g_free(ufrag);
    g_free(pwd);
  }
  GSList* cands = nice_agent_get_local_candidates(from.agent, stream, 1);
  GSList* remote = nullptr;
  for (GSList* i = cands; i; i = i->next) {
    auto* c = static_cast<NiceCandidate*>(i->data);
    if (c->transport != NICE_CANDIDATE_TRANSPORT_UDP || c->type != NICE_CANDIDATE_TYPE_HOST) continue;
    NiceCandidate* copy = nice_candidate_copy(c);
    nice_address_set_from_string(&copy->addr, "127.0.0.1");
    nice_address_set_port(&copy->addr, relay_port);
    nice_address_set_from_string(&copy->base_addr, "127.0.0.1");
    nice_address_set_port(&copy->base_addr, relay_port);
    copy->stream_id = stream;
    if (lane != 1) {
      // A candidate of its own (a new path), not a repeat of the lane-1 one libnice already has.
      g_strlcpy(copy->foundation, ("lane" + std::to_string(lane)).c_str(), NICE_CANDIDATE_MAX_FOUNDATION);
    }
    remote = g_slist_append(remote, copy);
    g_rec->out->line(",\"pc\":" + json_str(to.name) + ",\"target\":\"api\",\"event\":\"addIceCandidate\",\"detail\":" +
                     json_str("host udp 127.0.0.1:" + std::to_string(relay_port) + " (relay for " + from.name + ")") +
                     ",\"stream\":" + std::to_string(stream) + ",\"lane\":" + std::to_string(lane));
    break;
  }
  nice_agent_set_remote_candidates(to.agent, stream, 1, remote);
  g_slist_free_full(remote, reinterpret_cast<GDestroyNotify>(&nice_candidate_free));
  g_slist_free_full(cands, reinterpret_cast<GDestroyNotify>(&nice_candidate_free));
}

// Points lane `lane` at the real ports of `stream` and tells each agent about the other through it.
void exchange(guint stream, std::size_t lane, bool credentials = true) {
  Recorder& r = *g_rec;
  Relay& relay = r.lane(lane);
  relay.set_real(host_endpoint(r.a, stream), host_endpoint(r.b, stream));
  introduce(r.a, r.b, stream, relay.port_a(), lane, credentials);
  introduce(r.b, r.a, stream, relay.port_b(), lane, credentials);
}

void on_gathering_done(NiceAgent* agent, guint stream_id, gpointer) {
  Recorder& r = *g_rec;
  Peer& p = r.peer_of(agent);
  Stream* s = p.find(stream_id);
  if (!s) return;
  s->gathered = true;
  r.out->line(",\"pc\":" + json_str(p.name) + ",\"target\":" + json_str(p.transport(stream_id)) +
              ",\"event\":\"gatheringstatechange\",\"state\":\"complete\"");
  Stream* other = (&p == &r.a ? r.b : r.a).find(stream_id);
  if (!other || !other->gathered) return;
  // Stream n travels through lane n (stream 1 is every scenario's; stream 2 the one added later).
  exchange(stream_id, stream_id);
  if (auto watcher = r.on_gathered) watcher();
}

bool add_stream(Peer& p) {
  const guint id = nice_agent_add_stream(p.agent, 1);
  if (id == 0) return false;
  Stream s;
  s.id = id;
  p.streams.push_back(s);
  nice_agent_attach_recv(p.agent, id, 1, g_main_context_default(), on_recv, nullptr);
  return true;
}

bool setup(Peer& p, bool controlling, bool consent) {
  NiceAgentOption opts = consent ? NICE_AGENT_OPTION_CONSENT_FRESHNESS : NICE_AGENT_OPTION_NONE;
  p.agent = nice_agent_new_full(g_main_context_default(), NICE_COMPATIBILITY_RFC5245, opts);
  if (!p.agent) return false;
  g_object_set(p.agent, "upnp", FALSE, "ice-tcp", FALSE, "controlling-mode", controlling ? TRUE : FALSE, NULL);
  NiceAddress addr;
  nice_address_init(&addr);
  nice_address_set_from_string(&addr, "127.0.0.1");
  nice_agent_add_local_address(p.agent, &addr);
  g_signal_connect(p.agent, "component-state-changed", G_CALLBACK(on_state_changed), nullptr);
  g_signal_connect(p.agent, "candidate-gathering-done", G_CALLBACK(on_gathering_done), nullptr);
  return add_stream(p);
}

// --- scenarios -------------------------------------------------------------------------------------------
const std::vector<std::string> kScenarios = {"connect", "path-failure", "recover", "close", "remote-close",
                                             "ice-restart", "never-connects", "restart-after-failed",
                                             "candidate-after-failed", "quick-transitions", "close-while-checking",
                                             "renegotiate-add-transport"};
const std::vector<std::pair<std::string, std::string>> kCannotRun = {
    {"bundle-balanced", "BUNDLE is SDP negotiation; libnice is an ICE agent with no signaling, so nothing creates "
                        "transports from m-sections or discards them"},
    {"dtls-failure", "libnice has no DTLS"},
};
// The scenarios whose only path (lane 1) is blackholed before the agents learn about it.
bool blackholed(const std::string& s) {
  return s == "never-connects" || s == "candidate-after-failed" || s == "close-while-checking";
}

bool both(const char* s) { return g_rec->a.first().mapped == s && g_rec->b.first().mapped == s; }
bool up(const Stream& s) { return s.mapped == "completed" || s.mapped == "connected"; }
bool ready() { return up(g_rec->a.first()) && up(g_rec->b.first()); }
void after(int ms, std::function<void()> f) {
  auto* fn = new std::function<void()>(std::move(f));
  g_timeout_add(static_cast<guint>(ms), [](gpointer data) -> gboolean {
    auto* fp = static_cast<std::function<void()>*>(data);
    (*fp)();
    delete fp;
    return G_SOURCE_REMOVE;
  }, fn);
}

void finish(bool goal, const std::string& why = "") {
  Recorder& r = *g_rec;
  if (!r.loop) return;
  r.goal = goal;
  r.failure = why;
  r.on_state = nullptr;
  after(300, [] {  // let trailing events land in the trace
    if (g_rec->loop) g_main_loop_quit(g_rec->loop);
  });
}

// Waits (by watching every state change) until `cond`, then runs `next`; fails after `timeout_ms`.
void wait_for(std::function<bool()> cond, int timeout_ms, const std::string& what, std::function<void()> next) {
  Recorder& r = *g_rec;
  auto done = std::make_shared<bool>(false);
  r.on_state = [cond, next, done] {
    if (*done || !cond()) return;
    *done = true;
    g_rec->on_state = nullptr;
    next();
  };
  after(timeout_ms, [done, what] {
    if (*done) return;
    *done = true;
    finish(false, "timed out waiting for " + what);
  });
  if (auto watcher = r.on_state) watcher();
}

void block(bool on, std::size_t lane = 1) {
  Recorder& r = *g_rec;
  r.lane(lane).block(Relay::AtoB, on);
  r.lane(lane).block(Relay::BtoA, on);
  r.mark(on ? "block" : "unblock", ",\"direction\":\"both\",\"lane\":" + std::to_string(lane));
}

void close_stream(Peer& p, guint stream) {
  g_rec->out->line(",\"pc\":" + json_str(p.name) + ",\"target\":\"api\",\"event\":\"close\",\"detail\":\"nice_agent_remove_stream\"");
  nice_agent_remove_stream(p.agent, stream);
  if (Stream* s = p.find(stream)) s->removed = true;
}

// checking -> connected -> completed, with connected lasting at most `ms` (the quick-transitions goal).
bool quick(const Stream& s, double ms) {
  const auto& h = s.history;
  for (std::size_t i = 0; i + 2 < h.size(); ++i)
    if (h[i].first == "checking" && h[i + 1].first == "connected" && h[i + 2].first == "completed" &&
        h[i + 2].second - h[i + 1].second <= ms)
      return true;
  return false;
}

void run_scenario() {
  Recorder& r = *g_rec;
  const std::string s = r.scenario;
  auto connected_then = [](std::function<void()> next) {
    wait_for(ready, 10000, "both agents connected", std::move(next));
  };
  if (s == "connect") {
    connected_then([] {
      wait_for([] { return both("completed"); }, 3000, "both agents completed", [] { after(500, [] { finish(true); }); });
    });
  } else if (s == "quick-transitions") {
    wait_for([] { return both("completed"); }, 10000, "both agents completed", [] {
      after(500, [] {
        const bool ok = quick(g_rec->a.first(), 50) && quick(g_rec->b.first(), 50);
        finish(ok, "no checking -> connected -> completed within 50 ms on both agents");
      });
    });
  } else if (s == "path-failure") {
    connected_then([] {
      after(1000, [] {
        block(true);
        wait_for([] { return both("failed"); }, 30000, "both agents failed", [] { after(500, [] { finish(true); }); });
      });
    });
  } else if (s == "recover") {
    // Blocked until both agents fail, then unblocked and watched for 8 s: what comes back without an
    // ICE restart is what libnice does (0.1.21: the controlled agent reconnects, the controlling one
    // stays failed). Unblocking before the failure point (~9 s) shows no state change at all.
    connected_then([] {
      after(1000, [] {
        block(true);
        wait_for([] { return both("failed"); }, 30000, "both agents failed", [] {
          block(false);
          after(8000, [] { finish(true); });
        });
      });
    });
  } else if (s == "close") {
    connected_then([] {
      after(500, [] {
        close_stream(g_rec->a, g_rec->a.first().id);
        after(1000, [] { finish(true); });
      });
    });
  } else if (s == "remote-close") {
    connected_then([] {
      after(500, [] {
        close_stream(g_rec->b, g_rec->b.first().id);
        wait_for([] { return g_rec->a.first().mapped == "failed"; }, 30000, "a failed after b closed",
                 [] { after(500, [] { finish(true); }); });
      });
    });
  } else if (s == "ice-restart" || s == "restart-after-failed") {
    auto restart = [] {
      Recorder& rr = *g_rec;
      for (Peer* p : {&rr.a, &rr.b}) {
        rr.out->line(",\"pc\":" + json_str(p->name) + ",\"target\":\"api\",\"event\":\"restartIce\"");
        nice_agent_restart_stream(p->agent, p->first().id);
      }
      exchange(1, 1);
      const std::size_t na = rr.a.first().history.size(), nb = rr.b.first().history.size();
      wait_for([na, nb] { return g_rec->a.first().history.size() > na && g_rec->b.first().history.size() > nb && ready(); },
               10000, "both agents connected after the restart", [] { after(500, [] { finish(true); }); });
    };
    connected_then([s, restart] {
      if (s == "ice-restart") {
        after(500, restart);
        return;
      }
      after(1000, [restart] {
        block(true);
        wait_for([] { return both("failed"); }, 30000, "both agents failed", [restart] {
          after(500, [restart] {
            block(false);
            restart();
          });
        });
      });
    });
  } else if (s == "never-connects") {
    wait_for([] { return both("failed"); }, 60000, "both agents failed", [] { after(500, [] { finish(true); }); });
  } else if (s == "candidate-after-failed") {
    // A working path (lane 2), handed over without a restart once both agents have failed: the
    // recording shows whether libnice leaves FAILED ("a terminal state until ICE is restarted").
    wait_for([] { return both("failed"); }, 60000, "both agents failed", [] {
      after(500, [] {
        exchange(1, 2, false);
        after(8000, [] { finish(true); });
      });
    });
  } else if (s == "close-while-checking") {
    wait_for([] { return both("checking"); }, 5000, "both agents checking", [] {
      after(200, [] {
        const bool checking = g_rec->a.first().mapped == "checking";
        close_stream(g_rec->a, g_rec->a.first().id);
        after(1000, [checking] { finish(checking, "a was no longer checking when it closed"); });
      });
    });
  } else if (s == "renegotiate-add-transport") {
    // The ICE side of a renegotiation that adds a transport: a second stream on both connected
    // agents, its credentials and candidate exchanged (through lane 2) once both have gathered.
    connected_then([] {
      after(500, [] {
        Recorder& rr = *g_rec;
        for (Peer* p : {&rr.a, &rr.b}) {
          rr.out->line(",\"pc\":" + json_str(p->name) + ",\"target\":\"api\",\"event\":\"addStream\"");
          if (!add_stream(*p)) return finish(false, "nice_agent_add_stream failed");
        }
        rr.on_gathered = [] {
          Recorder& r2 = *g_rec;
          if (r2.a.streams.size() < 2 || !r2.a.streams[1].gathered || !r2.b.streams[1].gathered) return;
          r2.on_gathered = nullptr;
          wait_for([] { return up(g_rec->a.streams[1]) && up(g_rec->b.streams[1]); }, 10000,
                   "the added streams connected", [] { after(500, [] { finish(true); }); });
        };
        for (Peer* p : {&rr.a, &rr.b}) nice_agent_gather_candidates(p->agent, p->streams[1].id);
      });
    });
  } else {
    finish(false, "unknown scenario");
  }
}


}  // namespace

int main(int argc, char** argv) {
  std::string scenario, out_path;
  std::string names;
  for (const auto& n : kScenarios) names += (names.empty() ? "" : "|") + n;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if ((a == "--scenario" || a == "-s") && i + 1 < argc) scenario = argv[++i];
    else if (a == "-o" && i + 1 < argc) out_path = argv[++i];
    else if (a == "--help" || a == "-h") {
      std::printf("usage: record-libnice --scenario %s -o FILE\n", names.c_str());
      return 0;
    } else if (scenario.empty() && a[0] != '-') scenario = a;
    else {
      std::fprintf(stderr, "record-libnice: unexpected argument '%s'\n", a.c_str());
      return 2;
    }
  }
  for (const auto& [name, why] : kCannotRun) {
    if (name == scenario) {
      std::fprintf(stderr, "record-libnice: scenario %s is not supported: %s\n", name.c_str(), why.c_str());
      return 2;
    }
  }
  if (std::find(kScenarios.begin(), kScenarios.end(), scenario) == kScenarios.end()) {
    std::fprintf(stderr, "record-libnice: --scenario must be one of %s\n", names.c_str());
    return 2;
  }
  std::FILE* f = out_path.empty() || out_path == "-" ? stdout : std::fopen(out_path.c_str(), "wb");
  if (!f) {
    std::fprintf(stderr, "record-libnice: cannot write %s\n", out_path.c_str());
    return 2;
  }
  // Failure after a loss needs consent freshness (RFC 7675): without it a blocked path never fails.
  // connect and quick-transitions record the plain connection, without it.
  const bool consent = scenario != "connect" && scenario != "quick-transitions";
  TraceWriter writer(f);
  Recorder rec;
  rec.scenario = scenario;
  rec.out = &writer;
  g_rec = &rec;
  writer.raw("{\"format\":\"connstate-trace\",\"version\":1,\"stack\":\"libnice\",\"stack_version\":" +
             json_str(CONNSTATE_NICE_VERSION) + ",\"scenario\":" + json_str(scenario) + ",\"recorded\":" +
             json_str(connstate::harness::utc_now()) +
             ",\"pc_events\":false,\"recorder\":\"tools/record libnice (record-libnice)\",\"options\":{"
             "\"compatibility\":\"RFC5245\",\"nomination\":\"aggressive\",\"consent_freshness\":" +
             std::string(consent ? "true" : "false") +
             ",\"local_address\":\"127.0.0.1\",\"relay\":\"Boost.Asio UDP relay on 127.0.0.1, one lane per path\"},"
             "\"mapping\":\"webrtcbin nicetransport.c: DISCONNECTED=disconnected GATHERING=new CONNECTING=checking "
             "CONNECTED=connected READY=completed FAILED=failed\"}\n");
  if (!setup(rec.a, true, consent) || !setup(rec.b, false, consent)) {
    std::fprintf(stderr, "record-libnice: cannot create the agents\n");
    return 3;
  }
  const bool second_lane = scenario == "candidate-after-failed" || scenario == "renegotiate-add-transport";
  for (std::size_t n = 1; n <= (second_lane ? 2u : 1u); ++n) {
    rec.lanes.push_back(std::make_unique<Relay>());
    Relay& lane = *rec.lanes.back();
    lane.start();
    rec.mark("relay", ",\"lane\":" + std::to_string(n) + ",\"port_for_a\":" + std::to_string(lane.port_a()) +
                          ",\"port_for_b\":" + std::to_string(lane.port_b()));
  }
  if (blackholed(scenario)) block(true);  // before the agents learn about the path (gathering ends in this call)
  rec.loop = g_main_loop_new(nullptr, FALSE);
  nice_agent_gather_candidates(rec.a.agent, rec.a.first().id);
  nice_agent_gather_candidates(rec.b.agent, rec.b.first().id);
  // Application data every 50 ms on each connected component, as a data channel would keep it busy.
  g_timeout_add(50, [](gpointer) -> gboolean {
    for (Peer* p : {&g_rec->a, &g_rec->b}) {
      for (const Stream& s : p->streams) {
        if (s.removed || (s.nice_state != NICE_COMPONENT_STATE_CONNECTED && s.nice_state != NICE_COMPONENT_STATE_READY))
          continue;
        static const char kData[] = "connstate";
        nice_agent_send(p->agent, s.id, 1, sizeof kData, kData);
      }
    }
    return G_SOURCE_CONTINUE;
  }, nullptr);
  run_scenario();
  after(90000, [] { finish(false, "scenario did not finish in 90 s"); });
  g_main_loop_run(rec.loop);
  std::string counts;
  for (std::size_t n = 0; n < rec.lanes.size(); ++n) {
    const Relay& lane = *rec.lanes[n];
    const std::string suffix = n == 0 ? "" : "_lane_" + std::to_string(n + 1);
    counts += ",\"forwarded_a_to_b" + suffix + "\":" + std::to_string(lane.forwarded(Relay::AtoB)) +
              ",\"forwarded_b_to_a" + suffix + "\":" + std::to_string(lane.forwarded(Relay::BtoA)) +
              ",\"dropped_a_to_b" + suffix + "\":" + std::to_string(lane.dropped(Relay::AtoB)) +
              ",\"dropped_b_to_a" + suffix + "\":" + std::to_string(lane.dropped(Relay::BtoA));
  }
  rec.mark("end", ",\"goal\":" + std::string(rec.goal ? "true" : "false") + counts);
  for (auto& lane : rec.lanes) lane->stop();
  g_main_loop_unref(rec.loop);
  rec.loop = nullptr;
  g_object_unref(rec.a.agent);
  g_object_unref(rec.b.agent);
  if (f != stdout) std::fclose(f);
  if (!rec.goal) {
    std::fprintf(stderr, "record-libnice: scenario %s did not reach its goal: %s\n", scenario.c_str(),
                 rec.failure.c_str());
    return 3;
  }
  return 0;
}

// record_libwebrtc.cpp — records a format-1 trace (docs/trace-format.md) of two native libwebrtc
// PeerConnections talking over 127.0.0.1.
//
// Two pcs "a" (offerer) and "b" in one process share one PeerConnectionFactory and its three threads
// (internal/stack.h), as an application embeds libwebrtc. Each pc has its own port allocator over a
// network list holding only 127.0.0.1 (internal/loopback_sockets.h) and UDP sockets that a scenario can
// cut (the path gate). Candidates trickle through this program, which hands each pc the other's
// candidates (or, to make ICE fail, the same candidates pointing at a port that swallows everything).
//
// What is logged, and on which libwebrtc thread it is called (docs/recorders.md has the mapping to
// JavaScript events):
// - PeerConnectionObserver (signaling thread): OnConnectionChange → `connectionstatechange`,
//   OnStandardizedIceConnectionChange → `iceconnectionstatechange`, OnIceConnectionChange → the
//   ignored `legacy-iceconnectionstatechange`, OnSignalingChange, OnIceGatheringChange, OnIceCandidate,
//   OnNegotiationNeededEvent.
// - every ICE transport from its creation (network thread): the recorder's IceTransportFactory wraps
//   libwebrtc's default one and connects to the new transport's signals before the
//   JsepTransportController does, so a transport's `statechange` is logged before the aggregation it
//   triggers. SignalIceTransportStateChanged → `ice:<id> statechange` (GetIceTransportState, the
//   RTCIceTransportState), SignalStateChanged → ignored `legacy-statechange`, SignalGatheringState →
//   ignored `gatheringstatechange`; the transport's release → ignored `destroyed`.
// - DtlsTransportObserverInterface per DTLS transport (network thread) → `dtls:<id> statechange`
//   (`<id>` is the id of the ICE transport under it) and `error`; SctpTransportObserverInterface →
//   ignored `sctp:<id> statechange`.
//
// Usage: record-libwebrtc --scenario NAME -o FILE     (record-libwebrtc --list: the scenarios)
// Exit: 0 the scenario reached its goal; 3 it did not (the trace is still written); 2 bad usage.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "api/jsep.h"
#include "connstate/harness/json_input.h"
#include "connstate/harness/version.h"
#include "api/peer_connection_interface.h"
#include "internal/loopback_sockets.h"
#include "internal/negotiation.h"
#include "internal/stack.h"
#include "internal/state_names.h"
#include "internal/trace_log.h"
#include "p2p/base/default_ice_transport_factory.h"
#include "p2p/base/port_allocator.h"
#include "p2p/client/basic_port_allocator.h"
#include "rtc_base/logging.h"
#include "rtc_base/third_party/sigslot/sigslot.h"

#ifndef CONNSTATE_TGOWT_VERSION
#define CONNSTATE_TGOWT_VERSION ""
#endif

namespace {

namespace lw = connstate::libwebrtc;
using lw::js_name;
using connstate::harness::json_string;
using webrtc::PeerConnectionInterface;

struct Scenario {
  const char* name;
  const char* what;
};
const Scenario kScenarios[] = {
    {"connect", "the two pcs connect (one data channel)"},
    {"close", "connect, then a.Close(); b is watched 1.5 s"},
    {"remote-close", "connect, then b.Close(); a is watched until it notices"},
    {"ice-restart", "connect, then an ICE restart renegotiated from a"},
    {"path-failure", "connect, then every datagram between the pcs is dropped until both fail"},
    {"recover", "connect, block until both are disconnected, unblock; goal: both connected again"},
    {"never-connects", "each pc gets the other's candidate with its port pointing at a socket that never answers"},
    {"bundle-balanced", "audio + video + data channel under bundlePolicy balanced"},
    {"restart-after-failed", "connect, block until both fail, unblock, ICE restart"},
    {"candidate-after-failed", "as never-connects, then a gets b's real candidate without a restart"},
    {"quick-transitions", "candidates held until both pcs gathered, so checking/connected/completed come in milliseconds"},
    {"close-while-checking", "the path is blocked from the start; a.Close() while ICE checks"},
    {"dtls-failure", "a gets b's answer with a wrong DTLS fingerprint"},
    {"renegotiate-add-transport", "no BUNDLE; connect with a data channel, then add an audio transceiver"},
};

// A UDP socket on 127.0.0.1 that is never read: datagrams sent to it vanish, as on a blackholed path.
class Blackhole {
 public:
  Blackhole() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&address), length) == 0 &&
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0)
      port_ = ntohs(address.sin_port);
  }
  ~Blackhole() {
    if (fd_ >= 0) ::close(fd_);
  }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

class Recorder;
class Peer;

// Observes one DTLS transport (libwebrtc calls it on the network thread).
class DtlsWatch : public webrtc::DtlsTransportObserverInterface {
 public:
  DtlsWatch(Peer& peer, std::string id, rtc::scoped_refptr<webrtc::DtlsTransportInterface> transport)
      : peer_(peer), id_(std::move(id)), transport_(std::move(transport)) {}
  void OnStateChange(webrtc::DtlsTransportInformation info) override;
  void OnError(webrtc::RTCError error) override;
  const std::string& id() const { return id_; }
  webrtc::DtlsTransportInterface* transport() const { return transport_.get(); }

 private:
  Peer& peer_;
  std::string id_;
  rtc::scoped_refptr<webrtc::DtlsTransportInterface> transport_;
};

// Observes one SCTP transport (network thread).
class SctpWatch : public webrtc::SctpTransportObserverInterface {
 public:
  SctpWatch(Peer& peer, std::string id, rtc::scoped_refptr<webrtc::SctpTransportInterface> transport)
      : peer_(peer), id_(std::move(id)), transport_(std::move(transport)) {}
  void OnStateChange(webrtc::SctpTransportInformation info) override;
  webrtc::SctpTransportInterface* transport() const { return transport_.get(); }

 private:
  Peer& peer_;
  std::string id_;
  rtc::scoped_refptr<webrtc::SctpTransportInterface> transport_;
};

// The ICE transport handed to the JsepTransportController: libwebrtc's own, plus a note when it is
// released (libwebrtc's ICE transport has no "closed" state of its own and signals nothing then).
class WatchedIceTransport : public webrtc::IceTransportInterface {
 public:
  WatchedIceTransport(rtc::scoped_refptr<webrtc::IceTransportInterface> inner, std::function<void()> on_release)
      : inner_(std::move(inner)), on_release_(std::move(on_release)) {}
  ~WatchedIceTransport() override { on_release_(); }
  cricket::IceTransportInternal* internal() override { return inner_->internal(); }

 private:
  rtc::scoped_refptr<webrtc::IceTransportInterface> inner_;
  std::function<void()> on_release_;
};

class WatchingIceTransportFactory : public webrtc::IceTransportFactory {
 public:
  explicit WatchingIceTransportFactory(Peer& peer) : peer_(peer) {}
  rtc::scoped_refptr<webrtc::IceTransportInterface> CreateIceTransport(const std::string& transport_name,
                                                                       int component,
                                                                       webrtc::IceTransportInit init) override;

 private:
  Peer& peer_;
  webrtc::DefaultIceTransportFactory default_;
};

// What a pc reported last, read by the scenario's waits.
struct Seen {
  std::string connection = "new", ice_connection = "new", legacy_ice_connection = "new", signaling = "stable",
              gathering = "new";
  std::map<std::string, std::string> ice, dtls;  // by transport id
  std::vector<std::pair<double, std::string>> ice_connection_history;
};

class Peer : public webrtc::PeerConnectionObserver, public sigslot::has_slots<> {
 public:
  Peer(std::string name, Recorder& recorder) : name_(std::move(name)), recorder_(recorder) {}

  const std::string& name() const { return name_; }
  rtc::scoped_refptr<PeerConnectionInterface> pc;
  Peer* other = nullptr;

  // PeerConnectionObserver (signaling thread).
  void OnSignalingChange(PeerConnectionInterface::SignalingState s) override;
  void OnDataChannel(rtc::scoped_refptr<webrtc::DataChannelInterface> channel) override;
  void OnNegotiationNeededEvent(uint32_t event_id) override;
  void OnIceConnectionChange(PeerConnectionInterface::IceConnectionState s) override;
  void OnStandardizedIceConnectionChange(PeerConnectionInterface::IceConnectionState s) override;
  void OnConnectionChange(PeerConnectionInterface::PeerConnectionState s) override;
  void OnIceGatheringChange(PeerConnectionInterface::IceGatheringState s) override;
  void OnIceCandidate(const webrtc::IceCandidateInterface* candidate) override;
  void OnIceCandidateError(const std::string& address, int port, const std::string& url, int error_code,
                           const std::string& error_text) override;

  // ICE transports (network thread).
  std::string AdoptIceTransport(cricket::IceTransportInternal* ice);
  void ReleaseIceTransport(const std::string& id);
  void OnIceTransportState(cricket::IceTransportInternal* ice);
  void OnIceLegacyState(cricket::IceTransportInternal* ice);
  void OnIceGatheringState(cricket::IceTransportInternal* ice);

  // Transport observers for every DTLS/SCTP transport the pc has now (call from the main thread).
  void WatchTransports();
  void ReadBackAfterClose();

  void log(const std::string& target, const std::string& event, const std::string& extra = "");
  void LogDtlsState(const std::string& id, webrtc::DtlsTransportState state);
  void LogDtlsError(const std::string& id, const std::string& message);
  void LogSctpState(const std::string& id, webrtc::SctpTransportState state);

 private:
  std::string name_;
  Recorder& recorder_;
  int next_transport_ = 0;
  std::map<cricket::IceTransportInternal*, std::string> ice_ids_;      // network thread
  std::vector<std::unique_ptr<DtlsWatch>> dtls_watches_;               // network thread
  std::vector<std::unique_ptr<SctpWatch>> sctp_watches_;               // network thread
};

struct HeldCandidate {
  std::string mid;
  int mline = 0;
  cricket::Candidate candidate;
};

class Recorder {
 public:
  explicit Recorder(lw::TraceLog& log) : trace(log) {}

  lw::TraceLog& trace;
  lw::Stack stack;
  lw::PathGate gate;
  Blackhole blackhole;
  Peer a{"a", *this}, b{"b", *this};

  // What the scenarios' waits read; changed under `mutex` by the callbacks.
  std::mutex mutex;
  std::condition_variable changed;
  std::map<std::string, Seen> seen;  // by pc name

  template <typename Update>
  void update(const std::string& pc, Update&& u) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      u(seen[pc]);
    }
    changed.notify_all();
  }
  // Waits until `condition` holds (checked on every change); false after `timeout_ms`.
  bool wait_until(const std::function<bool(std::map<std::string, Seen>&)>& condition, int timeout_ms) {
    std::unique_lock<std::mutex> lock(mutex);
    return changed.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return condition(seen); });
  }
  static void pause(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }
  double now_ms() const {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_).count();
  }

  // --- candidates ---------------------------------------------------------------------------------
  enum class Route { kHold, kDeliver, kBlackhole };
  void OnCandidate(Peer& from, const webrtc::IceCandidateInterface* candidate) {
    HeldCandidate held{candidate->sdp_mid(), candidate->sdp_mline_index(), candidate->candidate()};
    std::lock_guard<std::mutex> lock(candidates_mutex_);
    gathered_[from.name()].push_back(held);
    if (route_ == Route::kHold) {
      held_[from.name()].push_back(held);
      return;
    }
    Deliver(from, held, route_);
  }
  void Hold() {
    std::lock_guard<std::mutex> lock(candidates_mutex_);
    route_ = Route::kHold;
  }
  // Hands over every held candidate and from now on each new one as it comes.
  void Release(Route route) {
    std::lock_guard<std::mutex> lock(candidates_mutex_);
    route_ = route;
    for (Peer* p : {&a, &b}) {
      for (const HeldCandidate& held : held_[p->name()]) Deliver(*p, held, route);
      held_[p->name()].clear();
    }
  }
  // Hands `to` the candidates `from` gathered so far, unchanged (for candidate-after-failed).
  void Redeliver(Peer& from) {
    std::lock_guard<std::mutex> lock(candidates_mutex_);
    for (const HeldCandidate& held : gathered_[from.name()]) Deliver(from, held, Route::kDeliver);
  }

  // --- negotiation (main thread) ----------------------------------------------------------------
  bool Negotiate(const PeerConnectionInterface::RTCOfferAnswerOptions& options, bool wrong_fingerprint_for_a = false) {
    api(a, "createOffer", options.ice_restart ? "iceRestart" : "");
    const std::string offer = Create(a, true, options);
    if (offer.empty()) return false;
    if (!SetLocal(a, webrtc::SdpType::kOffer, offer)) return false;
    if (!SetRemote(b, webrtc::SdpType::kOffer, offer)) return false;
    api(b, "createAnswer");
    const std::string answer = Create(b, false, options);
    if (answer.empty()) return false;
    if (!SetLocal(b, webrtc::SdpType::kAnswer, answer)) return false;
    std::string answer_for_a = answer;
    if (wrong_fingerprint_for_a && !AlterFingerprint(answer_for_a)) {
      failure = "the answer has no DTLS fingerprint to alter";
      return false;
    }
    return SetRemote(a, webrtc::SdpType::kAnswer, answer_for_a);
  }

  void api(Peer& p, const std::string& event, const std::string& detail = "") {
    p.log("api", event, detail.empty() ? "" : ",\"detail\":" + json_string(detail));
  }
  void mark(const std::string& event, const std::string& extra = "") {
    trace.line(",\"target\":\"recorder\",\"event\":" + json_string(event) + extra);
  }
  void Block(bool on) {
    gate.blocked = on;
    trace.line(",\"target\":\"relay\",\"event\":" + std::string(on ? "\"block\"" : "\"unblock\"") +
               ",\"direction\":\"both\",\"detail\":\"every UDP datagram of both pcs dropped at their sockets\"");
  }
  void Close(Peer& p) {
    api(p, "close");
    p.pc->Close();
    p.ReadBackAfterClose();
  }

  std::string failure;

 private:
  void Deliver(Peer& from, const HeldCandidate& held, Route route) {
    Peer& to = *from.other;
    cricket::Candidate candidate = held.candidate;
    std::string note;
    if (route == Route::kBlackhole) {
      rtc::SocketAddress address = candidate.address();
      address.SetPort(blackhole.port());
      candidate.set_address(address);
      note = " (port of a socket that never answers)";
    }
    std::unique_ptr<webrtc::IceCandidateInterface> c = webrtc::CreateIceCandidate(held.mid, held.mline, candidate);
    std::string sdp;
    c->ToString(&sdp);
    api(to, "addIceCandidate", sdp + note);
    rtc::scoped_refptr<PeerConnectionInterface> pc = to.pc;
    Peer* target = &to;
    // AddIceCandidate completes on the signaling thread; posting keeps it out of the caller's callback.
    stack.signaling()->PostTask([pc, target, candidate = std::move(c), this]() mutable {
      pc->AddIceCandidate(std::move(candidate), [target, this](webrtc::RTCError error) {
        if (!error.ok()) api(*target, "addIceCandidate-error", error.message());
      });
    });
  }

  std::string Create(Peer& p, bool offer, const PeerConnectionInterface::RTCOfferAnswerOptions& options) {
    return lw::create_description(*p.pc, offer, options, failure);
  }
  bool SetLocal(Peer& p, webrtc::SdpType type, const std::string& sdp) {
    api(p, "setLocalDescription", webrtc::SdpTypeToString(type));
    const bool ok = lw::set_local_description(*p.pc, type, sdp, failure);
    p.WatchTransports();
    return ok;
  }
  bool SetRemote(Peer& p, webrtc::SdpType type, const std::string& sdp) {
    api(p, "setRemoteDescription", webrtc::SdpTypeToString(type));
    const bool ok = lw::set_remote_description(*p.pc, type, sdp, failure);
    p.WatchTransports();
    return ok;
  }
  // Changes the first hex digit of every a=fingerprint value, so that it matches no certificate.
  static bool AlterFingerprint(std::string& sdp) {
    bool altered = false;
    for (std::size_t at = sdp.find("a=fingerprint:"); at != std::string::npos; at = sdp.find("a=fingerprint:", at + 1)) {
      const std::size_t value = sdp.find(' ', at);
      if (value == std::string::npos || value + 1 >= sdp.size()) break;
      char& digit = sdp[value + 1];
      digit = digit == '0' ? '1' : '0';
      altered = true;
    }
    return altered;
  }

  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::mutex candidates_mutex_;
  Route route_ = Route::kHold;
  std::map<std::string, std::vector<HeldCandidate>> held_, gathered_;
};

// --- Peer ------------------------------------------------------------------------------------------------
void Peer::log(const std::string& target, const std::string& event, const std::string& extra) {
  recorder_.trace.line(",\"pc\":" + json_string(name_) + ",\"target\":" + json_string(target) +
                       ",\"event\":" + json_string(event) + extra);
}

void Peer::OnSignalingChange(PeerConnectionInterface::SignalingState s) {
  log("pc", "signalingstatechange", ",\"state\":" + json_string(js_name(s)));
  recorder_.update(name_, [&](Seen& seen) { seen.signaling = js_name(s); });
}
void Peer::OnDataChannel(rtc::scoped_refptr<webrtc::DataChannelInterface> channel) {
  log("dc:" + channel->label(), "datachannel");
}
void Peer::OnNegotiationNeededEvent(uint32_t event_id) {
  log("pc", "negotiationneeded", ",\"event_id\":" + std::to_string(event_id));
}
void Peer::OnIceConnectionChange(PeerConnectionInterface::IceConnectionState s) {
  log("pc", "legacy-iceconnectionstatechange", ",\"state\":" + json_string(js_name(s)) +
                                                   ",\"callback\":\"OnIceConnectionChange\"");
  recorder_.update(name_, [&](Seen& seen) { seen.legacy_ice_connection = js_name(s); });
}
void Peer::OnStandardizedIceConnectionChange(PeerConnectionInterface::IceConnectionState s) {
  log("pc", "iceconnectionstatechange", ",\"state\":" + json_string(js_name(s)) +
                                            ",\"callback\":\"OnStandardizedIceConnectionChange\"");
  const double t = recorder_.now_ms();
  recorder_.update(name_, [&](Seen& seen) {
    seen.ice_connection = js_name(s);
    seen.ice_connection_history.emplace_back(t, js_name(s));
  });
}
void Peer::OnConnectionChange(PeerConnectionInterface::PeerConnectionState s) {
  log("pc", "connectionstatechange", ",\"state\":" + json_string(js_name(s)) + ",\"callback\":\"OnConnectionChange\"");
  recorder_.update(name_, [&](Seen& seen) { seen.connection = js_name(s); });
}
void Peer::OnIceGatheringChange(PeerConnectionInterface::IceGatheringState s) {
  log("pc", "icegatheringstatechange", ",\"state\":" + json_string(js_name(s)));
  recorder_.update(name_, [&](Seen& seen) { seen.gathering = js_name(s); });
}
void Peer::OnIceCandidate(const webrtc::IceCandidateInterface* candidate) {
  std::string sdp;
  candidate->ToString(&sdp);
  log("pc", "icecandidate", ",\"detail\":" + json_string(sdp) + ",\"sdpMid\":" + json_string(candidate->sdp_mid()));
  recorder_.OnCandidate(*this, candidate);
}
void Peer::OnIceCandidateError(const std::string& address, int port, const std::string& url, int error_code,
                               const std::string& error_text) {
  log("pc", "icecandidateerror", ",\"detail\":" + json_string(address + ":" + std::to_string(port) + " " + url + " " +
                                                              std::to_string(error_code) + " " + error_text));
}

std::string Peer::AdoptIceTransport(cricket::IceTransportInternal* ice) {
  const std::string id = name_ + std::to_string(next_transport_++);
  ice_ids_[ice] = id;
  // Connected before the JsepTransportController connects its own slots: this transport's changes are
  // logged before libwebrtc aggregates them.
  ice->SignalIceTransportStateChanged.connect(this, &Peer::OnIceTransportState);
  ice->SignalStateChanged.connect(this, &Peer::OnIceLegacyState);
  ice->SignalGatheringState.connect(this, &Peer::OnIceGatheringState);
  log("ice:" + id, "added", ",\"state\":" + json_string(js_name(ice->GetIceTransportState())) +
                                ",\"mid\":" + json_string(ice->transport_name()) +
                                ",\"component\":" + std::to_string(ice->component()));
  recorder_.update(name_, [&](Seen& seen) { seen.ice[id] = js_name(ice->GetIceTransportState()); });
  return id;
}
void Peer::ReleaseIceTransport(const std::string& id) {
  for (auto it = ice_ids_.begin(); it != ice_ids_.end(); ++it) {
    if (it->second == id) {
      ice_ids_.erase(it);
      break;
    }
  }
  log("ice:" + id, "destroyed", ",\"detail\":\"the JsepTransportController released this ICE transport (no closed state is signalled)\"");
}
void Peer::OnIceTransportState(cricket::IceTransportInternal* ice) {
  auto it = ice_ids_.find(ice);
  if (it == ice_ids_.end()) return;
  const char* state = js_name(ice->GetIceTransportState());
  log("ice:" + it->second, "statechange", ",\"state\":" + json_string(state) +
                                              ",\"legacy_state\":" + json_string(lw::legacy_name(ice->GetState())));
  recorder_.update(name_, [&](Seen& seen) { seen.ice[it->second] = state; });
}
void Peer::OnIceLegacyState(cricket::IceTransportInternal* ice) {
  auto it = ice_ids_.find(ice);
  if (it == ice_ids_.end()) return;
  log("ice:" + it->second, "legacy-statechange", ",\"legacy_state\":" + json_string(lw::legacy_name(ice->GetState())));
}
void Peer::OnIceGatheringState(cricket::IceTransportInternal* ice) {
  auto it = ice_ids_.find(ice);
  if (it == ice_ids_.end()) return;
  static const char* const kGathering[] = {"new", "gathering", "complete"};
  const int g = static_cast<int>(ice->gathering_state());
  log("ice:" + it->second, "gatheringstatechange", ",\"state\":" + json_string(g >= 0 && g < 3 ? kGathering[g] : "?"));
}

void Peer::WatchTransports() {
  // The transports the pc uses now: each transceiver's and the SCTP transport's DTLS transport.
  std::vector<rtc::scoped_refptr<webrtc::DtlsTransportInterface>> dtls;
  for (const auto& transceiver : pc->GetTransceivers()) {
    if (auto t = transceiver->sender()->dtls_transport()) dtls.push_back(t);
    if (auto t = transceiver->receiver()->dtls_transport()) dtls.push_back(t);
  }
  rtc::scoped_refptr<webrtc::SctpTransportInterface> sctp = pc->GetSctpTransport();
  recorder_.stack.network()->BlockingCall([&] {
    // SctpTransport::dtls_transport() may only be called on the network thread.
    if (sctp && sctp->dtls_transport()) dtls.push_back(sctp->dtls_transport());
    for (const auto& t : dtls) {
      const bool known = std::any_of(dtls_watches_.begin(), dtls_watches_.end(),
                                     [&](const auto& w) { return w->transport() == t.get(); });
      if (known) continue;
      cricket::IceTransportInternal* ice = t->ice_transport() ? t->ice_transport()->internal() : nullptr;
      auto id = ice_ids_.find(ice);
      const std::string name = id != ice_ids_.end() ? id->second : name_ + "-unknown" + std::to_string(dtls_watches_.size());
      auto watch = std::make_unique<DtlsWatch>(*this, name, t);
      const webrtc::DtlsTransportState state = t->Information().state();
      log("dtls:" + name, "added", ",\"state\":" + json_string(js_name(state)));
      recorder_.update(name_, [&](Seen& seen) { seen.dtls[name] = js_name(state); });
      t->RegisterObserver(watch.get());
      dtls_watches_.push_back(std::move(watch));
    }
    if (sctp && std::none_of(sctp_watches_.begin(), sctp_watches_.end(),
                             [&](const auto& w) { return w->transport() == sctp.get(); })) {
      cricket::IceTransportInternal* ice = sctp->dtls_transport() && sctp->dtls_transport()->ice_transport()
                                               ? sctp->dtls_transport()->ice_transport()->internal()
                                               : nullptr;
      auto id = ice_ids_.find(ice);
      auto watch = std::make_unique<SctpWatch>(*this, id != ice_ids_.end() ? id->second : name_ + "-sctp", sctp);
      sctp->RegisterObserver(watch.get());
      sctp_watches_.push_back(std::move(watch));
    }
  });
}

void Peer::ReadBackAfterClose() {
  auto get = [&](const char* attribute, const char* value) {
    log("pc", "get", ",\"attribute\":" + json_string(attribute) + ",\"state\":" + json_string(value));
  };
  get("connectionState", js_name(pc->peer_connection_state()));
  get("iceConnectionState", js_name(pc->standardized_ice_connection_state()));
  get("signalingState", js_name(pc->signaling_state()));
  get("iceGatheringState", js_name(pc->ice_gathering_state()));
  log("pc", "get-legacy", ",\"attribute\":\"ice_connection_state()\",\"state\":" +
                              json_string(js_name(pc->ice_connection_state())));
  recorder_.stack.network()->BlockingCall([&] {
    for (const auto& watch : dtls_watches_) {
      if (!watch->transport()) continue;
      log("dtls:" + watch->id(), "get", ",\"attribute\":\"state\",\"state\":" +
                                            json_string(js_name(watch->transport()->Information().state())));
    }
  });
}

void Peer::LogDtlsState(const std::string& id, webrtc::DtlsTransportState state) {
  log("dtls:" + id, "statechange", ",\"state\":" + json_string(js_name(state)));
  recorder_.update(name_, [&](Seen& seen) { seen.dtls[id] = js_name(state); });
}
void Peer::LogDtlsError(const std::string& id, const std::string& message) {
  log("dtls:" + id, "error", ",\"detail\":" + json_string(message));
}
void Peer::LogSctpState(const std::string& id, webrtc::SctpTransportState state) {
  log("sctp:" + id, "statechange", ",\"state\":" + json_string(js_name(state)));
}

void DtlsWatch::OnStateChange(webrtc::DtlsTransportInformation info) { peer_.LogDtlsState(id_, info.state()); }
void DtlsWatch::OnError(webrtc::RTCError error) { peer_.LogDtlsError(id_, error.message()); }
void SctpWatch::OnStateChange(webrtc::SctpTransportInformation info) { peer_.LogSctpState(id_, info.state()); }

rtc::scoped_refptr<webrtc::IceTransportInterface> WatchingIceTransportFactory::CreateIceTransport(
    const std::string& transport_name, int component, webrtc::IceTransportInit init) {
  rtc::scoped_refptr<webrtc::IceTransportInterface> ice =
      default_.CreateIceTransport(transport_name, component, std::move(init));
  const std::string id = peer_.AdoptIceTransport(ice->internal());
  Peer* peer = &peer_;
  return rtc::make_ref_counted<WatchedIceTransport>(ice, [peer, id] { peer->ReleaseIceTransport(id); });
}

// --- the pcs ----------------------------------------------------------------------------------------------
struct PcSettings {
  PeerConnectionInterface::BundlePolicy bundle = PeerConnectionInterface::kBundlePolicyMaxBundle;
};

const char* bundle_name(PeerConnectionInterface::BundlePolicy p) {
  switch (p) {
    case PeerConnectionInterface::kBundlePolicyBalanced: return "balanced";
    case PeerConnectionInterface::kBundlePolicyMaxBundle: return "max-bundle";
    case PeerConnectionInterface::kBundlePolicyMaxCompat: return "max-compat";
  }
  return "?";
}

struct Allocation {
  std::unique_ptr<lw::LoopbackNetworkManager> network;
};

bool CreatePc(Recorder& r, Peer& p, const PcSettings& settings, lw::GatedPacketSocketFactory& sockets,
              Allocation& allocation) {
  PeerConnectionInterface::RTCConfiguration config;
  config.sdp_semantics = webrtc::SdpSemantics::kUnifiedPlan;
  config.bundle_policy = settings.bundle;
  config.tcp_candidate_policy = PeerConnectionInterface::kTcpCandidatePolicyDisabled;
  config.disable_ipv6 = true;
  webrtc::PeerConnectionDependencies deps(&p);
  allocation.network = std::make_unique<lw::LoopbackNetworkManager>();
  auto allocator = std::make_unique<cricket::BasicPortAllocator>(allocation.network.get(), &sockets);
  allocator->set_flags(cricket::PORTALLOCATOR_DISABLE_TCP | cricket::PORTALLOCATOR_DISABLE_STUN |
                       cricket::PORTALLOCATOR_DISABLE_RELAY);
  deps.allocator = std::move(allocator);
  deps.ice_transport_factory = std::make_unique<WatchingIceTransportFactory>(p);
  auto result = r.stack.factory()->CreatePeerConnectionOrError(config, std::move(deps));
  if (!result.ok()) {
    r.failure = std::string("CreatePeerConnection: ") + result.error().message();
    return false;
  }
  p.pc = result.MoveValue();
  return true;
}

// --- scenarios --------------------------------------------------------------------------------------------
using States = std::map<std::string, Seen>;
bool both_connection(const States& s, std::initializer_list<const char*> states) {
  auto in = [&](const std::string& v) {
    return std::any_of(states.begin(), states.end(), [&](const char* x) { return v == x; });
  };
  return s.count("a") && s.count("b") && in(s.at("a").connection) && in(s.at("b").connection);
}
bool any_dtls(const Seen& seen, const char* state) {
  return std::any_of(seen.dtls.begin(), seen.dtls.end(), [&](const auto& kv) { return kv.second == state; });
}
bool any_ice(const Seen& seen, const char* state) {
  return std::any_of(seen.ice.begin(), seen.ice.end(), [&](const auto& kv) { return kv.second == state; });
}

class Script {
 public:
  Script(Recorder& r, std::string scenario) : r_(r), scenario_(std::move(scenario)) {}

  PcSettings settings() const {
    PcSettings s;
    if (scenario_ == "bundle-balanced") s.bundle = PeerConnectionInterface::kBundlePolicyBalanced;
    if (scenario_ == "renegotiate-add-transport") s.bundle = PeerConnectionInterface::kBundlePolicyMaxCompat;
    return s;
  }

  // Runs the scenario; true when it reached its goal (r.failure says why not).
  bool run() {
    PeerConnectionInterface::RTCOfferAnswerOptions options;
    if (scenario_ == "renegotiate-add-transport") options.use_rtp_mux = false;
    if (scenario_ == "bundle-balanced") {
      r_.api(r_.a, "addTransceiver", "audio");
      if (!r_.a.pc->AddTransceiver(cricket::MEDIA_TYPE_AUDIO).ok()) return fail("addTransceiver audio");
      r_.api(r_.a, "addTransceiver", "video");
      if (!r_.a.pc->AddTransceiver(cricket::MEDIA_TYPE_VIDEO).ok()) return fail("addTransceiver video");
    }
    r_.api(r_.a, "createDataChannel", "chat");
    webrtc::DataChannelInit init;
    if (!r_.a.pc->CreateDataChannelOrError("chat", &init).ok()) return fail("createDataChannel");

    if (scenario_ == "close-while-checking") r_.Block(true);
    r_.Hold();
    if (!r_.Negotiate(options, scenario_ == "dtls-failure")) return false;

    if (scenario_ == "never-connects" || scenario_ == "candidate-after-failed") return never_connects();
    if (scenario_ == "quick-transitions") {
      if (!r_.wait_until([](States& s) { return s["a"].gathering == "complete" && s["b"].gathering == "complete"; },
                         10000))
        return fail("the pcs did not finish gathering");
      r_.mark("release-candidates", ",\"detail\":\"both pcs gathered every candidate; handing them over now\"");
    }
    r_.Release(Recorder::Route::kDeliver);
    if (scenario_ == "close-while-checking") return close_while_checking();
    if (scenario_ == "dtls-failure") return dtls_failure();

    if (!r_.wait_until([](States& s) { return both_connection(s, {"connected"}); }, 15000))
      return fail("the pcs did not connect");
    if (scenario_ == "connect" || scenario_ == "bundle-balanced") {
      Recorder::pause(1000);
      return true;
    }
    if (scenario_ == "quick-transitions") return quick_transitions();
    Recorder::pause(500);
    if (scenario_ == "close") {
      r_.Close(r_.a);
      Recorder::pause(1500);
      return true;
    }
    if (scenario_ == "remote-close") return remote_close();
    if (scenario_ == "ice-restart") return restart("connected again after the ICE restart");
    if (scenario_ == "path-failure") {
      r_.Block(true);
      if (!r_.wait_until([](States& s) { return both_connection(s, {"failed"}); }, 90000))
        return fail("the pcs did not fail");
      Recorder::pause(1000);
      return true;
    }
    if (scenario_ == "recover") {
      r_.Block(true);
      if (!r_.wait_until([](States& s) { return both_connection(s, {"disconnected", "failed"}); }, 60000))
        return fail("the pcs were not disconnected");
      r_.Block(false);
      if (!r_.wait_until([](States& s) { return both_connection(s, {"connected"}); }, 30000))
        return fail("the pcs did not reconnect after the unblock");
      Recorder::pause(1000);
      return true;
    }
    if (scenario_ == "restart-after-failed") {
      r_.Block(true);
      if (!r_.wait_until([](States& s) { return both_connection(s, {"failed"}); }, 90000))
        return fail("the pcs did not fail");
      r_.Block(false);
      Recorder::pause(500);
      return restart("connected again after the ICE restart that followed failed");
    }
    if (scenario_ == "renegotiate-add-transport") return add_transport(options);
    return fail("unknown scenario");
  }

 private:
  bool fail(const std::string& why) {
    if (r_.failure.empty()) r_.failure = why;
    return false;
  }

  bool never_connects() {
    r_.Release(Recorder::Route::kBlackhole);
    if (!r_.wait_until([](States& s) { return any_ice(s["a"], "checking") && any_ice(s["b"], "checking"); }, 10000))
      return fail("ICE never started checking");
    if (!r_.wait_until([](States& s) { return both_connection(s, {"failed"}); }, 90000))
      return fail("the pcs did not fail");
    if (scenario_ == "never-connects") {
      Recorder::pause(1000);
      return true;
    }
    Recorder::pause(500);
    r_.mark("candidate-after-failed", ",\"detail\":\"a gets b's real candidates, no ICE restart\"");
    r_.Redeliver(r_.b);
    // libwebrtc's own behaviour is the recording: watch it for 8 s.
    Recorder::pause(8000);
    return true;
  }

  bool close_while_checking() {
    if (!r_.wait_until([](States& s) { return any_ice(s["a"], "checking"); }, 10000))
      return fail("a's ICE never started checking");
    Recorder::pause(200);
    r_.Close(r_.a);
    Recorder::pause(1000);
    return true;
  }

  bool dtls_failure() {
    const bool failed = r_.wait_until([](States& s) { return any_dtls(s["a"], "failed") || any_dtls(s["b"], "failed"); }, 30000);
    Recorder::pause(3000);
    return failed || fail("no DTLS transport failed");
  }

  bool quick_transitions() {
    if (!r_.wait_until([](States& s) { return s["a"].ice_connection == "completed"; }, 5000))
      return fail("a's iceConnectionState did not reach completed");
    Recorder::pause(1000);
    // The goal: checking → connected → completed within 50 ms on a.
    std::lock_guard<std::mutex> lock(r_.mutex);
    const auto& history = r_.seen["a"].ice_connection_history;
    double checking = -1, completed = -1;
    for (const auto& [t, state] : history) {
      if (state == "checking" && checking < 0) checking = t;
      if (state == "completed" && completed < 0) completed = t;
    }
    if (checking < 0 || completed < 0 || completed - checking > 50) {
      r_.failure = "a's checking → completed took longer than 50 ms";
      return false;
    }
    return true;
  }

  bool remote_close() {
    r_.Close(r_.b);
    const bool noticed = r_.wait_until(
        [](States& s) {
          const Seen& a = s["a"];
          return a.connection != "connected" || any_dtls(a, "closed") || a.ice_connection != "connected";
        },
        30000);
    if (!noticed) return fail("a did not notice that b closed");
    // What follows (disconnected, then failed) is part of the recording.
    r_.wait_until([](States& s) { return s["a"].connection == "failed"; }, 40000);
    Recorder::pause(1000);
    return true;
  }

  bool restart(const std::string& goal) {
    PeerConnectionInterface::RTCOfferAnswerOptions options;
    options.ice_restart = true;
    r_.Hold();
    if (!r_.Negotiate(options)) return false;
    r_.Release(Recorder::Route::kDeliver);
    // libwebrtc keeps the old pair while the new one is checked: the states may not change at all.
    Recorder::pause(300);
    const bool ok = r_.wait_until([](States& s) { return both_connection(s, {"connected"}); }, 20000);
    Recorder::pause(1000);
    return ok || fail("not " + goal);
  }

  bool add_transport(const PeerConnectionInterface::RTCOfferAnswerOptions& options) {
    r_.api(r_.a, "addTransceiver", "audio");
    if (!r_.a.pc->AddTransceiver(cricket::MEDIA_TYPE_AUDIO).ok()) return fail("addTransceiver audio");
    std::size_t transports_before = 0;
    {
      std::lock_guard<std::mutex> lock(r_.mutex);
      transports_before = r_.seen["a"].ice.size();
    }
    r_.Hold();
    if (!r_.Negotiate(options)) return false;
    r_.Release(Recorder::Route::kDeliver);
    const bool ok = r_.wait_until(
        [&](States& s) {
          if (s["a"].ice.size() <= transports_before) return false;
          for (const auto& [id, state] : s["a"].ice)
            if (state != "connected" && state != "completed") return false;
          return both_connection(s, {"connected"});
        },
        15000);
    Recorder::pause(1000);
    return ok || fail("the added transport did not connect");
  }

  Recorder& r_;
  std::string scenario_;
};

}  // namespace

int main(int argc, char** argv) {
  std::string scenario, out_path = "-";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "--scenario" || arg == "-s") && i + 1 < argc) scenario = argv[++i];
    else if (arg == "-o" && i + 1 < argc) out_path = argv[++i];
    else if (arg == "--list") {
      for (const Scenario& s : kScenarios) std::printf("%-26s %s\n", s.name, s.what);
      return 0;
    } else if (arg == "--help" || arg == "-h") {
      std::printf("usage: record-libwebrtc --scenario NAME [-o FILE]   (--list: the scenarios)\n");
      return 0;
    } else {
      std::fprintf(stderr, "record-libwebrtc: unexpected argument '%s'\n", arg.c_str());
      return 2;
    }
  }
  if (std::none_of(std::begin(kScenarios), std::end(kScenarios), [&](const Scenario& s) { return scenario == s.name; })) {
    std::fprintf(stderr, "record-libwebrtc: unknown scenario '%s' (record-libwebrtc --list)\n", scenario.c_str());
    return 2;
  }
  std::FILE* out = out_path == "-" ? stdout : std::fopen(out_path.c_str(), "wb");
  if (!out) {
    std::fprintf(stderr, "record-libwebrtc: cannot write %s\n", out_path.c_str());
    return 2;
  }
  // libwebrtc's own log goes to stderr, errors only.
  rtc::LogMessage::LogToDebug(rtc::LS_ERROR);

  lw::TraceLog trace(out);
  {
    Recorder r(trace);
    Script script(r, scenario);
    const PcSettings settings = script.settings();
    trace.raw(
        "{\"format\":\"connstate-trace\",\"version\":1,\"stack\":\"libwebrtc\",\"stack_version\":" +
        json_string(std::string("tg_owt ") + CONNSTATE_TGOWT_VERSION + " (libwebrtc snapshot of 2023-01-05)") +
        ",\"scenario\":" + json_string(scenario) + ",\"recorded\":" + json_string(connstate::harness::utc_now()) +
        ",\"pc_events\":true,\"recorder\":\"tools/record libwebrtc (record-libwebrtc)\",\"options\":{"
        "\"bundlePolicy\":" + json_string(bundle_name(settings.bundle)) +
        ",\"use_rtp_mux\":" + (scenario == "renegotiate-add-transport" ? "false" : "true") +
        ",\"networks\":\"127.0.0.1 only (own NetworkManager), UDP host candidates only\",\"ice_timeouts\":\"libwebrtc defaults\""
        ",\"path_blocking\":\"UDP sockets of both pcs drop every datagram while blocked\",\"threads\":\"network, worker, signaling\"},"
        "\"mapping\":\"OnStandardizedIceConnectionChange=iceconnectionstatechange OnConnectionChange=connectionstatechange "
        "OnIceConnectionChange=legacy-iceconnectionstatechange (ignored) IceTransportInternal::SignalIceTransportStateChanged="
        "ice statechange DtlsTransportObserverInterface::OnStateChange=dtls statechange\",\"delivery\":\"transport events on "
        "the network thread, pc events on the signaling thread (posted by the network thread after it aggregated)\"}\n");
    r.mark("blackhole", ",\"port\":" + std::to_string(r.blackhole.port()));
    r.a.other = &r.b;
    r.b.other = &r.a;
    lw::GatedPacketSocketFactory sockets(r.stack.network()->socketserver(), r.gate);
    Allocation allocation_a, allocation_b;
    const bool goal = CreatePc(r, r.a, settings, sockets, allocation_a) &&
                      CreatePc(r, r.b, settings, sockets, allocation_b) && script.run();
    trace.line(",\"target\":\"recorder\",\"event\":\"end\",\"goal\":" + std::string(goal ? "true" : "false") +
               ",\"datagrams_passed\":" + std::to_string(r.gate.passed.load()) +
               ",\"datagrams_dropped\":" + std::to_string(r.gate.dropped.load()) +
               ",\"detail\":\"the pcs still open are closed after this line, unrecorded\"");
    trace.silence();
    for (Peer* p : {&r.a, &r.b}) {
      if (p->pc) p->pc->Close();
    }
    if (out != stdout) std::fclose(out);
    if (!goal)
      std::fprintf(stderr, "record-libwebrtc: scenario %s did not reach its goal: %s\n", scenario.c_str(), r.failure.c_str());
    // The process ends here, with both pcs closed but not destroyed: after a DTLS handshake error this
    // libwebrtc's ~PeerConnection fails a DCHECK ("WeakPtrs must be invalidated on the same sequence",
    // rtc_base/weak_ptr.cc: the weak pointer behind JsepTransportController's on_dtls_handshake_error_
    // was used on the network thread). Nothing after the end marker is part of the recording.
    std::fflush(stderr);
    std::_Exit(goal ? 0 : 3);
  }
}

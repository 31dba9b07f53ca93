// adapter.cpp — connstate protocol-1 oracle adapter (docs/adapter-protocol.md) that runs native
// libwebrtc's own state code (Debian libtgowt-dev: Telegram's libwebrtc snapshot of 2023-01-05) on the
// harness's inputs. Nothing here derives a state.
//
// Every answer comes from a real webrtc::PeerConnection made by the real PeerConnectionFactory, with
// its real JsepTransportController (the aggregation: JsepTransportController::UpdateAggregateStates_n)
// and real cricket::DtlsTransport objects. Only the ICE transports are libwebrtc's test double
// cricket::FakeIceTransport (p2p/base/fake_ice_transport.h), handed in through the public
// PeerConnectionDependencies::ice_transport_factory: it sends nothing and reports the ICE state it is
// told (SetTransportState). A transport is one m= section without BUNDLE (offers with
// use_rtp_mux = false, answered by a second in-process pc), so `add` adds a transceiver (or the data
// channel, for `sctp_only`) and renegotiates, and `remove` stops the transceiver and renegotiates.
// DTLS states are set through cricket::DtlsTransport's own private setter set_dtls_state (see
// `apply_dtls` for why its writable flag stays false).
//
// Threads: libwebrtc's three (internal/stack.h). A step runs on the network thread while the
// signaling thread is held, so the step's transport events come first and the PeerConnectionObserver
// callbacks that libwebrtc posted to the signaling thread follow, in posting order; `close` runs on
// the signaling thread as PeerConnection::Close() does. README.md lists what is declined and why.
#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <future>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "api/peer_connection_interface.h"
#include "internal/negotiation.h"
#include "internal/stack.h"
#include "internal/state_names.h"
#include "p2p/base/dtls_transport.h"
#include "p2p/base/fake_ice_transport.h"
#include "pc/dtls_transport.h"
#include "pc/srtp_session.h"
#include "rtc_base/logging.h"
#include "rtc_base/rtc_certificate_generator.h"
#include "rtc_base/third_party/sigslot/sigslot.h"

#ifndef CONNSTATE_TGOWT_VERSION
#define CONNSTATE_TGOWT_VERSION ""
#endif

namespace json = boost::json;
namespace lw = connstate::libwebrtc;
using webrtc::PeerConnectionInterface;

// --- cricket::DtlsTransport's private state setter ----------------------------------------------------
// Naming a private member in an explicit template instantiation is exempt from access checking
// ([temp.explicit]); the friend function defined there hands out the member pointer.
namespace {
struct SetDtlsState {
  using type = void (cricket::DtlsTransport::*)(webrtc::DtlsTransportState);
  friend type member(SetDtlsState);
};
template <typename Tag, typename Tag::type Member>
struct Expose {
  friend typename Tag::type member(Tag) { return Member; }
};
}  // namespace
template struct Expose<SetDtlsState, &cricket::DtlsTransport::set_dtls_state>;

namespace {

struct Event {
  std::string target, type, state;
};

// Events in the order libwebrtc delivered them (network and signaling thread).
class EventLog {
 public:
  void add(std::string target, std::string type, std::string state) {
    std::lock_guard<std::mutex> lock(mutex_);
    events_.push_back({std::move(target), std::move(type), std::move(state)});
  }
  std::vector<Event> take() {
    std::lock_guard<std::mutex> lock(mutex_);
    return std::exchange(events_, {});
  }

 private:
  std::mutex mutex_;
  std::vector<Event> events_;
};

const std::map<std::string, webrtc::IceTransportState> kIceStates = {
    {"new", webrtc::IceTransportState::kNew},
    {"checking", webrtc::IceTransportState::kChecking},
    {"connected", webrtc::IceTransportState::kConnected},
    {"completed", webrtc::IceTransportState::kCompleted},
    {"disconnected", webrtc::IceTransportState::kDisconnected},
    {"failed", webrtc::IceTransportState::kFailed},
    {"closed", webrtc::IceTransportState::kClosed},
};
const std::map<std::string, webrtc::DtlsTransportState> kDtlsStates = {
    {"new", webrtc::DtlsTransportState::kNew},
    {"connecting", webrtc::DtlsTransportState::kConnecting},
    {"connected", webrtc::DtlsTransportState::kConnected},
    {"closed", webrtc::DtlsTransportState::kClosed},
    {"failed", webrtc::DtlsTransportState::kFailed},
};

// The internal (legacy) ICE state libwebrtc's own P2PTransportChannel reports beside each
// RTCIceTransportState on a one-connection path, as the native recorder observed it
// (cases/traces/libwebrtc): P2PTransportChannel::ComputeState says COMPLETED as soon as one
// connection exists, whether or not it is writable. It only feeds the legacy iceConnectionState and
// the `all_completed` shortcut of UpdateAggregateStates_n.
cricket::IceTransportState legacy_state(webrtc::IceTransportState s) {
  switch (s) {
    case webrtc::IceTransportState::kNew:
    case webrtc::IceTransportState::kClosed: return cricket::IceTransportState::STATE_INIT;
    case webrtc::IceTransportState::kFailed: return cricket::IceTransportState::STATE_FAILED;
    default: return cricket::IceTransportState::STATE_COMPLETED;
  }
}

// cricket::DtlsTransport::set_dtls_state (p2p/base/dtls_transport.cc), the one setter every DTLS state
// change of the transport goes through: it ignores a repeated state and otherwise sends the change to
// its subscribers (DtlsSrtpTransport, whose callback runs UpdateAggregateStates_n, then
// webrtc::DtlsTransport, which calls the observer). The transport's writable flag is left false: the
// real code makes it true with `connected` (OnDtlsEvent), but a writable transport without a real
// handshake cannot exist here — DtlsSrtpTransport::MaybeSetupDtlsSrtp then exports the SRTP keys and
// OpenSSLStreamAdapter DCHECKs a completed handshake (openssl_stream_adapter.cc:500).
void apply_dtls(cricket::DtlsTransport& dtls, webrtc::DtlsTransportState state) {
  (dtls.*member(SetDtlsState{}))(state);
}

class Session;

// libwebrtc's FakeIceTransport, reporting the statistics of what it is — a transport with no candidates
// and no candidate pair. (The test double's own GetStats invents one empty candidate, whose empty type
// PeerConnection::Close's stats update DCHECKs: legacy_stats_collector.cc IceCandidateTypeToStatsType.)
class IceTransport : public cricket::FakeIceTransport {
 public:
  using cricket::FakeIceTransport::FakeIceTransport;
  bool GetStats(cricket::IceTransportStats* stats) override {
    stats->candidate_stats_list.clear();
    stats->connection_infos.clear();
    return true;
  }
};

// Creates libwebrtc's FakeIceTransport for every ICE transport the pc asks for (network thread).
class FakeIceFactory : public webrtc::IceTransportFactory {
 public:
  FakeIceFactory(Session& session, bool local) : session_(session), local_(local) {}
  rtc::scoped_refptr<webrtc::IceTransportInterface> CreateIceTransport(const std::string& name, int component,
                                                                       webrtc::IceTransportInit init) override;

 private:
  Session& session_;
  bool local_;  // the pc under test, not the one answering it
};

class DtlsWatch : public webrtc::DtlsTransportObserverInterface {
 public:
  DtlsWatch(EventLog& log, std::string name) : log_(log), name_(std::move(name)) {}
  void OnStateChange(webrtc::DtlsTransportInformation info) override {
    log_.add("dtls:" + name_, "statechange", lw::js_name(info.state()));
  }
  void OnError(webrtc::RTCError) override {}

 private:
  EventLog& log_;
  std::string name_;
};

class QuietObserver : public webrtc::PeerConnectionObserver {
 public:
  void OnSignalingChange(PeerConnectionInterface::SignalingState) override {}
  void OnDataChannel(rtc::scoped_refptr<webrtc::DataChannelInterface>) override {}
  void OnIceGatheringChange(PeerConnectionInterface::IceGatheringState) override {}
  void OnIceCandidate(const webrtc::IceCandidateInterface*) override {}
};

struct Transport {
  std::string name;
  bool sctp_only = false;
  rtc::scoped_refptr<webrtc::RtpTransceiverInterface> transceiver;  // null for the data channel's
  std::string mid;
  cricket::FakeIceTransport* ice = nullptr;                       // network thread; null once removed
  rtc::scoped_refptr<webrtc::DtlsTransport> dtls;                 // network thread
  std::unique_ptr<DtlsWatch> watch;
  bool gone = false;
};

// One pc under test ("local", the offerer) and the pc that answers it, on the shared stack.
class Session : public webrtc::PeerConnectionObserver, public sigslot::has_slots<> {
 public:
  Session(lw::Stack& stack, EventLog& log, rtc::scoped_refptr<rtc::RTCCertificate> certificate)
      : stack_(stack), log_(log), certificate_(std::move(certificate)) {}
  ~Session() override {
    // The transport observers are unregistered where they were registered, before the pcs go.
    stack_.network()->BlockingCall([&] {
      for (auto& t : transports_)
        if (t.dtls && t.watch && t.dtls->internal()) t.dtls->UnregisterObserver();
    });
    if (local_) local_->Close();
    if (remote_) remote_->Close();
    local_ = nullptr;
    remote_ = nullptr;
  }

  bool start(std::string& error) {
    return make_pc(true, local_, error) && make_pc(false, remote_, error);
  }

  // --- PeerConnectionObserver (signaling thread) ---
  void OnSignalingChange(PeerConnectionInterface::SignalingState) override {}
  void OnDataChannel(rtc::scoped_refptr<webrtc::DataChannelInterface>) override {}
  void OnIceGatheringChange(PeerConnectionInterface::IceGatheringState) override {}
  void OnIceCandidate(const webrtc::IceCandidateInterface*) override {}
  void OnStandardizedIceConnectionChange(PeerConnectionInterface::IceConnectionState s) override {
    log_.add("pc", "iceconnectionstatechange", lw::js_name(s));
  }
  void OnConnectionChange(PeerConnectionInterface::PeerConnectionState s) override {
    log_.add("pc", "connectionstatechange", lw::js_name(s));
  }

  // --- the ICE transports (network thread) ---
  void adopt(cricket::FakeIceTransport* ice, bool local) {
    if (!local) {
      remote_ices_[ice->transport_name()] = ice;
      return;
    }
    // Before the JsepTransportController connects: the transport's event precedes the aggregation.
    ice->SignalIceTransportStateChanged.connect(this, &Session::on_ice_state);
  }
  void on_ice_state(cricket::IceTransportInternal* ice) {
    for (const auto& t : transports_)
      if (t.ice == ice) log_.add("ice:" + t.name, "statechange", lw::js_name(ice->GetIceTransportState()));
  }

  bool closed() const { return closed_; }
  std::vector<Transport>& transports() { return transports_; }
  Transport* find(const std::string& name) {
    for (auto& t : transports_)
      if (t.name == name && !t.gone) return &t;
    return nullptr;
  }

  // Adds each transport as one m= section and negotiates once. "" on success, else why it failed;
  // `declined` is set when libwebrtc refuses the input itself.
  std::string add(const std::vector<std::pair<std::string, bool>>& names, std::optional<std::string>& declined) {
    for (const auto& [name, sctp_only] : names) {
      Transport t;
      t.name = name;
      t.sctp_only = sctp_only;
      if (sctp_only) {
        if (has_data_channel_) {
          declined = "libwebrtc negotiates at most one SCTP (data channel) m= section per pc "
                     "(SdpOfferAnswerHandler: one data channel transport, DataChannelController)";
          return "";
        }
        webrtc::DataChannelInit init;
        auto channel = local_->CreateDataChannelOrError("connstate", &init);
        if (!channel.ok()) return std::string("CreateDataChannelOrError: ") + channel.error().message();
        data_channel_ = channel.MoveValue();
        has_data_channel_ = true;
      } else {
        auto transceiver = local_->AddTransceiver(cricket::MEDIA_TYPE_AUDIO);
        if (!transceiver.ok()) return std::string("AddTransceiver: ") + transceiver.error().message();
        t.transceiver = transceiver.MoveValue();
      }
      transports_.push_back(std::move(t));
    }
    std::string error = negotiate();
    if (!error.empty()) return error;
    added_events_ = log_.take();
    error = bind_new_transports();
    log_.take();  // the handshake of bind_new_transports is preparation, not part of the step
    for (Event& e : added_events_) log_.add(std::move(e.target), std::move(e.type), std::move(e.state));
    return error;
  }

  // Stops the transport's transceiver and negotiates: its m= section is rejected.
  std::string remove(Transport& t) {
    t.transceiver->StopStandard();
    return negotiate();
  }

  // Runs `step` on the network thread while the signaling thread is held, then lets the signaling
  // thread run what libwebrtc posted to it.
  template <typename Step>
  void on_network(Step&& step) {
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    std::promise<void> holding;
    stack_.signaling()->PostTask([released, &holding] {
      holding.set_value();
      released.wait();
    });
    holding.get_future().wait();
    stack_.network()->BlockingCall(std::forward<Step>(step));
    release.set_value();
    stack_.signaling()->BlockingCall([] {});
  }

  void close() {
    local_->Close();
    closed_ = true;
    stack_.signaling()->BlockingCall([] {});
  }

  std::pair<std::string, std::string> states() {
    return {lw::js_name(local_->peer_connection_state()), lw::js_name(local_->standardized_ice_connection_state())};
  }

 private:
  bool make_pc(bool local, rtc::scoped_refptr<PeerConnectionInterface>& pc, std::string& error) {
    PeerConnectionInterface::RTCConfiguration config;
    config.sdp_semantics = webrtc::SdpSemantics::kUnifiedPlan;
    config.bundle_policy = PeerConnectionInterface::kBundlePolicyMaxCompat;
    config.certificates = {certificate_};  // one key for every pc: no key generation per pc
    webrtc::PeerConnectionDependencies deps(local ? static_cast<webrtc::PeerConnectionObserver*>(this) : &quiet_);
    deps.ice_transport_factory = std::make_unique<FakeIceFactory>(*this, local);
    auto result = stack_.factory()->CreatePeerConnectionOrError(config, std::move(deps));
    if (!result.ok()) {
      error = std::string("CreatePeerConnectionOrError: ") + result.error().message();
      return false;
    }
    pc = result.MoveValue();
    return true;
  }

  std::string negotiate() {
    PeerConnectionInterface::RTCOfferAnswerOptions options;
    options.use_rtp_mux = false;  // no BUNDLE: one transport per m= section
    std::string error;
    const std::string offer = lw::create_description(*local_, true, options, error);
    if (offer.empty() || !lw::set_local_description(*local_, webrtc::SdpType::kOffer, offer, error) ||
        !lw::set_remote_description(*remote_, webrtc::SdpType::kOffer, offer, error))
      return error;
    const std::string answer = lw::create_description(*remote_, false, options, error);
    if (answer.empty() || !lw::set_local_description(*remote_, webrtc::SdpType::kAnswer, answer, error) ||
        !lw::set_remote_description(*local_, webrtc::SdpType::kAnswer, answer, error))
      return error;
    stack_.signaling()->BlockingCall([] {});
    return "";
  }

  // Finds the DTLS and ICE transports of the transports just negotiated, runs one real DTLS handshake
  // on each (see `handshake`), and watches their DTLS state.
  std::string bind_new_transports() {
    std::vector<Transport*> fresh;
    for (auto& t : transports_)
      if (!t.dtls && !t.gone) fresh.push_back(&t);
    std::vector<rtc::scoped_refptr<webrtc::DtlsTransportInterface>> dtls(fresh.size());
    rtc::scoped_refptr<webrtc::SctpTransportInterface> sctp = local_->GetSctpTransport();
    for (std::size_t i = 0; i < fresh.size(); ++i) {
      if (fresh[i]->transceiver) {
        fresh[i]->mid = fresh[i]->transceiver->mid().value_or("");
        dtls[i] = fresh[i]->transceiver->sender()->dtls_transport();
      }
    }
    std::string error;
    stack_.network()->BlockingCall([&] {
      for (std::size_t i = 0; i < fresh.size(); ++i) {
        Transport& t = *fresh[i];
        if (t.sctp_only && sctp) dtls[i] = sctp->dtls_transport();  // network thread only
        if (!dtls[i]) {
          error = "libwebrtc made no DTLS transport for " + t.name;
          return;
        }
        t.dtls = rtc::scoped_refptr<webrtc::DtlsTransport>(static_cast<webrtc::DtlsTransport*>(dtls[i].get()));
        t.ice = static_cast<cricket::FakeIceTransport*>(t.dtls->internal()->ice_transport());
        if (t.mid.empty()) t.mid = t.ice->transport_name();
      }
    });
    if (!error.empty()) return error;
    for (Transport* t : fresh) {
      error = handshake(*t);
      if (!error.empty()) return error;
    }
    stack_.network()->BlockingCall([&] {
      for (Transport* t : fresh) {
        t->watch = std::make_unique<DtlsWatch>(log_, t->name);
        t->dtls->RegisterObserver(t->watch.get());
      }
    });
    stack_.signaling()->BlockingCall([] {});
    return "";
  }

  // libwebrtc reads a connected DTLS transport's TLS details (webrtc::DtlsTransport::UpdateInformation)
  // from its OpenSSLStreamAdapter, which DCHECKs a completed handshake. So each new transport first
  // completes a real DTLS handshake with the answering pc's transport, carried in memory by the two
  // FakeIceTransports; then the path is taken away again (ICE not writable, so DTLS never restarts) and
  // the transport is put back to DTLS `new` through its own setter. ICE reads `new` throughout (a
  // FakeIceTransport without connections). The events of this preparation are not reported.
  std::string handshake(Transport& t) {
    std::promise<void> connected;
    std::future<void> done = connected.get_future();
    bool paired = false, signalled = false;
    cricket::DtlsTransportInternal* dtls = nullptr;
    stack_.network()->BlockingCall([&] {
      auto remote = remote_ices_.find(t.mid);
      if (remote == remote_ices_.end()) return;
      dtls = t.dtls->internal();
      dtls->SubscribeDtlsTransportState(&t, [&](cricket::DtlsTransportInternal*, webrtc::DtlsTransportState s) {
        if (s == webrtc::DtlsTransportState::kConnected && !signalled) {
          signalled = true;
          connected.set_value();
        }
      });
      t.ice->SetAsync(true);  // packets as posted tasks: no re-entrant delivery inside a send
      remote->second->SetAsync(true);
      t.ice->SetDestination(remote->second);
      paired = true;
    });
    if (!paired) return "no answering ICE transport for mid " + t.mid;
    const bool ok = done.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
    stack_.network()->BlockingCall([&] {
      dtls->UnsubscribeDtlsTransportState(&t);
      t.ice->SetDestination(nullptr);
      remote_ices_[t.mid]->SetDestination(nullptr);
      if (ok) apply_dtls(*static_cast<cricket::DtlsTransport*>(dtls), webrtc::DtlsTransportState::kNew);
    });
    return ok ? "" : "the DTLS handshake that prepares " + t.name + " did not complete";
  }

  lw::Stack& stack_;
  EventLog& log_;
  rtc::scoped_refptr<rtc::RTCCertificate> certificate_;
  QuietObserver quiet_;
  rtc::scoped_refptr<PeerConnectionInterface> local_, remote_;
  rtc::scoped_refptr<webrtc::DataChannelInterface> data_channel_;
  bool has_data_channel_ = false;
  bool closed_ = false;
  std::vector<Transport> transports_;
  std::vector<Event> added_events_;
  std::map<std::string, cricket::FakeIceTransport*> remote_ices_;  // by mid, network thread
};

rtc::scoped_refptr<webrtc::IceTransportInterface> FakeIceFactory::CreateIceTransport(const std::string& name,
                                                                                     int component,
                                                                                     webrtc::IceTransportInit) {
  auto ice = std::make_unique<IceTransport>(name, component, rtc::Thread::Current());
  session_.adopt(ice.get(), local_);
  return rtc::make_ref_counted<cricket::FakeIceTransportWrapper>(std::move(ice));
}

// --- protocol 1 ------------------------------------------------------------------------------------------
class Adapter {
 public:
  Adapter() {
    // libwebrtc shuts libsrtp down whenever its last SRTP session goes, and Debian's libsrtp2 loads and
    // initializes NSS on every srtp_init (about 150 ms). Every session's preparatory handshake sets SRTP
    // keys, and every reset drops them all: one keyed session kept for the adapter's lifetime keeps
    // libsrtp initialized. It carries no traffic.
    const std::vector<std::uint8_t> key(30, 0x5a);  // AES_CM_128_HMAC_SHA1_80: 16-byte key + 14-byte salt
    srtp_keepalive_.SetSend(rtc::kSrtpAes128CmSha1_80, key.data(), key.size(), {});
  }

  json::object handle(const json::object& request) {
    const std::string op = json::value_to<std::string>(request.at("op"));
    json::object reply;
    reply["id"] = request.at("id");
    if (op == "hello") {
      reply["protocol"] = 1;
      reply["name"] = "libwebrtc (tg_owt)";
      reply["version"] = CONNSTATE_TGOWT_VERSION;
      reply["supports"] = json::array{"evaluate", "sequence"};
      reply["homepage"] = "https://webrtc.googlesource.com/src";
      reply["issues"] = "https://bugs.webrtc.org";
      reply["build"] = "Debian libtgowt-dev " CONNSTATE_TGOWT_VERSION " (libwebrtc snapshot of 2023-01-05)";
    } else if (op == "evaluate") {
      merge(reply, evaluate(request));
    } else if (op == "reset") {
      sequence_.reset();
      sequence_declined_.reset();
      std::string error;
      if (!(sequence_ = fresh_session(error))) reply["error"] = error;
    } else if (op == "add" || op == "ice" || op == "dtls" || op == "remove" || op == "close") {
      merge(reply, step(op, request));
    } else if (op != "bye") {
      reply["error"] = "unknown op '" + op + "'";
    }
    return reply;
  }

 private:
  static void merge(json::object& into, const json::object& from) {
    for (const auto& [key, value] : from) into[key] = value;
  }

  std::unique_ptr<Session> fresh_session(std::string& error) {
    auto session = std::make_unique<Session>(stack_, log_, certificate_);
    if (!session->start(error)) return nullptr;
    return session;
  }

  json::object answer_states(Session& s) {
    auto [connection, ice] = s.states();
    return {{"connectionState", connection}, {"iceConnectionState", ice}};
  }

  json::object step(const std::string& op, const json::object& request) {
    std::string error;
    if (!sequence_ && !(sequence_ = fresh_session(error))) return {{"error", error}};
    if (sequence_declined_) return {{"unsupported", "an earlier step was declined: " + *sequence_declined_}};
    Session& s = *sequence_;
    log_.take();
    const std::string name = request.contains("transport") ? json::value_to<std::string>(request.at("transport")) : "";
    Transport* t = name.empty() ? nullptr : s.find(name);
    if ((op == "ice" || op == "dtls" || op == "remove") && !t) {
      const bool known = std::any_of(s.transports().begin(), s.transports().end(),
                                     [&](const Transport& x) { return x.name == name; });
      if (!known) return {{"error", "adapter: " + op + " on transport '" + name + "', which no earlier add created"}};
    }
    if (s.closed()) {
      // PeerConnection::Close() destroyed the transports and every state is final: nothing runs.
      json::object reply = answer_states(s);
      reply["events"] = json::array();
      return reply;
    }
    std::optional<std::string> declined;
    if (op == "add") {
      if (t) return decline("a transport name reused: libwebrtc never re-adds a removed m= section under the same name");
      const bool sctp_only = request.contains("sctp_only") && request.at("sctp_only").as_bool();
      error = s.add({{name, sctp_only}}, declined);
    } else if (op == "remove" && t) {
      if (t->sctp_only)
        return decline("libwebrtc cannot remove the data channel's m= section: closing data channels leaves it in "
                       "the SDP (SdpOfferAnswerHandler has no stop for the SCTP transport short of Close)");
      error = s.remove(*t);
      t->gone = true;
      t->ice = nullptr;  // destroyed with its JsepTransport
    } else if (op == "ice" && t) {
      const std::string state = json::value_to<std::string>(request.at("state"));
      auto it = kIceStates.find(state);
      if (it == kIceStates.end()) return {{"error", "unknown ICE state '" + state + "'"}};
      s.on_network([&] {
        // P2PTransportChannel signals SignalIceTransportStateChanged on a change only.
        if (t->ice && t->ice->GetIceTransportState() != it->second)
          t->ice->SetTransportState(it->second, legacy_state(it->second));
      });
    } else if (op == "dtls" && t) {
      const std::string state = json::value_to<std::string>(request.at("state"));
      auto it = kDtlsStates.find(state);
      if (it == kDtlsStates.end()) return {{"error", "unknown DTLS state '" + state + "'"}};
      s.on_network([&] {
        if (t->dtls && t->dtls->internal())
          apply_dtls(*static_cast<cricket::DtlsTransport*>(t->dtls->internal()), it->second);
      });
    } else if (op == "close") {
      s.close();
    }
    if (declined) return decline(*declined);
    if (!error.empty()) return {{"error", "libwebrtc: " + error}};
    json::array events;
    for (const Event& e : log_.take()) events.push_back(json::object{{"target", e.target}, {"type", e.type}, {"state", e.state}});
    json::object reply = answer_states(s);
    reply["events"] = std::move(events);
    return reply;
  }

  json::object decline(const std::string& why) {
    sequence_declined_ = why;
    return {{"unsupported", why}};
  }

  // A snapshot: a pc with that many transports (kept for the next snapshot of the same size) is driven
  // to the given states; libwebrtc re-aggregates on each change, and its answer is read afterwards.
  json::object evaluate(const json::object& request) {
    const json::array& transports = request.at("transports").as_array();
    const bool closed = request.contains("closed") && request.at("closed").as_bool();
    std::vector<std::pair<webrtc::IceTransportState, webrtc::DtlsTransportState>> wanted;
    for (const auto& v : transports) {
      const json::object& t = v.as_object();
      auto ice = kIceStates.find(json::value_to<std::string>(t.at("ice")));
      auto dtls = kDtlsStates.find(json::value_to<std::string>(t.at("dtls")));
      if (ice == kIceStates.end() || dtls == kDtlsStates.end()) return {{"error", "unknown state in " + json::serialize(t)}};
      wanted.emplace_back(ice->second, dtls->second);
    }
    std::unique_ptr<Session>& pooled = snapshots_[wanted.size()];
    if (!pooled) {
      std::string error;
      auto session = fresh_session(error);
      if (!session) return {{"error", error}};
      std::vector<std::pair<std::string, bool>> names;
      for (std::size_t i = 0; i < wanted.size(); ++i) names.emplace_back("t" + std::to_string(i), false);
      std::optional<std::string> declined;
      if (!names.empty()) error = session->add(names, declined);
      if (!error.empty()) return {{"error", "libwebrtc: " + error}};
      pooled = std::move(session);
    }
    Session& s = *pooled;
    s.on_network([&] {
      auto& ts = s.transports();
      for (std::size_t i = 0; i < wanted.size(); ++i) {
        if (ts[i].ice->GetIceTransportState() != wanted[i].first)
          ts[i].ice->SetTransportState(wanted[i].first, legacy_state(wanted[i].first));
        apply_dtls(*static_cast<cricket::DtlsTransport*>(ts[i].dtls->internal()), wanted[i].second);
      }
    });
    json::object reply;
    if (closed) {
      s.close();
      reply = answer_states(s);
      pooled.reset();  // a closed pc cannot be driven again
    } else {
      reply = answer_states(s);
    }
    log_.take();
    return reply;
  }

  lw::Stack stack_;
  EventLog log_;
  const rtc::scoped_refptr<rtc::RTCCertificate> certificate_ =
      rtc::RTCCertificateGenerator::GenerateCertificate(rtc::KeyParams(), absl::nullopt);
  cricket::SrtpSession srtp_keepalive_;
  std::unique_ptr<Session> sequence_;
  std::optional<std::string> sequence_declined_;
  std::map<std::size_t, std::unique_ptr<Session>> snapshots_;
};

}  // namespace

int main() {
  rtc::LogMessage::LogToDebug(rtc::LS_NONE);
  std::ios::sync_with_stdio(false);
  std::fprintf(stderr, "libwebrtc adapter: tg_owt %s\n", CONNSTATE_TGOWT_VERSION);
  Adapter adapter;
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    json::object reply;
    bool bye = false;
    try {
      const json::object request = json::parse(line).as_object();
      bye = request.contains("op") && request.at("op") == "bye";
      reply = adapter.handle(request);
    } catch (const std::exception& e) {
      reply = {{"id", nullptr}, {"error", std::string("adapter: ") + e.what()}};
      try {
        reply["id"] = json::parse(line).as_object().at("id");
      } catch (const std::exception&) {
      }
    }
    std::cout << json::serialize(reply) << '\n' << std::flush;
    if (bye) break;
  }
  // The pcs are not torn down: see the recorder's note on ~PeerConnection after a DTLS failure.
  std::fflush(stdout);
  std::_Exit(0);
}

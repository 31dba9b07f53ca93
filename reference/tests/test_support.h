// test_support.h — small helpers shared by the reference's unit tests.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "connstate/derivation.h"
#include "connstate/states.h"

namespace connstate::test {

template <class E> E state(std::string_view text) {
  auto v = parse_state<E>(text);
  if (!v) throw std::invalid_argument("bad state in test table: " + std::string(text));
  return *v;
}

// "completed/connected" -> {Completed, Connected}; a trailing "+sctp" marks an SCTP-only transport.
inline TransportState transport(std::string_view text) {
  TransportState t;
  if (text.ends_with("+sctp")) {
    t.sctp_only = true;
    text.remove_suffix(5);
  }
  const auto slash = text.find('/');
  t.ice = state<IceTransportState>(text.substr(0, slash));
  t.dtls = state<DtlsTransportState>(text.substr(slash + 1));
  return t;
}

inline std::vector<TransportState> transports(std::initializer_list<std::string_view> texts) {
  std::vector<TransportState> out;
  for (auto t : texts) out.push_back(transport(t));
  return out;
}

inline std::string show(const std::optional<PeerConnectionState>& s) {
  return s ? std::string(to_string(*s)) : std::string("(undefined)");
}

// Every transport state pair: 7 ICE x 5 DTLS = 35.
inline std::vector<TransportState> all_pairs() {
  std::vector<TransportState> out;
  for (std::size_t i = 0; i < enum_count<IceTransportState>; ++i)
    for (std::size_t d = 0; d < enum_count<DtlsTransportState>; ++d)
      out.push_back({enum_at<IceTransportState>(i), enum_at<DtlsTransportState>(d), false});
  return out;
}

// Calls f(multiset) for every multiset of at most max_size pairs (as a sorted vector).
template <class F> void for_each_multiset(std::size_t max_size, F&& f) {
  const auto pairs = all_pairs();
  std::vector<TransportState> current;
  auto rec = [&](auto&& self, std::size_t start) -> void {
    f(static_cast<const std::vector<TransportState>&>(current));
    if (current.size() == max_size) return;
    for (std::size_t i = start; i < pairs.size(); ++i) {
      current.push_back(pairs[i]);
      self(self, i);
      current.pop_back();
    }
  };
  rec(rec, 0);
}

}  // namespace connstate::test

#include "connstate/peer_connection_model.h"

namespace connstate::test {

// "ice:0 statechange checking", "pc connectionstatechange connecting".
inline std::string describe(const Event& e) {
  std::string target = "pc";
  if (e.type == EventType::IceTransportStateChange) target = "ice:" + std::to_string(e.transport);
  if (e.type == EventType::DtlsTransportStateChange) target = "dtls:" + std::to_string(e.transport);
  return target + " " + std::string(e.type_name()) + " " + std::string(e.state_name());
}

inline std::vector<std::string> describe(const Events& events) {
  std::vector<std::string> out;
  for (const Event& e : events) out.push_back(describe(e));
  return out;
}

// The model's transports as a snapshot (in id order).
inline std::vector<TransportState> snapshot_of(const PeerConnectionModel& m) {
  std::vector<TransportState> out;
  for (TransportId t = 0; t < kMaxTransports; ++t) {
    if (m.has_transport(t)) out.push_back({m.ice_state(t), m.dtls_state(t), false});
  }
  return out;
}

}  // namespace connstate::test

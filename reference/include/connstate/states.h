// states.h — the WebRTC state enumerations, with their exact spec strings.
//
// Every enumeration here mirrors an IDL enum of webrtc-pc (or, for the gatherer,
// the per-transport RTCIceGathererState). Enumerators are declared in IDL order
// so that a value's index is stable and can be used as a bit in a presence mask.
// Parsing is strict: text that is not exactly one of the spec strings yields
// std::nullopt, never a default value.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace connstate {

// RTCIceTransportState (webrtc-pc §5.6), IDL order.
enum class IceTransportState : std::uint8_t { Closed, Failed, Disconnected, New, Checking, Completed, Connected };
// RTCDtlsTransportState (webrtc-pc §5.5), IDL order.
enum class DtlsTransportState : std::uint8_t { New, Connecting, Connected, Closed, Failed };
// RTCIceConnectionState (webrtc-pc §4.3.3), IDL order; same strings as RTCIceTransportState.
enum class IceConnectionState : std::uint8_t { Closed, Failed, Disconnected, New, Checking, Completed, Connected };
// RTCPeerConnectionState (webrtc-pc §4.3.3), IDL order.
enum class PeerConnectionState : std::uint8_t { Closed, Failed, Disconnected, New, Connecting, Connected };
// RTCIceGatheringState (webrtc-pc §4.3.2), the peer connection's aggregate.
enum class IceGatheringState : std::uint8_t { New, Gathering, Complete };
// RTCIceGathererState (webrtc-pc §5.6), one per ICE transport.
enum class IceGathererState : std::uint8_t { New, Gathering, Complete };

// Names and counts per enumeration; `EnumTraits<E>::names[i]` is the spec string of value i.
template <class E> struct EnumTraits;

template <> struct EnumTraits<IceTransportState> {
  static constexpr std::string_view idl_name = "RTCIceTransportState";
  static constexpr std::array<std::string_view, 7> names = {"closed",    "failed",    "disconnected", "new",
                                                            "checking",  "completed", "connected"};
};
template <> struct EnumTraits<DtlsTransportState> {
  static constexpr std::string_view idl_name = "RTCDtlsTransportState";
  static constexpr std::array<std::string_view, 5> names = {"new", "connecting", "connected", "closed", "failed"};
};
template <> struct EnumTraits<IceConnectionState> {
  static constexpr std::string_view idl_name = "RTCIceConnectionState";
  static constexpr std::array<std::string_view, 7> names = {"closed",    "failed",    "disconnected", "new",
                                                            "checking",  "completed", "connected"};
};
template <> struct EnumTraits<PeerConnectionState> {
  static constexpr std::string_view idl_name = "RTCPeerConnectionState";
  static constexpr std::array<std::string_view, 6> names = {"closed", "failed",     "disconnected",
                                                            "new",    "connecting", "connected"};
};
template <> struct EnumTraits<IceGatheringState> {
  static constexpr std::string_view idl_name = "RTCIceGatheringState";
  static constexpr std::array<std::string_view, 3> names = {"new", "gathering", "complete"};
};
template <> struct EnumTraits<IceGathererState> {
  static constexpr std::string_view idl_name = "RTCIceGathererState";
  static constexpr std::array<std::string_view, 3> names = {"new", "gathering", "complete"};
};

template <class E> inline constexpr std::size_t enum_count = EnumTraits<E>::names.size();

template <class E> constexpr std::string_view to_string(E value) {
  return EnumTraits<E>::names[static_cast<std::size_t>(value)];
}

// Exact, case-sensitive match against the spec strings.
template <class E> constexpr std::optional<E> parse_state(std::string_view text) {
  const auto& names = EnumTraits<E>::names;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == text) return static_cast<E>(i);
  }
  return std::nullopt;
}

template <class E> constexpr E enum_at(std::size_t index) { return static_cast<E>(index); }

// One ICE transport with the DTLS transport layered on it (they are 1:1 in webrtc-pc).
// `sctp_only` marks a transport referenced only by the [[SctpTransport]] slot (a
// data-channel-only connection); REC 2021 as published does not count it.
struct TransportState {
  IceTransportState ice = IceTransportState::New;
  DtlsTransportState dtls = DtlsTransportState::New;
  bool sctp_only = false;

  friend constexpr bool operator==(const TransportState&, const TransportState&) = default;
};

}  // namespace connstate

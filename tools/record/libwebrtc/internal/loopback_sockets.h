// loopback_sockets.h — what keeps the native libwebrtc recorder on 127.0.0.1 and lets it cut the path
// between its two peers.
//
// `LoopbackNetworkManager` reports exactly one network, "lo" with 127.0.0.1, to libwebrtc's port
// allocator, so ICE gathers one UDP host candidate on 127.0.0.1 and nothing else, whatever interfaces
// the machine has (the recorder also runs in a network namespace with only `lo`).
//
// `GatedPacketSocketFactory` creates the UDP sockets of both peers (libwebrtc's BasicPacketSocketFactory
// underneath, TCP refused) and wraps each in a socket that drops every datagram, sent or received,
// while the shared `PathGate` is closed. Closing the gate is how a scenario blocks the path: to each
// ICE agent it looks like a network that silently loses everything, in both directions at once.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "api/packet_socket_factory.h"
#include "p2p/base/basic_packet_socket_factory.h"
#include "rtc_base/network.h"

namespace connstate::libwebrtc {

class LoopbackNetworkManager : public rtc::NetworkManagerBase {
 public:
  void StartUpdating() override;
  void StopUpdating() override {}

 private:
  bool listed_ = false;
};

struct PathGate {
  std::atomic<bool> blocked{false};
  std::atomic<std::uint64_t> passed{0};
  std::atomic<std::uint64_t> dropped{0};
};

class GatedPacketSocketFactory : public rtc::PacketSocketFactory {
 public:
  GatedPacketSocketFactory(rtc::SocketFactory* sockets, PathGate& gate) : base_(sockets), gate_(gate) {}

  rtc::AsyncPacketSocket* CreateUdpSocket(const rtc::SocketAddress& address, uint16_t min_port,
                                          uint16_t max_port) override;
  // The recorder disables TCP candidates: no TCP socket is ever made.
  rtc::AsyncListenSocket* CreateServerTcpSocket(const rtc::SocketAddress&, uint16_t, uint16_t, int) override {
    return nullptr;
  }
  rtc::AsyncPacketSocket* CreateClientTcpSocket(const rtc::SocketAddress&, const rtc::SocketAddress&,
                                                const rtc::ProxyInfo&, const std::string&,
                                                const rtc::PacketSocketTcpOptions&) override {
    return nullptr;
  }
  std::unique_ptr<webrtc::AsyncDnsResolverInterface> CreateAsyncDnsResolver() override {
    return base_.CreateAsyncDnsResolver();
  }

 private:
  rtc::BasicPacketSocketFactory base_;
  PathGate& gate_;
};

}  // namespace connstate::libwebrtc

// loopback_sockets.cpp — the loopback-only network list and the gated UDP sockets (see loopback_sockets.h).
#include "loopback_sockets.h"

#include <netinet/in.h>

#include <utility>
#include <vector>

#include "rtc_base/async_packet_socket.h"
#include "rtc_base/time_utils.h"

namespace connstate::libwebrtc {

void LoopbackNetworkManager::StartUpdating() {
  if (!listed_) {
    listed_ = true;
    const rtc::IPAddress loopback(INADDR_LOOPBACK);
    auto lo = std::make_unique<rtc::Network>("lo", "loopback", loopback, 8, rtc::ADAPTER_TYPE_LOOPBACK);
    lo->AddIP(loopback);
    std::vector<std::unique_ptr<rtc::Network>> list;
    list.push_back(std::move(lo));
    bool changed = false;
    MergeNetworkList(std::move(list), &changed);
  }
  // The interface contract: SignalNetworksChanged follows every StartUpdating.
  SignalNetworksChanged();
}

namespace {

// A UDP socket that forwards to libwebrtc's own socket while the gate is open and drops while it is
// closed. A dropped send still reports the packet as sent, as a datagram lost on the wire would be.
class GatedUdpSocket : public rtc::AsyncPacketSocket {
 public:
  GatedUdpSocket(std::unique_ptr<rtc::AsyncPacketSocket> inner, PathGate& gate) : inner_(std::move(inner)), gate_(gate) {
    inner_->SignalReadPacket.connect(this, &GatedUdpSocket::OnReadPacket);
    inner_->SignalSentPacket.connect(this, &GatedUdpSocket::OnSentPacket);
    inner_->SignalReadyToSend.connect(this, &GatedUdpSocket::OnReadyToSend);
    inner_->SignalAddressReady.connect(this, &GatedUdpSocket::OnAddressReady);
    inner_->SubscribeClose(this, [this](rtc::AsyncPacketSocket*, int error) { SignalClose(this, error); });
  }
  ~GatedUdpSocket() override { inner_->UnsubscribeClose(this); }

  rtc::SocketAddress GetLocalAddress() const override { return inner_->GetLocalAddress(); }
  rtc::SocketAddress GetRemoteAddress() const override { return inner_->GetRemoteAddress(); }
  int Send(const void* data, size_t size, const rtc::PacketOptions& options) override {
    if (Dropping(options, size)) return static_cast<int>(size);
    return inner_->Send(data, size, options);
  }
  int SendTo(const void* data, size_t size, const rtc::SocketAddress& to, const rtc::PacketOptions& options) override {
    if (Dropping(options, size)) return static_cast<int>(size);
    return inner_->SendTo(data, size, to, options);
  }
  int Close() override { return inner_->Close(); }
  State GetState() const override { return inner_->GetState(); }
  int GetOption(rtc::Socket::Option option, int* value) override { return inner_->GetOption(option, value); }
  int SetOption(rtc::Socket::Option option, int value) override { return inner_->SetOption(option, value); }
  int GetError() const override { return inner_->GetError(); }
  void SetError(int error) override { inner_->SetError(error); }

 private:
  bool Dropping(const rtc::PacketOptions& options, size_t size) {
    if (!gate_.blocked.load()) {
      ++gate_.passed;
      return false;
    }
    ++gate_.dropped;
    rtc::SentPacket sent(options.packet_id, rtc::TimeMillis(), options.info_signaled_after_sent);
    rtc::CopySocketInformationToPacketInfo(size, *this, true, &sent.info);
    SignalSentPacket(this, sent);
    return true;
  }
  void OnReadPacket(rtc::AsyncPacketSocket*, const char* data, size_t size, const rtc::SocketAddress& from,
                    const int64_t& packet_time_us) {
    if (gate_.blocked.load()) {
      ++gate_.dropped;
      return;
    }
    SignalReadPacket(this, data, size, from, packet_time_us);
  }
  void OnSentPacket(rtc::AsyncPacketSocket*, const rtc::SentPacket& sent) { SignalSentPacket(this, sent); }
  void OnReadyToSend(rtc::AsyncPacketSocket*) { SignalReadyToSend(this); }
  void OnAddressReady(rtc::AsyncPacketSocket*, const rtc::SocketAddress& address) { SignalAddressReady(this, address); }

  std::unique_ptr<rtc::AsyncPacketSocket> inner_;
  PathGate& gate_;
};

}  // namespace

rtc::AsyncPacketSocket* GatedPacketSocketFactory::CreateUdpSocket(const rtc::SocketAddress& address,
                                                                  uint16_t min_port, uint16_t max_port) {
  rtc::AsyncPacketSocket* inner = base_.CreateUdpSocket(address, min_port, max_port);
  if (!inner) return nullptr;
  return new GatedUdpSocket(std::unique_ptr<rtc::AsyncPacketSocket>(inner), gate_);
}

}  // namespace connstate::libwebrtc

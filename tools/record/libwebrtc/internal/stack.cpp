// stack.cpp — the threads and PeerConnectionFactory of one native libwebrtc stack (see stack.h).
#include "stack.h"

#include <stdexcept>

#include "api/audio_codecs/builtin_audio_decoder_factory.h"
#include "api/audio_codecs/builtin_audio_encoder_factory.h"
#include "api/create_peerconnection_factory.h"
#include "api/video_codecs/builtin_video_decoder_factory.h"
#include "api/video_codecs/builtin_video_encoder_factory.h"

namespace connstate::libwebrtc {

Stack::Stack(bool signaling_on_network_thread) {
  network_ = rtc::Thread::CreateWithSocketServer();
  network_->SetName("network", nullptr);
  worker_ = rtc::Thread::Create();
  worker_->SetName("worker", nullptr);
  if (!signaling_on_network_thread) {
    signaling_ = rtc::Thread::Create();
    signaling_->SetName("signaling", nullptr);
  }
  if (!network_->Start() || !worker_->Start() || (signaling_ && !signaling_->Start()))
    throw std::runtime_error("cannot start libwebrtc's threads");
  factory_ = webrtc::CreatePeerConnectionFactory(
      network_.get(), worker_.get(), signaling(), /*default_adm=*/nullptr,
      webrtc::CreateBuiltinAudioEncoderFactory(), webrtc::CreateBuiltinAudioDecoderFactory(),
      webrtc::CreateBuiltinVideoEncoderFactory(), webrtc::CreateBuiltinVideoDecoderFactory(),
      /*audio_mixer=*/nullptr, /*audio_processing=*/nullptr);
  if (!factory_) throw std::runtime_error("CreatePeerConnectionFactory failed");
  webrtc::PeerConnectionFactoryInterface::Options options;
  options.network_ignore_mask = 0;
  factory_->SetOptions(options);
}

Stack::~Stack() {
  factory_ = nullptr;
  if (signaling_) signaling_->Stop();
  worker_->Stop();
  network_->Stop();
}

}  // namespace connstate::libwebrtc

// stack.h — one native libwebrtc stack as an application embeds it: its three threads and a
// PeerConnectionFactory, shared by the native libwebrtc recorder and the oracle adapter.
//
// libwebrtc runs everything on three threads: the *network* thread (sockets, ICE, DTLS, SCTP and the
// JsepTransportController that aggregates transport states), the *worker* thread (media), and the
// *signaling* thread (the PeerConnection, its observer callbacks and the public API behind the proxies).
// The factory gets the builtin audio and video codecs and no audio device (the media engine then uses
// libwebrtc's dummy audio device: WEBRTC_DUMMY_AUDIO_BUILD), and `network_ignore_mask = 0` so that
// loopback networks are not ignored (libwebrtc ignores them by default).
#pragma once

#include <memory>

#include "api/peer_connection_interface.h"
#include "api/scoped_refptr.h"
#include "rtc_base/thread.h"

namespace connstate::libwebrtc {

class Stack {
 public:
  // `signaling_on_network_thread`: one thread serves as both network and signaling thread (the
  // adapter uses this so that a step's network-thread work and the signaling tasks it posts run in one
  // well-defined order); otherwise three threads, as applications run libwebrtc.
  explicit Stack(bool signaling_on_network_thread = false);
  ~Stack();
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;

  rtc::Thread* network() { return network_.get(); }
  rtc::Thread* worker() { return worker_.get(); }
  rtc::Thread* signaling() { return signaling_ ? signaling_.get() : network_.get(); }
  webrtc::PeerConnectionFactoryInterface* factory() { return factory_.get(); }

  // Runs `task` on the thread and returns when it has run (tasks posted before it have run too).
  template <typename Task>
  auto on(rtc::Thread* thread, Task&& task) {
    return thread->BlockingCall(std::forward<Task>(task));
  }

 private:
  std::unique_ptr<rtc::Thread> network_, worker_, signaling_;
  rtc::scoped_refptr<webrtc::PeerConnectionFactoryInterface> factory_;
};

}  // namespace connstate::libwebrtc

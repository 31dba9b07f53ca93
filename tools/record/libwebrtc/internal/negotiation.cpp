// negotiation.cpp — blocking offer/answer helpers (see negotiation.h).
#include "negotiation.h"

#include <future>
#include <memory>
#include <mutex>

#include "api/set_local_description_observer_interface.h"
#include "api/set_remote_description_observer_interface.h"

namespace connstate::libwebrtc {
namespace {

// The outcome of one asynchronous libwebrtc operation: an error text, empty on success, and a value.
class Outcome {
 public:
  void finish(std::string error, std::string value = "") {
    std::lock_guard<std::mutex> lock(mutex_);
    if (finished_) return;
    finished_ = true;
    promise_.set_value({std::move(error), std::move(value)});
  }
  std::pair<std::string, std::string> wait() { return future_.get(); }

 private:
  std::mutex mutex_;
  bool finished_ = false;
  std::promise<std::pair<std::string, std::string>> promise_;
  std::future<std::pair<std::string, std::string>> future_ = promise_.get_future();
};

class CreateObserver : public webrtc::CreateSessionDescriptionObserver {
 public:
  void OnSuccess(webrtc::SessionDescriptionInterface* desc) override {
    std::unique_ptr<webrtc::SessionDescriptionInterface> owned(desc);
    std::string sdp;
    owned->ToString(&sdp);
    outcome.finish("", sdp);
  }
  void OnFailure(webrtc::RTCError error) override { outcome.finish(error.message()); }
  Outcome outcome;
};

class SetLocalObserver : public webrtc::SetLocalDescriptionObserverInterface {
 public:
  void OnSetLocalDescriptionComplete(webrtc::RTCError error) override { outcome.finish(error.ok() ? "" : error.message()); }
  Outcome outcome;
};

class SetRemoteObserver : public webrtc::SetRemoteDescriptionObserverInterface {
 public:
  void OnSetRemoteDescriptionComplete(webrtc::RTCError error) override {
    outcome.finish(error.ok() ? "" : error.message());
  }
  Outcome outcome;
};

}  // namespace

std::string create_description(webrtc::PeerConnectionInterface& pc, bool offer,
                               const webrtc::PeerConnectionInterface::RTCOfferAnswerOptions& options,
                               std::string& error) {
  auto observer = rtc::make_ref_counted<CreateObserver>();
  if (offer) pc.CreateOffer(observer.get(), options);
  else pc.CreateAnswer(observer.get(), options);
  auto [failure, sdp] = observer->outcome.wait();
  if (!failure.empty()) error = (offer ? "createOffer: " : "createAnswer: ") + failure;
  return failure.empty() ? sdp : std::string();
}

namespace {

// Parses `sdp`, hands it to `apply` with an observer of type Observer, and waits for the outcome.
template <typename Observer, typename Apply>
bool set_description(webrtc::SdpType type, const std::string& sdp, const char* what, std::string& error, Apply apply) {
  std::unique_ptr<webrtc::SessionDescriptionInterface> desc = webrtc::CreateSessionDescription(type, sdp);
  if (!desc) {
    error = std::string(what) + ": libwebrtc cannot parse the description";
    return false;
  }
  auto observer = rtc::make_ref_counted<Observer>();
  apply(std::move(desc), observer);
  const std::string failure = observer->outcome.wait().first;
  if (!failure.empty()) error = std::string(what) + ": " + failure;
  return failure.empty();
}

}  // namespace

bool set_local_description(webrtc::PeerConnectionInterface& pc, webrtc::SdpType type, const std::string& sdp,
                           std::string& error) {
  return set_description<SetLocalObserver>(type, sdp, "setLocalDescription", error, [&](auto desc, auto observer) {
    pc.SetLocalDescription(std::move(desc), observer);
  });
}

bool set_remote_description(webrtc::PeerConnectionInterface& pc, webrtc::SdpType type, const std::string& sdp,
                            std::string& error) {
  return set_description<SetRemoteObserver>(type, sdp, "setRemoteDescription", error, [&](auto desc, auto observer) {
    pc.SetRemoteDescription(std::move(desc), observer);
  });
}

}  // namespace connstate::libwebrtc

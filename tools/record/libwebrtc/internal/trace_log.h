// trace_log.h — the native libwebrtc recorder's trace writer: format-1 lines (docs/trace-format.md)
// from any thread, in the order they are logged.
//
// libwebrtc calls the recorder on its network thread (ICE, DTLS and SCTP transports) and on its
// signaling thread (PeerConnectionObserver), and the scenario runs on the main thread. Every line is
// stamped and written under one lock, so `t_ms` never decreases and the file order is the order in
// which the callbacks reached the recorder. After `silence()` lines are dropped: the peers are torn
// down after the recording's end marker without being recorded.
#pragma once

#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>

namespace connstate::libwebrtc {

class TraceLog {
 public:
  explicit TraceLog(std::FILE* out) : out_(out) {}

  // `fields`: the JSON members after t_ms, starting with a comma (`,"pc":"a",...`).
  void line(const std::string& fields) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!out_) return;
    const double t_ms = std::chrono::duration<double, std::milli>(Clock::now() - start_).count();
    std::fprintf(out_, "{\"t_ms\":%.3f%s}\n", t_ms, fields.c_str());
    std::fflush(out_);
  }
  void raw(const std::string& text) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!out_) return;
    std::fputs(text.c_str(), out_);
    std::fflush(out_);
  }
  void silence() {
    std::lock_guard<std::mutex> lock(mutex_);
    out_ = nullptr;
  }

 private:
  using Clock = std::chrono::steady_clock;
  std::mutex mutex_;
  std::FILE* out_;
  const Clock::time_point start_ = Clock::now();
};

}  // namespace connstate::libwebrtc

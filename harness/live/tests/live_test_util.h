// live_test_util.h — running `connstate live` as a child process in the live server's tests: start it,
// read its URL line, see its peak memory, stop it with SIGTERM and collect its output and exit code.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "test_util.h"

namespace connstate::test {

inline const std::string kLiveClient = kBinaryDir + "/tests/connstate-live-client";

class LiveServerProcess {
 public:
  // Starts `connstate live --listen 127.0.0.1:0 ARGS` with its output going to files in `dir`.
  LiveServerProcess(const TempDir& dir, const std::string& args) : out_(dir.str() + "/server.out"), err_(dir.str() + "/server.err") {
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      const std::string cmd = "exec " + kCli + " live --listen 127.0.0.1:0 " + args + " > " + out_ + " 2> " + err_;
      execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    // The URL line comes first; give it up to 20 s (a loaded machine).
    for (int i = 0; i < 400 && url_.empty(); ++i) {
      std::ifstream in(out_);
      std::string line;
      if (std::getline(in, line) && !in.eof()) first_line_ = line;
      else if (exited()) break;
      if (!first_line_.empty()) {
        const auto at = first_line_.find("http://");
        if (at != std::string::npos) url_ = first_line_.substr(at);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (url_.empty()) {
      stop();
      throw std::runtime_error("connstate live printed no URL line: " + read_text(out_) + read_text(err_));
    }
  }
  ~LiveServerProcess() { stop(); }

  const std::string& url() const { return url_; }
  const std::string& first_line() const { return first_line_; }
  std::string port() const {
    const auto colon = url_.rfind(':');
    return url_.substr(colon + 1, url_.find('/', colon) - colon - 1);
  }
  std::string token() const { return url_.substr(url_.find("token=") + 6); }
  pid_t pid() const { return pid_; }
  bool running() { return !exited(); }

  // Peak resident memory (VmHWM of /proc/PID/status), in KiB; 0 when it cannot be read.
  long peak_rss_kib() const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(in, line))
      if (line.starts_with("VmHWM:")) return std::stol(line.substr(6));
    return 0;
  }

  // SIGTERM, then up to 20 s for it to end (SIGKILL after); returns its exit code (-1: killed).
  int stop() {
    if (pid_ <= 0) return status_;
    if (!exited()) {
      kill(pid_, SIGTERM);
      for (int i = 0; i < 400 && !exited(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (!exited()) {
        kill(pid_, SIGKILL);
        int st = 0;
        waitpid(pid_, &st, 0);
        status_ = -1;
      }
    }
    pid_ = 0;
    return status_;
  }
  std::string output() const { return read_text(out_); }
  std::string errors() const { return read_text(err_); }

 private:
  bool exited() {
    if (pid_ <= 0) return true;
    if (reaped_) return true;
    int st = 0;
    if (waitpid(pid_, &st, WNOHANG) == pid_) {
      reaped_ = true;
      status_ = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
      return true;
    }
    return false;
  }

  std::string out_, err_, url_, first_line_;
  pid_t pid_ = 0;
  bool reaped_ = false;
  int status_ = -1;
};

// Runs the client tool and parses the one JSON object it prints.
inline boost::json::object run_client(const std::string& args) {
  const auto r = run_command("timeout 300 " + kLiveClient + " " + args);
  const auto brace = r.out.rfind("\n{");
  const std::string last = brace == std::string::npos ? r.out : r.out.substr(brace + 1);
  boost::system::error_code ec;
  auto v = boost::json::parse(last, ec);
  if (ec || !v.is_object()) throw std::runtime_error("connstate-live-client " + args + ": " + r.out);
  return v.as_object();
}

}  // namespace connstate::test

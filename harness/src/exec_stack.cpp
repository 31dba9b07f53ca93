// exec_stack.cpp — `exec:<command line>`: a protocol-1 adapter in another process.
//
// The command line runs as `/bin/sh -c LINE`, exactly as written (environment
// assignments, `cd DIR && …`, quoting and $VARS all work), in a process group of its
// own so that killing the group stops the shell's children too; its
// stdin/stdout/stderr are on pipes driven asynchronously by Boost.Asio on one
// thread: requests are pipelined within a bounded in-flight window, every answer
// must come within the per-request deadline, the whole run within the run deadline,
// stderr is drained all the time (its tail goes into the report), and a response
// line longer than max_line_bytes is an error. Whatever the adapter does (crash,
// hang, exit, garbage, wrong or out-of-order ids, huge lines, a flood on stderr),
// the case being answered gets `error` with the evidence, the adapter is restarted
// for the remaining cases (at most max_restarts times), and the run goes on.
#include <signal.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/process.hpp>
#include <boost/process/extend.hpp>
#include <chrono>
#include <deque>
#include <thread>

#include "connstate/harness/protocol.h"
#include "connstate/harness/stack.h"

namespace connstate::harness {
namespace {

namespace asio = boost::asio;
namespace bp = boost::process;
using clock = std::chrono::steady_clock;

constexpr std::size_t kStderrTail = 8192;
constexpr std::size_t kStderrLinesShown = 20;

// One running adapter process and the pipes to it.
class AdapterProcess {
 public:
  enum class Failure { None, Timeout, Exited, LineTooLong, WriteFailed };

  AdapterProcess(const std::string& command_line, const StackOptions& o) : options_(o) {
    std::error_code ec;
    // A group of its own: a hang or a restart kills the shell and everything it started.
    child_ = bp::child("/bin/sh", "-c", command_line, bp::std_in < in_, bp::std_out > out_, bp::std_err > err_, io_,
                       bp::extend::on_exec_setup = [](auto&) { ::setpgid(0, 0); }, ec);
    if (ec) throw StackError("cannot start adapter '" + command_line + "': " + ec.message());
    group_ = child_.id();
    out_buf_ = std::make_unique<asio::streambuf>(o.max_line_bytes + 1);
    read_stderr();
  }
  ~AdapterProcess() { kill(); }

  // Sends every request (pipelined within the window) and collects one response line
  // per request, in order, until all are answered or something fails. Each answer must
  // come within `timeout_ms` of the one before (of the start, for the first).
  Failure exchange(const std::vector<std::string>& requests, std::vector<std::string>& responses,
                   clock::time_point run_deadline, int timeout_ms) {
    responses.clear();
    failure_ = Failure::None;
    std::size_t next = 0;
    bool writing = false;
    bool done = requests.empty();
    std::string write_buf;
    asio::steady_timer timer(io_);
    std::uint64_t generation = 0;

    auto arm = [&]() {
      const std::uint64_t g = ++generation;
      timer.expires_after(std::chrono::milliseconds(timeout_ms));
      timer.async_wait([&, g](const boost::system::error_code& ec) {
        if (!ec && g == generation && !done && failure_ == Failure::None) failure_ = Failure::Timeout;
      });
    };
    std::function<void()> pump = [&]() {
      if (writing || failure_ != Failure::None || next >= requests.size()) return;
      const std::size_t limit = std::min(requests.size(), responses.size() + options_.window);
      if (next >= limit) return;
      write_buf.clear();
      while (next < limit) write_buf += requests[next++];
      writing = true;
      asio::async_write(in_, asio::buffer(write_buf), [&](const boost::system::error_code& ec, std::size_t) {
        writing = false;
        if (ec) {
          if (failure_ == Failure::None) failure_ = Failure::WriteFailed;
          return;
        }
        pump();
      });
    };
    std::function<void()> read_line = [&]() {
      asio::async_read_until(out_, *out_buf_, '\n', [&](const boost::system::error_code& ec, std::size_t n) {
        if (ec) {
          if (failure_ == Failure::None)
            failure_ = ec == asio::error::not_found ? Failure::LineTooLong : Failure::Exited;
          return;
        }
        std::string line(asio::buffers_begin(out_buf_->data()), asio::buffers_begin(out_buf_->data()) + n - 1);
        out_buf_->consume(n);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        responses.push_back(std::move(line));
        if (responses.size() == requests.size()) {
          done = true;
          timer.cancel();
          return;
        }
        arm();
        pump();
        read_line();
      });
    };
    if (!done) {
      arm();
      pump();
      read_line();
    }
    while (!done && failure_ == Failure::None) {
      if (clock::now() >= run_deadline) {
        failure_ = Failure::Timeout;
        break;
      }
      io_.run_one_for(std::chrono::milliseconds(50));
    }
    if (failure_ != Failure::None) {
      kill();  // closes the pipes: every pending operation completes with an error
    }
    timer.cancel();
    // Let the cancelled operations finish before their captured locals go away.
    while (writing || !io_.stopped()) {
      if (io_.poll() == 0) break;
    }
    if (failure_ != Failure::None) io_.run_for(std::chrono::milliseconds(200));
    return failure_;
  }

  void kill() {
    if (killed_) return;
    killed_ = true;
    std::error_code ec;
    // Give an adapter that is exiting on its own a moment, so its real exit status is known.
    for (int i = 0; i < 20 && child_.valid() && child_.running(ec); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (child_.valid() && child_.running(ec)) stopped_by_harness_ = true;
    // The whole group, also when the shell itself has exited: what it started must not outlive it.
    if (group_ > 0) ::kill(-group_, SIGKILL);
    if (child_.valid()) child_.wait(ec);
    boost::system::error_code bec;
    in_.close(bec);
    out_.close(bec);
    // Drain what stderr still holds (the last lines are the useful ones).
    io_.run_for(std::chrono::milliseconds(100));
    err_.close(bec);
    io_.poll();
  }

  std::string exit_description() {
    std::error_code ec;
    if (!child_.valid()) return "";
    if (stopped_by_harness_) return "was stopped by the harness";
    if (child_.running(ec)) return "still running";
    const int native = child_.native_exit_code();
    if (WIFSIGNALED(native)) return "killed by signal " + std::to_string(WTERMSIG(native));
    const int status = WEXITSTATUS(native);
    if (status > 128 && status < 128 + 65)  // how /bin/sh reports a command that a signal killed
      return "exited with status " + std::to_string(status) + " (its command was killed by signal " +
             std::to_string(status - 128) + ")";
    return "exited with status " + std::to_string(status);
  }

  const std::string& stderr_tail() const { return stderr_; }
  std::size_t stderr_bytes() const { return stderr_total_; }

 private:
  void read_stderr() {
    err_.async_read_some(asio::buffer(err_chunk_), [this](const boost::system::error_code& ec, std::size_t n) {
      if (n) {
        stderr_.append(err_chunk_.data(), n);
        stderr_total_ += n;
        if (stderr_.size() > 2 * kStderrTail) stderr_.erase(0, stderr_.size() - kStderrTail);
      }
      if (!ec) read_stderr();
    });
  }

  StackOptions options_;
  asio::io_context io_;
  bp::async_pipe in_{io_}, out_{io_}, err_{io_};
  bp::child child_;
  pid_t group_ = 0;
  std::unique_ptr<asio::streambuf> out_buf_;
  std::array<char, 4096> err_chunk_{};
  std::string stderr_;
  std::size_t stderr_total_ = 0;
  Failure failure_ = Failure::None;
  bool killed_ = false;
  bool stopped_by_harness_ = false;
};

// The last `lines` lines of `text`, each indented as a quotation ("    | …").
std::string quoted_tail(const std::string& text, std::size_t lines) {
  std::size_t end = text.size();
  while (end && (text[end - 1] == '\n' || text[end - 1] == '\r')) --end;
  std::size_t pos = end;
  for (std::size_t n = 0; pos > 0; --pos) {
    if (text[pos - 1] == '\n' && ++n == lines) break;
  }
  std::string tail = text.substr(pos, end - pos);
  if (tail.size() > 3000) tail = "…" + tail.substr(tail.size() - 3000);
  std::string out;
  std::size_t start = 0;
  while (start <= tail.size()) {
    const std::size_t nl = tail.find('\n', start);
    const std::string line = tail.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    out += "    | " + line + "\n";
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return out;
}

class ExecStack final : public StackUnderTest {
 public:
  ExecStack(std::string command_line, StackOptions o) : command_(std::move(command_line)), options_(o) {
    info_.sut = "exec:" + command_;
    start_ = clock::now();
    std::string why, evidence;
    if (!spawn(why, evidence)) throw StackError(why, evidence);
  }
  ~ExecStack() override {
    if (proc_) {
      std::vector<std::string> responses;
      proc_->exchange({protocol::bye_request(next_id_++)}, responses, clock::now() + std::chrono::seconds(1), 1000);
      proc_->kill();
    }
  }

  const StackInfo& info() const override { return info_; }
  bool gave_up() const override { return gave_up_; }

  std::string diagnostics() override {
    std::string d = collected_stderr_;
    if (proc_) d += proc_->stderr_tail();
    if (d.size() > 6000) d = "…" + d.substr(d.size() - 6000);
    if (restarts_) d = "adapter restarted " + std::to_string(restarts_) + " time(s)\n" + d;
    return d;
  }

  void evaluate(std::span<const Case* const> cases, std::span<SnapshotAnswer> answers) override {
    std::size_t i = 0;
    std::vector<std::string> requests, responses;
    while (i < cases.size()) {
      if (!ready(answers, i, cases.size())) return;
      requests.clear();
      const std::int64_t first_id = next_id_;
      for (std::size_t k = i; k < cases.size(); ++k) requests.push_back(protocol::evaluate_request(next_id_++, *cases[k]));
      const auto failure = proc_->exchange(requests, responses, run_deadline(), options_.request_timeout_ms);
      bool lost = false;
      for (std::size_t k = 0; k < responses.size(); ++k) {
        try {
          answers[i + k] = protocol::parse_evaluate_response(responses[k], first_id + static_cast<std::int64_t>(k));
        } catch (const protocol::ProtocolError& e) {
          answers[i + k] = lost_conversation(e, requests[k]);
          i += k + 1;
          lost = true;
          break;
        }
      }
      if (lost) continue;
      i += responses.size();
      if (failure != AdapterProcess::Failure::None) {
        answers[i] = failed_answer(describe(failure, requests[responses.size()]));
        ++i;
        restart();
      }
    }
  }

  SequenceAnswer run_sequence(const Case& c) override {
    SequenceAnswer a;
    if (gave_up_ || (!proc_ && !respawn())) {
      a.status = AnswerStatus::Error;
      a.message = gave_up_message();
      return a;
    }
    std::vector<std::string> requests, responses;
    const std::int64_t first_id = next_id_;
    requests.push_back(protocol::reset_request(next_id_++, c.options));
    for (const auto& s : c.steps) requests.push_back(protocol::step_request(next_id_++, s));
    const auto failure = proc_->exchange(requests, responses, run_deadline(), options_.request_timeout_ms);
    // Every answer that arrived is read, even after one that declined or broke the protocol in
    // a value: the adapter answered each request in turn, so it is still in step with the harness.
    for (std::size_t k = 0; k < responses.size(); ++k) {
      const std::int64_t id = first_id + static_cast<std::int64_t>(k);
      try {
        if (k == 0) {
          const SnapshotAnswer reset = protocol::parse_reset_response(responses[0], id);
          if (reset.status != AnswerStatus::Ok && a.status == AnswerStatus::Ok) {
            a.status = reset.status;
            a.message = "reset: " + reset.message;
            a.evidence = reset.evidence;
          }
          continue;
        }
        const auto step = protocol::parse_step_response(responses[k], id, c.transport_names);
        if (a.status != AnswerStatus::Ok) continue;
        if (step.status != AnswerStatus::Ok) {
          a.status = step.status;
          a.message = "step " + std::to_string(k - 1) + " (" + step_text(c.steps[k - 1]) + "): " + step.message;
          a.evidence = step.evidence;
          continue;
        }
        a.steps.push_back(step.outcome);
      } catch (const protocol::ProtocolError& e) {
        const SnapshotAnswer lost = lost_conversation(e, requests[k]);
        a.status = AnswerStatus::Error;
        a.message = lost.message;
        a.evidence = lost.evidence;
        return a;
      }
    }
    if (failure != AdapterProcess::Failure::None) {
      const SnapshotAnswer e = failed_answer(describe(failure, requests[responses.size()]));
      if (a.status != AnswerStatus::Error) {
        a.status = AnswerStatus::Error;
        a.message = e.message;
        a.evidence = e.evidence;
      }
      restart();
    }
    return a;
  }

 private:
  clock::time_point run_deadline() const {
    return options_.run_timeout_s > 0 ? start_ + std::chrono::seconds(options_.run_timeout_s) : clock::time_point::max();
  }

  bool spawn(std::string& why, std::string& evidence_text) {
    try {
      proc_ = std::make_unique<AdapterProcess>(command_, options_);
      std::vector<std::string> responses;
      const std::int64_t id = next_id_++;
      const std::string hello = protocol::hello_request(id);
      // An adapter may take a while to start its stack: hello has its own, longer deadline.
      const auto failure = proc_->exchange({hello}, responses, run_deadline(), options_.start_timeout_ms);
      if (failure != AdapterProcess::Failure::None || responses.empty()) {
        why = "the adapter did not answer hello: " + describe(failure, hello, options_.start_timeout_ms);
        proc_->kill();
        evidence_text = evidence();
        proc_.reset();
        return false;
      }
      const protocol::Hello h = protocol::parse_hello(responses[0], id);
      info_.name = h.name;
      info_.version = h.version;
      info_.homepage = h.homepage;
      info_.issues = h.issues;
      info_.supports_evaluate = h.evaluate;
      info_.supports_sequence = h.sequence;
      return true;
    } catch (const protocol::ProtocolError& e) {
      why = std::string("the adapter answered hello wrongly: ") + e.what();
    } catch (const StackError& e) {
      why = e.what();
    }
    if (proc_) {
      proc_->kill();
      evidence_text = evidence();
    }
    proc_.reset();
    return false;
  }

  bool respawn() {
    if (gave_up_) return false;
    while (restarts_ < options_.max_restarts) {
      ++restarts_;
      std::string why, evidence_text;
      if (spawn(why, evidence_text)) return true;
      collected_stderr_ += "[restart " + std::to_string(restarts_) + " failed: " + why + "]\n" + evidence_text;
    }
    gave_up_ = true;
    return false;
  }

  void restart() {
    if (proc_) {
      proc_->kill();
      collected_stderr_ += proc_->stderr_tail();
      if (collected_stderr_.size() > 16384) collected_stderr_.erase(0, collected_stderr_.size() - 8192);
      proc_.reset();
    }
    if (restarts_ >= options_.max_restarts) gave_up_ = true;
  }

  // Makes sure an adapter is running; if none can be, fails the remaining cases.
  bool ready(std::span<SnapshotAnswer> answers, std::size_t from, std::size_t to) {
    if (!gave_up_ && (proc_ || respawn())) return true;
    for (std::size_t k = from; k < to; ++k) {
      answers[k].status = AnswerStatus::Error;
      answers[k].message = gave_up_message();
    }
    return false;
  }

  std::string gave_up_message() const {
    return "the adapter was given up on after " + std::to_string(restarts_) + " restart(s)";
  }

  std::string describe(AdapterProcess::Failure f, const std::string& request, int timeout_ms = 0) const {
    const std::string what = protocol::describe_request(request);
    switch (f) {
      case AdapterProcess::Failure::Timeout:
        if (clock::now() >= run_deadline())
          return "the run deadline (" + std::to_string(options_.run_timeout_s) + " s) passed waiting for the answer to " +
                 what;
        return "no answer to " + what + " within " +
               std::to_string(timeout_ms ? timeout_ms : options_.request_timeout_ms) + " ms (the adapter hangs)";
      case AdapterProcess::Failure::Exited:
        return "the adapter closed its stdout (exited or crashed) before answering " + what;
      case AdapterProcess::Failure::LineTooLong:
        return "the answer to " + what + " is longer than " + std::to_string(options_.max_line_bytes) + " bytes";
      case AdapterProcess::Failure::WriteFailed:
        return "cannot write " + what + " to the adapter (it exited)";
      case AdapterProcess::Failure::None: return "no answer to " + what;
    }
    return "";
  }

  // The adapter's exit and its last stderr lines, one fact per line, for the report.
  std::string evidence() const {
    if (!proc_) return "";
    std::string e;
    const std::string exit = proc_->exit_description();
    if (!exit.empty() && exit != "still running") e += "adapter " + exit + "\n";
    if (!proc_->stderr_tail().empty())
      e += "adapter stderr (last " + std::to_string(kStderrLinesShown) + " lines):\n" +
           quoted_tail(proc_->stderr_tail(), kStderrLinesShown);
    while (!e.empty() && e.back() == '\n') e.pop_back();
    return e;
  }

  // An answer after which the harness cannot tell what answers what: error, and a new adapter.
  SnapshotAnswer lost_conversation(const protocol::ProtocolError& e, const std::string& request) {
    SnapshotAnswer a = failed_answer(std::string(protocol::kBrokeProtocol) + e.what() + " (answering " +
                                     protocol::describe_request(request) + "); the adapter is restarted");
    restart();
    return a;
  }

  SnapshotAnswer failed_answer(const std::string& message) {
    SnapshotAnswer a;
    a.status = AnswerStatus::Error;
    if (proc_) proc_->kill();  // so that the exit status and the last stderr are known
    a.message = message;
    a.evidence = evidence();
    return a;
  }

  std::string command_;
  StackOptions options_;
  StackInfo info_;
  std::unique_ptr<AdapterProcess> proc_;
  std::int64_t next_id_ = 1;
  int restarts_ = 0;
  bool gave_up_ = false;
  clock::time_point start_;
  std::string collected_stderr_;
};

}  // namespace

std::unique_ptr<StackUnderTest> make_exec_stack(const std::string& command_line, const StackOptions& options) {
  return std::make_unique<ExecStack>(command_line, options);
}

}  // namespace connstate::harness

// line_reader.h — fast line-by-line reading of a FILE* (stdin, traces) in constant memory.
//
// Reads with read(2), so a line is returned as soon as it has arrived on a pipe.
#pragma once

#include <cstdio>
#include <functional>
#include <string>
#include <string_view>

namespace connstate::harness {

class LineReader {
 public:
  // Lines longer than max_line are cut there (the rest is skipped) and flagged by truncated().
  explicit LineReader(std::FILE* f, std::size_t max_line = 64u << 20) : f_(f), max_line_(max_line) { buf_.resize(1 << 16); }

  bool next(std::string_view& line);
  // Called before a read that may block (a pipe with nothing buffered): a protocol
  // server flushes its answers here so a pipelining client never waits on it.
  void on_refill(std::function<void()> f) { on_refill_ = std::move(f); }
  std::size_t line_number() const { return line_no_; }
  bool truncated() const { return truncated_; }
  bool failed() const { return failed_; }

 private:
  bool fill();
  std::FILE* f_;
  std::function<void()> on_refill_;
  std::size_t max_line_;
  std::string buf_;
  std::string line_;
  std::size_t begin_ = 0, end_ = 0, line_no_ = 0;
  bool eof_ = false, truncated_ = false, failed_ = false;
};

}  // namespace connstate::harness

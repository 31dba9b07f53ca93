// line_reader.h — fast line-by-line reading of a FILE* (stdin, traces) in constant memory.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace connstate::harness {

class LineReader {
 public:
  // Lines longer than max_line are cut there (the rest is skipped) and flagged by truncated().
  explicit LineReader(std::FILE* f, std::size_t max_line = 64u << 20) : f_(f), max_line_(max_line) { buf_.resize(1 << 16); }

  bool next(std::string_view& line);
  std::size_t line_number() const { return line_no_; }
  bool truncated() const { return truncated_; }
  bool failed() const { return failed_; }

 private:
  bool fill();
  std::FILE* f_;
  std::size_t max_line_;
  std::string buf_;
  std::string line_;
  std::size_t begin_ = 0, end_ = 0, line_no_ = 0;
  bool eof_ = false, truncated_ = false, failed_ = false;
};

}  // namespace connstate::harness

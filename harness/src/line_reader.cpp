// line_reader.cpp — see line_reader.h.
#include "connstate/harness/line_reader.h"

#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace connstate::harness {

bool LineReader::fill() {
  if (eof_) return false;
  begin_ = 0;
  if (on_refill_) on_refill_();
  for (;;) {
    const ssize_t n = ::read(fileno(f_), buf_.data(), buf_.size());
    if (n > 0) {
      end_ = static_cast<std::size_t>(n);
      return true;
    }
    if (n < 0 && errno == EINTR) continue;
    end_ = 0;
    eof_ = true;
    failed_ = n < 0;
    return false;
  }
}

bool LineReader::next(std::string_view& line) {
  line_.clear();
  truncated_ = false;
  bool any = false;
  for (;;) {
    if (begin_ == end_ && !fill()) {
      if (!any) return false;
      break;
    }
    any = true;
    const char* start = buf_.data() + begin_;
    const void* nl = std::memchr(start, '\n', end_ - begin_);
    const std::size_t n = nl ? static_cast<const char*>(nl) - start : end_ - begin_;
    if (line_.empty() && nl) {  // whole line inside the buffer: no copy
      begin_ += n + 1;
      ++line_no_;
      line = std::string_view(start, n);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      return true;
    }
    if (line_.size() < max_line_) line_.append(start, std::min(n, max_line_ - line_.size()));
    if (line_.size() >= max_line_ && n > 0) truncated_ = true;
    begin_ += n + (nl ? 1 : 0);
    if (nl) break;
  }
  ++line_no_;
  line = line_;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return true;
}

}  // namespace connstate::harness

// campaign_progress.h — what both campaign engines share: the stop flag the signal handler sets
// and the progress line on stderr.
#pragma once

#include <csignal>
#include <cstdio>
#include <string>

#include "connstate/fuzzing/campaign.h"

namespace connstate::fuzz::internal {

extern volatile std::sig_atomic_t g_stop;  // SIGINT/SIGTERM (stop_campaign_on_signals)

inline std::string whole_seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f", s);
  return buf;
}

inline void progress_line(const Campaign& c, double elapsed, const std::string& what) {
  if (!c.progress) return;
  if (c.tty)
    std::fprintf(stderr, "\r[%4s/%s s] %s   ", whole_seconds(elapsed).c_str(), whole_seconds(c.max_time).c_str(),
                 what.c_str());
  else
    std::fprintf(stderr, "[%s/%s s] %s\n", whole_seconds(elapsed).c_str(), whole_seconds(c.max_time).c_str(), what.c_str());
  std::fflush(stderr);
}

}  // namespace connstate::fuzz::internal

// webrtc_internals.h — converting a chrome://webrtc-internals dump into a format-1 trace.
//
// A dump is one JSON document: {"PeerConnections": {"<pid>-<lid>": {"updateLog": [...],
// "stats": {"<statsId>-<attribute>": {"statsType", "startTime", "endTime", "values"}}, …}},
// "UserAgent": "…", …}. pc events come from updateLog; transport states from the
// `iceState`/`dtlsState` series of `transport` stats, which are samples (about one a
// second): the trace says "transport_events": "sampled". docs/trace-format.md lists what
// a dump cannot give back.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace connstate::trace {

struct ImportSummary {
  std::size_t pcs = 0;
  std::size_t pc_events = 0;
  std::size_t transport_events = 0;
  std::vector<std::string> warnings;
};

// Returns the trace (JSON lines, header first). Throws harness::InputError (file:line:column)
// when the dump is not JSON or not shaped like a dump.
std::string import_webrtc_internals(std::string_view dump_text, const std::string& file_name,
                                    ImportSummary* summary = nullptr);

// Milliseconds since the Unix epoch of a dump time: a number (epoch ms), an ISO 8601 string
// ("2026-11-23T20:41:07.123Z", offsets allowed) or Chrome's en-US locale string
// ("11/23/2026, 8:41:07 PM", taken as UTC). Returns false when the text is none of these.
bool parse_dump_time(std::string_view text, double& epoch_ms);

}  // namespace connstate::trace

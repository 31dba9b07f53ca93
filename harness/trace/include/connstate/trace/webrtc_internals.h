// webrtc_internals.h — converting a chrome://webrtc-internals dump into a format-1 trace.
//
// A dump is the file the page's "Download the webrtc-internals dump" button saves: one JSON
// document {"PeerConnections": {"<rid>-<lid>": {"updateLog": [...], "stats": {...}, "url", …}},
// "UserAgent", …}, gzip-compressed when "Compress result" is ticked (the page's default). Each pc
// keeps its key as its name in the trace. Its pc events come from updateLog, in log order, with
// their logged times; its transports' states from the `iceState` / `dtlsState` series of its
// RTCTransportStats, which are polls (about one a second) written as `sample` lines of transport
// `<pc key>.<stats id>`. The trace says "transport_events": "sampled" and how far apart its times
// may be off ("time_uncertainty_ms"), so check-trace judges it as a partial trace.
//
// The shapes Chromium has written over the years are told apart by content (docs/webrtc-internals.md
// lists them); anything else is an InputError naming the place (file:line:column and JSON pointer).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace connstate::trace {

struct ImportSummary {
  std::size_t pcs = 0;
  std::size_t pc_events = 0;          // state events of the four pc attributes
  std::size_t log_entries = 0;        // every updateLog entry
  std::size_t transport_samples = 0;  // iceState/dtlsState samples written
  std::string shape;                  // which dump shape was read (docs/webrtc-internals.md)
  std::vector<std::string> warnings;
};

// The largest dump read (after decompression): larger ones are refused with an InputError.
inline constexpr std::size_t kMaxDumpBytes = std::size_t{1} << 30;

// Returns the trace (JSON lines, header first). `dump` is the file's bytes (gzip or not). Throws
// harness::InputError when the dump is not one, is damaged, or holds a value out of its domain.
std::string import_webrtc_internals(std::string_view dump, const std::string& file_name,
                                    ImportSummary* summary = nullptr);

// Whether a file's bytes are a webrtc-internals dump rather than a format-1 trace, by content:
// gzip data, an rtcstats dump, or a JSON document that is not a sequence of one-line objects, or
// whose first line holds "PeerConnections".
bool looks_like_dump(std::string_view bytes);

// Milliseconds since the Unix epoch of a dump time: a number (epoch ms), a number as text, an
// ISO 8601 string ("2026-11-23T20:41:07.123Z", offsets allowed) or a Chrome toLocaleString()
// text ("11/23/2026, 8:41:07 PM", "23.11.2026, 20:41:07", "2026/11/23 20:41:07"; wall-clock
// time without a zone, taken as UTC; numeric dates month first unless that cannot be).
// Returns false when the text is none of these.
bool parse_dump_time(std::string_view text, double& epoch_ms);

}  // namespace connstate::trace

// sequence_decoder.h — the one byte grammar every sequence fuzz target speaks.
//
// fuzz_model, fuzz_differential, `connstate fuzz` (its generator) and
// `connstate case-from-crash` all turn bytes into a peer-connection step sequence
// here and nowhere else, so a crash input always decodes to the same sequence.
// Header-only; depends on the reference library only.
//
// Grammar (docs/fuzzing.md repeats it with examples):
//
//   input  := header step*
//   header := 1 byte   bits 0-1  profile: 0 rec-2025, 1 rec-2021-amended, 2 rec-2021, 3 legacy-mdn
//                      bit  2    ModelOptions::rederive_on_set_change
//                      bit  3    ModelOptions::events_on_close
//                      bits 4-7  the transport permutation fuzz_model checks against (others ignore it)
//   step   := 1 byte   bits 0-2  transport t0..t7
//                      bits 3-7  code c (0..31):
//                        c  0..13  ice  t <RTCIceTransportState c % 7>   (IDL order: closed failed
//                                  disconnected new checking completed connected)
//                        c 14..23  dtls t <RTCDtlsTransportState (c-14) % 5>   (new connecting connected
//                                  closed failed)
//                        c 24..26  add t;  c 27 add t with sctp_only
//                        c 28..30  remove t
//                        c 31      close (the transport bits are ignored)
//   An empty input is rec-2025 with no options and no steps.
//
// Every decoded step is valid for the reference model (Applied, or IgnoredAfterClose), so
// every sequence is also a loadable case file:
//   * ice/dtls on a transport that is not in the set first adds it (an implicit `add`);
//   * add of a transport already in the set, and remove of one that is not, decode to nothing;
//   * after close, steps still decode (they must do nothing), except ice/dtls/remove on a
//     transport the sequence never added (a case file could not name it).
// At most kMaxSteps step bytes are read; the targets reject longer inputs (see their guards).
//
// Example: {0x00, 0xc0, 0x20, 0x30, 0x78, 0x80, 0xf8}
//   rec-2025; add t0; ice t0 checking; ice t0 connected; dtls t0 connecting; dtls t0 connected; close
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "connstate/peer_connection_model.h"

namespace connstate::fuzz {

inline constexpr std::size_t kFuzzTransports = 8;  // t0..t7
inline constexpr std::size_t kMaxSteps = 128;      // step bytes read; see the targets' budget guards
inline constexpr std::size_t kMaxInputSize = 1 + kMaxSteps;

struct Sequence {
  Profile profile = kDefaultProfile;
  ModelOptions options;
  std::uint8_t permutation = 0;            // header bits 4-7 (fuzz_model only)
  std::vector<Step> steps;                 // every one valid for the reference model
  std::vector<std::uint16_t> origin;       // per step: offset of the input byte it came from (an
                                           // implicit add shares the byte of its ice/dtls step)
  std::size_t step_bytes_ignored = 0;      // step bytes that decoded to nothing
  bool truncated = false;                  // more than kMaxSteps step bytes: the rest was not read

  // Transports (bit t = t<t>) that some step names.
  std::uint8_t transports_used() const {
    std::uint8_t used = 0;
    for (const Step& s : steps)
      if (s.kind != StepKind::Close) used = static_cast<std::uint8_t>(used | (1u << s.transport));
    return used;
  }
};

struct DecodeOptions {
  // Replaces the header's profile (the differential target fuzzes the one profile its stack claims).
  std::optional<Profile> profile;
};

// The affine map t -> (a*t + b) mod 8 that header bits 4-7 select; a and b odd, so it is a
// permutation and never the identity.
inline TransportId permute_transport(std::uint8_t permutation, TransportId t) {
  const unsigned a = 2u * (permutation & 3u) + 1u;
  const unsigned b = 2u * ((permutation >> 2) & 3u) + 1u;
  return static_cast<TransportId>((a * t + b) & 7u);
}

inline Sequence decode(std::span<const std::uint8_t> input, const DecodeOptions& options = {}) {
  Sequence seq;
  if (input.empty()) {
    if (options.profile) seq.profile = *options.profile;
    return seq;
  }
  const std::uint8_t header = input[0];
  seq.profile = static_cast<Profile>(header & 3u);
  if (options.profile) seq.profile = *options.profile;
  seq.options.rederive_on_set_change = (header >> 2) & 1u;
  seq.options.events_on_close = (header >> 3) & 1u;
  seq.permutation = static_cast<std::uint8_t>(header >> 4);

  std::size_t end = input.size();
  if (end > kMaxInputSize) {
    end = kMaxInputSize;
    seq.truncated = true;
  }
  std::uint8_t live = 0, ever = 0;
  bool closed = false;
  // A step byte gives at most two steps (an implicit add and the step): no regrowth while decoding.
  seq.steps.reserve(2 * (end - 1));
  seq.origin.reserve(2 * (end - 1));
  auto emit = [&](const Step& s, std::size_t at) {
    seq.steps.push_back(s);
    seq.origin.push_back(static_cast<std::uint16_t>(at));
  };
  for (std::size_t i = 1; i < end; ++i) {
    const std::uint8_t b = input[i];
    const auto t = static_cast<TransportId>(b & 7u);
    const unsigned code = b >> 3;
    const std::uint8_t bit = static_cast<std::uint8_t>(1u << t);
    Step s;
    if (code < 14) s = Step::ice(t, static_cast<IceTransportState>(code % 7));
    else if (code < 24) s = Step::dtls(t, static_cast<DtlsTransportState>((code - 14) % 5));
    else if (code < 28) s = Step::add(t, code == 27);
    else if (code < 31) s = Step::remove(t);
    else s = Step::close();

    if (closed) {
      // Everything after close() must do nothing; keep the steps a case file can name.
      if (s.kind == StepKind::Add) ever |= bit;
      if (s.kind == StepKind::Close || s.kind == StepKind::Add || (ever & bit)) emit(s, i);
      else ++seq.step_bytes_ignored;
      continue;
    }
    switch (s.kind) {
      case StepKind::Add:
        if (live & bit) {
          ++seq.step_bytes_ignored;
          continue;
        }
        live |= bit;
        ever |= bit;
        break;
      case StepKind::Ice:
      case StepKind::Dtls:
        if (!(live & bit)) {
          emit(Step::add(t), i);  // the implicit add
          live |= bit;
          ever |= bit;
        }
        break;
      case StepKind::Remove:
        if (!(live & bit)) {
          ++seq.step_bytes_ignored;
          continue;
        }
        live = static_cast<std::uint8_t>(live & ~bit);
        break;
      case StepKind::Close: closed = true; break;
    }
    emit(s, i);
  }
  return seq;
}

inline Sequence decode(const std::vector<std::uint8_t>& input, const DecodeOptions& options = {}) {
  return decode(std::span<const std::uint8_t>(input.data(), input.size()), options);
}

// The byte of one step (the inverse of the step grammar; transport ids must be < 8).
inline std::uint8_t encode_step(const Step& s) {
  unsigned code = 31;
  switch (s.kind) {
    case StepKind::Ice: code = s.state; break;
    case StepKind::Dtls: code = 14u + s.state; break;
    case StepKind::Add: code = s.sctp_only ? 27u : 24u; break;
    case StepKind::Remove: code = 28; break;
    case StepKind::Close: return static_cast<std::uint8_t>(31u << 3);
  }
  return static_cast<std::uint8_t>((code << 3) | (s.transport & 7u));
}

inline std::uint8_t encode_header(Profile profile, const ModelOptions& options, std::uint8_t permutation = 0) {
  return static_cast<std::uint8_t>(static_cast<unsigned>(profile) | (options.rederive_on_set_change ? 4u : 0u) |
                                   (options.events_on_close ? 8u : 0u) | ((permutation & 15u) << 4));
}

// Bytes that decode to `seq` (when its steps are valid and need no implicit add, e.g. a case's steps).
inline std::vector<std::uint8_t> encode(const Sequence& seq) {
  std::vector<std::uint8_t> out{encode_header(seq.profile, seq.options, seq.permutation)};
  for (const Step& s : seq.steps) out.push_back(encode_step(s));
  return out;
}

inline std::string transport_name(TransportId t) { return "t" + std::to_string(static_cast<unsigned>(t)); }

// "add t0", "ice t0 checking", "dtls t1 connected", "add t2 (sctp only)", "close".
inline std::string describe_step(const Step& s) {
  std::string out(to_string(s.kind));
  if (s.kind == StepKind::Close) return out;
  out += " " + transport_name(s.transport);
  if (s.kind == StepKind::Ice) out += " " + std::string(to_string(static_cast<IceTransportState>(s.state)));
  if (s.kind == StepKind::Dtls) out += " " + std::string(to_string(static_cast<DtlsTransportState>(s.state)));
  if (s.kind == StepKind::Add && s.sctp_only) out += " (sctp only)";
  return out;
}

// The header line of a decoded sequence: "profile rec-2025, options: rederive_on_set_change, 7 steps".
inline std::string describe_header(const Sequence& seq) {
  std::string out = "profile " + std::string(to_string(seq.profile)) + ", options:";
  if (!seq.options.rederive_on_set_change && !seq.options.events_on_close) out += " none";
  if (seq.options.rederive_on_set_change) out += " rederive_on_set_change";
  if (seq.options.events_on_close) out += " events_on_close";
  out += ", " + std::to_string(seq.steps.size()) + " steps";
  if (seq.step_bytes_ignored) out += " (" + std::to_string(seq.step_bytes_ignored) + " step bytes decoded to nothing)";
  if (seq.truncated) out += " (input truncated to " + std::to_string(kMaxSteps) + " step bytes)";
  return out;
}

// The whole sequence, one numbered step per line (the cryptofuzz-style --debug view).
inline std::string describe(const Sequence& seq) {
  std::string out = describe_header(seq) + "\n";
  for (std::size_t i = 0; i < seq.steps.size(); ++i)
    out += "  step " + std::to_string(i) + ": " + describe_step(seq.steps[i]) + "\n";
  return out;
}

}  // namespace connstate::fuzz

// case_writer.cpp — see case_writer.h.
#include "connstate/fuzzing/case_writer.h"

#include "connstate/harness/json_input.h"

namespace connstate::fuzz {
namespace {

struct Citation {
  std::string_view anchor, quote, requirement;
};

constexpr std::string_view kDocument = "webrtc-pc REC 2025-03-13";

constexpr Citation kIceTask = {
    "rtcicetransport", "The selected pair and RTCIceTransportState are related and are handled in the same task.",
    "an ICE state change runs one task: the transport's statechange, then iceconnectionstatechange, then "
    "connectionstatechange, each only if its value changed; the stack's events and states match the reference"};
constexpr Citation kIceConnectionEvent = {
    "rtcicetransport",
    "If connectionIceConnectionStateChanged is true, fire an event named iceconnectionstatechange at connection.",
    "iceconnectionstatechange fires in the ICE task, and only when [[IceConnectionState]] changed; the stack's "
    "events and states match the reference"};
constexpr Citation kDtlsTask = {
    "update-the-connection-state",
    "Whenever the state of an RTCDtlsTransport changes, the user agent MUST queue a task that runs the following steps:",
    "a DTLS change fires its statechange, then connectionstatechange in a later task only if the value changed, and "
    "never re-derives iceConnectionState; the stack's events and states match the reference"};
constexpr Citation kClose = {
    "dom-rtcpeerconnection-close", "Set connection.[[ConnectionState]] to \"closed\". This does not fire any event.",
    "close() sets every state to closed without firing any event"};
constexpr Citation kAfterClose = {
    "update-the-connection-state", "If connection.[[IsClosed]] is true, abort these steps.",
    "after close() every step does nothing: no event fires and every state stays closed"};

Citation citation(const Sequence& seq, const std::optional<Difference>& d) {
  if (!d) return kIceTask;
  if (d->kind == DiffKind::EventAfterClose) return kAfterClose;
  if (d->kind == DiffKind::EventOnClose) return kClose;
  const bool iceconnection = d->kind == DiffKind::MissingIceConnectionStateChange ||
                             d->kind == DiffKind::ExtraIceConnectionStateChange ||
                             d->kind == DiffKind::WrongIceConnectionStateChange;
  if (d->step < seq.steps.size()) {
    switch (seq.steps[d->step].kind) {
      case StepKind::Close: return kClose;
      case StepKind::Dtls:
      case StepKind::Remove: return kDtlsTask;
      default: break;
    }
  }
  return iceconnection ? kIceConnectionEvent : kIceTask;
}

void field(std::string& out, std::string_view indent, std::string_view key, std::string_view value, bool comma = true) {
  out += indent;
  harness::append_json_string(out, key);
  out += ": ";
  harness::append_json_string(out, value);
  if (comma) out += ",";
  out += "\n";
}

std::string step_json(const Step& s) {
  std::string out = "{\"op\": ";
  harness::append_json_string(out, to_string(s.kind));
  if (s.kind != StepKind::Close) out += ", \"transport\": \"" + transport_name(s.transport) + "\"";
  if (s.kind == StepKind::Ice)
    out += ", \"state\": \"" + std::string(to_string(static_cast<IceTransportState>(s.state))) + "\"";
  if (s.kind == StepKind::Dtls)
    out += ", \"state\": \"" + std::string(to_string(static_cast<DtlsTransportState>(s.state))) + "\"";
  if (s.kind == StepKind::Add && s.sctp_only) out += ", \"sctp_only\": true";
  return out + "}";
}

}  // namespace

std::string case_id(const std::string& input_hash) { return "fuzz." + input_hash; }

std::string case_file_text(const Sequence& seq, const std::vector<Profile>& profiles, const CaseProvenance& from) {
  const Citation cite = citation(seq, from.difference);
  std::size_t transports = 0;
  for (std::uint8_t used = seq.transports_used(); used; used &= static_cast<std::uint8_t>(used - 1)) ++transports;

  std::string title = "fuzzer finding: ";
  if (from.difference) title += std::string(signature(from.difference->kind)) + " at step " + std::to_string(from.difference->step);
  else title += "step sequence";
  title += " (" + std::to_string(seq.steps.size()) + (seq.steps.size() == 1 ? " step" : " steps");
  if (transports) title += " over " + std::to_string(transports) + (transports == 1 ? " transport" : " transports");
  title += ")";

  std::string origin = "Found by " + from.target;
  if (!from.sut.empty()) origin += " against " + from.sut;
  if (!from.date.empty()) origin += " on " + from.date;
  origin += "; input " + (from.input_name.empty() ? std::string("(unnamed)") : from.input_name) + " (hash " +
            from.input_hash;
  if (from.original_size) origin += ", minimized from " + std::to_string(from.original_size) + " bytes";
  origin += ")";
  if (from.difference)
    origin += ". Difference: " + std::string(signature(from.difference->kind)) + " at step " +
              std::to_string(from.difference->step) + " (" +
              (from.difference->step < seq.steps.size() ? describe_step(seq.steps[from.difference->step]) : "end") +
              "): " + std::string(explanation(from.difference->kind));
  origin += ". Written by connstate case-from-crash";
  if (!from.tool_version.empty()) origin += " " + from.tool_version;
  origin += "; the expected events and states are the reference's.";

  std::string out = "{\n";
  field(out, "  ", "$schema", "../schema/case-file.schema.json");
  field(out, "  ", "section", "fuzz");
  field(out, "  ", "section_title", "Fuzzer findings: regression sequences");
  out += "  \"cases\": [\n    {\n";
  field(out, "      ", "id", case_id(from.input_hash));
  field(out, "      ", "title", title);
  field(out, "      ", "kind", "sequence");
  if (!profiles.empty()) {
    out += "      \"profiles\": [";
    for (std::size_t i = 0; i < profiles.size(); ++i) {
      if (i) out += ", ";
      harness::append_json_string(out, to_string(profiles[i]));
    }
    out += "],\n";
  }
  out += "      \"tags\": [\"fuzz\", \"regression\"],\n";
  out += "      \"spec\": {\n";
  field(out, "        ", "document", kDocument);
  field(out, "        ", "anchor", cite.anchor);
  field(out, "        ", "quote", cite.quote, false);
  out += "      },\n";
  field(out, "      ", "requirement", cite.requirement);
  field(out, "      ", "comment", origin);
  if (seq.options.rederive_on_set_change || seq.options.events_on_close) {
    out += "      \"options\": {";
    if (seq.options.rederive_on_set_change) out += "\"rederive_on_set_change\": true";
    if (seq.options.rederive_on_set_change && seq.options.events_on_close) out += ", ";
    if (seq.options.events_on_close) out += "\"events_on_close\": true";
    out += "},\n";
  }
  out += "      \"steps\": [\n";
  for (std::size_t i = 0; i < seq.steps.size(); ++i)
    out += "        " + step_json(seq.steps[i]) + (i + 1 < seq.steps.size() ? ",\n" : "\n");
  out += "      ]\n    }\n  ]\n}\n";
  return out;
}

}  // namespace connstate::fuzz

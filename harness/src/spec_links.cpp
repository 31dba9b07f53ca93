// spec_links.cpp — see spec_links.h.
#include "connstate/harness/spec_links.h"

#include <filesystem>

namespace connstate::harness {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kRec2025Url = "https://www.w3.org/TR/webrtc/";
constexpr std::string_view kRec2021Url = "https://www.w3.org/TR/2021/REC-webrtc-20210126/";
constexpr std::string_view kEditorsDraftUrl = "https://w3c.github.io/webrtc-pc/";
// The 2015-2018 text as the Editor's Draft snapshot of 2 October 2017 has it (the same state tables
// as the commit the legacy quotes come from; docs/spec/README.md, "Documents cited").
constexpr std::string_view kEd2017Url = "https://w3c.github.io/webrtc-pc/archives/20171002/webrtc.html";
constexpr std::string_view kMdnUrl = "https://developer.mozilla.org/en-US/docs/Web/API/RTCPeerConnection/connectionState";

bool contains(std::string_view s, std::string_view what) { return s.find(what) != std::string_view::npos; }

}  // namespace

std::string spec_url(std::string_view document, std::string_view anchor) {
  auto with_anchor = [&](std::string_view base) {
    return anchor.empty() ? std::string(base) : std::string(base) + "#" + std::string(anchor);
  };
  // Order matters: "REC 2021-01-26 and REC 2025-03-13" is today's text, and the 2017 draft is an
  // "Editor's Draft" too.
  if (contains(document, "MDN")) return anchor.starts_with(":~:") ? with_anchor(kMdnUrl) : std::string(kMdnUrl);
  if (contains(document, "2017")) return with_anchor(kEd2017Url);
  if (contains(document, "REC 2025")) return with_anchor(kRec2025Url);
  if (contains(document, "REC 2021")) return with_anchor(kRec2021Url);
  if (contains(document, "Editor's Draft")) return with_anchor(kEditorsDraftUrl);
  return "";
}

std::string rule_notes_link(RuleId id) {
  const Rule& r = rule(id);
  std::string_view page = "connection-state.md";
  if (r.aggregate == Aggregate::IceConnectionState) page = "ice-connection-state.md";
  if (r.aggregate == Aggregate::IceGatheringState) page = "gathering-state.md";
  return "docs/spec/" + std::string(page) + "#" + std::string(r.id);
}

const Requirement& event_requirement(StepKind kind) {
  static const Requirement kAdd{
      "a transport joining the set fires nothing and re-derives nothing: no algorithm runs when only the set changes",
      "webrtc-pc REC 2025-03-13",
      "rtcpeerconnectionstate-description",
      "The set of transports considered is the one presently referenced by the RTCPeerConnection's set of "
      "transceivers and the RTCPeerConnection's [[SctpTransport]] internal slot if not null.",
      {"docs/spec/transport-set.md#transport-set.no-rederive-on-change",
       "docs/spec/open-policies.md#policy.rederive-on-set-change"}};
  static const Requirement kIce{
      "one ICE task: the transport's statechange, then iceconnectionstatechange and connectionstatechange, each "
      "only if its value changed; both values are derived before the first event",
      "webrtc-pc REC 2025-03-13",
      "rtcicetransport",
      "The selected pair and RTCIceTransportState are related and are handled in the same task.",
      {"docs/spec/ice-task.md#ice-task.event-order", "docs/spec/ice-task.md#ice-task.no-event-unchanged",
       "docs/spec/ice-task.md#ice-task.statechange-always"}};
  static const Requirement kDtls{
      "the DTLS statechange, then connectionstatechange in a later task if the value changed; "
      "iceConnectionState is not re-derived",
      "webrtc-pc REC 2025-03-13",
      "update-the-connection-state",
      "Whenever the state of an RTCDtlsTransport changes, the user agent MUST queue a task that runs the following "
      "steps:",
      {"docs/spec/dtls-task.md#dtls-task.later-task", "docs/spec/dtls-task.md#dtls-task.no-ice-rederive",
       "docs/spec/dtls-task.md#dtls-task.no-event-unchanged"}};
  static const Requirement kRemove{
      "the removed transport's DTLS and ICE transports close with their events, and the aggregates are "
      "re-derived without it",
      "webrtc-pc REC 2025-03-13",
      "set-the-session-description",
      "This results in events firing on these objects in a queued task.",
      {"docs/spec/transport-set.md#transport-set.removal"}};
  static const Requirement kClose{
      "close() sets every state to closed and fires no event; steps after it change nothing",
      "webrtc-pc REC 2025-03-13",
      "dom-rtcpeerconnection-close",
      "Set connection.[[ConnectionState]] to \"closed\". This does not fire any event.",
      {"docs/spec/close.md#close.no-events", "docs/spec/close.md#close.after-close-ignored"}};
  switch (kind) {
    case StepKind::Add: return kAdd;
    case StepKind::Ice: return kIce;
    case StepKind::Dtls: return kDtls;
    case StepKind::Remove: return kRemove;
    case StepKind::Close: return kClose;
  }
  return kClose;
}

std::vector<std::string> emitted_notes_links() {
  std::vector<std::string> out;
  for (const Rule& r : all_rules()) out.push_back(rule_notes_link(r.rule_id));
  for (StepKind k : {StepKind::Add, StepKind::Ice, StepKind::Dtls, StepKind::Remove, StepKind::Close})
    for (std::string_view n : event_requirement(k).notes) out.emplace_back(n);
  return out;
}

std::string notes_href(std::string_view link, const std::string& report_dir, const std::string& cases_dir) {
  constexpr std::string_view kPrefix = "docs/";
  if (!link.starts_with(kPrefix) || cases_dir.empty()) return std::string(link);
  std::error_code ec;
  // Next to the cases: <repo>/cases -> <repo>/docs; <prefix>/share/connstate/cases -> …/share/connstate/docs.
  const fs::path docs = fs::weakly_canonical(fs::path(cases_dir) / ".." / "docs", ec);
  if (ec || !fs::is_directory(docs / "spec", ec)) return std::string(link);
  const fs::path from = fs::weakly_canonical(fs::absolute(report_dir.empty() ? "." : report_dir, ec), ec);
  if (ec) return std::string(link);
  const fs::path rel = docs.lexically_relative(from);
  if (rel.empty()) return std::string(link);
  return (rel / std::string(link.substr(kPrefix.size()))).generic_string();
}

}  // namespace connstate::harness

// spec_links.h — where a citation leads: the published specification, and the project's own
// notes in docs/spec/ that explain each rule and requirement.
//
// Cases and rules cite a document by name ("webrtc-pc REC 2025-03-13") and a fragment id of it.
// Reports turn those into links: spec_url() gives the published page (REC 2025, REC 2021, the
// Editor's Draft, …) and notes links name a docs/spec/ page and anchor
// ("docs/spec/connection-state.md#pcs-2025.connecting"). Every rule of the reference has a note
// whose anchor is the rule id; every requirement of the event model that the generated sequences
// exercise has one too (event_requirement).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "connstate/peer_connection_model.h"
#include "connstate/rules.h"

namespace connstate::harness {

// The published URL of `anchor` in the cited document, e.g.
// spec_url("webrtc-pc REC 2025-03-13", "dom-rtcpeerconnectionstate-new") ==
// "https://www.w3.org/TR/webrtc/#dom-rtcpeerconnectionstate-new". MDN gives the page (with the
// anchor only when it is a text fragment); an unknown document gives "". The addresses are those
// of docs/spec/README.md, "Documents cited".
std::string spec_url(std::string_view document, std::string_view anchor);

// The note on a rule: "docs/spec/<page>.md#<rule id>".
std::string rule_notes_link(RuleId id);

// A requirement of the event model, with the spec sentence behind it and the project's note.
struct Requirement {
  std::string_view text;      // what the stack must do, one line
  std::string_view document;  // the cited document
  std::string_view anchor;    // fragment id in it
  std::string_view quote;     // verbatim
  std::vector<std::string_view> notes;  // docs/spec links, the most specific first
};

// The requirement a step of this kind exercises (a generated sequence cites the one of its last step).
const Requirement& event_requirement(StepKind kind);

// Every docs/spec link the harness itself emits (rules and event requirements): the test that
// checks links against docs/spec/ checks these too.
std::vector<std::string> emitted_notes_links();

// A notes link ("docs/spec/x.md#a") as an href from a report written in `report_dir`: a relative
// path to the docs/spec/ folder next to the cases (source tree or installed share/connstate/),
// or the link unchanged when that folder is not there.
std::string notes_href(std::string_view link, const std::string& report_dir, const std::string& cases_dir);

}  // namespace connstate::harness

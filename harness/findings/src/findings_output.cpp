// findings_output.cpp — findings as data: the JSON document, the reproduction as a case file and as
// protocol-1 requests, the known findings of an expectations file, and the stacks' annotations (causes in
// their code, keyed by finding id) merged into the findings (see findings.h).
#include <algorithm>
#include <bit>

#include "connstate/harness/json_input.h"
#include "connstate/harness/protocol.h"
#include "connstate/findings/findings.h"

namespace connstate::findings {

using harness::append_json_string;
using harness::json_string;

namespace {

void append_strings(std::string& out, const std::vector<std::string>& items) {
  out += '[';
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    append_json_string(out, items[i]);
  }
  out += ']';
}

std::string state_json(const harness::StateText& s) { return s ? json_string(*s) : std::string("null"); }

bool is_spec_note(const std::string& link) { return link.starts_with("docs/spec/") && link.find('#') != std::string::npos; }

// The case-file object of the reproduction, with the reference's outcome as `expect` where the finding
// shows (the last step of a sequence), so that the file says what a conforming stack does.
std::string case_object(const Finding& f, const harness::Case& c, Profile profile) {
  std::string out = "{\"id\":" + json_string(c.id) + ",\"title\":" + json_string(c.title);
  out += ",\"kind\":\"";
  out += c.kind == harness::CaseKind::Snapshot ? "snapshot" : "sequence";
  out += "\",\"profiles\":[\"" + std::string(to_string(profile)) + "\"]";
  out += ",\"spec\":{\"document\":" + json_string(f.spec_document) + ",\"anchor\":" +
         json_string(f.spec_anchor.empty() ? "unknown" : f.spec_anchor) + ",\"quote\":" +
         json_string(f.spec_quote.empty() ? f.requirement_text : f.spec_quote) + "}";
  out += ",\"requirement\":" + json_string(f.requirement_text);
  std::vector<std::string> see;
  for (const auto& n : f.notes)
    if (is_spec_note(n)) see.push_back(n);
  if (!see.empty()) {
    out += ",\"see\":";
    append_strings(out, see);
  }
  const harness::ExpectedOutcome pass = harness::expected_outcome(c, profile);
  if (c.kind == harness::CaseKind::Snapshot) {
    out += std::string(",\"closed\":") + (c.closed ? "true" : "false") + ",\"transports\":[";
    for (std::size_t i = 0; i < c.transports.size(); ++i) {
      const TransportState& t = c.transports[i];
      out += std::string(i ? "," : "") + "{\"ice\":\"" + std::string(to_string(t.ice)) + "\",\"dtls\":\"" +
             std::string(to_string(t.dtls)) + "\"" + (t.sctp_only ? ",\"sctp_only\":true}" : "}");
    }
    out += "],\"expect\":{\"connectionState\":" + state_json(pass.snapshot.connection_state) +
           ",\"iceConnectionState\":" + state_json(pass.snapshot.ice_connection_state) + "}}";
    return out;
  }
  if (c.options.rederive_on_set_change || c.options.events_on_close)
    out += std::string(",\"options\":{\"rederive_on_set_change\":") + (c.options.rederive_on_set_change ? "true" : "false") +
           ",\"events_on_close\":" + (c.options.events_on_close ? "true" : "false") + "}";
  out += ",\"steps\":[";
  for (std::size_t i = 0; i < c.steps.size(); ++i) {
    const harness::SequenceStep& s = c.steps[i];
    out += i ? "," : "";
    out += "{\"op\":\"" + std::string(to_string(s.step.kind)) + "\"";
    if (s.step.kind != StepKind::Close) out += ",\"transport\":" + json_string(s.transport);
    if (s.step.kind == StepKind::Ice)
      out += ",\"state\":\"" + std::string(to_string(static_cast<IceTransportState>(s.step.state))) + "\"";
    if (s.step.kind == StepKind::Dtls)
      out += ",\"state\":\"" + std::string(to_string(static_cast<DtlsTransportState>(s.step.state))) + "\"";
    if (s.step.kind == StepKind::Add && s.step.sctp_only) out += ",\"sctp_only\":true";
    if (i + 1 == c.steps.size()) {
      out += ",\"expect\":{\"events\":";
      append_strings(out, pass.steps[i].events);
      out += ",\"connectionState\":" + state_json(pass.steps[i].states.connection_state) +
             ",\"iceConnectionState\":" + state_json(pass.steps[i].states.ice_connection_state) + "}";
    }
    out += "}";
  }
  return out + "]}";
}

Profile profile_of(const Occurrence& o) {
  return o.reproduction ? static_cast<Profile>(std::countr_zero(static_cast<unsigned>(o.reproduction->profiles)))
                        : kDefaultProfile;
}

}  // namespace

std::string reproduction_case_file(const Finding& f, const Occurrence& o) {
  if (!o.reproduction) return {};
  return "{\"section\":\"findings\",\"section_title\":" +
         json_string("Minimal reproduction of " + f.id) + ",\"cases\":[" + case_object(f, *o.reproduction, profile_of(o)) +
         "]}\n";
}

std::vector<std::string> reproduction_requests(const Occurrence& o) {
  std::vector<std::string> lines;
  if (!o.reproduction) return lines;
  const harness::Case& c = *o.reproduction;
  std::int64_t id = 1;
  lines.push_back(harness::protocol::hello_request(id++));
  if (c.kind == harness::CaseKind::Snapshot) {
    lines.push_back(harness::protocol::evaluate_request(id++, c));
  } else {
    lines.push_back(harness::protocol::reset_request(id++, c.options));
    for (const auto& s : c.steps) lines.push_back(harness::protocol::step_request(id++, s));
  }
  lines.push_back(harness::protocol::bye_request(id));
  for (auto& line : lines)
    while (!line.empty() && line.back() == '\n') line.pop_back();
  return lines;
}

std::map<std::string, std::string> read_known_findings(const std::string& path) {
  const std::string text = harness::read_file(path);
  const boost::json::value doc = harness::parse_document(text, path);
  std::map<std::string, std::string> known;
  try {
    const auto& root = harness::as_object(doc, "");
    const boost::json::value* findings = root.if_contains("findings");
    if (!findings) return known;
    for (const auto& [id, entry] : harness::as_object(*findings, "/findings")) {
      const std::string at = harness::pointer_join("/findings", std::string_view(id));
      if (!std::string_view(id).starts_with("F-"))
        throw harness::FieldError(at, "a finding id starts with F- (connstate findings --json lists them)");
      known[std::string(id)] = harness::require_string(harness::as_object(entry, at), "reason", at);
    }
  } catch (const harness::FieldError& e) {
    const harness::Position where = harness::locate(text, e.pointer);
    throw harness::InputError(path, where.line, where.column, e.what());
  }
  return known;
}

Annotations read_annotations(const std::string& path) {
  const std::string text = harness::read_file(path);
  const boost::json::value doc = harness::parse_document(text, path);
  Annotations file;
  file.file = path;
  try {
    const auto& root = harness::as_object(doc, "");
    harness::reject_unknown_keys(root, {"$comment", "$schema", "stack", "version", "code_root", "annotations"}, "");
    file.stack = harness::require_string(root, "stack", "");
    file.version = harness::optional_string(root, "version", "").value_or("");
    file.code_root = harness::optional_string(root, "code_root", "").value_or("");
    const auto& entries = harness::as_array(harness::require(root, "annotations", ""), "/annotations");
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const std::string at = harness::pointer_join("/annotations", i);
      const auto& e = harness::as_object(entries[i], at);
      harness::reject_unknown_keys(e, {"$comment", "finding", "variant", "summary", "reason", "code"}, at);
      Annotation a;
      const boost::json::value& finding = harness::require(e, "finding", at);
      if (finding.is_string()) {
        a.finding = std::string(finding.get_string());
        if (!a.finding.starts_with("F-"))
          throw harness::FieldError(harness::pointer_join(at, "finding"),
                                    "a finding id starts with F- (connstate findings --json lists them)");
      } else if (!finding.is_null()) {
        throw harness::FieldError(harness::pointer_join(at, "finding"), "\"finding\" is a finding id or null");
      }
      a.variant = harness::optional_string(e, "variant", at).value_or("");
      a.summary = harness::require_string(e, "summary", at);
      a.reason = harness::optional_string(e, "reason", at).value_or("");
      if (a.finding.empty() && a.reason.empty())
        throw harness::FieldError(at, "an entry with \"finding\": null says why in \"reason\"");
      if (const auto* code = e.if_contains("code")) {
        const auto& citations = harness::as_array(*code, harness::pointer_join(at, "code"));
        for (std::size_t k = 0; k < citations.size(); ++k) {
          const std::string cat = harness::pointer_join(harness::pointer_join(at, "code"), k);
          const auto& c = harness::as_object(citations[k], cat);
          harness::reject_unknown_keys(c, {"file", "function", "why"}, cat);
          a.code.push_back({harness::require_string(c, "file", cat),
                            harness::optional_string(c, "function", cat).value_or(""),
                            harness::require_string(c, "why", cat)});
        }
      }
      file.entries.push_back(std::move(a));
    }
  } catch (const harness::FieldError& e) {
    const harness::Position where = harness::locate(text, e.pointer);
    throw harness::InputError(path, where.line, where.column, e.what());
  }
  return file;
}

std::vector<std::string> apply_annotations(std::vector<Finding>& findings, const std::vector<StackRun>& runs,
                                           const std::vector<Annotations>& files) {
  std::vector<std::string> warnings;
  for (const Annotations& file : files) {
    const bool stack_in_run =
        std::any_of(runs.begin(), runs.end(), [&](const StackRun& r) { return r.name == file.stack; });
    if (!stack_in_run) {
      warnings.push_back(file.file + ": no results of the stack \"" + file.stack + "\" (its adapter's hello name)");
      continue;
    }
    for (const Annotation& a : file.entries) {
      if (a.finding.empty()) continue;
      const auto f = std::find_if(findings.begin(), findings.end(), [&](const Finding& x) { return x.id == a.finding; });
      const bool shown = f != findings.end() && std::any_of(f->stacks.begin(), f->stacks.end(), [&](const Occurrence& o) {
                           return o.run->name == file.stack;
                         });
      if (!shown) {
        warnings.push_back(file.file + ": " + a.finding + " is not a finding of " + file.stack + " in these results");
        continue;
      }
      if (!a.variant.empty() && !f->variants.contains(a.variant)) {
        warnings.push_back(file.file + ": " + a.finding + " has no variant \"" + a.variant + "\" in these results");
        continue;
      }
      for (Occurrence& o : f->stacks) {
        if (o.run->name != file.stack) continue;
        o.annotations.push_back(a);
        o.code_root = file.code_root;
      }
    }
  }
  return warnings;
}

namespace {

void append_annotations(std::string& out, const Occurrence& o) {
  out += ",\"annotations\":[";
  for (std::size_t i = 0; i < o.annotations.size(); ++i) {
    const Annotation& a = o.annotations[i];
    out += (i ? "," : "") + std::string("{\"finding\":") + json_string(a.finding);
    if (!a.variant.empty()) out += ",\"variant\":" + json_string(a.variant);
    out += ",\"summary\":" + json_string(a.summary) + ",\"code\":[";
    for (std::size_t k = 0; k < a.code.size(); ++k)
      out += (k ? "," : "") + std::string("{\"file\":") + json_string(a.code[k].file) +
             ",\"function\":" + json_string(a.code[k].function) + ",\"why\":" + json_string(a.code[k].why) + "}";
    out += "]}";
  }
  out += "]";
  if (!o.code_root.empty()) out += ",\"code_root\":" + json_string(o.code_root);
}

void append_occurrence(std::string& out, const Finding& f, const Occurrence& o) {
  const StackRun& run = *o.run;
  out += "{\"stack\":" + json_string(run.name) + ",\"version\":" + json_string(run.version) +
         ",\"sut\":" + json_string(run.sut) + ",\"profile\":" + json_string(run.profile) +
         ",\"results\":" + json_string(run.file) + ",\"cases\":" + std::to_string(o.records.size());
  out += ",\"verdicts\":{";
  bool first = true;
  for (const auto& [verdict, count] : o.verdicts) {
    out += std::string(first ? "" : ",") + "\"" + std::string(harness::to_string(verdict)) + "\":" + std::to_string(count);
    first = false;
  }
  out += "},\"example_cases\":[";
  for (std::size_t i = 0; i < o.records.size() && i < 5; ++i)
    out += (i ? "," : "") + json_string(run.non_pass[o.records[i]].c.id);
  out += "],\"reproduction\":";
  const std::string file = reproduction_case_file(f, o);
  out += file.empty() ? "null" : file.substr(0, file.size() - 1);
  out += std::string(",\"confirmed_on_stack\":") + (o.confirmed_on_stack ? "true" : "false");
  out += std::string(",\"passes_on_reference\":") + (o.passes_on_reference ? "true" : "false");
  out += ",\"legal_under\":";
  append_strings(out, o.legal_under);
  if (!o.note.empty()) out += ",\"note\":" + json_string(o.note);
  if (const std::string evidence = trace_evidence_json(o); !evidence.empty())
    out += ",\"traces\":" + std::to_string(o.trace_records.size()) + ",\"trace_evidence\":" + evidence;
  append_annotations(out, o);
  out += "}";
}

}  // namespace

std::string findings_json(const std::vector<Finding>& findings, const std::map<std::string, std::string>& known) {
  std::string out = "{\"format\":\"connstate-findings\",\"version\":1,\"findings\":[";
  for (std::size_t i = 0; i < findings.size(); ++i) {
    const Finding& f = findings[i];
    out += i ? ",\n" : "\n";
    out += "{\"id\":" + json_string(f.id) + ",\"title\":" + json_string(f.title) +
           ",\"requirement\":" + json_string(f.departure.requirement) +
           ",\"requirement_text\":" + json_string(f.requirement_text) + ",\"kind\":" + json_string(f.departure.kind) +
           ",\"shape\":" + json_string(f.departure.shape);
    out += ",\"variants\":[";
    bool first_variant = true;
    for (const auto& [shape, count] : f.variants) {
      out += std::string(first_variant ? "" : ",") + "{\"shape\":" + json_string(shape) +
             ",\"results\":" + std::to_string(count) + "}";
      first_variant = false;
    }
    out += "]";
    out += ",\"spec\":{\"document\":" + json_string(f.spec_document) + ",\"anchor\":" + json_string(f.spec_anchor) +
           ",\"quote\":" + json_string(f.spec_quote) + ",\"url\":" + json_string(f.spec_url) + ",\"notes\":";
    append_strings(out, f.notes);
    out += "},\"failing\":";
    out += f.failing ? "true" : "false";
    const auto k = known.find(f.id);
    out += ",\"known\":" + (k == known.end() ? std::string("null") : "{\"reason\":" + json_string(k->second) + "}");
    std::size_t cases = 0, traces = 0;
    std::vector<std::string> stacks;
    for (const auto& o : f.stacks) {
      cases += o.records.size();
      traces += o.trace_records.size();
      stacks.push_back(o.run->name);
    }
    out += ",\"stacks\":";
    append_strings(out, stacks);
    out += ",\"cases\":" + std::to_string(cases) + ",\"traces\":" + std::to_string(traces);
    const Occurrence* first = f.stacks.empty() ? nullptr : &f.stacks.front();
    const std::string file = first ? reproduction_case_file(f, *first) : std::string();
    out += ",\"reproduction\":" + (file.empty() ? std::string("null") : file.substr(0, file.size() - 1));
    out += ",\"by_stack\":[";
    for (std::size_t s = 0; s < f.stacks.size(); ++s) {
      if (s) out += ',';
      append_occurrence(out, f, f.stacks[s]);
    }
    out += "]}";
  }
  return out + "\n]}\n";
}

}  // namespace connstate::findings

// trace_reproduce.cpp — the minimal trace excerpt of a finding shown by a recording, and how a report
// shows it (findings.h; docs/findings.md, "Findings from traces").
//
// A recorded stack cannot be re-run, so the excerpt is shrunk against the trace checker instead of the
// stack: lines are dropped (first every line of the other pcs, then chunks by delta debugging) while
// check-trace on what is left still gives the same finding id. The excerpt is then checked once more;
// that confirms it against the recording, not against the stack.
#include <algorithm>
#include <cctype>
#include <sstream>

#include "connstate/findings/findings.h"
#include "connstate/harness/json_input.h"
#include "connstate/harness/reports.h"
#include "connstate/trace/trace_line.h"
#include "connstate/trace/webrtc_internals.h"

namespace connstate::findings {

namespace json = boost::json;
using harness::Case;
using harness::CaseKind;
using Excerpt = Occurrence::TraceExcerpt;

namespace {

// Checks of the excerpt per finding: delta debugging is quadratic at worst, and a long recording must
// not make `connstate findings` take minutes. Each check is a few microseconds per line.
constexpr int kMaxChecks = 3000;

struct Line {
  std::size_t number;  // in the recording (the imported trace, for a dump)
  std::string text;
};

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    out.push_back(std::move(line));
    start = end + 1;
  }
  return out;
}

// The fields check-trace reads from a line; nullopt for a header or a line it cannot read.
std::optional<std::string> pc_of(const std::string& line) {
  trace::TraceLineFields fields;
  if (trace::scan_trace_line(line, fields)) return fields.pc ? std::optional<std::string>(std::string(*fields.pc)) : std::nullopt;
  boost::system::error_code ec;
  const json::value v = json::parse(line, ec);
  if (ec || !v.is_object() || v.as_object().contains("format")) return std::nullopt;
  const auto f = trace::fields_of(v.as_object());
  return f.pc ? std::optional<std::string>(std::string(*f.pc)) : std::nullopt;
}

bool is_header(const std::string& line) {
  if (line.find("\"format\"") == std::string::npos) return false;
  boost::system::error_code ec;
  const json::value v = json::parse(line, ec);
  return !ec && v.is_object() && v.as_object().contains("format");
}

class ExcerptChecker {
 public:
  ExcerptChecker(const TracePcRecord& pc, double reorder_window_ms, std::string id)
      : pc_(pc), id_(std::move(id)) {
    options_.profile = pc.profile;
    options_.reorder_window_ms = reorder_window_ms;
    options_.timeline = false;
  }

  // Does check-trace on header + lines show the finding for the pc?
  bool shows(const std::optional<Line>& header, const std::vector<Line>& lines, Profile profile) {
    if (++checks_ > kMaxChecks) return false;
    return !departures(header, lines, profile, true).empty();
  }
  // The failing departures of the pc on header + lines (only those with the finding's id when `only_id`).
  std::vector<Departure> departures(const std::optional<Line>& header, const std::vector<Line>& lines, Profile profile,
                                    bool only_id) const {
    std::string text;
    if (header) text += header->text + "\n";
    for (const Line& l : lines) text += l.text + "\n";
    trace::CheckOptions options = options_;
    options.profile = profile;
    const trace::TraceResult result = trace::check_text(text, options, "excerpt");
    std::vector<Departure> out;
    TracePcRecord as_record = pc_;
    as_record.profile = profile;
    for (const trace::PcResult& r : result.pcs) {
      if (r.pc != pc_.pc) continue;
      for (const trace::Finding& f : r.findings) {
        if (!only_id && f.severity != harness::Verdict::Fail && f.severity != harness::Verdict::Error) continue;
        for (Departure& d : trace_departures(as_record, f))
          if (!only_id || d.id() == id_) out.push_back(std::move(d));
      }
    }
    return out;
  }

 private:
  const TracePcRecord& pc_;
  std::string id_;
  trace::CheckOptions options_;
  int checks_ = 0;
};

// ddmin over the lines: drop chunks while the finding still shows, halving the chunk size down to one.
void shrink(ExcerptChecker& checker, const std::optional<Line>& header, std::vector<Line>& lines, Profile profile) {
  for (std::size_t chunk = std::max<std::size_t>(lines.size() / 2, 1);; chunk /= 2) {
    for (std::size_t start = 0; start < lines.size();) {
      std::vector<Line> candidate = lines;
      const auto first = candidate.begin() + static_cast<std::ptrdiff_t>(start);
      candidate.erase(first, first + static_cast<std::ptrdiff_t>(std::min(chunk, lines.size() - start)));
      if (!candidate.empty() && checker.shows(header, candidate, profile)) lines = std::move(candidate);
      else start += chunk;
    }
    if (chunk <= 1) break;
  }
}

// The transport steps of the excerpt as a sequence the reference model accepts.
void replay_case(const Excerpt& x, Profile profile, Case& c, std::size_t& skipped) {
  c.kind = CaseKind::Sequence;
  PeerConnectionModel model(profile, c.options);
  for (const std::string& line : x.lines) {
    boost::system::error_code ec;
    const json::value v = json::parse(line, ec);
    if (ec || !v.is_object()) continue;
    const auto f = trace::fields_of(v.as_object());
    if (!f.target || !f.event || (f.pc && *f.pc != x.pc)) continue;
    const std::string target(*f.target), event(*f.event), state = f.state ? std::string(*f.state) : std::string();
    std::optional<Step> step;
    std::string name;
    if (target == "api" && event == "close") {
      step = Step::close();
    } else if ((target.starts_with("ice:") || target.starts_with("dtls:")) && (event == "added" || event == "statechange")) {
      name = target.substr(target.find(':') + 1);
      auto it = std::find(c.transport_names.begin(), c.transport_names.end(), name);
      const bool known = it != c.transport_names.end();
      if (!known) it = c.transport_names.insert(c.transport_names.end(), name);
      const auto id = static_cast<TransportId>(it - c.transport_names.begin());
      if (!known) {
        const Step add = Step::add(id, f.sctp_only);
        if (model.apply(add).ok()) c.steps.push_back({add, name, {}, {}});
      }
      if (event == "statechange") {
        if (target.starts_with("ice:")) {
          if (auto s = parse_state<IceTransportState>(state)) step = Step::ice(id, *s);
        } else if (auto s = parse_state<DtlsTransportState>(state)) {
          step = Step::dtls(id, *s);
        }
      }
    }
    if (!step) continue;
    if (!model.apply(*step).ok()) {
      ++skipped;  // a change the event model cannot take (a transport leaving a final state): not replayable
      continue;
    }
    c.steps.push_back({*step, name, {}, {}});
  }
}

std::string lines_text(const Excerpt& x) {
  std::string s;
  for (std::size_t i = 0; i < x.lines.size(); ++i) s += x.lines[i] + "\n";
  return s;
}

}  // namespace

void reproduce_from_trace(const Finding& finding, Occurrence& occurrence) {
  if (!occurrence.smallest_trace) return;
  const TracePcRecord& pc = occurrence.run->traces[*occurrence.smallest_trace];
  const trace::Finding* shown = nullptr;
  for (const trace::Finding& f : pc.findings) {
    for (const Departure& d : trace_departures(pc, f))
      if (d.id() == finding.id) shown = &f;
    if (shown) break;
  }
  if (!shown) return;
  Excerpt x;
  x.file = pc.resolved_file.empty() ? pc.file : pc.resolved_file;
  x.trace_id = pc.trace_id;
  x.pc = pc.pc;
  x.finding_line = shown->line;
  x.finding_t_ms = shown->t_ms;
  x.finding_text = trace::finding_text(*shown);
  if (pc.resolved_file.empty()) {
    if (occurrence.note.empty())
      occurrence.note = "the trace file " + pc.file + " was not found (give the traces' root), so there is no excerpt";
    occurrence.trace_excerpt = std::move(x);
    return;
  }
  std::string text;
  try {
    text = harness::read_file(pc.resolved_file);
    if (trace::looks_like_dump(text)) text = trace::import_webrtc_internals(text, pc.resolved_file);
  } catch (const std::exception& e) {
    if (occurrence.note.empty()) occurrence.note = std::string("the trace could not be read again: ") + e.what();
    occurrence.trace_excerpt = std::move(x);
    return;
  }
  const std::vector<std::string> all = split_lines(text);
  const std::size_t last = std::min(all.size(), std::max(shown->line, shown->has_cause ? shown->cause_line : 0));
  std::optional<Line> header;
  std::vector<Line> lines;
  for (std::size_t i = 0; i < last; ++i) {
    if (i == 0 && is_header(all[i])) header = Line{1, all[i]};
    else if (!all[i].empty()) lines.push_back({i + 1, all[i]});
  }
  ExcerptChecker checker(pc, occurrence.run->reorder_window_ms, finding.id);
  const Profile profile = pc.profile;
  if (!checker.shows(header, lines, profile)) {
    // Cut at the finding, the trace does not show it (e.g. a missing event judged only at the end).
    lines.clear();
    for (std::size_t i = header ? 1 : 0; i < all.size(); ++i)
      if (!all[i].empty()) lines.push_back({i + 1, all[i]});
  }
  for (const Line& l : lines) x.lines_before += pc_of(l.text) == pc.pc;
  std::vector<Line> own;
  for (const Line& l : lines)
    if (pc_of(l.text) == pc.pc) own.push_back(l);
  if (own.size() != lines.size() && checker.shows(header, own, profile)) lines = std::move(own);
  shrink(checker, header, lines, profile);
  const bool confirmed = ExcerptChecker(pc, occurrence.run->reorder_window_ms, finding.id).shows(header, lines, profile);
  if (header) {
    x.line_numbers.push_back(header->number);
    x.lines.push_back(header->text);
  }
  for (const Line& l : lines) {
    x.line_numbers.push_back(l.number);
    x.lines.push_back(l.text);
  }
  x.confirmed_on_trace = confirmed;
  for (const ProfileInfo& other : kProfiles)
    if (other.profile != profile && checker.departures(header, lines, other.profile, false).empty())
      x.legal_under.emplace_back(other.id);

  if (!occurrence.reproduction) {
    // The excerpt's transport steps, for an implementer who can drive the stack through an adapter.
    Case c;
    std::size_t skipped = 0;
    replay_case(x, profile, c, skipped);
    if (!c.steps.empty()) {
      c.id = "finding." + finding.id;
      std::transform(c.id.begin(), c.id.end(), c.id.begin(), [](unsigned char ch) { return std::tolower(ch); });
      c.title = finding.title;
      c.profiles = static_cast<std::uint8_t>(1u << static_cast<unsigned>(profile));
      const auto reference = harness::make_reference_stack(profile);
      const harness::SequenceAnswer by_reference = reference->run_sequence(c);
      occurrence.passes_on_reference = by_reference.status == harness::AnswerStatus::Ok &&
                                       judge_sequence(profile, c, by_reference.steps).empty();
      // reproduction_steps stay empty: the recording (the excerpt) is the stack's answer, with no state
      // read after each step.
      occurrence.reproduction = std::move(c);
      occurrence.legal_under = x.legal_under;
    }
    if (occurrence.note.empty() || occurrence.records.empty())
      occurrence.note = "from a recording: the excerpt was confirmed by checking it again, not by re-running the stack" +
                        std::string(skipped ? " (" + std::to_string(skipped) + " transport changes the event model cannot take are left out of the case)" : "");
  }
  occurrence.trace_excerpt = std::move(x);
}

std::string trace_evidence_markdown(const Finding& finding, const Occurrence& o) {
  if (o.trace_records.empty()) return {};
  const StackRun& run = *o.run;
  std::ostringstream md;
  md << "## Evidence from recorded traces\n\n";
  md << o.trace_records.size() << " of " << run.traces_total << " recorded peer connection"
     << (run.traces_total == 1 ? "" : "s") << " show it (check-trace results `" << run.traces_file << "`):";
  for (std::size_t i = 0; i < o.trace_records.size() && i < 8; ++i)
    md << (i ? "," : "") << " `" << run.traces[o.trace_records[i]].id << "`";
  if (o.trace_records.size() > 8) md << " …";
  md << ".\n\n";
  if (!o.trace_excerpt) return md.str();
  const Excerpt& x = *o.trace_excerpt;
  md << "First seen in `" << x.file << "` line " << x.finding_line << " (t = " << x.finding_t_ms << " ms, pc `" << x.pc
     << "`):\n\n```text\n" << x.finding_text << "\n```\n\n";
  if (x.lines.empty()) return md.str() + o.note + "\n\n";
  md << "### Minimal trace excerpt\n\n"
     << x.lines.size() << " line" << (x.lines.size() == 1 ? "" : "s") << " of the recording (from " << x.lines_before
     << " lines of this pc up to the finding), line numbers of `" << x.file << "`: ";
  for (std::size_t i = 0; i < x.line_numbers.size(); ++i) md << (i ? ", " : "") << x.line_numbers[i];
  md << ".\n\n"
     << (x.confirmed_on_trace
             ? "Confirmed against the recording: `connstate check-trace` on the excerpt gives this finding again. "
               "The stack was not re-run (it was recorded)."
             : "Not confirmed: `connstate check-trace` on the excerpt does not give this finding again.")
     << "\n\n```jsonl\n" << lines_text(x) << "```\n\n";
  md << "Check it: save the lines as `excerpt.jsonl`, then `connstate check-trace --profile " << run.profile
     << " --report-dir out excerpt.jsonl`; `out/findings.json` lists `" << finding.id << "`.\n\n";
  if (!x.legal_under.empty()) {
    md << "The excerpt has no failing finding under:";
    for (const auto& id : x.legal_under) md << " `" << id << "`";
    md << ".\n\n";
  }
  return md.str();
}

std::string trace_evidence_json(const Occurrence& o) {
  if (o.trace_records.empty()) return {};
  const StackRun& run = *o.run;
  std::string out = "{\"results_file\":";
  harness::append_json_string(out, run.traces_file);
  out += ",\"traces_checked\":" + std::to_string(run.traces_total) + ",\"traces\":" + std::to_string(o.trace_records.size()) +
         ",\"verdicts\":{";
  bool first = true;
  for (const auto& [verdict, count] : o.trace_verdicts) {
    out += first ? "\"" : ",\"";
    out += harness::to_string(verdict);
    out += "\":" + std::to_string(count);
    first = false;
  }
  out += "},\"pcs\":[";
  for (std::size_t i = 0; i < o.trace_records.size(); ++i) {
    if (i) out += ',';
    harness::append_json_string(out, run.traces[o.trace_records[i]].id);
  }
  out += "],\"excerpt\":";
  if (!o.trace_excerpt) return out + "null}";
  const Excerpt& x = *o.trace_excerpt;
  out += "{\"file\":";
  harness::append_json_string(out, x.file);
  out += ",\"trace\":";
  harness::append_json_string(out, x.trace_id);
  out += ",\"pc\":";
  harness::append_json_string(out, x.pc);
  out += ",\"finding_line\":" + std::to_string(x.finding_line) + ",\"finding_t_ms\":";
  std::ostringstream t;
  t << x.finding_t_ms;
  out += t.str() + ",\"finding\":";
  harness::append_json_string(out, x.finding_text);
  out += ",\"lines_before\":" + std::to_string(x.lines_before) + ",\"line_numbers\":[";
  for (std::size_t i = 0; i < x.line_numbers.size(); ++i) out += (i ? "," : "") + std::to_string(x.line_numbers[i]);
  out += "],\"lines\":[";
  for (std::size_t i = 0; i < x.lines.size(); ++i) {
    if (i) out += ',';
    harness::append_json_string(out, x.lines[i]);
  }
  out += std::string("],\"confirmed_on_trace\":") + (x.confirmed_on_trace ? "true" : "false") + ",\"legal_under\":[";
  for (std::size_t i = 0; i < x.legal_under.size(); ++i) {
    if (i) out += ',';
    harness::append_json_string(out, x.legal_under[i]);
  }
  return out + "]}}";
}

}  // namespace connstate::findings

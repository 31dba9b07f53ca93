// reference_commands.cpp — `eval`, `explain` and `profiles`: the reference on its own.
#include <cstdio>
#include <string>
#include <vector>

#include "commands.h"
#include "connstate/harness/runner.h"
#include "connstate/harness/args.h"
#include "connstate/harness/json_input.h"
#include "connstate/harness/line_reader.h"
#include "connstate/harness/why.h"

namespace connstate::cli {
using namespace connstate::harness;

Profile profile_option(const ArgParser& p, Profile fallback) {
  auto v = p.value("profile");
  if (!v) return fallback;
  auto prof = parse_profile(*v);
  if (!prof) {
    std::string ids;
    for (const auto& i : kProfiles) ids += (ids.empty() ? "" : ", ") + std::string(i.id);
    throw UsageError("unknown profile '" + *v + "' (profiles: " + ids + ")");
  }
  return *prof;
}

int eval(const Args& args) {
  ArgParser p("connstate eval", "connstate eval [--profile ID] [--no-why] [--quote] < SNAPSHOTS.jsonl",
              "Reads snapshots as JSON lines on stdin, one per line:\n"
              "  {\"closed\":false,\"transports\":[{\"ice\":\"connected\",\"dtls\":\"new\"}]}\n"
              "and writes one JSON line per input, in order:\n"
              "  {\"connectionState\":\"connecting\",\"iceConnectionState\":\"connected\",\"why\":{...}}\n"
              "connectionState is null where the profile defines no state. A transport may carry\n"
              "\"sctp_only\":true (referenced only by [[SctpTransport]]). Blank lines are skipped.\n"
              "A bad line stops the run with exit code 2 and a message naming the line; every line\n"
              "before it has already been answered.");
  p.option("profile", "ID", "spec profile (default rec-2025; see 'connstate profiles')")
      .option("no-why", "", "omit the why (rule ids and triggering transports)")
      .option("quote", "", "include the spec quote of each deciding rule in the why");
  if (!p.parse(args)) return kExitOk;
  if (!p.positionals().empty()) throw UsageError("eval reads stdin and takes no arguments");
  const Profile profile = profile_option(p, kDefaultProfile);
  const bool why = !p.has("no-why");
  const bool quote = p.has("quote");

  LineReader in(stdin);
  std::string out;
  out.reserve(1 << 16);
  std::vector<TransportState> transports;
  std::string_view line;
  while (in.next(line)) {
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    try {
      boost::system::error_code ec;
      json::value v = json::parse(line, ec);
      if (ec) throw FieldError("", "invalid JSON: " + ec.message());
      const json::object& o = as_object(v, "");
      transports = read_transports(require(o, "transports", ""), "/transports", false);
      const bool closed = optional_bool(o, "closed", "", false);
      const Explanation x = explain(profile, closed, transports);
      out += "{\"connectionState\":";
      out += connection_state_json(x.derivation.connection_state);
      out += ",\"iceConnectionState\":\"";
      out += to_string(x.derivation.ice_connection_state);
      out += '"';
      if (why) {
        out += ",\"why\":";
        append_why_json(out, x, quote);
      }
      out += "}\n";
    } catch (const FieldError& e) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      std::fflush(stdout);
      std::fprintf(stderr, "connstate eval: line %zu%s%s: %s\n", in.line_number(), e.pointer.empty() ? "" : " at ",
                   e.pointer.c_str(), e.what());
      return kExitUsage;
    }
    if (out.size() > (1 << 16) - 1024) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      out.clear();
    }
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  if (in.failed()) {
    std::fprintf(stderr, "connstate eval: error reading stdin\n");
    return kExitUsage;
  }
  return kExitOk;
}

int profiles(const Args& args) {
  ArgParser p("connstate profiles", "connstate profiles [--json]", "Lists the spec profiles the reference follows.");
  p.option("json", "", "print JSON instead of text");
  if (!p.parse(args)) return kExitOk;
  if (p.has("json")) {
    std::string out = "[";
    for (const auto& i : kProfiles) {
      if (out.size() > 1) out += ',';
      out += "{\"id\":" + json_string(i.id) + ",\"default\":" + (i.profile == kDefaultProfile ? "true" : "false") +
             ",\"description\":" + json_string(i.description) + ",\"source\":" + json_string(i.source) + "}";
    }
    out += "]\n";
    std::fputs(out.c_str(), stdout);
    return kExitOk;
  }
  for (const auto& i : kProfiles) {
    std::printf("%-18s %s%s\n%-18s source: %s\n", std::string(i.id).c_str(), std::string(i.description).c_str(),
                i.profile == kDefaultProfile ? " [default]" : "", "", std::string(i.source).c_str());
  }
  return kExitOk;
}

namespace {

int explain_case(const ArgParser& p, const std::string& id) {
  // Generated cases are streamed: only the one asked for is kept.
  const Suite suite = load_suite_from(p, /*stream_generated=*/true);
  std::optional<Case> found;
  any_case(suite, [&](const Case& candidate) {
    if (candidate.is_named(id)) found = candidate;
    return found.has_value();
  });
  const Case* c = found ? &*found : nullptr;
  if (!c)
    throw UsageError("no case '" + id + "' (a transport is written ICE/DTLS; 'connstate list' shows the case ids" +
                     (id.starts_with("exhaustive.") || id.starts_with("seq.")
                          ? "; a generated id needs the --exhaustive / --sequence-depth it was generated with)"
                          : ")"));
  if (p.has("closed")) throw UsageError("--closed is for the snapshot form; the case says whether it is closed");
  std::vector<Profile> profiles;
  if (p.has("all-profiles")) {
    for (const auto& i : kProfiles)
      if (c->applies_to(i.profile)) profiles.push_back(i.profile);
  } else if (p.has("profile")) {
    const Profile profile = profile_option(p, kDefaultProfile);
    if (!c->applies_to(profile))
      throw UsageError("case '" + id + "' does not apply to profile " + std::string(to_string(profile)));
    profiles.push_back(profile);
  } else {
    Profile profile = kDefaultProfile;
    for (const auto& i : kProfiles)
      if (!c->applies_to(profile) && c->applies_to(i.profile)) profile = i.profile;
    profiles.push_back(profile);
  }
  for (std::size_t i = 0; i < profiles.size(); ++i)
    std::fputs(((i ? "\n" : "") + explain_case_text(*c, profiles[i])).c_str(), stdout);
  return kExitOk;
}

}  // namespace

int explain(const Args& args) {
  ArgParser p("connstate explain",
              "connstate explain [--profile ID] [--closed] ICE/DTLS [ICE/DTLS ...]\n"
              "       connstate explain [--profile ID] CASE-ID",
              "With transports: prints how the reference derives iceConnectionState and connectionState for\n"
              "one snapshot: the deciding rule of each, its spec anchor and quote, and the transports that\n"
              "triggered it. Example: connstate explain --profile rec-2025 completed/connected\n\n"
              "With a case id (as a report names it): prints the case (title, spec citation, inputs) and the\n"
              "reference's reasoning: for a snapshot the derivation above; for a sequence, step by step, each\n"
              "event with why it fired, each aggregate that did not change and the rule that kept it, the\n"
              "states afterwards, and the other acceptable outcomes. Example:\n"
              "  connstate explain close.no-event-from-connected\n"
              "Without --profile a case is explained under rec-2025, or its first profile if rec-2025 does\n"
              "not apply. Generated ids (exhaustive.*, seq.*) need the suite options they were run with.");
  p.option("profile", "ID", "spec profile (default rec-2025)")
      .option("closed", "", "the peer connection is closed (snapshot form)")
      .option("all-profiles", "", "explain under every profile (every profile of the case, for a case id)")
      .positional("ICE/DTLS", "one transport: ICE state / DTLS state, e.g. connected/new; append +sctp for an "
                              "SCTP-only transport")
      .positional("CASE-ID", "a case id, e.g. ice.order-failed");
  add_suite_options(p);
  if (!p.parse(args)) return kExitOk;
  const auto& pos = p.positionals();
  if (pos.empty()) throw UsageError("give transports (ICE/DTLS ...) or a case id (see --help)");
  if (pos.size() == 1 && pos[0].find('/') == std::string::npos) return explain_case(p, pos[0]);
  std::vector<TransportState> transports;
  for (const std::string& a : pos) {
    std::string text = a;
    TransportState t;
    if (text.size() > 5 && text.ends_with("+sctp")) {
      t.sctp_only = true;
      text.resize(text.size() - 5);
    }
    const auto slash = text.find('/');
    if (slash == std::string::npos) throw UsageError("transport '" + a + "' must be written ICE/DTLS, e.g. connected/new");
    try {
      t.ice = parse_state_or_throw<IceTransportState>(text.substr(0, slash), a);
      t.dtls = parse_state_or_throw<DtlsTransportState>(text.substr(slash + 1), a);
    } catch (const FieldError& e) {
      throw UsageError(std::string(e.what()) + " in '" + a + "'");
    }
    transports.push_back(t);
  }
  if (p.has("all-profiles")) {
    for (const auto& i : kProfiles) std::fputs((explain_text(i.profile, p.has("closed"), transports) + "\n").c_str(), stdout);
  } else {
    std::fputs(explain_text(profile_option(p, kDefaultProfile), p.has("closed"), transports).c_str(), stdout);
  }
  return kExitOk;
}

}  // namespace connstate::cli

// main.cpp — `connstate`: dispatches to the subcommands in commands.h.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "commands.h"
#include "connstate/harness/args.h"
#include "connstate/harness/json_input.h"
#include "connstate/harness/version.h"

namespace {

struct Command {
  const char* name;
  int (*fn)(const connstate::cli::Args&);
  const char* summary;
};

const Command kCommands[] = {
    {"run", connstate::cli::run, "run the conformance cases against a stack and write reports"},
    {"list", connstate::cli::list, "list the cases (ids, titles, tags); --dry-run counts them"},
    {"eval", connstate::cli::eval, "evaluate snapshots (JSON lines on stdin) with the reference"},
    {"explain", connstate::cli::explain, "show the reference's reasoning for a snapshot or for a case (by id)"},
    {"profiles", connstate::cli::profiles, "list the spec profiles"},
    {"spec-diff", connstate::cli::spec_diff, "where two profiles disagree, what they leave undefined, unused rules"},
    {"expectations", connstate::cli::expectations, "write or refresh an expectations file from results"},
    {"findings", connstate::cli::findings_command, "group the non-pass results of runs into findings with minimal reproductions"},
    {"compare", connstate::cli::compare, "run every case against several stacks and write a comparison matrix"},
    {"merge", connstate::cli::merge, "join the JSON results of the shards of a run (run --shard I/N) into one"},
    {"serve", connstate::cli::serve, "act as a protocol-1 adapter on stdin/stdout, answering with the reference"},
    {"fuzz", connstate::cli::fuzz, "fuzz a stack against the reference (libFuzzer or a seeded generator)"},
    {"case-from-crash", connstate::cli::case_from_crash, "turn a fuzzer finding into a regression case file"},
    {"check-trace", connstate::cli::check_trace, "check recorded traces of real stacks against the spec"},
    {"import", connstate::cli::import_trace, "convert a chrome://webrtc-internals dump into a trace"},
    {"live", connstate::cli::live, "check a running page's peer connections as they change (probe + live page)"},

};

void usage(std::FILE* to) {
  std::fprintf(to, "usage: connstate COMMAND [OPTIONS]\n\n"
                   "A conformance harness for RTCPeerConnection.connectionState and iceConnectionState.\n\ncommands:\n");
  for (const auto& c : kCommands) std::fprintf(to, "  %-14s %s\n", c.name, c.summary);
  std::fprintf(to, "\n'connstate COMMAND --help' describes each command.\n"
                   "'connstate --version' prints the tool version, the suite version and the profiles.\n\n"
                   "exit codes: 0 no unexpected result; 1 unexpected results (failures); 2 bad usage, bad\n"
                   "input files, or a case selection that matches nothing; 3 the stack under test could not be run.\n");
}

}  // namespace

int main(int argc, char** argv) {
  // An adapter that exits while the harness writes to it must give a write error (reported as the
  // adapter's failure), not kill the harness with SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  if (argc < 2) {
    usage(stderr);
    return connstate::cli::kExitUsage;
  }
  const std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    usage(stdout);
    return 0;
  }
  if (name == "--version") {
    std::fputs(connstate::harness::version_text().c_str(), stdout);
    return 0;
  }
  connstate::cli::Args args(argv + 2, argv + argc);
  for (const auto& c : kCommands) {
    if (name != c.name) continue;
    try {
      return c.fn(args);
    } catch (const connstate::harness::UsageError& e) {
      std::fprintf(stderr, "connstate %s: %s\n", c.name, e.what());
      return connstate::cli::kExitUsage;
    } catch (const connstate::harness::InputError& e) {
      std::fprintf(stderr, "connstate %s: %s\n", c.name, e.what());
      return connstate::cli::kExitUsage;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "connstate %s: internal error: %s\n", c.name, e.what());
      return connstate::cli::kExitUsage;
    }
  }
  std::fprintf(stderr, "connstate: unknown command '%s'\n\n", name.c_str());
  usage(stderr);
  return connstate::cli::kExitUsage;
}

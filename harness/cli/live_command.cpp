// live_command.cpp — `connstate live`: check a running page's peer connections as they change.
#include <sys/resource.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include "commands.h"
#include "connstate/harness/args.h"
#include "connstate/live/server.h"

namespace connstate::cli {
using namespace connstate::harness;
namespace fs = std::filesystem;

Profile profile_option(const ArgParser& p, Profile fallback);  // reference_commands.cpp

namespace {

// "127.0.0.1:8617", "[::1]:0", "0.0.0.0:80", ":8617" (loopback), "8617".
void parse_listen(const std::string& text, live::ServerOptions& o) {
  std::string host = "127.0.0.1", port = text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':')
      throw UsageError("--listen: expected ADDR:PORT, got '" + text + "'");
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else if (const auto colon = text.rfind(':'); colon != std::string::npos) {
    if (colon > 0) host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  o.address = host;
  o.port = static_cast<std::uint16_t>(parse_count("listen", port, 0, 65535));
}

std::size_t bytes_option(const ArgParser& p, const std::string& name, std::size_t fallback, std::size_t min) {
  auto v = p.value(name);
  if (!v) return fallback;
  std::string s = *v;
  std::size_t unit = 1;
  if (!s.empty() && (s.back() == 'K' || s.back() == 'k')) unit = 1024;
  else if (!s.empty() && (s.back() == 'M' || s.back() == 'm')) unit = 1024 * 1024;
  else if (!s.empty() && (s.back() == 'G' || s.back() == 'g')) unit = 1024ull * 1024 * 1024;
  if (unit != 1) s.pop_back();
  const auto n = static_cast<std::size_t>(parse_count(name, s, 1, 1ll << 40)) * unit;
  if (n < min) throw UsageError("--" + name + " must be at least " + std::to_string(min) + " bytes");
  return n;
}

// The token of --token-file: read it, or write a new one there (so a page's script tag survives restarts).
std::string token_from_file(const std::string& path) {
  std::ifstream in(path);
  std::string token;
  if (in && std::getline(in, token)) {
    while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
    if (token.size() < 16) throw UsageError("--token-file " + path + ": the token must have at least 16 characters");
    for (char c : token)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_')
        throw UsageError("--token-file " + path + ": the token may hold letters, digits, '-' and '_' only");
    return token;
  }
  std::random_device rd;
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 32; ++i) token += kHex[rd() & 15];
  std::ofstream out(path);
  out << token << "\n";
  out.close();
  if (!out) throw UsageError("--token-file " + path + ": cannot write a new token there");
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace);
  return token;
}

// Each session holds one or two descriptors (socket, recording): allow as many as the hard limit.
void raise_descriptor_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

}  // namespace

int live(const Args& args) {
  live::ServerOptions defaults;
  const auto& dl = defaults.limits;
  ArgParser p("connstate live",
              "connstate live [--listen ADDR:PORT] [--profile ID] [--record DIR] [--allow-origin ORIGIN...]\n"
              "                      [--sessions N] [limits...]",
              "Checks a running application's peer connections while they change, in any browser.\n"
              "It serves /probe.js (a page includes it, or pastes it into the devtools console: it streams\n"
              "every RTCPeerConnection's events over a WebSocket) and a live page at / that lists the page\n"
              "sessions and their pcs, draws each pc's timeline and shows findings as they happen; the terminal\n"
              "prints them too. Each page session is one trace (docs/trace-format.md), checked by the same\n"
              "streaming checker as check-trace; --record writes it, line for line what was checked.\n"
              "On start it prints one line: connstate live: http://127.0.0.1:PORT/?token=TOKEN\n"
              "Every URL needs the token. Usage and security model: docs/live.md.");
  p.option("listen", "ADDR:PORT", "where to listen (default 127.0.0.1:" + std::to_string(defaults.port) +
                                      "; port 0 picks a free one; a non-loopback address is warned about)")
      .option("profile", "ID", "spec profile (default rec-2025; see 'connstate profiles')")
      .option("reorder-window-ms", "N", "tolerated delivery skew, as in check-trace (default 0)")
      .option("max-findings", "N", "findings kept and pushed per pc, as in check-trace (default 1000)")
      .option("record", "DIR", "write each page session's trace to DIR/<session id>.jsonl")
      .option("allow-origin", "ORIGIN", "also accept WebSockets from pages of ORIGIN (scheme://host[:port]; "
                                        "'null' for file:// pages, '*' for any)", true)
      .option("token-file", "FILE", "use the token in FILE (written with a new random token if missing), so "
                                    "a page's script tag keeps working across restarts")
      .option("sessions", "N", "stop after N page sessions have ended (default: run until SIGINT/SIGTERM)")
      .option("quiet", "", "print sessions and their verdicts, not each finding")
      .option("max-sessions", "N", "page sessions open at once (default " + std::to_string(defaults.max_sessions) + ")")
      .option("max-viewers", "N", "live pages open at once (default " + std::to_string(defaults.max_viewers) + ")")
      .option("max-message-bytes", "BYTES", "largest WebSocket message (default " +
                                                std::to_string(dl.max_message_bytes) + ")")
      .option("max-messages-per-second", "N", "sustained messages per second per client (default " +
                                                  std::to_string(static_cast<long>(dl.messages_per_second)) +
                                                  ", bursts of twice that)")
      .option("max-pcs", "N", "peer connections per page session (default " + std::to_string(dl.max_pcs) + ")")
      .option("max-session-memory", "BYTES", "accounted memory per page session (default " +
                                                 std::to_string(dl.max_memory_bytes >> 20) + "M)")
      .option("max-memory", "BYTES", "accounted memory of all sessions together (default " +
                                         std::to_string(defaults.max_total_memory >> 20) + "M)")
      .option("max-send-queue", "BYTES", "bytes waiting to go to one client before it counts as not reading "
                                         "(default " + std::to_string(defaults.max_send_queue_bytes >> 20) + "M)")
      .option("max-pending-http", "N", "connections still sending their request; beyond, the oldest is dropped "
                                       "(default " + std::to_string(defaults.max_pending_http) + ")")
      .option("request-timeout", "S", "seconds a client has to send a whole HTTP request or finish a "
                                      "handshake (default " + std::to_string(static_cast<long>(defaults.request_timeout_seconds)) + ")")
      .option("idle-timeout", "S", "seconds a WebSocket may stay silent, pings answered included (default " +
                                       std::to_string(static_cast<long>(defaults.idle_timeout_seconds)) + ")");
  p.epilog("BYTES take a K, M or G suffix. A client that breaks a limit is disconnected with a close frame\n"
           "saying why (1007 invalid data, 1008 policy, 1009 too big); the others go on.\n"
           "exit codes: 0 stopped, no session failed; 1 a session had a pc with verdict fail or error;\n"
           "2 bad usage or cannot listen.");
  if (!p.parse(args)) return kExitOk;
  if (!p.positionals().empty()) throw UsageError("unexpected argument '" + p.positionals().front() + "'");

  live::ServerOptions o;
  if (auto v = p.value("listen")) parse_listen(*v, o);
  o.check.profile = profile_option(p, kDefaultProfile);
  if (auto v = p.value("reorder-window-ms")) o.check.reorder_window_ms = parse_number("reorder-window-ms", *v, 0, 1e9);
  if (auto v = p.value("max-findings"))
    o.check.max_findings = static_cast<std::size_t>(parse_count("max-findings", *v, 0, 100000000));
  o.allowed_origins = p.values("allow-origin");
  for (const auto& origin : o.allowed_origins)
    if (origin != "*" && origin != "null" && origin.find("://") == std::string::npos)
      throw UsageError("--allow-origin '" + origin + "': expected scheme://host[:port] (e.g. http://localhost:3000)");
  if (auto dir = p.value("record")) {
    std::error_code ec;
    fs::create_directories(*dir, ec);
    if (ec || !fs::is_directory(*dir)) throw UsageError("cannot create --record directory " + *dir);
    o.record_dir = *dir;
  }
  if (auto f = p.value("token-file")) o.token = token_from_file(*f);
  if (auto v = p.value("sessions")) o.stop_after_sessions = static_cast<std::size_t>(parse_count("sessions", *v, 1, 1ll << 40));
  o.quiet = p.has("quiet");
  if (auto v = p.value("max-sessions")) o.max_sessions = static_cast<std::size_t>(parse_count("max-sessions", *v, 1, 1000000));
  if (auto v = p.value("max-viewers")) o.max_viewers = static_cast<std::size_t>(parse_count("max-viewers", *v, 0, 100000));
  o.limits.max_message_bytes = bytes_option(p, "max-message-bytes", dl.max_message_bytes, 1024);
  if (auto v = p.value("max-messages-per-second")) {
    o.limits.messages_per_second = parse_number("max-messages-per-second", *v, 1, 1e9);
    o.limits.message_burst = 2 * o.limits.messages_per_second;
  }
  if (auto v = p.value("max-pcs")) o.limits.max_pcs = static_cast<std::size_t>(parse_count("max-pcs", *v, 1, 4096));
  o.limits.max_memory_bytes = bytes_option(p, "max-session-memory", dl.max_memory_bytes, 64 * 1024);
  o.max_total_memory = bytes_option(p, "max-memory", defaults.max_total_memory, 1024 * 1024);
  o.max_send_queue_bytes = bytes_option(p, "max-send-queue", defaults.max_send_queue_bytes, 64 * 1024);
  if (auto v = p.value("max-pending-http"))
    o.max_pending_http = static_cast<std::size_t>(parse_count("max-pending-http", *v, 1, 1000000));
  if (auto v = p.value("request-timeout")) o.request_timeout_seconds = parse_number("request-timeout", *v, 0.1, 3600);
  if (auto v = p.value("idle-timeout")) o.idle_timeout_seconds = parse_number("idle-timeout", *v, 1, 86400);

  raise_descriptor_limit();
  if (!live::is_loopback_address(o.address))
    std::fprintf(stderr,
                 "connstate live: warning: listening on %s, which is not a loopback address: anyone who can reach "
                 "it and knows the token can feed it traces and read the findings\n",
                 o.address.c_str());
  for (const auto& origin : o.allowed_origins)
    if (origin == "*")
      std::fprintf(stderr, "connstate live: warning: --allow-origin '*': a page of any site that learns the token "
                           "can open the WebSocket\n");

  boost::asio::io_context io(1);
  live::Server server(io, o, stdout, stderr);
  try {
    server.start();
  } catch (const std::runtime_error& e) {
    throw UsageError(e.what());
  }
  std::printf("connstate live: %s\n", server.url().c_str());
  std::fflush(stdout);

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&server](const boost::system::error_code& ec, int) {
    if (!ec) server.stop();
  });
  server.on_stop([&signals] {
    boost::system::error_code ignored;
    signals.cancel(ignored);
  });
  io.run();
  const live::ServerStats s = server.stats();
  std::printf("stopped after %zu page session(s), %zu with failures\n", s.sessions_total,
              s.sessions_failed);
  return s.sessions_failed > 0 ? kExitUnexpected : kExitOk;
}

}  // namespace connstate::cli

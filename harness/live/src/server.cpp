// server.cpp — the live server's listener and HTTP side (see server.h); WebSockets are in ws_connection.cpp.
#include "connstate/live/server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <algorithm>
#include <cctype>
#include <chrono>
#include <ctime>
#include <map>
#include <random>
#include <stdexcept>

#include "connstate/harness/json_input.h"
#include "connstate/harness/version.h"
#include "internal/assets.h"
#include "internal/connections.h"

namespace connstate::live {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using internal::Hub;

namespace {

constexpr std::size_t kHeaderLimit = 8 * 1024;
constexpr unsigned kMaxRequestsPerConnection = 32;

std::string random_token() {
  std::random_device rd;
  std::string t;
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 4; ++i) {
    std::uint32_t v = rd();
    for (int k = 0; k < 8; ++k, v >>= 4) t += kHex[v & 15];
  }
  return t;
}

bool same_text(std::string_view given, std::string_view expected) {
  // Constant time for a given length: the comparison does not tell how much of the token matched.
  if (given.size() != expected.size()) return false;
  unsigned diff = 0;
  for (std::size_t i = 0; i < expected.size(); ++i) diff |= static_cast<unsigned char>(given[i] ^ expected[i]);
  return diff == 0;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i] == '+' ? ' ' : s[i];
    }
  }
  return out;
}

struct Target {
  std::string path;
  std::map<std::string, std::string> query;
};

Target parse_target(std::string_view target) {
  Target t;
  const auto q = target.find('?');
  t.path = std::string(target.substr(0, q));
  if (q == std::string_view::npos) return t;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    const auto eq = pair.find('=');
    const std::string key = percent_decode(pair.substr(0, eq));
    if (!t.query.contains(key))
      t.query[key] = eq == std::string_view::npos ? "" : percent_decode(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return t;
}

std::string json_string(std::string_view s) {
  std::string out;
  harness::append_json_string(out, s);
  // A '<' never ends a script block this text is put into.
  std::string safe;
  for (char c : out) safe += c == '<' ? std::string("\\u003c") : std::string(1, c);
  return safe;
}

std::string replace_config(std::string_view text, const std::string& config) {
  static constexpr std::string_view kMarker = "/*CONNSTATE_CONFIG*/null";
  std::string out(text);
  const auto at = out.find(kMarker);
  if (at != std::string::npos) out.replace(at, kMarker.size(), config);
  return out;
}

std::string endpoint_text(const tcp::endpoint& e) {
  const auto a = e.address();
  return (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" + std::to_string(e.port());
}

class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
 public:
  HttpConnection(std::shared_ptr<Hub> hub, tcp::socket socket) : hub_(std::move(hub)), stream_(std::move(socket)) {
    boost::system::error_code ec;
    const auto remote = stream_.socket().remote_endpoint(ec);
    peer_ = ec ? "?" : endpoint_text(remote);
  }

  void start() { read(); }

  ~HttpConnection() { leave_pending(); }

 private:
  void leave_pending() {
    if (!pending_) return;
    pending_ = false;
    hub_->pending_http.erase(pending_it_);
  }

  // While a request is being read the connection is pending: past the limit, the oldest pending
  // connection is dropped (a slowloris flood then evicts itself, not the clients that come after it).
  void enter_pending() {
    if (pending_) return;
    if (hub_->pending_http.size() >= hub_->options.max_pending_http) {
      auto oldest = std::move(hub_->pending_http.front());
      hub_->pending_http.pop_front();
      oldest();
    }
    std::weak_ptr<HttpConnection> weak = shared_from_this();
    hub_->pending_http.push_back([weak] {
      if (auto self = weak.lock()) {
        self->pending_ = false;
        self->stream_.close();
      }
    });
    pending_it_ = std::prev(hub_->pending_http.end());
    pending_ = true;
  }

  void read() {
    enter_pending();
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    parser_->body_limit(0);
    // The whole request must arrive in time (slowloris): the timer is not reset by each byte.
    stream_.expires_after(std::chrono::milliseconds(static_cast<long>(hub_->options.request_timeout_seconds * 1000)));
    http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->on_read(ec);
    });
  }

  void on_read(beast::error_code ec) {
    if (ec) {
      if (ec != http::error::end_of_stream && ec != beast::error::timeout && ec != asio::error::operation_aborted &&
          ec != asio::error::connection_reset && ec != asio::error::eof) {
        ++hub_->stats.refused_http;
        // A malformed request gets an answer when the socket still takes one.
        http::response<http::string_body> res{http::status::bad_request, 11};
        res.set(http::field::content_type, "text/plain; charset=utf-8");
        res.set(http::field::connection, "close");
        res.body() = "bad request: " + ec.message() + "\n";
        res.prepare_payload();
        leave_pending();
        write(std::move(res), true);
        return;
      }
      leave_pending();
      stream_.close();
      return;
    }
    leave_pending();
    auto request = parser_->release();
    ++requests_;
    if (beast::websocket::is_upgrade(request)) {
      upgrade(std::move(request));
      return;
    }
    respond(request);
  }

  http::response<http::string_body> text_response(http::status status, const std::string& body, unsigned version) {
    http::response<http::string_body> res{status, version};
    res.set(http::field::server, "connstate-live");
    res.set(http::field::content_type, "text/plain; charset=utf-8");
    res.set(http::field::cache_control, "no-store");
    res.set("X-Content-Type-Options", "nosniff");
    res.body() = body;
    res.prepare_payload();
    return res;
  }

  // 401 without the token, 403 with a wrong one; nullopt when it is right.
  std::optional<http::response<http::string_body>> check_token(const Target& t, unsigned version) {
    auto it = t.query.find("token");
    if (it == t.query.end() || it->second.empty())
      return text_response(http::status::unauthorized,
                           "connstate live: this URL needs ?token=..., the token printed when the server started\n",
                           version);
    if (!same_text(it->second, hub_->token))
      return text_response(http::status::forbidden, "connstate live: wrong token\n", version);
    return std::nullopt;
  }

  std::string host_of(const http::request<http::empty_body>& req) const {
    // The Host the browser used is where the probe connects back to; it goes into scripts and a CSP
    // header, so anything but a host name or address with a port is replaced.
    const auto host = req[http::field::host];
    const bool plain = !host.empty() && host.size() <= 255 && std::all_of(host.begin(), host.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == ':' || c == '-' || c == '[' || c == ']';
    });
    if (plain) return std::string(host);
    return "127.0.0.1:" + std::to_string(hub_->port);
  }

  void respond(const http::request<http::empty_body>& req) {
    const unsigned version = req.version();
    const bool keep_alive = req.keep_alive() && requests_ < kMaxRequestsPerConnection && !hub_->stopping;
    const Target t = parse_target(req.target());
    http::response<http::string_body> res;
    if (req.method() != http::verb::get && req.method() != http::verb::head) {
      res = text_response(http::status::method_not_allowed, "connstate live: GET only\n", version);
      res.set(http::field::allow, "GET, HEAD");
    } else if (t.path == "/favicon.ico") {
      res = text_response(http::status::not_found, "", version);
    } else if (t.path != "/" && t.path != "/probe.js" && t.path != "/ws") {
      res = text_response(http::status::not_found, "connstate live: no such page\n", version);
    } else if (auto refused = check_token(t, version)) {
      res = std::move(*refused);
    } else if (t.path == "/ws") {
      res = text_response(http::status::bad_request, "connstate live: /ws is a WebSocket endpoint\n", version);
    } else {
      const std::string host = host_of(req);
      const std::string ws_base = "ws://" + host + "/ws?token=" + hub_->token;
      res = http::response<http::string_body>{http::status::ok, version};
      res.set(http::field::server, "connstate-live");
      res.set(http::field::cache_control, "no-store");
      res.set("X-Content-Type-Options", "nosniff");
      if (t.path == "/probe.js") {
        const std::string config = "{\"ws\":" + json_string(ws_base + "&role=probe") +
                                   ",\"max_message_bytes\":" + std::to_string(hub_->options.limits.max_message_bytes) +
                                   ",\"version\":" + json_string(harness::tool_version()) + "}";
        res.set(http::field::content_type, "text/javascript; charset=utf-8");
        // A page with Cross-Origin-Embedder-Policy may still load it.
        res.set("Cross-Origin-Resource-Policy", "cross-origin");
        res.body() = replace_config(assets::probe_js, config);
      } else {
        const std::string config = "{\"ws\":" + json_string(ws_base + "&role=viewer") + ",\"probe\":" +
                                   json_string("http://" + host + "/probe.js?token=" + hub_->token) + "}";
        // Only the page's own script runs (a nonce, not 'unsafe-inline'): text from traces cannot add any.
        const std::string nonce = random_token();
        res.set(http::field::content_type, "text/html; charset=utf-8");
        res.set("Content-Security-Policy", "default-src 'none'; script-src 'nonce-" + nonce +
                                               "'; style-src 'unsafe-inline'; img-src data:; connect-src ws://" + host +
                                               "; frame-ancestors 'none'; base-uri 'none'");
        res.set("Referrer-Policy", "no-referrer");
        std::string page = replace_config(assets::live_html, config);
        if (const auto at = page.find("CONNSTATE_NONCE"); at != std::string::npos) page.replace(at, 15, nonce);
        res.body() = std::move(page);
      }
      res.prepare_payload();
    }
    if (res.result() != http::status::ok && res.result() != http::status::not_found) ++hub_->stats.refused_http;
    res.keep_alive(keep_alive);
    if (req.method() == http::verb::head) {
      const auto length = res.body().size();
      res.body().clear();
      res.content_length(length);
    }
    write(std::move(res), !keep_alive);
  }

  void upgrade(http::request<http::empty_body> req) {
    const unsigned version = req.version();
    const Target t = parse_target(req.target());
    const std::string origin(req[http::field::origin]);
    auto refuse = [&](http::response<http::string_body> res, const std::string& why) {
      ++hub_->stats.refused_upgrades;
      if (!why.empty()) hub_->warn(why);
      res.keep_alive(false);
      write(std::move(res), true);
    };
    if (t.path != "/ws") return refuse(text_response(http::status::not_found, "connstate live: no such endpoint\n", version), "");
    if (auto refused = check_token(t, version)) return refuse(std::move(*refused), "");
    if (!hub_->origin_allowed(origin))
      return refuse(text_response(http::status::forbidden, "connstate live: origin not allowed\n", version),
                    "refused a WebSocket from origin " + origin + " (" + peer_ +
                        "): not allowed; start with --allow-origin " + origin + " to accept it");
    const auto role_it = t.query.find("role");
    const std::string role = role_it == t.query.end() ? "probe" : role_it->second;
    if (role != "probe" && role != "viewer")
      return refuse(text_response(http::status::bad_request, "connstate live: role must be probe or viewer\n", version),
                    "");
    if (hub_->stopping)
      return refuse(text_response(http::status::service_unavailable, "connstate live: stopping\n", version), "");
    if (role == "probe" && hub_->probes.size() >= hub_->options.max_sessions)
      return refuse(text_response(http::status::service_unavailable,
                                  "connstate live: session limit reached (" +
                                      std::to_string(hub_->options.max_sessions) + ")\n", version),
                    "refused a page session from " + peer_ + ": " + std::to_string(hub_->options.max_sessions) +
                        " sessions are open (--max-sessions)");
    if (role == "viewer" && hub_->viewers.size() >= hub_->options.max_viewers)
      return refuse(text_response(http::status::service_unavailable,
                                  "connstate live: viewer limit reached (" + std::to_string(hub_->options.max_viewers) +
                                      ")\n", version),
                    "");
    internal::start_websocket(hub_, std::move(stream_), std::move(req),
                              role == "probe" ? internal::Role::Probe : internal::Role::Viewer, peer_, origin);
  }

  void write(http::response<http::string_body> res, bool close_after) {
    auto shared = std::make_shared<http::response<http::string_body>>(std::move(res));
    stream_.expires_after(std::chrono::milliseconds(static_cast<long>(hub_->options.request_timeout_seconds * 1000)));
    http::async_write(stream_, *shared, [self = shared_from_this(), shared, close_after](beast::error_code ec, std::size_t) {
      if (ec || close_after) {
        beast::error_code ignored;
        self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
        self->stream_.close();
        return;
      }
      self->read();
    });
  }

  std::shared_ptr<Hub> hub_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_{kHeaderLimit};
  std::optional<http::request_parser<http::empty_body>> parser_;
  std::string peer_;
  unsigned requests_ = 0;
  bool pending_ = false;
  std::list<std::function<void()>>::iterator pending_it_;
};

}  // namespace

void internal::start_http_connection(std::shared_ptr<Hub> hub, tcp::socket socket) {
  std::make_shared<HttpConnection>(std::move(hub), std::move(socket))->start();
}

bool is_loopback_address(const std::string& address) {
  if (address == "localhost") return true;
  boost::system::error_code ec;
  auto a = asio::ip::make_address(address, ec);
  if (ec) return false;
  if (a.is_v6() && a.to_v6().is_v4_mapped()) return a.to_v6().to_v4().is_loopback();
  return a.is_loopback();
}

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
  std::shared_ptr<Hub> hub;
  tcp::acceptor acceptor;
  std::function<void()> on_stop;

  Impl(asio::io_context& io, ServerOptions options, std::FILE* out, std::FILE* err)
      : hub(std::make_shared<Hub>(io, std::move(options), out, err)), acceptor(io) {}

  void accept() {
    acceptor.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !self->acceptor.is_open()) return;
      if (!ec) {
        socket.set_option(tcp::no_delay(true), ec);
        internal::start_http_connection(self->hub, std::move(socket));
      } else if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space) {
        self->hub->warn("accept: " + ec.message() + " (too many connections)");
      }
      self->accept();
    });
  }

  void stop() {
    if (hub->stopping) return;
    hub->stopping = true;
    if (on_stop) on_stop();
    beast::error_code ec;
    acceptor.close(ec);
    while (!hub->pending_http.empty()) {
      auto closer = std::move(hub->pending_http.front());
      hub->pending_http.pop_front();
      closer();
    }
    std::vector<std::shared_ptr<internal::Client>> clients;
    for (auto* registry : {&hub->probes, &hub->viewers})
      for (auto& [raw, weak] : *registry)
        if (auto c = weak.lock()) clients.push_back(std::move(c));
    for (auto& c : clients) c->close(beast::websocket::close_code::going_away, "server stopping");
  }
};

Server::Server(asio::io_context& io, ServerOptions options, std::FILE* out, std::FILE* err)
    : impl_(std::make_shared<Impl>(io, std::move(options), out, err)) {
  Hub& hub = *impl_->hub;
  hub.token = hub.options.token.empty() ? random_token() : hub.options.token;
  char stamp[32];
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  hub.started_stamp = stamp;
  std::weak_ptr<Impl> weak = impl_;
  hub.request_stop = [weak, &io] {
    asio::post(io, [weak] {
      if (auto impl = weak.lock()) impl->stop();
    });
  };
}

Server::~Server() {
  if (impl_) impl_->hub->request_stop = nullptr;
}

void Server::start() {
  Hub& hub = *impl_->hub;
  boost::system::error_code ec;
  const std::string host = hub.options.address == "localhost" ? "127.0.0.1" : hub.options.address;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) throw std::runtime_error("not an IP address: " + hub.options.address);
  const tcp::endpoint endpoint(address, hub.options.port);
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    throw std::runtime_error("cannot listen on " + endpoint_text(endpoint) + ": " + ec.message());
  hub.port = acceptor.local_endpoint().port();
  const std::string p = std::to_string(hub.port);
  hub.own_origins = {"http://127.0.0.1:" + p, "http://localhost:" + p, "http://[::1]:" + p};
  if (!address.is_unspecified() && !is_loopback_address(host))
    hub.own_origins.push_back("http://" + endpoint_text(tcp::endpoint(address, hub.port)));
  impl_->accept();
}

std::uint16_t Server::port() const { return impl_->hub->port; }
const std::string& Server::token() const { return impl_->hub->token; }

std::string Server::url() const {
  const Hub& hub = *impl_->hub;
  std::string host = hub.options.address;
  boost::system::error_code ec;
  const auto a = asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
  if (ec || a.is_unspecified()) host = "127.0.0.1";
  else if (a.is_v6()) host = "[" + a.to_string() + "]";
  return "http://" + host + ":" + std::to_string(hub.port) + "/?token=" + hub.token;
}

void Server::stop() { impl_->stop(); }
void Server::on_stop(std::function<void()> f) { impl_->on_stop = std::move(f); }
ServerStats Server::stats() const { return impl_->hub->stats; }

}  // namespace connstate::live

// json_input.cpp — see json_input.h.
#include "connstate/harness/json_input.h"

#include <cstdio>
#include <fstream>
#include <sstream>

namespace connstate::harness {

namespace {
std::string located(const std::string& file, int line, int column, const std::string& message) {
  std::string out = file;
  if (line > 0) {
    out += ':';
    out += std::to_string(line);
    out += ':';
    out += std::to_string(column);
  }
  out += ": ";
  out += message;
  return out;
}
}  // namespace

InputError::InputError(std::string file_, int line_, int column_, const std::string& message_)
    : std::runtime_error(located(file_, line_, column_, message_)),
      file(std::move(file_)), line(line_), column(column_), message(message_) {}

Position position_of(std::string_view text, std::size_t offset) {
  Position p;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++p.line;
      p.column = 1;
    } else {
      ++p.column;
    }
  }
  return p;
}

namespace {

// A small scanner over JSON text that records where the value at a pointer starts.
// Only used on error paths, so it favours simplicity over speed.
struct Locator {
  std::string_view text;
  std::string_view target;
  std::size_t i = 0;
  std::optional<std::size_t> found;
  std::string_view children_of;                 // when set: record where each element of that array starts
  std::vector<std::size_t>* children = nullptr;

  void ws() {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\n' || text[i] == '\r' || text[i] == '\t')) ++i;
  }
  std::string string_token() {
    std::string s;
    ++i;  // opening quote
    while (i < text.size() && text[i] != '"') {
      if (text[i] == '\\' && i + 1 < text.size()) {
        s += text[i + 1];
        i += 2;
        continue;
      }
      s += text[i++];
    }
    ++i;
    return s;
  }
  void value(const std::string& path) {
    ws();
    if (i >= text.size() || found) return;
    if (path == target) {
      found = i;
      return;
    }
    const char c = text[i];
    if (c == '{') {
      ++i;
      ws();
      while (i < text.size() && text[i] != '}') {
        ws();
        if (i >= text.size() || text[i] != '"') return;
        const std::string key = string_token();
        ws();
        if (i < text.size() && text[i] == ':') ++i;
        value(pointer_join(path, key));
        if (found) return;
        ws();
        if (i < text.size() && text[i] == ',') ++i;
        ws();
      }
      ++i;
    } else if (c == '[') {
      ++i;
      std::size_t index = 0;
      ws();
      const bool record = children && path == children_of;
      while (i < text.size() && text[i] != ']') {
        if (record) {
          ws();
          children->push_back(i);
        }
        value(pointer_join(path, index++));
        if (found) return;
        ws();
        if (i < text.size() && text[i] == ',') ++i;
        ws();
      }
      ++i;
    } else if (c == '"') {
      string_token();
    } else {
      while (i < text.size() && text[i] != ',' && text[i] != '}' && text[i] != ']' && text[i] != ' ' &&
             text[i] != '\n' && text[i] != '\r' && text[i] != '\t')
        ++i;
    }
  }
};

}  // namespace

Position locate(std::string_view text, std::string_view pointer) {
  Locator l{text, pointer, 0, std::nullopt, {}, nullptr};
  l.value("");
  return position_of(text, l.found.value_or(0));
}

std::vector<Position> locate_elements(std::string_view text, std::string_view array_pointer) {
  std::vector<std::size_t> offsets;
  Locator l{text, "\x01never", 0, std::nullopt, array_pointer, &offsets};
  l.value("");
  std::vector<Position> out;
  Position p;
  std::size_t at = 0;
  for (std::size_t off : offsets) {  // one pass over the text for all elements
    for (; at < off && at < text.size(); ++at) {
      if (text[at] == '\n') {
        ++p.line;
        p.column = 1;
      } else {
        ++p.column;
      }
    }
    out.push_back(p);
  }
  return out;
}

json::value parse_document(std::string_view text, const std::string& file) {
  json::stream_parser p;
  boost::system::error_code ec;
  const std::size_t n = p.write_some(text.data(), text.size(), ec);
  if (!ec) p.finish(ec);
  if (ec) {
    const Position pos = position_of(text, ec && n < text.size() ? n : text.size());
    throw InputError(file, pos.line, pos.column, "invalid JSON: " + ec.message());
  }
  return p.release();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, 0, 0, "cannot open file");
  // One read of the known size: growing a stream buffer copied a 100 MB dump over and over.
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size >= 0) {
    std::string out(static_cast<std::size_t>(size), '\0');
    in.seekg(0, std::ios::beg);
    if (in.read(out.data(), size)) return out;
    in.clear();
    in.seekg(0, std::ios::beg);
  } else {
    in.clear();  // not seekable (a pipe): read it as a stream
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string pointer_join(const std::string& base, std::string_view key) {
  std::string out = base + "/";
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

std::string pointer_join(const std::string& base, std::size_t index) { return base + "/" + std::to_string(index); }

static std::string where(const std::string& at) { return at.empty() ? "document" : at; }

const json::object& as_object(const json::value& v, const std::string& at) {
  if (!v.is_object()) throw FieldError(at, where(at) + " must be an object");
  return v.get_object();
}

const json::array& as_array(const json::value& v, const std::string& at) {
  if (!v.is_array()) throw FieldError(at, where(at) + " must be an array");
  return v.get_array();
}

const json::value& require(const json::object& o, std::string_view key, const std::string& at) {
  auto it = o.find(key);
  if (it == o.end()) throw FieldError(at, "missing field \"" + std::string(key) + "\" in " + where(at));
  return it->value();
}

std::string require_string(const json::object& o, std::string_view key, const std::string& at) {
  const json::value& v = require(o, key, at);
  if (!v.is_string()) throw FieldError(pointer_join(at, key), "field \"" + std::string(key) + "\" must be a string");
  return std::string(v.get_string());
}

std::optional<std::string> optional_string(const json::object& o, std::string_view key, const std::string& at) {
  auto it = o.find(key);
  if (it == o.end()) return std::nullopt;
  if (!it->value().is_string())
    throw FieldError(pointer_join(at, key), "field \"" + std::string(key) + "\" must be a string");
  return std::string(it->value().get_string());
}

bool optional_bool(const json::object& o, std::string_view key, const std::string& at, bool fallback) {
  auto it = o.find(key);
  if (it == o.end()) return fallback;
  if (!it->value().is_bool())
    throw FieldError(pointer_join(at, key), "field \"" + std::string(key) + "\" must be true or false");
  return it->value().get_bool();
}

void reject_unknown_keys(const json::object& o, std::initializer_list<std::string_view> known, const std::string& at) {
  for (const auto& kv : o) {
    bool ok = false;
    for (auto k : known) ok = ok || kv.key() == k;
    if (!ok) throw FieldError(pointer_join(at, kv.key()), "unknown field \"" + std::string(kv.key()) + "\" in " + where(at));
  }
}

TransportState read_transport(const json::value& v, const std::string& at, bool strict) {
  const json::object& o = as_object(v, at);
  if (strict) reject_unknown_keys(o, {"ice", "dtls", "sctp_only"}, at);
  TransportState t;
  t.ice = require_state<IceTransportState>(o, "ice", at);
  t.dtls = require_state<DtlsTransportState>(o, "dtls", at);
  t.sctp_only = optional_bool(o, "sctp_only", at, false);
  return t;
}

std::vector<TransportState> read_transports(const json::value& v, const std::string& at, bool strict) {
  const json::array& a = as_array(v, at);
  std::vector<TransportState> out;
  out.reserve(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) out.push_back(read_transport(a[i], pointer_join(at, i), strict));
  return out;
}

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  // Fast path: nothing to escape (state names, ids, most text).
  bool plain = true;
  for (char c : s) {
    if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) {
      plain = false;
      break;
    }
  }
  if (plain) {
    out.append(s.data(), s.size());
    out += '"';
    return;
  }
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

std::string json_string(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

}  // namespace connstate::harness

// trace_line.cpp — see trace_line.h. The scanner follows the JSON grammar (RFC 8259) for the
// subset it accepts and declines at the first byte outside it.
#include "connstate/trace/trace_line.h"

#include <array>
#include <cstdint>

namespace connstate::trace {
namespace {

constexpr std::array<double, 23> kExactPowersOfTen = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                                      1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                                      1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
// At most this many digits: the mantissa stays below 2^53, so it converts to double exactly.
constexpr int kMaxDigits = 15;

// The bytes a string may hold for the scanner: printable ASCII but the quote and the backslash.
constexpr std::array<bool, 256> make_plain_string_bytes() {
  std::array<bool, 256> plain{};
  for (unsigned c = 0x20; c < 0x7f; ++c) plain[c] = c != '"' && c != '\\';
  return plain;
}
constexpr std::array<bool, 256> kPlainStringByte = make_plain_string_bytes();

enum class Field : std::uint8_t { TMs, Pc, Target, Event, State, Attribute, SctpOnly, Format, Other };

Field field_named(std::string_view key) {
  switch (key.size()) {
    case 2: return key == "pc" ? Field::Pc : Field::Other;
    case 4: return key == "t_ms" ? Field::TMs : Field::Other;
    case 5: return key == "event" ? Field::Event : key == "state" ? Field::State : Field::Other;
    case 6: return key == "target" ? Field::Target : key == "format" ? Field::Format : Field::Other;
    case 9: return key == "attribute" ? Field::Attribute : key == "sctp_only" ? Field::SctpOnly : Field::Other;
    default: return Field::Other;
  }
}

class Scanner {
 public:
  explicit Scanner(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

  bool line(TraceLineFields& out) {
    skip_space();
    if (!take('{')) return false;
    skip_space();
    if (take('}')) return at_end();
    unsigned seen = 0;
    for (;;) {
      std::string_view key;
      if (!string(key)) return false;
      skip_space();
      if (!take(':')) return false;
      skip_space();
      const Field f = field_named(key);
      if (f == Field::Format) return false;  // a header: the full parser reads it
      if (f != Field::Other) {
        const unsigned bit = 1u << static_cast<unsigned>(f);
        if (seen & bit) return false;  // which one counts is the full parser's business
        seen |= bit;
      }
      if (!value(f, out)) return false;
      skip_space();
      if (take('}')) return at_end();
      if (!take(',')) return false;
      skip_space();
    }
  }

 private:
  void skip_space() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }
  bool take(char c) {
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }
  bool at_end() {
    skip_space();
    return p_ == end_;
  }
  bool literal(std::string_view word) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) return false;
    p_ += word.size();
    return true;
  }

  // Printable ASCII without escapes only: the full parser handles (and validates) the rest.
  bool string(std::string_view& out) {
    if (!take('"')) return false;
    const char* begin = p_;
    while (p_ != end_ && kPlainStringByte[static_cast<unsigned char>(*p_)]) ++p_;
    if (p_ == end_ || *p_ != '"') return false;
    out = std::string_view(begin, static_cast<std::size_t>(p_ - begin));
    ++p_;
    return true;
  }

  // -?(0|[1-9][0-9]*)(\.[0-9]+)? with at most kMaxDigits digits; no exponent. The value is what
  // Boost.JSON makes of it: an integer converts from int64; a fraction is mantissa / 10^digits,
  // negated before the division (so "-0.0" is -0.0 and "-0" is 0.0).
  bool number(double& out) {
    const bool negative = take('-');
    if (p_ == end_ || *p_ < '0' || *p_ > '9') return false;
    std::int64_t mantissa = 0;
    int digits = 0, fraction_digits = 0;
    const bool leading_zero = *p_ == '0';
    while (p_ != end_ && *p_ >= '0' && *p_ <= '9') {
      mantissa = mantissa * 10 + (*p_++ - '0');
      if (++digits > kMaxDigits) return false;
    }
    if (leading_zero && digits > 1) return false;
    const bool fraction = take('.');
    if (fraction) {
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9') {
        mantissa = mantissa * 10 + (*p_++ - '0');
        ++fraction_digits;
        if (++digits > kMaxDigits) return false;
      }
      if (fraction_digits == 0) return false;
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) return false;
    if (!fraction) {
      out = static_cast<double>(negative ? -mantissa : mantissa);
      return true;
    }
    double x = static_cast<double>(mantissa);
    if (negative) x = -x;
    out = x / kExactPowersOfTen[static_cast<std::size_t>(fraction_digits)];
    return true;
  }

  bool value(Field f, TraceLineFields& out) {
    if (p_ == end_) return false;
    switch (*p_) {
      case '"': {
        std::string_view s;
        if (!string(s)) return false;
        switch (f) {
          case Field::Pc: out.pc = s; break;
          case Field::Target: out.target = s; break;
          case Field::Event: out.event = s; break;
          case Field::State: out.state = s; break;
          case Field::Attribute: out.attribute = s; break;
          default: break;
        }
        return true;
      }
      case 't':
        if (!literal("true")) return false;
        if (f == Field::SctpOnly) out.sctp_only = true;
        return true;
      case 'f': return literal("false");
      case 'n': return literal("null");
      default: {
        double v = 0;
        if (!number(v)) return false;
        if (f == Field::TMs) out.t_ms = v;
        return true;
      }
    }
  }

  const char* p_;
  const char* end_;
};

std::optional<std::string_view> string_field(const boost::json::object& o, std::string_view key) {
  const boost::json::value* v = o.if_contains(key);
  if (!v || !v->is_string()) return std::nullopt;
  const boost::json::string& s = v->get_string();
  return std::string_view(s.data(), s.size());
}

}  // namespace

bool scan_trace_line(std::string_view line, TraceLineFields& out) {
  out = TraceLineFields{};
  return Scanner(line).line(out);
}

TraceLineFields fields_of(const boost::json::object& o) {
  TraceLineFields f;
  f.target = string_field(o, "target");
  f.event = string_field(o, "event");
  f.pc = string_field(o, "pc");
  f.state = string_field(o, "state");
  f.attribute = string_field(o, "attribute");
  if (const boost::json::value* t = o.if_contains("t_ms")) {
    if (t->is_double()) f.t_ms = t->get_double();
    else if (t->is_int64()) f.t_ms = static_cast<double>(t->get_int64());
    else if (t->is_uint64()) f.t_ms = static_cast<double>(t->get_uint64());
  }
  if (const boost::json::value* so = o.if_contains("sctp_only"); so && so->is_bool()) f.sctp_only = so->get_bool();
  return f;
}

}  // namespace connstate::trace

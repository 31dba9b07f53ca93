// json_input.h — reading JSON input with errors that point at the offending place.
//
// Every file or line connstate reads (snapshots, case files, adapter responses,
// traces, expectations) goes through these helpers, so every error names where
// it is: a JSON pointer inside the document, turned into a line and column of
// the file by locate(). Parsing a state name is strict: unknown text is an error
// that lists the accepted values.
#pragma once

#include <boost/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "connstate/states.h"

namespace connstate::harness {

namespace json = boost::json;

// A problem at a place inside a JSON value, named by a JSON pointer ("/cases/3/transports/0/ice").
struct FieldError : std::runtime_error {
  FieldError(std::string pointer_, const std::string& message)
      : std::runtime_error(message), pointer(std::move(pointer_)) {}
  std::string pointer;
};

// A problem at a place in a file: "file:line:column: message".
struct InputError : std::runtime_error {
  InputError(std::string file_, int line_, int column_, const std::string& message);
  std::string file;
  int line;
  int column;
  std::string message;
};

struct Position {
  int line = 1;
  int column = 1;
};

Position position_of(std::string_view text, std::size_t offset);
// Where the value at `pointer` starts in `text` (the document's start when not found).
Position locate(std::string_view text, std::string_view pointer);

// Where each element of the array at `array_pointer` starts, in one pass over the text.
std::vector<Position> locate_elements(std::string_view text, std::string_view array_pointer);

// Parses a whole document; a syntax error becomes an InputError with its position.
json::value parse_document(std::string_view text, const std::string& file);
// Reads a file whole; throws InputError (line 0) when it cannot be read.
std::string read_file(const std::string& path);

std::string pointer_join(const std::string& base, std::string_view key);
std::string pointer_join(const std::string& base, std::size_t index);

const json::object& as_object(const json::value& v, const std::string& at);
const json::array& as_array(const json::value& v, const std::string& at);
const json::value& require(const json::object& o, std::string_view key, const std::string& at);
std::string require_string(const json::object& o, std::string_view key, const std::string& at);
std::optional<std::string> optional_string(const json::object& o, std::string_view key, const std::string& at);
bool optional_bool(const json::object& o, std::string_view key, const std::string& at, bool fallback);
void reject_unknown_keys(const json::object& o, std::initializer_list<std::string_view> known, const std::string& at);

template <class E> std::string accepted_values() {
  std::string out;
  for (auto n : EnumTraits<E>::names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

template <class E> E parse_state_or_throw(std::string_view text, const std::string& at) {
  if (auto v = parse_state<E>(text)) return *v;
  throw FieldError(at, "unknown " + std::string(EnumTraits<E>::idl_name) + " \"" + std::string(text) +
                           "\" (expected one of: " + accepted_values<E>() + ")");
}

template <class E> E require_state(const json::object& o, std::string_view key, const std::string& at) {
  return parse_state_or_throw<E>(require_string(o, key, at), pointer_join(at, key));
}

// {"ice":"connected","dtls":"new","sctp_only":false}; unknown keys are ignored
// unless `strict` (case files are strict, wire messages are not).
TransportState read_transport(const json::value& v, const std::string& at, bool strict);
std::vector<TransportState> read_transports(const json::value& v, const std::string& at, bool strict);

// JSON string escaping for hand-written output.
void append_json_string(std::string& out, std::string_view s);
std::string json_string(std::string_view s);

}  // namespace connstate::harness

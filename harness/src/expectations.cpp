// expectations.cpp — see expectations.h.
#include "connstate/harness/expectations.h"

#include <algorithm>

#include "connstate/harness/json_input.h"

namespace connstate::harness {

Expectations Expectations::load(const std::string& path) {
  const std::string text = read_file(path);
  const json::value doc = parse_document(text, path);
  Expectations out;
  out.path_ = path;
  try {
    const json::object& o = as_object(doc, "");
    reject_unknown_keys(o, {"$schema", "stack", "profile", "comment", "expectations"}, "");
    const std::string ep = "/expectations";
    for (const auto& kv : as_object(require(o, "expectations", ""), ep)) {
      const std::string at = pointer_join(ep, kv.key());
      const json::object& e = as_object(kv.value(), at);
      reject_unknown_keys(e, {"verdict", "reason", "bug"}, at);
      Expectation x;
      x.key = std::string(kv.key());
      const json::value& v = require(e, "verdict", at);
      auto add = [&](const json::value& item, const std::string& p) {
        if (!item.is_string()) throw FieldError(p, "a verdict must be a string");
        auto verdict = parse_verdict(item.get_string());
        if (!verdict) throw FieldError(p, "unknown verdict \"" + std::string(item.get_string()) + "\"");
        x.verdicts.push_back(*verdict);
      };
      if (v.is_array()) {
        const auto& a = v.get_array();
        for (std::size_t i = 0; i < a.size(); ++i) add(a[i], pointer_join(pointer_join(at, "verdict"), i));
      } else {
        add(v, pointer_join(at, "verdict"));
      }
      if (x.verdicts.empty()) throw FieldError(at, "an expectation needs at least one verdict");
      x.reason = require_string(e, "reason", at);
      x.bug = optional_string(e, "bug", at).value_or("");
      out.entries_.push_back(std::move(x));
    }
  } catch (const FieldError& e) {
    const Position pos = locate(text, e.pointer);
    throw InputError(path, pos.line, pos.column, e.what());
  }
  return out;
}

const Expectation* Expectations::find(const std::string& id) const {
  const Expectation* best = nullptr;
  for (const auto& e : entries_) {
    if (e.key == id) return &e;
    if (e.key.find_first_of("*?") != std::string::npos && glob_match(e.key, id) &&
        (!best || e.key.size() > best->key.size()))
      best = &e;
  }
  return best;
}

const Expectation* Expectations::find(const Case& c) const {
  if (c.aliases.empty()) return find(c.id);
  const Expectation* best = nullptr;
  for (const auto& e : entries_) {
    if (c.is_named(e.key)) return &e;
    if (e.key.find_first_of("*?") != std::string::npos && c.matches(e.key) && (!best || e.key.size() > best->key.size()))
      best = &e;
  }
  return best;
}

bool is_unexpected(Verdict verdict, const Expectation* e, bool strict) {
  if (e) return std::find(e->verdicts.begin(), e->verdicts.end(), verdict) == e->verdicts.end();
  return verdict == Verdict::Fail || verdict == Verdict::Error || (strict && verdict == Verdict::NonStrict);
}

}  // namespace connstate::harness

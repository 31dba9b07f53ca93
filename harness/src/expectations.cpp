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
    reject_unknown_keys(o, {"$schema", "stack", "profile", "comment", "expectations", "findings"}, "");
    out.stack_ = optional_string(o, "stack", "").value_or("");
    out.profile_ = optional_string(o, "profile", "").value_or("");
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
  for (std::size_t i = 0; i < out.entries_.size(); ++i) {
    if (out.entries_[i].is_glob()) out.globs_.push_back(i);
    else out.exact_.emplace(out.entries_[i].key, i);
  }
  return out;
}

bool Expectation::lists(Verdict v) const { return std::find(verdicts.begin(), verdicts.end(), v) != verdicts.end(); }

std::string Expectation::verdicts_text() const {
  std::string out;
  for (std::size_t i = 0; i < verdicts.size(); ++i) out += (i ? " or " : "") + std::string(to_string(verdicts[i]));
  return out;
}

bool Expectation::reason_is_todo() const {
  const auto start = reason.find_first_not_of(" \t");
  return start == std::string::npos || reason.compare(start, 4, "TODO") == 0;
}

const Expectation* Expectations::find(const std::string& id) const { return find_any(std::span(&id, 1)); }

const Expectation* Expectations::find_any(std::span<const std::string> ids) const {
  for (const auto& id : ids)
    if (auto it = exact_.find(id); it != exact_.end()) return &entries_[it->second];
  const Expectation* best = nullptr;
  for (std::size_t index : globs_) {
    const Expectation& e = entries_[index];
    if (best && e.key.size() <= best->key.size()) continue;
    for (const auto& id : ids)
      if (glob_match(e.key, id)) {
        best = &e;
        break;
      }
  }
  return best;
}

const Expectation* Expectations::find(const Case& c) const {
  if (c.aliases.empty()) return find(c.id);
  std::vector<std::string> names{c.id};
  names.insert(names.end(), c.aliases.begin(), c.aliases.end());
  return find_any(names);
}

bool is_unexpected(Verdict verdict, const Expectation* e, bool strict) {
  if (e) return !e->lists(verdict);
  return verdict == Verdict::Fail || verdict == Verdict::Error || (strict && verdict == Verdict::NonStrict);
}

bool is_unexpected_pass(Verdict verdict, const Expectation* e, bool strict) {
  if (!e || e->lists(verdict)) return false;
  return verdict == Verdict::Pass || verdict == Verdict::Informational || (!strict && verdict == Verdict::NonStrict);
}

namespace {
// "a, b, c, … (7 more)"
std::string some_keys(const std::vector<std::string>& keys) {
  constexpr std::size_t kNamed = 5;
  std::string s;
  for (std::size_t i = 0; i < keys.size() && i < kNamed; ++i) s += (i ? ", " : "") + keys[i];
  if (keys.size() > kNamed) s += ", … (" + std::to_string(keys.size() - kNamed) + " more)";
  return s;
}
}  // namespace

std::vector<std::string> review_expectations(const Expectations& e, std::string_view run_profile) {
  std::vector<std::string> out;
  if (!run_profile.empty() && !e.profile().empty() && e.profile() != run_profile)
    out.push_back(e.path() + " was written for profile " + e.profile() + ", but this run checks profile " +
                  std::string(run_profile) + ": its verdicts may not apply (keep one file per profile)");
  std::vector<std::string> todo;
  for (const auto& x : e.entries())
    if (x.reason_is_todo()) todo.push_back(x.key);
  if (!todo.empty())
    out.push_back(e.path() + ": " + std::to_string(todo.size()) + " expectation(s) still have a TODO reason (" +
                  some_keys(todo) + "): say why the stack differs, so that the file documents it");
  return out;
}

std::string unmatched_keys_warning(const Expectations& e, const std::function<bool(const Expectation&)>& matches,
                                   std::string_view nothing) {
  std::vector<std::string> unmatched;
  for (const auto& x : e.entries())
    if (!matches(x)) unmatched.push_back(x.key);
  if (unmatched.empty()) return "";
  return e.path() + ": " + std::to_string(unmatched.size()) + " key(s) match " + std::string(nothing) + " (" +
         some_keys(unmatched) + "): a typo, or something that no longer exists; they are ignored";
}

}  // namespace connstate::harness

// expectations.h — per-stack files of known results, keyed by case id (WPT-metadata style).
//
//   {"stack": "legacy-mdn reference", "profile": "rec-2025",
//    "expectations": {"pcs.completed-single": {"verdict": "fail", "reason": "…", "bug": "https://…"},
//                     "exhaustive.open.*":   {"verdict": ["fail", "pass"], "reason": "…"}}}
//
// A key is a case id or an id glob; the first exact match wins, then the longest glob. A case's
// aliases (its former ids) match like its id, so files written before a rename keep working.
// With expectations, a run's exit code reflects only unexpected results. A result that
// is better than its expectation (pass where the file says fail) is an *unexpected
// pass*: reported as such, and failing the run only when asked to.
//
// `connstate expectations update` writes these files (docs/ci.md, "Expectations"):
// `profile` records the profile of the run they were written from, and a run warns
// about TODO reasons, keys that match nothing and a file written for another profile.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "connstate/harness/cases.h"

namespace connstate::harness {

struct Expectation {
  std::string key;
  std::vector<Verdict> verdicts;
  std::string reason;
  std::string bug;

  bool is_glob() const { return key.find_first_of("*?") != std::string::npos; }
  bool matches(std::string_view id) const { return is_glob() ? glob_match(key, id) : key == id; }
  bool lists(Verdict v) const;
  // "fail" or "fail or error"
  std::string verdicts_text() const;
  // An unfinished reason: empty, or the placeholder `expectations update` writes ("TODO…").
  bool reason_is_todo() const;
};

class Expectations {
 public:
  static Expectations load(const std::string& path);  // throws InputError
  const Expectation* find(const std::string& case_id) const;
  const Expectation* find(const Case& c) const;  // by its id or any alias
  // The entry for the first of several names of one result (most specific first): an exact key
  // for any of them wins (the earliest), else the longest glob matching any.
  const Expectation* find_any(std::span<const std::string> ids) const;
  const std::vector<Expectation>& entries() const { return entries_; }
  const std::string& path() const { return path_; }
  const std::string& profile() const { return profile_; }  // "" when the file does not say
  const std::string& stack() const { return stack_; }

 private:
  std::string path_, profile_, stack_;
  std::vector<Expectation> entries_;
  std::unordered_map<std::string, std::size_t> exact_;  // key -> entry, for the keys without a wildcard
  std::vector<std::size_t> globs_;                      // entries whose key has a wildcard
};

// Is `verdict` unexpected? Without an entry, fail and error are (and non-strict under --strict).
bool is_unexpected(Verdict verdict, const Expectation* e, bool strict);
// Is it an unexpected pass: an acceptable verdict (pass, informational, non-strict unless
// strict) that the entry does not list, so the expectation is out of date?
bool is_unexpected_pass(Verdict verdict, const Expectation* e, bool strict);

// What a run should warn about in an expectations file: a file written for another profile than
// `run_profile`, and TODO reasons.
std::vector<std::string> review_expectations(const Expectations& e, std::string_view run_profile);
// The warning about keys for which `matches` finds nothing ("" when there are none); `nothing`
// says what they did not match: "no case", "no given trace".
std::string unmatched_keys_warning(const Expectations& e, const std::function<bool(const Expectation&)>& matches,
                                   std::string_view nothing);

}  // namespace connstate::harness

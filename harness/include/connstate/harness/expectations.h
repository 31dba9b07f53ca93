// expectations.h — per-stack files of known results, keyed by case id (WPT-metadata style).
//
//   {"stack": "legacy-mdn reference", "profile": "rec-2025",
//    "expectations": {"pcs.completed-single": {"verdict": "fail", "reason": "…", "bug": "https://…"},
//                     "exhaustive.open.*":   {"verdict": ["fail", "pass"], "reason": "…"}}}
//
// A key is a case id or an id glob; the first exact match wins, then the longest glob. A case's
// aliases (its former ids) match like its id, so files written before a rename keep working.
// With expectations, a run's exit code reflects only unexpected results.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "connstate/harness/cases.h"

namespace connstate::harness {

struct Expectation {
  std::string key;
  std::vector<Verdict> verdicts;
  std::string reason;
  std::string bug;
};

class Expectations {
 public:
  static Expectations load(const std::string& path);  // throws InputError
  const Expectation* find(const std::string& case_id) const;
  const Expectation* find(const Case& c) const;  // by its id or any alias
  const std::vector<Expectation>& entries() const { return entries_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::vector<Expectation> entries_;
};

// Is `verdict` unexpected? Without an entry, fail and error are (and non-strict under --strict).
bool is_unexpected(Verdict verdict, const Expectation* e, bool strict);

}  // namespace connstate::harness

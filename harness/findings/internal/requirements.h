// requirements.h — what a finding's requirement id stands for: the spec sentence, its published URL
// and the project's note on it.
//
// A requirement is either a rule of the reference (its id, "pcs-2025.connected", is also the anchor of
// its note in docs/spec/) or a requirement of the event model whose note has that anchor in docs/spec/
// ("close.no-events" in docs/spec/close.md). Private to connstate::findings.
#pragma once

#include <string>
#include <vector>

namespace connstate::findings::internal {

struct RequirementInfo {
  std::string text;      // what the stack must do, one line
  std::string document;  // the cited document, as rules and cases name it
  std::string anchor;    // fragment id in it
  std::string quote;     // verbatim
  std::string url;       // published address of the anchor
  std::vector<std::string> notes;  // docs/spec links, the most specific first
};

RequirementInfo requirement_info(const std::string& requirement);

// "REC 2025" for rec-2025 etc.: how a title names the reading the run was judged under.
std::string profile_short_name(const std::string& profile);

}  // namespace connstate::findings::internal

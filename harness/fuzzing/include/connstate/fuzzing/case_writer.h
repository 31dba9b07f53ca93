// case_writer.h — a decoded fuzz input as a regression case file for cases/.
//
// The file is a normal case file (cases/schema/case-file.schema.json): one sequence case
// with steps over transports t0..t7 and no expected values (the reference computes them
// under every profile the case names), a stable id from the input's hash, tags
// ["fuzz", "regression"], and the spec rule the difference bears on (the ICE task, the
// DTLS "update the connection state" task, or close()). A comment says where it came from.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "connstate/fuzzing/differential.h"

namespace connstate::fuzz {

struct CaseProvenance {
  std::string input_name;          // file name of the crash/difference input
  std::string input_hash;          // hash_hex of the bytes the case encodes
  std::size_t original_size = 0;   // before --minimize (0: not minimized)
  std::string target = "fuzz_differential";
  std::string sut;                 // "" when unknown
  std::optional<Difference> difference;
  std::string date;                // UTC, ISO 8601
  std::string tool_version;
};

// The id every finding gets: "fuzz.<16 hex digits of the input's hash>".
std::string case_id(const std::string& input_hash);

// The case file text; `profiles` empty = the case applies to every profile.
std::string case_file_text(const Sequence& seq, const std::vector<Profile>& profiles, const CaseProvenance& from);

}  // namespace connstate::fuzz

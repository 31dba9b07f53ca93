// version.h — the tool version and the text of `connstate --version`.
#pragma once

#include <string>

namespace connstate::harness {

std::string tool_version();
// Tool version (with `git describe` when built from git), suite version (hash of the case files
// it finds) and the profiles.
std::string version_text();
// Current UTC time, ISO 8601.
std::string utc_now();

}  // namespace connstate::harness

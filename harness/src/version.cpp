// version.cpp — see version.h.
#include "connstate/harness/version.h"

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <vector>

#include "connstate/harness/cases.h"
#include "connstate/profiles.h"
#include "connstate_git_describe.h"

namespace connstate::harness {

std::string tool_version() { return CONNSTATE_VERSION; }

std::string utc_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string version_text() {
  namespace fs = std::filesystem;
  const std::string git = CONNSTATE_GIT_DESCRIBE;
  std::string out = "connstate " + tool_version() + (git.empty() ? "" : " (git " + git + ")") + "\n";
  const std::string dir = default_cases_dir();
  std::vector<std::string> files;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator(); ++it) {
    if (it->is_directory() && (it->path().filename() == "schema" || it->path().filename() == "traces")) {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file() && it->path().extension() == ".json") files.push_back(it->path().string());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) out += "suite   (no case files found in " + dir + ")\n";
  else out += "suite   " + hash_files(files, dir) + " (" + std::to_string(files.size()) + " case files in " + dir + ")\n";
  out += "profiles";
  for (const auto& p : kProfiles) out += " " + std::string(p.id) + (p.profile == kDefaultProfile ? " (default)" : "");
  out += "\n";
  return out;
}

}  // namespace connstate::harness

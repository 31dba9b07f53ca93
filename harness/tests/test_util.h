// test_util.h — helpers for the harness tests: temporary directories, running the CLI.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace connstate::test {

inline const std::string kSourceDir = CONNSTATE_SOURCE_DIR;
inline const std::string kBinaryDir = CONNSTATE_BINARY_DIR;
inline const std::string kCli = kBinaryDir + "/bin/connstate";

// A one-pc trace in which the stack does everything the spec requires (connect, then close()): check-trace
// passes it and it gives no finding.
inline const std::string kPassingTrace =
    R"({"format":"connstate-trace","version":1,"stack":"test","scenario":"connect"}
{"t_ms":10,"pc":"a","target":"ice:0","event":"statechange","state":"checking"}
{"t_ms":10,"pc":"a","target":"pc","event":"iceconnectionstatechange","state":"checking"}
{"t_ms":10,"pc":"a","target":"pc","event":"connectionstatechange","state":"connecting"}
{"t_ms":20,"pc":"a","target":"ice:0","event":"statechange","state":"connected"}
{"t_ms":20,"pc":"a","target":"pc","event":"iceconnectionstatechange","state":"connected"}
{"t_ms":40,"pc":"a","target":"dtls:0","event":"statechange","state":"connected"}
{"t_ms":40,"pc":"a","target":"pc","event":"connectionstatechange","state":"connected"}
{"t_ms":50,"pc":"a","target":"api","event":"close"}
{"t_ms":50,"pc":"a","target":"pc","event":"get","attribute":"connectionState","state":"closed"}
)";

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/connstate-test-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string file(const std::string& rel, const std::string& content) const {
    const auto p = path / rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << content;
    return p.string();
  }
  std::string str() const { return path.string(); }
};

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout and stderr together
};

// Runs a shell command line, capturing stdout+stderr.
inline CommandResult run_command(const std::string& cmd) {
  CommandResult r;
  std::FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

inline std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline bool under_ci() {
  const char* ci = std::getenv("CI");
  return ci && std::string(ci) == "true";
}

}  // namespace connstate::test

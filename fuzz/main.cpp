// main.cpp — the replay-only driver: a fuzz target without libFuzzer.
//
// Linked instead of libFuzzer when CONNSTATE_ENABLE_FUZZING is OFF (any compiler, e.g. the
// default gcc build), so that every target replays its seed corpus as a CTest test and any
// crash input can be re-run under gdb or valgrind (simdjson's fuzz/main.cpp does the same).
//
//   fuzz_<target> PATH...   each file, and every file under each directory (sorted), once
//
// Arguments that start with '-' are libFuzzer flags and are ignored, so a libFuzzer command
// line works unchanged; `-help=1` says this is a replay-only build. The exit status is 0 when
// every input ran (a finding aborts the process, as under libFuzzer), 1 when a path does
// not exist or no input was found.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  std::vector<fs::path> inputs;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "-help=1" || arg == "--help") {
      std::printf("%s: replay-only build (no libFuzzer): runs each input file once.\n"
                  "usage: %s FILE_OR_DIR...\n", argv[0], argv[0]);
      return 0;
    }
    if (arg.starts_with("-")) continue;
    std::error_code ec;
    if (fs::is_directory(arg, ec)) {
      std::vector<fs::path> found;
      for (const auto& e : fs::recursive_directory_iterator(arg, ec))
        if (e.is_regular_file(ec)) found.push_back(e.path());
      std::sort(found.begin(), found.end());
      inputs.insert(inputs.end(), found.begin(), found.end());
    } else if (fs::is_regular_file(arg, ec)) {
      inputs.emplace_back(arg);
    } else {
      std::fprintf(stderr, "%s: no such file or directory: %s\n", argv[0], arg.c_str());
      return 1;
    }
  }
  if (inputs.empty()) {
    std::fprintf(stderr, "%s: no inputs to replay\n", argv[0]);
    return 1;
  }
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
  for (const fs::path& p : inputs) {
    std::ifstream in(p, std::ios::binary);
    const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::fprintf(stderr, "replaying %s (%zu bytes)\n", p.c_str(), bytes.size());
    // A copy of exactly `size` bytes, so that ASan/valgrind see reads past the end.
    std::vector<std::uint8_t> data(bytes.begin(), bytes.end());
    LLVMFuzzerTestOneInput(data.empty() ? nullptr : data.data(), data.size());
  }
  std::fprintf(stderr, "%s: replayed %zu inputs\n", argv[0], inputs.size());
  return 0;
}

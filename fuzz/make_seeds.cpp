// make_seeds.cpp — seeds for the sequence targets, from the hand-written sequence cases.
//
//   fuzz_make_seeds CASES_DIR OUT_DIR
//
// Writes one input per sequence case of CASES_DIR (cryptofuzz's importer idea): the case's
// steps in the byte grammar of sequence_decoder.h, under the case's first profile and with
// its options, named after the case id. Cases over more than 8 transports are skipped, and
// every seed is checked to decode back to the case's steps. fuzz/seeds/fuzz_model/ and
// fuzz/seeds/fuzz_differential/ were made with it (docs/fuzzing.md, "Seeds").
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "connstate/harness/cases.h"
#include "connstate/harness/json_input.h"
#include "connstate/fuzzing/sequence_decoder.h"

int main(int argc, char** argv) {
  using namespace connstate;
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s CASES_DIR OUT_DIR\n", argv[0]);
    return 2;
  }
  harness::Suite suite;
  try {
    suite = harness::load_suite(argv[1], harness::LoadOptions{0, 0});
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", argv[0], e.what());
    return 2;
  }
  std::filesystem::create_directories(argv[2]);
  std::size_t written = 0, skipped = 0;
  for (const harness::Case& c : suite.cases) {
    if (c.kind != harness::CaseKind::Sequence) continue;
    fuzz::Sequence seq;
    for (const auto& info : kProfiles) {
      if (c.applies_to(info.profile)) {
        seq.profile = info.profile;
        break;
      }
    }
    seq.options = c.options;
    bool fits = c.transport_names.size() <= fuzz::kFuzzTransports && c.steps.size() <= fuzz::kMaxSteps;
    for (const auto& s : c.steps) seq.steps.push_back(s.step);
    const std::vector<std::uint8_t> bytes = fuzz::encode(seq);
    if (fits) {
      const fuzz::Sequence back = fuzz::decode(bytes);
      fits = back.steps.size() == seq.steps.size() && back.profile == seq.profile;
      for (std::size_t i = 0; fits && i < seq.steps.size(); ++i) {
        const Step &a = back.steps[i], &b = seq.steps[i];
        fits = a.kind == b.kind && a.transport == b.transport && a.state == b.state && a.sctp_only == b.sctp_only;
      }
    }
    if (!fits) {
      std::fprintf(stderr, "skipped %s: does not fit the byte grammar\n", c.id.c_str());
      ++skipped;
      continue;
    }
    std::ofstream out(std::filesystem::path(argv[2]) / c.id, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    ++written;
  }
  std::printf("%zu seeds written to %s, %zu cases skipped\n", written, argv[2], skipped);
  return 0;
}

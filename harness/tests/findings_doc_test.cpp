// docs/spec/findings.md quotes `connstate spec-diff` output as its evidence. This reruns every
// `$ connstate spec-diff …` command of a ```console block there and checks that each line quoted
// under it is a line of the fresh output, so the page's numbers stay the ones the command gives.
#define BOOST_TEST_MODULE findings_doc
#include <boost/test/unit_test.hpp>
#include <set>
#include <sstream>

#include "test_util.h"

using namespace connstate::test;

namespace {

struct Quoted {
  std::string command;             // after "$ connstate"
  std::vector<std::string> lines;  // the excerpt
};

std::vector<Quoted> spec_diff_blocks(const std::string& page) {
  std::vector<Quoted> out;
  std::istringstream in(page);
  std::string line;
  bool in_block = false, collecting = false;  // collecting: the lines under a spec-diff command
  while (std::getline(in, line)) {
    if (line.starts_with("```")) {
      in_block = line == "```console";
      collecting = false;
      continue;
    }
    if (!in_block) continue;
    if (line.starts_with("$ ")) {
      collecting = line.starts_with("$ connstate spec-diff ");
      if (collecting) out.push_back({line.substr(std::string("$ connstate").size()), {}});
    } else if (collecting && !line.empty()) {
      out.back().lines.push_back(line);
    }
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(quoted_spec_diff_output_is_current) {
  const std::string page = read_text(kSourceDir + "/docs/spec/findings.md");
  const auto blocks = spec_diff_blocks(page);
  BOOST_TEST_REQUIRE(blocks.size() >= 4u);
  for (const Quoted& q : blocks) {
    const auto r = run_command(kCli + q.command);
    BOOST_TEST_REQUIRE(r.exit_code == 0, q.command << ": " << r.out);
    std::set<std::string> output;
    std::istringstream in(r.out);
    for (std::string l; std::getline(in, l);) output.insert(l);
    BOOST_TEST(!q.lines.empty(), q.command);
    for (const std::string& l : q.lines)
      BOOST_TEST(output.count(l) == 1u, "connstate" << q.command << " no longer prints: " << l);
  }
}

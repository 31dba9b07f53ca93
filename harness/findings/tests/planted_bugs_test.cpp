// Findings from planted bugs: the example adapter of docs/examples/ (faithful to rec-2025) gives no
// finding; with one planted bug it gives a few findings, each with a reproduction that the planted stack
// fails and the reference passes; with two bugs, exactly the union of the single-bug findings, same ids.
// The adapters are the example itself with bugs switched on by harness/findings/tests/planted_adapter.py.
#define BOOST_TEST_MODULE findings_planted_bugs
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <set>

#include "../../tests/test_util.h"
#include "connstate/harness/cases.h"

using namespace connstate::test;
namespace json = boost::json;

namespace {

std::string planted_sut(const std::string& bugs) {
  return "exec:CONNSTATE_PLANTED_BUGS=" + bugs + " python3 " + kSourceDir + "/harness/findings/tests/planted_adapter.py " +
         kSourceDir + "/docs/examples/adapter.py";
}

void require_python() {
  if (std::system("python3 -c pass >/dev/null 2>&1") == 0) return;
  if (under_ci()) BOOST_FAIL("python3 is missing");
  std::puts("SKIP: python3 is not installed (the planted adapters are Python)");
  std::exit(77);
}

struct Outcome {
  int exit_code = -1;
  std::string out;
  json::array findings;
  std::set<std::string> ids;
};

// connstate run over a small suite, then connstate findings on its results.
Outcome findings_of(const TempDir& dir, const std::string& name, const std::string& bugs,
                    const std::string& extra = "") {
  const std::string results = dir.str() + "/" + name + ".results.json";
  const auto run = run_command(kCli + " run --quiet --exhaustive 2 --sequence-depth 3 --sut '" + planted_sut(bugs) +
                               "' --json " + results);
  BOOST_TEST_REQUIRE((run.exit_code == 0 || run.exit_code == 1), run.out);
  Outcome o;
  const std::string out_json = dir.str() + "/" + name + ".findings.json";
  const auto f = run_command(kCli + " findings " + results + " --json " + out_json + " --report-dir " + dir.str() +
                             "/" + name + "-reports" + extra);
  o.exit_code = f.exit_code;
  o.out = f.out;
  BOOST_TEST_REQUIRE((f.exit_code == 0 || f.exit_code == 1), f.out);
  o.findings = json::parse(read_text(out_json)).as_object().at("findings").as_array();
  for (const auto& v : o.findings) o.ids.insert(std::string(v.as_object().at("id").as_string()));
  return o;
}

std::string runs_case(const TempDir& dir, const std::string& case_file, const std::string& sut) {
  const std::string cases = dir.str() + "/one-case";
  std::filesystem::remove_all(cases);
  dir.file("one-case/findings/repro.json", case_file);
  const auto r = run_command(kCli + " run --quiet --exhaustive 0 --sequence-depth 0 --cases-dir " + cases +
                             " --sut '" + sut + "'");
  return std::to_string(r.exit_code) + "\n" + r.out;
}

// Every finding: a reproduction the loader takes, confirmed on the planted stack, passed by the reference,
// and, run as a case file, failed by the planted stack and passed by the reference.
void check_reproductions(const TempDir& dir, const Outcome& o, const std::string& bugs) {
  for (const auto& v : o.findings) {
    const json::object& f = v.as_object();
    const std::string id(f.at("id").as_string());
    BOOST_TEST_CONTEXT(id) {
      const json::object& stack = f.at("by_stack").as_array().at(0).as_object();
      BOOST_TEST(stack.at("confirmed_on_stack").as_bool());
      BOOST_TEST(stack.at("passes_on_reference").as_bool());
      BOOST_TEST_REQUIRE(f.at("reproduction").is_object());
      const std::string file = json::serialize(f.at("reproduction"));
      const auto cases = connstate::harness::parse_case_file(file, "repro.json");
      BOOST_TEST_REQUIRE(cases.size() == 1u);
      BOOST_TEST(runs_case(dir, file, planted_sut(bugs)).starts_with("1\n"));
      BOOST_TEST(runs_case(dir, file, "reference:rec-2025").starts_with("0\n"));
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(faithful_adapter_has_no_finding) {
  require_python();
  TempDir dir;
  const Outcome o = findings_of(dir, "faithful", "");
  BOOST_TEST(o.exit_code == 0, o.out);
  BOOST_TEST(o.findings.empty(), o.out);
}

BOOST_AUTO_TEST_CASE(one_bug_few_findings_two_bugs_their_union) {
  require_python();
  TempDir dir;
  const Outcome a = findings_of(dir, "a", "completed-as-connected");
  const Outcome b = findings_of(dir, "b", "dtls-event-unchanged");
  const Outcome both = findings_of(dir, "both", "completed-as-connected,dtls-event-unchanged");
  BOOST_TEST_MESSAGE(a.out << b.out << both.out);
  for (const Outcome* o : {&a, &b}) {
    BOOST_TEST(o->exit_code == 1, o->out);
    BOOST_TEST(!o->ids.empty());
    BOOST_TEST(o->ids.size() <= 3u, o->out);
  }
  std::set<std::string> uni = a.ids;
  uni.insert(b.ids.begin(), b.ids.end());
  BOOST_TEST(both.ids == uni, both.out);
  // The ICE-aggregate bug is one value finding on the rule that gives `completed`.
  BOOST_TEST(a.out.find("ics.completed") != std::string::npos, a.out);
  BOOST_TEST(b.out.find("dtls-task.no-event-unchanged") != std::string::npos, b.out);
  check_reproductions(dir, a, "completed-as-connected");
  check_reproductions(dir, b, "dtls-event-unchanged");
  BOOST_TEST(std::filesystem::exists(dir.path / "a-reports"), a.out);
}

BOOST_AUTO_TEST_CASE(known_findings_do_not_fail) {
  require_python();
  TempDir dir;
  const Outcome a = findings_of(dir, "a", "completed-as-connected");
  BOOST_TEST_REQUIRE(a.exit_code == 1);
  std::string entries;
  for (const auto& id : a.ids) entries += std::string(entries.empty() ? "" : ",") + "\"" + id + "\":{\"reason\":\"planted\"}";
  const std::string all_known = dir.file("known.json", "{\"findings\":{" + entries + "}}");
  const auto known = run_command(kCli + " findings --no-reproduce --expectations " + all_known + " " + dir.str() +
                                 "/a.results.json");
  BOOST_TEST(known.exit_code == 0, known.out);
  const std::string none_known = dir.file("none.json", "{\"findings\":{}}");
  const auto fresh = run_command(kCli + " findings --no-reproduce --expectations " + none_known + " " + dir.str() +
                                 "/a.results.json");
  BOOST_TEST(fresh.exit_code == 1, fresh.out);
}

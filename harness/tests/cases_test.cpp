// Checks case loading: the real suite loads and cross-checks; every kind of malformed
// case file is refused with file, line and column; generated suites have the right sizes.
#include "connstate/harness/cases.h"

#define BOOST_TEST_MODULE cases
#include <boost/test/unit_test.hpp>
#include <set>

#include "connstate/harness/json_input.h"
#include "test_util.h"

using namespace connstate;
using namespace connstate::harness;
using namespace connstate::test;

namespace {
const char* kGoodCase = R"({
  "section": "s", "section_title": "S",
  "cases": [
    {"id": "good.one", "title": "t", "kind": "snapshot", "requirement": "r",
     "spec": {"anchor": "a", "quote": "q"},
     "transports": [{"ice": "completed", "dtls": "connected"}],
     "expect_by_profile": {"rec-2025": {"connectionState": "connecting"}, "rec-2021": {"connectionState": "connected"}}}
  ]
})";

InputError load_error(const std::string& file_text, const std::string& extra_file = "") {
  TempDir dir;
  dir.file("a/one.json", file_text);
  if (!extra_file.empty()) dir.file("b/two.json", extra_file);
  try {
    load_suite(dir.str(), LoadOptions{0, 0});
  } catch (const InputError& e) {
    return e;
  }
  BOOST_FAIL("the suite loaded but should not have");
  throw;
}
}  // namespace

BOOST_AUTO_TEST_CASE(the_real_suite_loads) {
  const Suite s = load_suite(kSourceDir + "/cases", LoadOptions{0, 0});
  BOOST_TEST(s.hand_written >= 150u);
  BOOST_TEST(s.suite_version.size() == 16u);
  for (const Case& c : s.cases) {
    BOOST_TEST(!c.spec_quote.empty());
    BOOST_TEST(!c.spec_anchor.empty());
    BOOST_TEST(!c.requirement.empty());
  }
}

BOOST_AUTO_TEST_CASE(good_file_loads_and_cross_checks) {
  TempDir dir;
  dir.file("x.json", kGoodCase);
  const Suite s = load_suite(dir.str(), LoadOptions{0, 0});
  BOOST_TEST_REQUIRE(s.cases.size() == 1u);
  BOOST_TEST(s.cases[0].line == 4);
  BOOST_TEST(s.cases[0].file == "x.json");
}

BOOST_AUTO_TEST_CASE(bad_json_has_position) {
  const auto e = load_error("{\n  \"section\": \"s\",\n  \"cases\": [ }\n");
  BOOST_TEST(e.file == "a/one.json");
  BOOST_TEST(e.line == 3);
  BOOST_TEST(e.column > 1);
  BOOST_TEST(std::string(e.what()).find("invalid JSON") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(unknown_state_is_refused) {
  std::string text = kGoodCase;
  text.replace(text.find("\"completed\""), 11, "\"complete\"");
  const auto e = load_error(text);
  BOOST_TEST(e.line == 6);
  BOOST_TEST(e.column == 29);  // where the value "complete" starts
  BOOST_TEST(std::string(e.what()).find("unknown RTCIceTransportState \"complete\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(missing_field_is_refused) {
  std::string text = kGoodCase;
  text.replace(text.find("\"requirement\": \"r\","), 19, "");
  const auto e = load_error(text);
  BOOST_TEST(e.line == 4);
  BOOST_TEST(std::string(e.what()).find("missing field \"requirement\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(duplicate_id_is_refused) {
  const auto e = load_error(kGoodCase, kGoodCase);
  BOOST_TEST(e.file == "b/two.json");
  BOOST_TEST(e.line == 4);
  BOOST_TEST(std::string(e.what()).find("duplicate case id \"good.one\" (first defined at a/one.json:4)") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(disagreement_with_the_reference_is_refused) {
  std::string text = kGoodCase;
  const std::string needle = "\"rec-2025\": {\"connectionState\": \"connecting\"}";
  text.replace(text.find(needle), needle.size(), "\"rec-2025\": {\"connectionState\": \"connected\"}");
  const auto e = load_error(text);
  BOOST_TEST(e.line == 7);
  BOOST_TEST(std::string(e.what()).find("the reference under rec-2025 answers \"connecting\"") != std::string::npos,
             e.what());
}

BOOST_AUTO_TEST_CASE(invalid_sequence_step_is_refused) {
  const std::string text = R"({"section": "s", "section_title": "S", "cases": [
    {"id": "seq.bad", "title": "t", "kind": "sequence", "requirement": "r", "spec": {"anchor": "a", "quote": "q"},
     "steps": [{"op": "add", "transport": "t0"}, {"op": "add", "transport": "t0"}]}]})";
  const auto e = load_error(text);
  BOOST_TEST(e.line == 3);
  BOOST_TEST(std::string(e.what()).find("transport already added") != std::string::npos, e.what());
}

BOOST_AUTO_TEST_CASE(alternative_step_index_beyond_size_t_is_refused) {
  // Found by fuzz_case_file: this key made std::stoul throw out_of_range out of the loader.
  const std::string text = R"({"section": "s", "section_title": "S", "cases": [
    {"id": "seq.alt", "title": "t", "kind": "sequence", "requirement": "r", "spec": {"anchor": "a", "quote": "q"},
     "steps": [{"op": "add", "transport": "t0"}],
     "alternatives": [{"verdict": "non-strict", "note": "n",
                       "steps": {"18446744073709551616": {"connectionState": "new"}}}]}]})";
  const auto e = load_error(text);
  BOOST_TEST(std::string(e.what()).find("is not a step index of this case") != std::string::npos, e.what());
}

BOOST_AUTO_TEST_CASE(unknown_field_is_refused) {
  std::string text = kGoodCase;
  text.replace(text.find("\"kind\""), 6, "\"kinds\": 1, \"kind\"");
  const auto e = load_error(text);
  BOOST_TEST(std::string(e.what()).find("unknown field \"kinds\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(generated_suite_sizes) {
  BOOST_TEST(exhaustive_snapshot_count(3) == 16872u);
  BOOST_TEST(exhaustive_snapshot_count(4) == 164502u);
  std::vector<Case> cases;
  add_exhaustive_suite(cases, 3);
  BOOST_TEST(cases.size() == exhaustive_snapshot_count(3));
  std::set<std::string> ids;
  for (const auto& c : cases) ids.insert(c.id);
  BOOST_TEST(ids.size() == cases.size());
  std::vector<Case> seqs;
  add_sequence_suite(seqs, 2);
  BOOST_TEST(!seqs.empty());
  for (const auto& c : seqs) BOOST_TEST_REQUIRE(c.steps.size() <= 2u);
}

BOOST_AUTO_TEST_CASE(globs) {
  BOOST_TEST(glob_match("pcs.*", "pcs.completed"));
  BOOST_TEST(!glob_match("pcs.*", "ics.completed"));
  BOOST_TEST(glob_match("*.completed-?", "pcs.completed-1"));
  BOOST_TEST(glob_match("*", ""));
  BOOST_TEST(!glob_match("a?", "a"));
}

// A renamed case keeps its old id as an alias: the loader resolves it, selection and globs see it,
// and no alias may name a second case.
BOOST_AUTO_TEST_CASE(aliases_name_the_case) {
  const std::string text = R"({"section": "s", "section_title": "S", "cases": [
    {"id": "pcs.one-new-transport", "aliases": ["pcs.6a-02"], "title": "t", "kind": "snapshot", "requirement": "r",
     "spec": {"anchor": "a", "quote": "q"}, "see": ["docs/spec/connection-state.md#pcs-2025.new"],
     "transports": [{"ice": "new", "dtls": "new"}]}]})";
  TempDir dir;
  dir.file("x.json", text);
  const Suite s = load_suite(dir.str(), LoadOptions{0, 0});
  BOOST_TEST_REQUIRE(s.cases.size() == 1u);
  BOOST_TEST(find_case(s, "pcs.6a-02") == &s.cases[0]);
  BOOST_TEST(find_case(s, "pcs.one-new-transport") == &s.cases[0]);
  BOOST_TEST(find_case(s, "pcs.6a-03") == nullptr);
  BOOST_TEST(s.cases[0].matches("pcs.6a-*"));
  BOOST_TEST(s.cases[0].matches("pcs.one-*"));
  BOOST_TEST(!s.cases[0].matches("ics.*"));
  BOOST_TEST(s.cases[0].see.size() == 1u);

  const auto e = load_error(text, R"({"section": "s", "section_title": "S", "cases": [
    {"id": "pcs.6a-02", "title": "t", "kind": "snapshot", "requirement": "r", "spec": {"anchor": "a", "quote": "q"},
     "transports": []}]})");
  BOOST_TEST(std::string(e.what()).find("duplicate case id \"pcs.6a-02\"") != std::string::npos, e.what());
}

BOOST_AUTO_TEST_CASE(see_must_be_a_docs_spec_link) {
  std::string text = kGoodCase;
  text.replace(text.find("\"requirement\": \"r\","), 19, "\"requirement\": \"r\", \"see\": [\"../notes.md#x\"],");
  const auto e = load_error(text);
  BOOST_TEST(std::string(e.what()).find("is not a link docs/spec/<page>.md#<anchor>") != std::string::npos, e.what());
}

// "6.A", "row 12", "D4": how titles used to point into a table instead of saying what the case is about.
bool names_a_table_row(const std::string& title) {
  auto digit = [](char ch) { return ch >= '0' && ch <= '9'; };
  auto alnum = [&](char ch) { return digit(ch) || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'); };
  for (std::size_t i = 0; i < title.size(); ++i) {
    if (title.compare(i, 2, "6.") == 0 && i + 2 < title.size() && title[i + 2] >= 'A' && title[i + 2] <= 'D') return true;
    if (title.compare(i, 4, "row ") == 0 && i + 4 < title.size() && digit(title[i + 4])) return true;
    if (title[i] == 'D' && (i == 0 || !alnum(title[i - 1])) && i + 1 < title.size() && digit(title[i + 1])) {
      std::size_t end = i + 1;
      while (end < title.size() && digit(title[end])) ++end;
      if (end == title.size() || !alnum(title[end])) return true;
    }
  }
  return false;
}

// Every renamed hand-written case keeps its former id, so expectations files, --cases patterns
// and explain written against the old ids keep naming the same case.
BOOST_AUTO_TEST_CASE(real_suite_old_ids_resolve) {
  const Suite s = load_suite(kSourceDir + "/cases", LoadOptions{0, 0});
  const std::pair<const char*, const char*> renamed[] = {
      {"pcs.6a-02", "pcs.one-new-transport"},
      {"pcs.6a-05", "pcs.completed-single"},
      {"dtls.6b3-statechange-then-connectionstatechange", "dtls.statechange-then-connectionstatechange"},
      {"legacy.d8-dtls-not-started", "legacy.dtls-new-is-new"},
  };
  for (const auto& [old_id, new_id] : renamed) {
    const Case* c = find_case(s, old_id);
    BOOST_TEST_REQUIRE(c != nullptr, old_id);
    BOOST_TEST(c->id == new_id);
  }
  // No hand-written id or title cites a table row number any more.
  for (const Case& c : s.cases) {
    for (const char* pattern : {"*6a-*", "*.6b*", "legacy.d?-*", "legacy.d?" "?-*"})
      BOOST_TEST(!glob_match(pattern, c.id), c.id);
    BOOST_TEST(!names_a_table_row(c.title), c.title);
  }
}

// merge_command.cpp — `connstate merge`: joins the JSON results of the shards of a run
// (`connstate run --shard I/N`) into the results file the whole run would have written.
//
// The results file has one record per line (report_json.cpp), so the merge reads the shards line
// by line and copies each record as it is: memory stays flat whatever the size of the run. Shard I
// of N holds the selected cases at positions I-1, I-1+N, …, so taking one record from each shard
// in turn gives back the run's order.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <set>

#include "commands.h"
#include "connstate/harness/args.h"
#include "connstate/harness/json_input.h"
#include "connstate/harness/line_reader.h"
#include "connstate/harness/reports.h"

namespace connstate::cli {
using namespace connstate::harness;

namespace {

constexpr std::string_view kResultsOpen = ",\"results\":[";

// One shard's results file, read a record at a time.
class ResultsReader {
 public:
  explicit ResultsReader(std::string path) : path_(std::move(path)), file_(std::fopen(path_.c_str(), "rb")) {
    if (!file_) throw InputError(path_, 0, 0, "cannot read");
    lines_ = std::make_unique<LineReader>(file_);
    std::string_view first;
    if (!lines_->next(first) || !first.ends_with(kResultsOpen))
      throw InputError(path_, 1, 1, "not a results file of 'connstate run --json' (its first line ends with "
                                    "\"results\":[)");
    const std::string head = std::string(first.substr(0, first.size() - kResultsOpen.size())) + "}";
    const json::value doc = parse_document(head, path_);
    try {
      const json::object& o = as_object(doc, "");
      if (require_string(o, "format", "") != "connstate-results")
        throw FieldError("/format", "not a connstate results file");
      header_ = as_object(require(o, "header", ""), "/header");
      if (auto it = header_.find("shard"); it != header_.end()) {
        const json::object& s = as_object(it->value(), "/header/shard");
        shard_index_ = static_cast<std::size_t>(require(s, "index", "/header/shard").to_number<std::int64_t>());
        shard_count_ = static_cast<std::size_t>(require(s, "count", "/header/shard").to_number<std::int64_t>());
      }
    } catch (const FieldError& e) {
      throw InputError(path_, 1, 1, e.what());
    } catch (const std::exception& e) {
      throw InputError(path_, 1, 1, std::string("bad shard numbers: ") + e.what());
    }
  }
  ~ResultsReader() { std::fclose(file_); }

  // The next record (without its separating comma), or false at the end of the results.
  bool next(std::string_view& record) {
    if (done_) return false;
    if (!lines_->next(record)) throw InputError(path_, static_cast<int>(lines_->line_number()), 1, "ends inside the results: "
                                                "the run that wrote it did not finish (is it still running?)");
    if (record.starts_with("]")) {
      read_trailer(record);
      done_ = true;
      return false;
    }
    if (record.ends_with(",")) record.remove_suffix(1);
    return true;
  }

  const std::string& path() const { return path_; }
  const json::object& header() const { return header_; }
  const json::object& summary() const { return summary_; }
  bool complete() const { return complete_; }
  std::size_t shard_index() const { return shard_index_; }  // 1-based; 0 = not a shard
  std::size_t shard_count() const { return shard_count_; }

 private:
  void read_trailer(std::string_view line) {
    const std::string text = "{" + std::string(line.substr(2));
    const json::value doc = parse_document(text, path_);
    try {
      const json::object& o = as_object(doc, "");
      complete_ = optional_bool(o, "complete", "", false);
      if (auto it = o.find("summary"); it != o.end()) summary_ = as_object(it->value(), "/summary");
      else complete_ = false;
    } catch (const FieldError& e) {
      throw InputError(path_, static_cast<int>(lines_->line_number()), 1, e.what());
    }
  }

  std::string path_;
  std::FILE* file_;
  std::unique_ptr<LineReader> lines_;
  json::object header_, summary_;
  std::size_t shard_index_ = 0, shard_count_ = 0;
  bool complete_ = false, done_ = false;
};

std::int64_t number_of(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_number() ? it->value().to_number<std::int64_t>() : 0;
}

// The shards in the order their records interleave; every shard of the run exactly once, all of one run.
void order_shards(std::vector<std::unique_ptr<ResultsReader>>& inputs) {
  const std::size_t n = inputs.front()->shard_count();
  std::set<std::size_t> seen;
  for (const auto& in : inputs) {
    if (in->shard_count() != n)
      throw UsageError(in->path() + (in->shard_count() ? " is shard " + std::to_string(in->shard_index()) + "/" +
                                                            std::to_string(in->shard_count())
                                                      : std::string(" is not a shard")) +
                       ", " + inputs.front()->path() + " is one of " + std::to_string(n) + ": not the same run");
    if (!seen.insert(in->shard_index()).second)
      throw UsageError("shard " + std::to_string(in->shard_index()) + "/" + std::to_string(n) + " is given twice");
    for (const char* key : {"profile", "suite_version", "strict"})
      if (in->header().at(key) != inputs.front()->header().at(key))
        throw UsageError(in->path() + " and " + inputs.front()->path() + " differ in " + key + ": not the same run");
    if (in->header().at("stack").as_object().at("sut") != inputs.front()->header().at("stack").as_object().at("sut"))
      throw UsageError(in->path() + " and " + inputs.front()->path() + " ran different stacks: not the same run");
  }
  if (n == 0) return;  // whole runs: concatenated in the order given
  if (seen.size() != n)
    throw UsageError("shards of " + std::to_string(n) + " given: " + std::to_string(seen.size()) +
                     " (every shard's results are needed)");
  std::sort(inputs.begin(), inputs.end(), [](const auto& a, const auto& b) { return a->shard_index() < b->shard_index(); });
}

// The trailer of the merged file: the shards' summaries added up, as the run writes it.
int finish_merge(const std::vector<std::unique_ptr<ResultsReader>>& inputs, std::FILE* out, std::string& buffer,
                 const std::string& out_path) {
  RunSummary total;
  bool complete = true;
  for (const auto& in : inputs) {
    const json::object& s = in->summary();
    complete = complete && in->complete();
    total.total += static_cast<std::size_t>(number_of(s, "total"));
    for (std::size_t v = 0; v < 6; ++v)
      total.counts[v] += static_cast<std::size_t>(number_of(s, to_string(static_cast<Verdict>(v))));
    total.unexpected += static_cast<std::size_t>(number_of(s, "unexpected"));
    total.unexpected_passes += static_cast<std::size_t>(number_of(s, "unexpected_passes"));
    if (auto it = s.find("seconds"); it != s.end() && it->value().is_number())
      total.seconds = std::max(total.seconds, it->value().to_number<double>());
    if (auto it = s.find("interrupted"); it != s.end() && it->value().is_bool())
      total.interrupted = total.interrupted || it->value().get_bool();
    if (auto it = s.find("stack_diagnostics"); it != s.end() && it->value().is_string() && !it->value().get_string().empty())
      total.stack_diagnostics += (total.stack_diagnostics.empty() ? "" : "\n") + std::string(it->value().get_string());
  }
  buffer += "\n],\"complete\":";
  buffer += complete ? "true" : "false";
  buffer += ",\"summary\":";
  append_summary_json(buffer, total);
  buffer += "}\n";
  const bool written = std::fwrite(buffer.data(), 1, buffer.size(), out) == buffer.size();
  if (std::fclose(out) != 0 || !written) throw UsageError("cannot write " + out_path);
  std::fprintf(stderr, "wrote %s: %zu results from %zu file(s); %zu unexpected%s\n", out_path.c_str(), total.total,
               inputs.size(), total.unexpected, complete ? "" : "; some shard did not complete");
  return total.unexpected > 0 || !complete ? kExitUnexpected : kExitOk;
}

}  // namespace

int merge(const Args& args) {
  ArgParser p("connstate merge", "connstate merge RESULTS.json... -o OUT.json",
              "Joins the JSON results of the shards of a run ('connstate run --shard I/N --json …', one per CI\n"
              "job) into one results file, the one the whole run would have written: the records in the run's\n"
              "order, the summary's counts added up, \"seconds\" the longest shard's, the header of shard 1\n"
              "without its \"shard\" field and with the total \"selected\". Every shard of the run must be given,\n"
              "once. Files that are not shards are concatenated in the order given.\n"
              "The merged file is what 'connstate expectations update' reads.\n\n"
              "exit codes: 0 merged, no unexpected result; 1 merged, with unexpected results or a shard that did\n"
              "not complete; 2 bad usage, unreadable inputs or shards of different runs.");
  p.option("o", "FILE", "the merged results file to write (required)")
      .positional("RESULTS.json...", "the shards' results files (connstate run --shard I/N --json FILE)");
  if (!p.parse(args)) return kExitOk;
  const auto out_path = p.value("o");
  if (!out_path) throw UsageError("-o OUT.json is required");
  if (p.positionals().empty()) throw UsageError("give the results files to merge");
  std::vector<std::unique_ptr<ResultsReader>> inputs;
  for (const auto& path : p.positionals()) inputs.push_back(std::make_unique<ResultsReader>(path));
  const bool sharded = inputs.front()->shard_count() > 0;
  order_shards(inputs);

  json::object header = inputs.front()->header();
  header.erase("shard");
  std::int64_t selected = 0;
  for (const auto& in : inputs) selected += number_of(in->header(), "selected");
  header["selected"] = selected;

  std::FILE* out = std::fopen(out_path->c_str(), "wb");
  if (!out) throw UsageError("cannot write " + *out_path);
  std::string buffer = "{\"format\":\"connstate-results\",\"version\":1,\"header\":" + json::serialize(header) +
                       std::string(kResultsOpen) + "\n";
  bool first = true;
  auto emit = [&](std::string_view record) {
    if (!first) buffer += ",\n";
    first = false;
    buffer += record;
    if (buffer.size() > (1u << 20)) {
      std::fwrite(buffer.data(), 1, buffer.size(), out);
      buffer.clear();
    }
  };
  std::string_view record;
  if (sharded) {
    // One record from each shard in turn; a shard that ends leaves the others to go on.
    for (std::size_t live = inputs.size(); live > 0;) {
      live = 0;
      for (auto& in : inputs)
        if (in->next(record)) {
          emit(record);
          ++live;
        }
    }
  } else {
    for (auto& in : inputs)
      while (in->next(record)) emit(record);
  }
  return finish_merge(inputs, out, buffer, *out_path);
}

}  // namespace connstate::cli

// args.h — the command-line parser every `connstate` subcommand uses.
//
// Options are declared with a name, whether they take a value, whether they may
// repeat, and a help line; the parser then fills values, collects positionals,
// and renders --help. Errors are UsageError (exit code 2 in the CLI).
#pragma once

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace connstate::harness {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class ArgParser {
 public:
  ArgParser(std::string command, std::string synopsis, std::string description);

  // `name` without dashes; `metavar` empty = a flag.
  ArgParser& option(std::string name, std::string metavar, std::string help, bool repeatable = false);
  ArgParser& positional(std::string metavar, std::string help);
  ArgParser& epilog(std::string text);

  // Throws UsageError. Returns false when --help was asked (help already printed to stdout).
  bool parse(const std::vector<std::string>& args);

  bool has(const std::string& name) const;
  std::optional<std::string> value(const std::string& name) const;
  std::string value_or(const std::string& name, std::string fallback) const;
  const std::vector<std::string>& values(const std::string& name) const;
  const std::vector<std::string>& positionals() const { return positionals_; }
  std::string help() const;

 private:
  struct Option {
    std::string name, metavar, help;
    bool repeatable;
  };
  std::string command_, synopsis_, description_, epilog_;
  std::vector<Option> options_;
  std::vector<std::pair<std::string, std::string>> positional_help_;
  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> positionals_;
};

// Parses a non-negative integer option value, with a usage error naming the option.
long long parse_count(const std::string& option, const std::string& text, long long min, long long max);
double parse_number(const std::string& option, const std::string& text, double min, double max);

}  // namespace connstate::harness

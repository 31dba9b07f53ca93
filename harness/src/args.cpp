// args.cpp — see args.h.
#include "connstate/harness/args.h"

#include <charconv>
#include <cstdio>
#include <sstream>

namespace connstate::harness {

ArgParser::ArgParser(std::string command, std::string synopsis, std::string description)
    : command_(std::move(command)), synopsis_(std::move(synopsis)), description_(std::move(description)) {
  option("help", "", "show this help and exit");
}

ArgParser& ArgParser::option(std::string name, std::string metavar, std::string help, bool repeatable) {
  options_.push_back({std::move(name), std::move(metavar), std::move(help), repeatable});
  return *this;
}

ArgParser& ArgParser::positional(std::string metavar, std::string help) {
  positional_help_.emplace_back(std::move(metavar), std::move(help));
  return *this;
}

ArgParser& ArgParser::epilog(std::string text) {
  epilog_ = std::move(text);
  return *this;
}

bool ArgParser::parse(const std::vector<std::string>& args) {
  bool only_positionals = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (only_positionals || a.size() < 2 || a[0] != '-' || a == "-") {
      positionals_.push_back(a);
      continue;
    }
    if (a == "--") {
      only_positionals = true;
      continue;
    }
    std::string name = a.substr(a[1] == '-' ? 2 : 1);
    std::optional<std::string> inline_value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name.resize(eq);
    }
    const Option* opt = nullptr;
    for (const auto& o : options_) {
      if (o.name == name) opt = &o;
    }
    if (!opt) throw UsageError("unknown option '" + a + "' (see '" + command_ + " --help')");
    if (opt->metavar.empty()) {
      if (inline_value) throw UsageError("option --" + name + " takes no value");
      values_[name].push_back("");
    } else {
      std::string v;
      if (inline_value) {
        v = *inline_value;
      } else {
        if (i + 1 >= args.size()) throw UsageError("option --" + name + " needs a value (" + opt->metavar + ")");
        v = args[++i];
      }
      auto& slot = values_[name];
      if (!slot.empty() && !opt->repeatable) throw UsageError("option --" + name + " given twice");
      slot.push_back(std::move(v));
    }
  }
  if (has("help")) {
    std::fputs(help().c_str(), stdout);
    return false;
  }
  return true;
}

bool ArgParser::has(const std::string& name) const { return values_.count(name) != 0; }

std::optional<std::string> ArgParser::value(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::string ArgParser::value_or(const std::string& name, std::string fallback) const {
  auto v = value(name);
  return v ? *v : fallback;
}

const std::vector<std::string>& ArgParser::values(const std::string& name) const {
  static const std::vector<std::string> empty;
  auto it = values_.find(name);
  return it == values_.end() ? empty : it->second;
}

std::string ArgParser::help() const {
  std::ostringstream out;
  out << "usage: " << synopsis_ << "\n\n" << description_ << "\n";
  if (!positional_help_.empty()) {
    out << "\narguments:\n";
    for (const auto& [m, h] : positional_help_) {
      std::string left = "  " + m;
      out << left << std::string(left.size() < 28 ? 28 - left.size() : 1, ' ') << h << "\n";
    }
  }
  out << "\noptions:\n";
  for (const auto& o : options_) {
    std::string left = "  --" + o.name + (o.metavar.empty() ? "" : " " + o.metavar);
    out << left << std::string(left.size() < 28 ? 28 - left.size() : 1, ' ') << o.help
        << (o.repeatable ? " (repeatable)" : "") << "\n";
  }
  if (!epilog_.empty()) out << "\n" << epilog_ << "\n";
  return out.str();
}

long long parse_count(const std::string& option, const std::string& text, long long min, long long max) {
  long long v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v < min || v > max)
    throw UsageError("--" + option + " wants a whole number from " + std::to_string(min) + " to " +
                     std::to_string(max) + ", got '" + text + "'");
  return v;
}

double parse_number(const std::string& option, const std::string& text, double min, double max) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !(v >= min && v <= max))
    throw UsageError("--" + option + " wants a number from " + std::to_string(min) + " to " + std::to_string(max) +
                     ", got '" + text + "'");
  return v;
}

}  // namespace connstate::harness

// plugin_library.h — loading a plugin (the C ABI of connstate/plugin.h): the one place in connstate
// that dlopens, used by `plugin:` stacks and by the differential fuzzer alike, so that both accept
// exactly the same plugins and reject the others with the same message.
//
// A plugin is accepted when it exports `connstate_plugin_v2` returning a table with abi_version 2,
// or (an older plugin) `connstate_plugin_v1` returning one with abi_version 1, and the table names
// the plugin and its version. The table is copied: for a version-1 plugin the ABI-2 entries read as
// NULL, so callers test `evaluate_batch` and never read past what the plugin provided.
#pragma once

#include <string>

#include "connstate/plugin.h"

namespace connstate::harness {

class PluginLibrary {
 public:
  // Throws StackError (stack.h) naming `path` and what is wrong.
  explicit PluginLibrary(const std::string& path);
  ~PluginLibrary();
  PluginLibrary(const PluginLibrary&) = delete;
  PluginLibrary& operator=(const PluginLibrary&) = delete;

  const std::string& path() const { return path_; }
  const connstate_plugin& table() const { return table_; }
  unsigned abi_version() const { return table_.abi_version; }
  bool supports_evaluate() const;
  bool supports_sequence() const;
  bool has_evaluate_batch() const { return supports_evaluate() && table_.evaluate_batch != nullptr; }

 private:
  std::string path_;
  void* handle_ = nullptr;
  connstate_plugin table_{};
};

// The message a plugin wrote into a buffer of `size` bytes ("(no message)" when it wrote none).
std::string plugin_message(const char* buffer, std::size_t size);

}  // namespace connstate::harness

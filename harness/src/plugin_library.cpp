// plugin_library.cpp — see plugin_library.h.
#include "connstate/harness/plugin_library.h"

#include <dlfcn.h>

#include <cstddef>
#include <cstring>

#include "connstate/harness/stack.h"

namespace connstate::harness {
namespace {

// The version-1 table is the version-2 table up to (not including) evaluate_batch.
constexpr std::size_t kVersion1TableSize = offsetof(connstate_plugin, evaluate_batch);

const connstate_plugin* find_table(void* handle, const std::string& path, unsigned& expected_version,
                                   const char*& entry_name) {
  entry_name = CONNSTATE_PLUGIN_ENTRY;
  expected_version = 2;
  auto entry = reinterpret_cast<connstate_plugin_entry>(dlsym(handle, CONNSTATE_PLUGIN_ENTRY));
  if (!entry) {
    entry_name = CONNSTATE_PLUGIN_ENTRY_V1;
    expected_version = 1;
    entry = reinterpret_cast<connstate_plugin_entry>(dlsym(handle, CONNSTATE_PLUGIN_ENTRY_V1));
  }
  if (!entry)
    throw StackError(path + " is not a connstate plugin: it exports neither " CONNSTATE_PLUGIN_ENTRY
                            " nor " CONNSTATE_PLUGIN_ENTRY_V1 " (harness/include/connstate/plugin.h)");
  const connstate_plugin* table = entry();
  if (!table) throw StackError(path + ": " + entry_name + " returned NULL");
  if (table->abi_version != expected_version)
    throw StackError(path + ": " + entry_name + " returned a table of plugin ABI version " +
                     std::to_string(table->abi_version) + ", expected " + std::to_string(expected_version));
  return table;
}

}  // namespace

PluginLibrary::PluginLibrary(const std::string& path) : path_(path) {
  handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle_) throw StackError("cannot load plugin " + path + ": " + dlerror());
  try {
    unsigned version = 0;
    const char* entry_name = nullptr;
    const connstate_plugin* table = find_table(handle_, path, version, entry_name);
    std::memcpy(&table_, table, version == 1 ? kVersion1TableSize : sizeof table_);
    if (!table_.name || !*table_.name || !table_.version || !*table_.version)
      throw StackError(path + ": plugin has no name or version");
  } catch (...) {
    dlclose(handle_);
    throw;
  }
}

PluginLibrary::~PluginLibrary() { dlclose(handle_); }

bool PluginLibrary::supports_evaluate() const {
  return (table_.supports & CONNSTATE_SUPPORTS_EVALUATE) && table_.evaluate;
}

bool PluginLibrary::supports_sequence() const {
  return (table_.supports & CONNSTATE_SUPPORTS_SEQUENCE) && table_.create && table_.destroy && table_.step;
}

std::string plugin_message(const char* buffer, std::size_t size) {
  std::string m(buffer, strnlen(buffer, size));
  return m.empty() ? std::string("(no message)") : m;
}

}  // namespace connstate::harness

// reference_plugin.cpp — the reference as a C ABI plugin (harness/include/connstate/plugin.h).
//
// Built three times: as the faithful reference (libconnstate_reference_plugin.so; the
// profile comes from $CONNSTATE_PLUGIN_PROFILE, default rec-2025), and with one planted
// sequence-semantics bug each, for the differential fuzzer's acceptance test:
//   CONNSTATE_PLANTED_BUG=1  close() fires iceconnectionstatechange/connectionstatechange
//   CONNSTATE_PLANTED_BUG=2  a DTLS change also re-derives and fires the ICE aggregate
// and once more as a plugin of ABI version 1 (CONNSTATE_PLUGIN_V1_ONLY: exports connstate_plugin_v1
// alone, no evaluate_batch), so that the tests load both versions. The ABI-2 builds export
// connstate_plugin_v1 as well, as plugin.h suggests for plugins that older harnesses should load.
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "connstate/peer_connection_model.h"
#include "connstate/plugin.h"

#ifndef CONNSTATE_PLANTED_BUG
#define CONNSTATE_PLANTED_BUG 0
#endif
#ifndef CONNSTATE_PLUGIN_V1_ONLY
#define CONNSTATE_PLUGIN_V1_ONLY 0
#endif

namespace {
using namespace connstate;

Profile plugin_profile() {
  const char* p = std::getenv("CONNSTATE_PLUGIN_PROFILE");
  if (p && *p) {
    if (auto parsed = parse_profile(p)) return *parsed;
  }
  return kDefaultProfile;
}

void set_message(char* buf, size_t size, const char* text) {
  if (buf && size) {
    std::strncpy(buf, text, size - 1);
    buf[size - 1] = 0;
  }
}

connstate_states states_of(const PeerConnectionModel& m) {
  const auto pcs = m.connection_state();
  return {pcs ? static_cast<int32_t>(*pcs) : CONNSTATE_UNDEFINED, static_cast<int32_t>(m.ice_connection_state())};
}

connstate_status evaluate(void* self, int closed, const connstate_transport* ts, size_t n, connstate_states* out,
                          char* message, size_t message_size) {
  const Profile profile = *static_cast<const Profile*>(self);
  if (n > kMaxTransports) {
    set_message(message, message_size, "more than 64 transports");
    return CONNSTATE_UNSUPPORTED;
  }
  TransportState buf[kMaxTransports];
  for (size_t i = 0; i < n; ++i) {
    if (ts[i].ice < 0 || ts[i].ice > 6 || ts[i].dtls < 0 || ts[i].dtls > 4) {
      set_message(message, message_size, "state out of range");
      return CONNSTATE_ERROR;
    }
    buf[i] = {static_cast<IceTransportState>(ts[i].ice), static_cast<DtlsTransportState>(ts[i].dtls), ts[i].sctp_only != 0};
  }
  const Derivation d = derive(profile, closed != 0, std::span<const TransportState>(buf, n));
  out->connection_state = d.connection_state ? static_cast<int32_t>(*d.connection_state) : CONNSTATE_UNDEFINED;
  out->ice_connection_state = static_cast<int32_t>(d.ice_connection_state);
  return CONNSTATE_OK;
}

// The batch path derives the packed states only (no rule ids): what a snapshot's answer needs.
connstate_status evaluate_batch(void* self, size_t n, const uint8_t* closed, const connstate_transport* ts,
                                const size_t* first_transport, connstate_states* out, char* message,
                                size_t message_size) {
  const Profile profile = *static_cast<const Profile*>(self);
  TransportState buf[kMaxTransports];
  for (size_t i = 0; i < n; ++i) {
    const size_t begin = first_transport[i], count = first_transport[i + 1] - begin;
    if (first_transport[i + 1] < begin || count > kMaxTransports) {
      set_message(message, message_size, "more than 64 transports, or transport offsets out of order");
      return CONNSTATE_UNSUPPORTED;  // the harness asks these snapshots one by one
    }
    for (size_t k = 0; k < count; ++k) {
      const connstate_transport& t = ts[begin + k];
      if (static_cast<uint32_t>(t.ice) > 6 || static_cast<uint32_t>(t.dtls) > 4) {
        set_message(message, message_size, "state out of range");
        return CONNSTATE_ERROR;
      }
      buf[k] = {static_cast<IceTransportState>(t.ice), static_cast<DtlsTransportState>(t.dtls), t.sctp_only != 0};
    }
    const PackedStates s = derive_states(profile, closed[i] != 0, std::span<const TransportState>(buf, count));
    const auto pcs = s.connection_state();
    out[i].connection_state = pcs ? static_cast<int32_t>(*pcs) : CONNSTATE_UNDEFINED;
    out[i].ice_connection_state = static_cast<int32_t>(s.ice_connection_state());
  }
  return CONNSTATE_OK;
}

connstate_status create(void* self, uint32_t options, void** pc, char*, size_t) {
  ModelOptions o;
  o.rederive_on_set_change = options & CONNSTATE_OPTION_REDERIVE_ON_SET_CHANGE;
  o.events_on_close = options & CONNSTATE_OPTION_EVENTS_ON_CLOSE;
#if CONNSTATE_PLANTED_BUG == 1
  o.events_on_close = true;
#endif
  *pc = new (std::nothrow) PeerConnectionModel(*static_cast<const Profile*>(self), o);
  return *pc ? CONNSTATE_OK : CONNSTATE_ERROR;
}

void destroy(void*, void* pc) { delete static_cast<PeerConnectionModel*>(pc); }

connstate_status step(void*, void* pc_handle, int32_t op, int32_t transport, int32_t state, int32_t sctp_only,
                      connstate_event* events, size_t max_events, size_t* n_events, connstate_states* out,
                      char* message, size_t message_size) {
  auto& pc = *static_cast<PeerConnectionModel*>(pc_handle);
  if (op < CONNSTATE_STEP_ADD || op > CONNSTATE_STEP_CLOSE || transport < 0 || transport >= 64) {
    set_message(message, message_size, "bad step");
    return CONNSTATE_ERROR;
  }
  Step s{static_cast<StepKind>(op), static_cast<TransportId>(transport), static_cast<std::uint8_t>(state),
         sctp_only != 0};
  const StepResult r = pc.apply(s);
  if (!r.ok()) {
    set_message(message, message_size, std::string(to_string(r.outcome)).c_str());
    return CONNSTATE_ERROR;
  }
  size_t n = 0;
  auto push = [&](int32_t type, int32_t t, int32_t st) {
    if (n < max_events) events[n] = {type, t, st};
    ++n;
  };
  for (const Event& e : r.events) push(static_cast<int32_t>(e.type), e.transport, e.state);
#if CONNSTATE_PLANTED_BUG == 2
  if (op == CONNSTATE_STEP_DTLS && !r.events.empty()) push(CONNSTATE_EVENT_ICECONNECTIONSTATECHANGE, 0,
                                                           static_cast<int32_t>(pc.ice_connection_state()));
#endif
  *n_events = n;
  *out = states_of(pc);
  return CONNSTATE_OK;
}

Profile g_profile = plugin_profile();

#if CONNSTATE_PLANTED_BUG == 0
constexpr const char* kName = "connstate reference plugin";
#else
constexpr const char* kName = "connstate reference plugin with a planted bug";
#endif

const connstate_plugin g_plugin = {CONNSTATE_PLUGIN_ABI_VERSION,
                                   kName,
                                   CONNSTATE_VERSION,
                                   nullptr,
                                   nullptr,
                                   CONNSTATE_SUPPORTS_EVALUATE | CONNSTATE_SUPPORTS_SEQUENCE,
                                   &g_profile,
                                   evaluate,
                                   create,
                                   destroy,
                                   step,
                                   evaluate_batch};

// The same table as version 1 declares it: what connstate_plugin_v1 returns.
connstate_plugin make_v1_table() {
  connstate_plugin t = g_plugin;
  t.abi_version = 1;
  t.evaluate_batch = nullptr;
  return t;
}
const connstate_plugin g_plugin_v1 = make_v1_table();

}  // namespace

extern "C" __attribute__((visibility("default"))) const connstate_plugin* connstate_plugin_v1(void) { return &g_plugin_v1; }
#if !CONNSTATE_PLUGIN_V1_ONLY
extern "C" __attribute__((visibility("default"))) const connstate_plugin* connstate_plugin_v2(void) { return &g_plugin; }
#endif

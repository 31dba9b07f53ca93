/* plugin.h — the C ABI of an in-process stack-under-test plugin (ABI versions 1 and 2).
 *
 * A plugin is a shared library that exports `connstate_plugin_v2` (or, built against
 * version 1 of this header, `connstate_plugin_v1`), returning a table of functions.
 * `connstate run --sut plugin:./libmystack.so` loads it with dlopen and calls it
 * directly: the fast path, used for differential fuzzing.
 *
 * Versions. ABI 2 appends one entry to the table, `evaluate_batch`, which answers many
 * snapshots in one call (a call per snapshot was what bounded `plugin:` runs). Everything
 * before it is version 1, unchanged. The harness looks for `connstate_plugin_v2` first and
 * requires abi_version 2 from it, then for `connstate_plugin_v1` with abi_version 1; so a
 * version-1 plugin loads as it always did. A version-2 plugin that should also load in
 * older connstate releases exports both symbols, the v1 one returning a copy of its table
 * with abi_version 1 (the older harness never reads past `step`).
 * A plugin that crashes takes the harness down with it; for untrusted code use an
 * `exec:` adapter (docs/adapter-protocol.md) instead.
 *
 * States are passed as integers: the index of the value in the IDL enum, in the
 * order given by the CONNSTATE_* constants below (the same order as connstate's
 * C++ enums). CONNSTATE_UNDEFINED (-1) reads as null: a state the stack leaves
 * undefined. Every function returns a connstate_status; on UNSUPPORTED or ERROR it
 * may write a NUL-terminated reason into `message` (at most message_size bytes).
 */
#ifndef CONNSTATE_PLUGIN_H
#define CONNSTATE_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CONNSTATE_PLUGIN_ABI_VERSION 2
#define CONNSTATE_UNDEFINED (-1)

/* RTCIceTransportState and RTCIceConnectionState (same strings, IDL order) */
enum { CONNSTATE_ICE_CLOSED, CONNSTATE_ICE_FAILED, CONNSTATE_ICE_DISCONNECTED, CONNSTATE_ICE_NEW,
       CONNSTATE_ICE_CHECKING, CONNSTATE_ICE_COMPLETED, CONNSTATE_ICE_CONNECTED };
/* RTCDtlsTransportState */
enum { CONNSTATE_DTLS_NEW, CONNSTATE_DTLS_CONNECTING, CONNSTATE_DTLS_CONNECTED, CONNSTATE_DTLS_CLOSED,
       CONNSTATE_DTLS_FAILED };
/* RTCPeerConnectionState */
enum { CONNSTATE_PC_CLOSED, CONNSTATE_PC_FAILED, CONNSTATE_PC_DISCONNECTED, CONNSTATE_PC_NEW,
       CONNSTATE_PC_CONNECTING, CONNSTATE_PC_CONNECTED };

typedef enum { CONNSTATE_OK = 0, CONNSTATE_UNSUPPORTED = 1, CONNSTATE_ERROR = 2 } connstate_status;

/* Sequence steps */
typedef enum { CONNSTATE_STEP_ADD, CONNSTATE_STEP_ICE, CONNSTATE_STEP_DTLS, CONNSTATE_STEP_REMOVE,
               CONNSTATE_STEP_CLOSE } connstate_step_op;

/* Event types; `transport` is meaningful for the two statechange types. */
typedef enum { CONNSTATE_EVENT_ICE_STATECHANGE, CONNSTATE_EVENT_DTLS_STATECHANGE,
               CONNSTATE_EVENT_ICECONNECTIONSTATECHANGE, CONNSTATE_EVENT_CONNECTIONSTATECHANGE } connstate_event_type;

/* Options a sequence asks for (connstate_plugin.create); a plugin that cannot honour
 * them returns CONNSTATE_UNSUPPORTED. */
#define CONNSTATE_OPTION_REDERIVE_ON_SET_CHANGE 1u
#define CONNSTATE_OPTION_EVENTS_ON_CLOSE 2u

typedef struct {
  int32_t ice;       /* CONNSTATE_ICE_* */
  int32_t dtls;      /* CONNSTATE_DTLS_* */
  int32_t sctp_only; /* 1: referenced only by [[SctpTransport]] */
} connstate_transport;

typedef struct {
  int32_t connection_state;     /* CONNSTATE_PC_* or CONNSTATE_UNDEFINED */
  int32_t ice_connection_state; /* CONNSTATE_ICE_* or CONNSTATE_UNDEFINED */
} connstate_states;

typedef struct {
  int32_t type;      /* connstate_event_type */
  int32_t transport; /* the step's transport number, for statechange events */
  int32_t state;     /* the value a listener reads, in the enum of `type` */
} connstate_event;

#define CONNSTATE_SUPPORTS_EVALUATE 1u
#define CONNSTATE_SUPPORTS_SEQUENCE 2u

typedef struct connstate_plugin {
  uint32_t abi_version; /* CONNSTATE_PLUGIN_ABI_VERSION (1 in a table a v1 entry returns) */
  const char* name;
  const char* version;
  const char* homepage; /* may be NULL */
  const char* issues;   /* may be NULL */
  uint32_t supports;    /* CONNSTATE_SUPPORTS_* */
  void* self;           /* passed back to every call */

  /* Evaluate a snapshot: the closed flag and n transports. */
  connstate_status (*evaluate)(void* self, int closed, const connstate_transport* transports, size_t n,
                               connstate_states* out, char* message, size_t message_size);

  /* A fresh peer connection with no transports; *pc receives the plugin's handle. */
  connstate_status (*create)(void* self, uint32_t options, void** pc, char* message, size_t message_size);
  void (*destroy)(void* self, void* pc);

  /* One step on a peer connection. `transport` is a small integer naming the transport
   * (0..63), `state` the new state for ICE/DTLS steps. The plugin writes the events the
   * step fired, in dispatch order, into events[0..max_events) and their count into
   * *n_events, and the states read afterwards into *out. */
  connstate_status (*step)(void* self, void* pc, int32_t op, int32_t transport, int32_t state, int32_t sctp_only,
                           connstate_event* events, size_t max_events, size_t* n_events, connstate_states* out,
                           char* message, size_t message_size);

  /* ABI 2 (absent from a version-1 table; may be NULL): evaluate n snapshots at once.
   * Snapshot i is closed[i] (0 or 1) and the transports
   * transports[first_transport[i] .. first_transport[i + 1]), so first_transport has n + 1
   * entries, ascending. The plugin writes the states of snapshot i into out[i].
   * All or nothing: CONNSTATE_OK means every out[i] is written. On any other status the
   * harness asks the same snapshots again one by one through `evaluate`, which says which
   * snapshot it declined or failed and why; so a plugin may return CONNSTATE_UNSUPPORTED
   * for a whole batch whenever it prefers the per-snapshot path. */
  connstate_status (*evaluate_batch)(void* self, size_t n, const uint8_t* closed, const connstate_transport* transports,
                                     const size_t* first_transport, connstate_states* out, char* message,
                                     size_t message_size);
} connstate_plugin;

/* The symbol a plugin exports: a function taking nothing and returning its table (which
 * must stay valid until the library is unloaded). */
typedef const connstate_plugin* (*connstate_plugin_entry)(void);
#define CONNSTATE_PLUGIN_ENTRY "connstate_plugin_v2"
#define CONNSTATE_PLUGIN_ENTRY_V1 "connstate_plugin_v1"

#ifdef __cplusplus
}
#endif

#endif /* CONNSTATE_PLUGIN_H */

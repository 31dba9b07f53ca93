#!/usr/bin/env node
// connstate protocol-1 oracle adapter for werift (npm, version pinned by package-lock.json).
//
// It runs werift's OWN state code on the harness's inputs; nothing here derives a state (README.md lists
// every werift function called):
// - evaluate: a fresh RTCPeerConnection; one addTransceiver("audio") per transport (createDataChannel for
//   the sctp_only one), the transports' `state` fields written, then SecureTransportManager
//   .updateIceConnectionState() (the only aggregation routine werift has); `closed` = the real pc.close().
// - sequences: a real RTCPeerConnection; states forced through the transports' own setState(); remove =
//   transceiver.stop() + pc.closeIdleTransports(); close = await pc.close(). Events are what the public
//   on*statechange handlers see, in werift's dispatch order, with the attribute read inside the handler.
"use strict";
const fs = require("fs");
const path = require("path");
const readline = require("readline");

const weriftMain = require.resolve("werift");
const werift = require("werift");
const pkgDir = weriftMain.slice(0, weriftMain.lastIndexOf(`${path.sep}node_modules${path.sep}werift${path.sep}`)) +
  `${path.sep}node_modules${path.sep}werift`;
const VERSION = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8")).version;
const { IceTransportStates } = require(path.join(pkgDir, "lib/webrtc/src/transport/ice.js"));
const { DtlsStates } = require(path.join(pkgDir, "lib/webrtc/src/transport/dtls.js"));

const CONFIG = { iceServers: [] }; // no STUN/TURN: nothing here ever gathers or sends anyway

const tick = () => new Promise((resolve) => setImmediate(resolve));
const excText = (e) => (e && e.stack ? String(e.stack).split("\n").slice(0, 3).join(" | ") : String(e));

function declineStates(ice, dtls) {
  if (ice !== undefined && !IceTransportStates.includes(ice))
    return `werift ${VERSION} has no RTCIceTransport state "${ice}" (transport/ice.ts IceTransportStates)`;
  if (dtls !== undefined && !DtlsStates.includes(dtls))
    return `werift ${VERSION} has no RTCDtlsTransport state "${dtls}" (transport/dtls.ts DtlsStates)`;
  return null;
}
const ONE_SCTP = "werift has one SCTP transport per pc (SctpTransportManager.sctpTransport)";

// A transport joins the pc's set the way werift's public API makes one.
function createTransport(pc, sctpOnly) {
  if (sctpOnly) {
    pc.createDataChannel("connstate");
    return { dtls: pc.sctpTransport.dtlsTransport, transceiver: null };
  }
  const transceiver = pc.addTransceiver("audio");
  return { dtls: transceiver.dtlsTransport, transceiver };
}

async function evaluate(req) {
  const ts = req.transports || [];
  for (const t of ts) {
    const why = declineStates(t.ice, t.dtls);
    if (why) return { unsupported: why };
  }
  if (ts.filter((t) => t.sctp_only).length > 1) return { unsupported: ONE_SCTP };
  const pc = new werift.RTCPeerConnection(CONFIG);
  try {
    const made = ts.map((t) => createTransport(pc, !!t.sctp_only));
    if (new Set(made.map((m) => m.dtls.id)).size !== made.length)
      return { error: "adapter: werift shared one transport between two transceivers" };
    made.forEach((m, i) => {
      m.dtls.iceTransport.state = ts[i].ice; // plain writable fields in werift
      m.dtls.state = ts[i].dtls;
    });
    pc.secureManager.updateIceConnectionState();
    if (req.closed) await pc.close();
    await tick();
    return { connectionState: pc.connectionState, iceConnectionState: pc.iceConnectionState };
  } catch (e) {
    return { error: "werift threw " + excText(e) };
  } finally {
    if (!pc.isClosed) await pc.close().catch(() => {});
  }
}

class Sequence {
  constructor() {
    this.pc = new werift.RTCPeerConnection(CONFIG);
    this.events = [];
    this.transports = new Map();
    this.declined = null;
    const pc = this.pc;
    pc.oniceconnectionstatechange = () =>
      this.events.push({ target: "pc", type: "iceconnectionstatechange", state: pc.iceConnectionState });
    pc.onconnectionstatechange = () =>
      this.events.push({ target: "pc", type: "connectionstatechange", state: pc.connectionState });
  }

  listen(name, dtls) {
    const ice = dtls.iceTransport;
    ice.onstatechange = () => this.events.push({ target: "ice:" + name, type: "statechange", state: ice.state });
    dtls.onstatechange = () => this.events.push({ target: "dtls:" + name, type: "statechange", state: dtls.state });
  }

  async step(req) {
    if (this.declined) return { unsupported: "an earlier step was declined: " + this.declined };
    if (["ice", "dtls", "remove"].includes(req.op) && !this.transports.has(req.transport))
      return { error: `adapter: ${req.op} on transport ${JSON.stringify(req.transport)}, which no earlier add created` };
    this.events = [];
    let why;
    try {
      why = await this["op_" + req.op](req.transport, req);
      await tick();
    } catch (e) {
      return { error: `werift threw ${excText(e)} on ${req.op}` };
    }
    if (why) {
      this.declined = why;
      return { unsupported: why };
    }
    return { events: this.events, connectionState: this.pc.connectionState,
             iceConnectionState: this.pc.iceConnectionState };
  }

  async op_add(name, req) {
    if (req.sctp_only && this.pc.sctpTransport) return ONE_SCTP;
    const t = createTransport(this.pc, !!req.sctp_only);
    t.sctpOnly = !!req.sctp_only;
    this.transports.set(name, t);
    this.listen(name, t.dtls);
    return null;
  }

  async op_ice(name, req) {
    const why = declineStates(req.state, undefined);
    if (why) return why;
    const ice = this.transports.get(name).dtls.iceTransport;
    if (ice.state === "closed" && req.state !== "closed")
      return "werift's RTCIceTransport never leaves closed: only RTCIceTransport.stop() and the agent's " +
        "Connection.close() set it (transport/ice.ts, ice/src/ice.ts), and stop() also ends its onStateChange";
    ice.setState(req.state);
    return null;
  }

  async op_dtls(name, req) {
    const why = declineStates(undefined, req.state);
    if (why) return why;
    this.transports.get(name).dtls.setState(req.state);
    return null;
  }

  async op_remove(name) {
    const t = this.transports.get(name);
    if (t.sctpOnly)
      return "werift never takes its SCTP transport out of the set before close() (nothing resets " +
        "SctpTransportManager.sctpTransport)";
    t.transceiver.stop();          // unassociated transceiver: stopped at once, leaves secureManager.dtlsTransports
    this.pc.closeIdleTransports(); // what sLD/sRD/rollback run next: stops transports no live transceiver uses
    this.transports.delete(name);
    return null;
  }

  async op_close() {
    await this.pc.close();
    return null;
  }
}

async function handle(req, session) {
  const reply = { id: req.id };
  switch (req.op) {
    case "hello":
      Object.assign(reply, { protocol: 1, name: "werift", version: VERSION, supports: ["evaluate", "sequence"],
                             homepage: "https://github.com/shinyoshiaki/werift-webrtc",
                             issues: "https://github.com/shinyoshiaki/werift-webrtc/issues" });
      break;
    case "evaluate":
      Object.assign(reply, await evaluate(req));
      break;
    case "reset":
      // options: werift re-derives iceConnectionState on addTransceiver and on transport stop, and its close()
      // fires connectionstatechange/iceconnectionstatechange; both policies are what it does anyway.
      if (session.seq && !session.seq.pc.isClosed) await session.seq.pc.close().catch(() => {});
      session.seq = new Sequence();
      break;
    case "add": case "ice": case "dtls": case "remove": case "close":
      if (!session.seq) session.seq = new Sequence();
      Object.assign(reply, await session.seq.step(req));
      break;
    case "bye":
      break;
    default:
      reply.error = "unknown op " + req.op;
  }
  return reply;
}

async function main() {
  process.stderr.write(`werift adapter: werift ${VERSION} from ${pkgDir}\n`);
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  const session = { seq: null };
  for await (const line of rl) {
    if (!line.trim()) continue;
    const req = JSON.parse(line);
    let reply;
    try {
      reply = await handle(req, session);
    } catch (e) { // the adapter's own fault (e.g. a step on an unknown transport name)
      reply = { id: req.id, error: "adapter: " + excText(e) };
    }
    process.stdout.write(JSON.stringify(reply) + "\n");
    if (req.op === "bye") break;
  }
  if (session.seq && !session.seq.pc.isClosed) await session.seq.pc.close().catch(() => {});
  process.exit(0);
}

main().catch((e) => {
  process.stderr.write("werift adapter: " + excText(e) + "\n");
  process.exit(1);
});

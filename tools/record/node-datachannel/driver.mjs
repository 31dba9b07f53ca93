// driver.mjs — node-datachannel (libdatachannel with libjuice) for the Node recorder
// (tools/record/node/record.mjs): one native rtc::PeerConnection per peer process, bound to 127.0.0.1,
// driven through node-datachannel's native API (not its polyfill: the polyfill's RTCDtlsTransport and
// RTCIceTransport only re-read the pc's own states, so they show nothing of the transports).
//
// What is observed, and how it maps to the W3C names (docs/recorders.md, "node-datachannel"):
// - pc events: the native callbacks onStateChange, onIceStateChange, onSignalingStateChange and
//   onGatheringStateChange, logged as connectionstatechange, iceconnectionstatechange,
//   signalingstatechange and icegatheringstatechange with the value the callback was given
//   (libdatachannel's gathering state "in-progress" is RTCIceGatheringState "gathering").
// - transports: libdatachannel has one ICE transport (a libjuice agent) and one DTLS transport per pc
//   and reports their states only in its log. The log callback is this process's only, so every line
//   is this pc's: "juice: Changing state to X" is the ICE transport's change, "Starting DTLS
//   transport" / "DTLS handshake finished" / "DTLS handshake failed" / "DTLS closed" the DTLS
//   transport's. Each is logged as a statechange with the library line in `raw`.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const packageDir = path.join(here, 'node_modules', 'node-datachannel');
const require = createRequire(import.meta.url);

export const stack = 'node-datachannel';
export const options = {
  api: 'node-datachannel native PeerConnection (not the polyfill)',
  config: { bindAddress: '127.0.0.1', enableIceUdpMux: false, disableAutoNegotiation: true },
  transports: 'from libdatachannel log lines (Debug level), one pc per process',
};
export const delivery = 'each native callback type (and the log) reaches JavaScript through its own N-API thread-safe function';
const NO_RESTART = 'libdatachannel 0.24 has no ICE restart (no call for it; the polyfill throws "Not implemented" for restartIce)';
const ONE_TRANSPORT = 'libdatachannel multiplexes every m-line of a pc on its one ICE and DTLS transport and has no bundlePolicy, so signalling never creates or discards a transport';
export const cannot = {
  'ice-restart': NO_RESTART,
  'restart-after-failed': NO_RESTART,
  'bundle-balanced': ONE_TRANSPORT,
  'renegotiate-add-transport': ONE_TRANSPORT,
};

export function missing() {
  if (!fs.existsSync(path.join(packageDir, 'package.json'))) return 'node-datachannel is not installed';
  return null;
}
// The binding's version and the libdatachannel it carries; the native module is loaded in a child
// process, so that the recorder itself never holds a stack.
export function version() {
  const binding = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')).version;
  const library = execFileSync(process.execPath, ['-e', 'process.stdout.write(require("node-datachannel").getLibraryVersion())'],
                               { cwd: here, encoding: 'utf8' });
  return `${binding} (libdatachannel ${library})`;
}

// libjuice agent state (its log names) -> RTCIceTransportState. "gathering" follows the initial
// "disconnected" (the agent's start state) and is still `new` in W3C terms.
const JUICE_TO_ICE = { gathering: 'new', connecting: 'checking', connected: 'connected', completed: 'completed',
                       failed: 'failed', disconnected: 'disconnected' };
const DTLS_LINES = [
  [/Starting DTLS transport/, 'connecting'],
  [/DTLS handshake finished/, 'connected'],
  [/DTLS handshake failed/, 'failed'],
  [/DTLS closed/, 'closed'],
];
const GATHERING = { new: 'new', 'in-progress': 'gathering', complete: 'complete' };

class NativePeer {
  constructor(name, ndc, log) {
    this.name = name;
    this.log = log;
    this.onCandidate = () => {};
    this.transport = null;     // { id, ice, dtls }: the states last reported in the library's log
    this.descriptions = [];    // waiting for onLocalDescription
    ndc.initLogger('Debug', (level, message) => this.libraryLine(message));
    const pc = new ndc.PeerConnection(name, { iceServers: [], ...options.config });
    this.pc = pc;
    // Registered in the polyfill's order (state, ICE, signaling, gathering): each has its own
    // thread-safe function, so this order is the one in which callbacks queued together run.
    pc.onStateChange((state) => this.pcEvent('connectionstatechange', state, () => pc.state()));
    pc.onIceStateChange((state) => this.pcEvent('iceconnectionstatechange', state, () => pc.iceState()));
    pc.onSignalingStateChange((state) => this.pcEvent('signalingstatechange', state, () => pc.signalingState()));
    pc.onGatheringStateChange((state) => this.pcEvent('icegatheringstatechange', GATHERING[state] || state,
                                                        () => GATHERING[pc.gatheringState()], state));
    pc.onLocalDescription((sdp, type) => {
      const waiting = this.descriptions.shift();
      if (waiting) waiting({ sdp, type });
    });
    pc.onLocalCandidate((candidate, mid) => {
      const value = candidate.replace(/^a=/, '');
      this.log({ target: 'pc', event: 'icecandidate', detail: value });
      this.onCandidate(value, mid);
    });
    pc.onDataChannel((channel) => {
      this.log({ target: 'dc:' + channel.getLabel(), event: 'datachannel' });
      this.watchChannel(channel);
    });
  }

  pcEvent(event, state, readNow, raw) {
    const line = { target: 'pc', event, state };
    if (raw !== undefined && raw !== state) line.raw = raw;
    try {
      const now = readNow();
      if (now !== state) line.read_at_delivery = now;  // the callback ran after a later change
    } catch { /* closed: nothing to read */ }
    this.log(line);
  }

  libraryLine(message) {
    if (/Initializing ICE transport/.test(message) && !this.transport) {
      this.transport = { id: this.name + '0', ice: 'new', dtls: 'new' };
      const id = this.transport.id;
      this.log({ target: 'ice:' + id, event: 'added', state: 'new', sctp_only: true, raw: message });
      this.log({ target: 'dtls:' + id, event: 'added', state: 'new', sctp_only: true,
                 detail: 'libdatachannel creates its DtlsTransport when ICE connects; until then the DTLS side is new' });
      return;
    }
    if (!this.transport) return;
    const juice = /juice: Changing state to (\w+)/.exec(message);
    if (juice && JUICE_TO_ICE[juice[1]] !== undefined) {
      const state = JUICE_TO_ICE[juice[1]];
      if (state === this.transport.ice) {
        this.log({ target: 'ice:' + this.transport.id, event: 'libjuice-state', state, raw: message });
        return;
      }
      this.transport.ice = state;
      this.log({ target: 'ice:' + this.transport.id, event: 'statechange', state, raw: message });
      return;
    }
    for (const [pattern, state] of DTLS_LINES) {
      if (pattern.test(message)) {
        this.transport.dtls = state;
        this.log({ target: 'dtls:' + this.transport.id, event: 'statechange', state, raw: message });
        return;
      }
    }
    if (/DTLS|juice: .*(failed|timeout|expired)/i.test(message))
      this.log({ target: 'library', event: 'log', detail: message });
  }

  api(event, detail) { this.log({ target: 'api', event, ...(detail === undefined ? {} : { detail }) }); }

  nextDescription() { return new Promise((resolve) => this.descriptions.push(resolve)); }

  addDataChannel(label) {
    this.api('createDataChannel', label);
    this.watchChannel(this.pc.createDataChannel(label));
  }

  // The channel probes travel on; kept referenced (a collected DataChannel wrapper closes its channel).
  watchChannel(channel) {
    this.channel = channel;
    const target = 'dc:' + channel.getLabel();
    channel.onOpen(() => this.log({ target, event: 'open' }));
    channel.onClosed(() => this.log({ target, event: 'close' }));
    channel.onMessage((message) => this.log({ target, event: 'message', detail: String(message) }));
  }

  send(text) {
    this.api('send', text);
    this.channel.sendMessage(text);
  }

  addMedia() { throw new Error(ONE_TRANSPORT); }

  async makeOffer({ iceRestart = false } = {}) {
    if (iceRestart) throw new Error(NO_RESTART);
    const description = this.nextDescription();
    this.api('setLocalDescription', 'offer');
    this.pc.setLocalDescription('offer');
    return (await description).sdp;
  }

  async takeOffer(sdp) {
    this.api('setRemoteDescription', 'offer');
    this.pc.setRemoteDescription(sdp, 'offer');
    const description = this.nextDescription();
    this.api('setLocalDescription', 'answer');
    this.pc.setLocalDescription('answer');
    return (await description).sdp;
  }

  takeAnswer(sdp) {
    this.api('setRemoteDescription', 'answer');
    this.pc.setRemoteDescription(sdp, 'answer');
  }

  // libdatachannel has no call for end-of-candidates: null is not passed on.
  addCandidate(candidate, mid) {
    if (candidate === null) return;
    this.api('addIceCandidate', candidate);
    this.pc.addRemoteCandidate(candidate, mid);
  }

  close() {
    this.api('close');
    this.pc.close();
    this.readBack();
  }

  // The pc's getters (there is no transport object to read: its states are only in the log).
  readBack() {
    const reads = { connectionState: () => this.pc.state(), iceConnectionState: () => this.pc.iceState(),
                    signalingState: () => this.pc.signalingState(), iceGatheringState: () => GATHERING[this.pc.gatheringState()] };
    for (const [attribute, read] of Object.entries(reads)) this.log({ target: 'pc', event: 'get', attribute, state: read() });
  }

  states() {
    return { connection: this.pc.state(), ice: this.pc.iceState(),
             transports: this.transport ? [{ id: this.transport.id, ice: this.transport.ice, dtls: this.transport.dtls }] : [] };
  }

  teardown() { this.pc.close(); }
}

export async function createPeer(name, config, log) {
  return new NativePeer(name, require('node-datachannel'), log);
}

export function shutdown() { require('node-datachannel').cleanup(); }

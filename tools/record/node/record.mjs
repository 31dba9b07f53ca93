// record.mjs — records a format-1 trace (docs/trace-format.md) of two peers of a Node WebRTC stack:
// node-datachannel (libdatachannel), @roamhq/wrtc (libwebrtc) or werift. One recorder for the three,
// because everything but the peer itself is the same concept for each: the scenarios (scenarios.mjs),
// the signalling between the peers, the UDP relay that carries their traffic (relay.mjs), the merged
// trace and the exit codes. What differs — how a peer is made and observed — is the stack's driver,
// tools/record/<stack>/driver.mjs.
//
// Each peer runs in a process of its own (peer.mjs); this process is the signalling channel and the
// relay, and writes the trace: its own markers and the lines both peers send, merged in time order
// (all three stamp with clock.mjs; a line is written once it is HOLD_MS old, so a later line from one
// process cannot overtake an earlier one from another). Run inside a network namespace that has only
// `lo` (tools/record/record does: `unshare -n`); candidates are restricted to 127.0.0.1 besides.
//
// Usage: node record.mjs --stack node-datachannel|wrtc|werift --scenario SCENARIO -o FILE
// Exit: 0 goal reached; 3 goal not reached (the trace is still written); 2 bad usage or a scenario
// the stack cannot run (the reason on stderr); 4 the stack is not installed or cannot run at all.
import { fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { sharedClockMs } from './clock.mjs';
import { Relay } from './relay.mjs';
import { SCENARIOS } from './scenarios.mjs';
import { createSignalling } from './signalling.mjs';

const HOLD_MS = 300;              // how long a line waits for earlier lines from the other processes
const TEARDOWN_GRACE_MS = 5000;   // how long a peer may take to exit after the recording
const STACKS = ['node-datachannel', 'wrtc', 'werift'];
const here = path.dirname(fileURLToPath(import.meta.url));

const args = process.argv.slice(2);
let stack = '', scenario = '', outPath = '-';
for (let i = 0; i < args.length; ++i) {
  if (args[i] === '--stack') stack = args[++i];
  else if (args[i] === '--scenario' || args[i] === '-s') scenario = args[++i];
  else if (args[i] === '-o') outPath = args[++i];
  else { console.error(`record.mjs: unexpected argument '${args[i]}'`); process.exit(2); }
}
if (!STACKS.includes(stack)) { console.error(`record.mjs: --stack must be one of ${STACKS.join(', ')}`); process.exit(2); }
if (!SCENARIOS[scenario]) { console.error(`record.mjs: --scenario must be one of ${Object.keys(SCENARIOS).join(', ')}`); process.exit(2); }

const driverPath = path.join(here, '..', stack, 'driver.mjs');
const driver = await import(pathToFileURL(driverPath).href);
const notInstalled = driver.missing();
if (notInstalled) { console.error(`record.mjs: ${notInstalled} (tools/record/node/install ${stack})`); process.exit(4); }
if (driver.cannot[scenario]) { console.error(`record.mjs: ${stack} cannot run '${scenario}': ${driver.cannot[scenario]}`); process.exit(2); }

// --- the trace ---------------------------------------------------------------------------------------
const clockBase = sharedClockMs();
const now = () => +(sharedClockMs() - clockBase).toFixed(3);
const out = outPath === '-' ? process.stdout : fs.createWriteStream(outPath);
const history = [];   // every line, in arrival order, for the scenarios' goals
let pending = [], arrival = 0, lastWritten = -Infinity, recording = true;

function addLine(line) {
  if (!recording) return;
  history.push(line);
  pending.push({ line, seq: arrival++ });
}
function flush(all) {
  const horizon = all ? Infinity : now() - HOLD_MS;
  pending.sort((x, y) => x.line.t_ms - y.line.t_ms || x.seq - y.seq);
  let n = 0;
  while (n < pending.length && pending[n].line.t_ms <= horizon) {
    const { line } = pending[n++];
    if (line.t_ms < lastWritten) console.error(`record.mjs: a line came more than ${HOLD_MS} ms late: ${JSON.stringify(line)}`);
    lastWritten = Math.max(lastWritten, line.t_ms);
    out.write(JSON.stringify(line) + '\n');
  }
  pending = pending.slice(n);
}
const flusher = setInterval(() => flush(false), 50);
const marker = (target, event, extra = {}) => addLine({ t_ms: now(), target, event, ...extra });

const scenarioSpec = SCENARIOS[scenario];
// A driver may name another policy for a scenario, where its stack needs one to run it.
const bundlePolicy = (driver.bundlePolicies || {})[scenario] || scenarioSpec.bundlePolicy || 'max-bundle';
const peerConfig = { bundlePolicy, scenario };
out.write(JSON.stringify({
  format: 'connstate-trace', version: 1, stack, stack_version: driver.version(), scenario,
  recorded: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), pc_events: true,
  recorder: `tools/record ${stack} (tools/record/node/record.mjs, ${stack}/driver.mjs)`,
  options: {
    ...driver.options, bundlePolicy, iceServers: [], data_channel: true,
    peers: 'one process per peer; lines merged by time (shared clock)',
    relay: 'node dgram UDP relay on 127.0.0.1', candidates: 'UDP host 127.0.0.1 only, trickled through the relay; a=candidate lines removed from the SDP',
    network: process.env.CONNSTATE_NETNS === '1' ? 'network namespace with lo only' : 'host (loopback candidates only)',
  },
  delivery: driver.delivery,
}) + '\n');

// --- the peers ---------------------------------------------------------------------------------------
class PeerProcess {
  constructor(name) {
    this.name = name;
    this.calls = new Map();
    this.nextId = 0;
    this.child = fork(path.join(here, 'peer.mjs'),
      [pathToFileURL(driverPath).href, name, JSON.stringify(peerConfig), String(clockBase)],
      { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
    this.ready = new Promise((resolve, reject) => {
      this.child.on('message', (m) => {
        if (m.ready) resolve();
        else if (m.line) addLine({ t_ms: m.line.t_ms, pc: name, ...m.line });
        else if (m.candidate) signalling.fromPeer(name, m.candidate.candidate, m.candidate.sdpMid);
        else if (m.fatal) { reject(new Error(`peer ${name}: ${m.fatal}`)); this.failAll(m.fatal); }
        else if (this.calls.has(m.id)) {
          const { resolve: ok, reject: ko } = this.calls.get(m.id);
          this.calls.delete(m.id);
          if (m.error !== undefined) ko(new Error(`${name}: ${m.error}`)); else ok(m.result);
        }
      });
      this.exited.then(({ code, signal }) => {
        const why = `peer ${name} exited (${signal || code})`;
        reject(new Error(why));
        this.failAll(why);
      });
    });
    this.ready.catch(() => {});  // awaited in main; a peer that dies later must not end the recorder
  }
  failAll(why) { for (const { reject } of this.calls.values()) reject(new Error(why)); this.calls.clear(); }
  call(method, ...callArgs) {
    return new Promise((resolve, reject) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) return reject(new Error(`peer ${this.name} is gone`));
      const id = this.nextId++;
      this.calls.set(id, { resolve, reject });
      this.child.send({ id, method, args: callArgs });
    });
  }
  // After the recording: let the stack shut down; kill the process if it does not within the grace.
  async teardown() {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.call('teardown').catch(() => {});
    const timer = new Promise((resolve) => setTimeout(() => resolve('timeout'), TEARDOWN_GRACE_MS));
    if (await Promise.race([this.exited, timer]) === 'timeout') {
      console.error(`record.mjs: peer ${this.name} (${stack}) did not exit within ${TEARDOWN_GRACE_MS} ms after the recording: killed`);
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}

// --- signalling (signalling.mjs) -----------------------------------------------------------------------
const relay = new Relay();
const { signalling, negotiate, states, until, probe, sleep } = createSignalling({ relay, marker, now, history });

// --- main --------------------------------------------------------------------------------------------
let goal = false, why = '', exitCode = 3, extra = {};
const peers = [new PeerProcess('a'), new PeerProcess('b')];
try {
  signalling.peers = { a: peers[0], b: peers[1] };
  await Promise.all(peers.map((p) => p.ready));
  const result = await scenarioSpec.run({
    peers: signalling.peers, signalling, relay, negotiate, states, until, sleep, history, probe,
    marker, now, stack, block: (plane = 0, extraFields = {}) => { relay.block(plane); marker('relay', 'block', { direction: 'both', plane, ...extraFields }); },
    unblock: (plane = 0) => { relay.unblock(plane); marker('relay', 'unblock', { direction: 'both', plane }); },
  });
  ({ goal, why = '', extra = {} } = result);
  exitCode = goal ? 0 : 3;
} catch (e) {
  why = e.message;
  if (/^peer [ab]: /.test(why)) exitCode = 4;
}
marker('recorder', 'end-of-trace', { goal, ...(why ? { why } : {}), ...extra, forwarded: relay.counts.forwarded,
  dropped: relay.counts.dropped, detail: 'the peers are torn down after this line, unrecorded' });
flush(true);
recording = false;
clearInterval(flusher);
if (out !== process.stdout) await new Promise((resolve) => out.end(resolve));
await Promise.all(peers.map((p) => p.teardown()));
await relay.close();
if (!goal) console.error(`record.mjs: ${stack} ${scenario} did not reach its goal: ${why}`);
process.exit(exitCode);

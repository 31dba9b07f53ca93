// record.mjs — records a format-1 trace (docs/trace-format.md) of two RTCPeerConnections in Chromium.
//
// Debian's /usr/bin/chromium runs headless under playwright-core with a fresh profile; the page is
// served from 127.0.0.1. In the page, pcs "a" and "b" (no ICE servers, max-bundle, one data channel)
// log every pc event and every state change of pc.sctp.transport (DTLS) and its iceTransport, with
// the value read in the listener and performance.now() as t_ms. Candidates go through this process,
// which hands each pc only the other's 127.0.0.1 UDP host candidate rewritten to a port of a UDP relay
// on 127.0.0.1 (node dgram): blocking the relay blocks the path. Run it inside a network namespace
// that has only `lo` (tools/record/record does: `unshare -n`), so the browser cannot reach anything else.
//
// Usage: node record.mjs --scenario connect|close|remote-close|ice-restart|path-failure|recover -o FILE
// Exit: 0 goal reached; 3 goal not reached (the trace is still written); 2 bad usage; 4 cannot run.
import { execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const SCENARIOS = ['connect', 'close', 'remote-close', 'ice-restart', 'path-failure', 'recover'];
const args = process.argv.slice(2);
let scenario = '', outPath = '-';
for (let i = 0; i < args.length; ++i) {
  if (args[i] === '--scenario' || args[i] === '-s') scenario = args[++i];
  else if (args[i] === '-o') outPath = args[++i];
  else if (!scenario && !args[i].startsWith('-')) scenario = args[i];
  else { console.error(`record.mjs: unexpected argument '${args[i]}'`); process.exit(2); }
}
if (!SCENARIOS.includes(scenario)) {
  console.error(`record.mjs: --scenario must be one of ${SCENARIOS.join(', ')}`);
  process.exit(2);
}

// --- the relay ---------------------------------------------------------------------------------------
// ra stands for a towards b (b sends to it), rb for b towards a. A datagram arriving at ra goes out of
// rb to a's real port, so a sees it coming from b's (rewritten) candidate; and vice versa.
class Relay {
  constructor() {
    this.real = { a: null, b: null };
    this.blocked = false;
    this.counts = { forwarded: 0, dropped: 0 };
  }
  async start() {
    const open = () => new Promise((res) => { const s = dgram.createSocket('udp4'); s.bind(0, '127.0.0.1', () => res(s)); });
    this.ra = await open();
    this.rb = await open();
    this.ra.on('message', (m, from) => this.forward(m, from, this.rb, 'a'));
    this.rb.on('message', (m, from) => this.forward(m, from, this.ra, 'b'));
  }
  forward(msg, from, out, to) {
    if (from.address !== '127.0.0.1' || !this.real[to]) return;  // loopback only, both ways
    if (this.blocked) { this.counts.dropped++; return; }
    out.send(msg, this.real[to], '127.0.0.1');
    this.counts.forwarded++;
  }
  portFor(pc) { return (pc === 'a' ? this.ra : this.rb).address().port; }
  close() { this.ra.close(); this.rb.close(); }
}

// --- the page ----------------------------------------------------------------------------------------
const PAGE = `<!doctype html><meta charset="utf-8"><title>connstate recorder</title><script>
window.__trace = [];
const log = (o) => { __trace.push(JSON.stringify(Object.assign({ t_ms: +performance.now().toFixed(3) }, o))); };
window.__log = log;
const pcs = {};
const attached = {};
let transportSeq = 0;
function attach(name) {
  const pc = pcs[name];
  if (!pc.sctp) return;
  const dtls = pc.sctp.transport;
  if (attached[name] && attached[name].dtls === dtls) return;
  const id = name + (transportSeq++);
  attached[name] = { dtls, id };
  const ice = dtls.iceTransport;
  log({ pc: name, target: 'dtls:' + id, event: 'added', state: dtls.state, sctp_only: pc.getTransceivers().length === 0 });
  log({ pc: name, target: 'ice:' + id, event: 'added', state: ice.state, sctp_only: pc.getTransceivers().length === 0,
        gatheringState: ice.gatheringState });
  dtls.addEventListener('statechange', () => log({ pc: name, target: 'dtls:' + id, event: 'statechange', state: dtls.state }));
  dtls.addEventListener('error', (e) => log({ pc: name, target: 'dtls:' + id, event: 'error', detail: String(e.error && e.error.errorDetail) }));
  ice.addEventListener('statechange', () => log({ pc: name, target: 'ice:' + id, event: 'statechange', state: ice.state }));
  ice.addEventListener('gatheringstatechange', () => log({ pc: name, target: 'ice:' + id, event: 'gatheringstatechange', state: ice.gatheringState }));
  ice.addEventListener('selectedcandidatepairchange', () => {
    const p = ice.getSelectedCandidatePair();
    log({ pc: name, target: 'ice:' + id, event: 'selectedcandidatepairchange', detail: p ? p.local.address + ':' + p.local.port + ' -> ' + p.remote.address + ':' + p.remote.port : null });
  });
}
window.__create = (name) => {
  const pc = new RTCPeerConnection({ iceServers: [], bundlePolicy: 'max-bundle' });
  pcs[name] = pc;
  pc.addEventListener('connectionstatechange', () => log({ pc: name, target: 'pc', event: 'connectionstatechange', state: pc.connectionState }));
  pc.addEventListener('iceconnectionstatechange', () => log({ pc: name, target: 'pc', event: 'iceconnectionstatechange', state: pc.iceConnectionState }));
  pc.addEventListener('icegatheringstatechange', () => log({ pc: name, target: 'pc', event: 'icegatheringstatechange', state: pc.iceGatheringState }));
  pc.addEventListener('signalingstatechange', () => { attach(name); log({ pc: name, target: 'pc', event: 'signalingstatechange', state: pc.signalingState }); });
  pc.addEventListener('negotiationneeded', () => log({ pc: name, target: 'pc', event: 'negotiationneeded' }));
  pc.addEventListener('icecandidate', (e) => {
    log({ pc: name, target: 'pc', event: 'icecandidate', detail: e.candidate ? e.candidate.candidate : null });
    window.__candidate(name, e.candidate ? e.candidate.candidate : null, e.candidate ? e.candidate.sdpMid : null);
  });
  pc.addEventListener('datachannel', (e) => log({ pc: name, target: 'dc:' + e.channel.label, event: 'datachannel' }));
};
window.__negotiate = async (restart) => {
  const a = pcs.a, b = pcs.b;
  log({ pc: 'a', target: 'api', event: 'createOffer', detail: restart ? 'iceRestart' : '' });
  const offer = await a.createOffer(restart ? { iceRestart: true } : {});
  log({ pc: 'a', target: 'api', event: 'setLocalDescription' });
  await a.setLocalDescription(offer); attach('a');
  log({ pc: 'b', target: 'api', event: 'setRemoteDescription' });
  await b.setRemoteDescription(offer); attach('b');
  log({ pc: 'b', target: 'api', event: 'createAnswer' });
  const answer = await b.createAnswer();
  log({ pc: 'b', target: 'api', event: 'setLocalDescription' });
  await b.setLocalDescription(answer); attach('b');
  log({ pc: 'a', target: 'api', event: 'setRemoteDescription' });
  await a.setRemoteDescription(answer); attach('a');
};
window.__add = async (name, candidate, sdpMid) => {
  log({ pc: name, target: 'api', event: 'addIceCandidate', detail: candidate });
  await pcs[name].addIceCandidate(candidate === null ? { candidate: '', sdpMid } : { candidate, sdpMid });
};
window.__close = (name) => {
  const pc = pcs[name];
  log({ pc: name, target: 'api', event: 'close' });
  pc.close();
  for (const attribute of ['connectionState', 'iceConnectionState', 'signalingState', 'iceGatheringState'])
    log({ pc: name, target: 'pc', event: 'get', attribute, state: pc[attribute] });
  if (attached[name]) {
    const { dtls, id } = attached[name];
    log({ pc: name, target: 'dtls:' + id, event: 'get', attribute: 'state', state: dtls.state });
    log({ pc: name, target: 'ice:' + id, event: 'get', attribute: 'state', state: dtls.iceTransport.state });
  }
};
window.__state = () => ({ a: pcs.a && pcs.a.connectionState, b: pcs.b && pcs.b.connectionState,
  ai: pcs.a && pcs.a.iceConnectionState, bi: pcs.b && pcs.b.iceConnectionState });
window.__channel = () => { const dc = pcs.a.createDataChannel('chat'); dc.onopen = () => log({ pc: 'a', target: 'dc:chat', event: 'open' }); };
</script>`;

// --- main --------------------------------------------------------------------------------------------
const out = outPath === '-' ? process.stdout : fs.createWriteStream(outPath);
const write = (line) => out.write(line + '\n');
let version = '';
try { version = (execFileSync('/usr/bin/chromium', ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().match(/(\d+\.\d+\.\d+\.\d+)/) || [])[1] || ''; } catch { /* reported below */ }
const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--allow-loopback-in-peer-connection', '--disable-features=WebRtcHideLocalIpsWithMdns'];
write(JSON.stringify({
  format: 'connstate-trace', version: 1, stack: 'chromium', stack_version: version, scenario,
  recorded: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), pc_events: true,
  recorder: 'tools/record chromium (record.mjs, playwright-core)',
  options: { flags, bundlePolicy: 'max-bundle', iceServers: [], data_channel: true, relay: 'node dgram UDP relay on 127.0.0.1',
             network: process.env.CONNSTATE_NETNS === '1' ? 'network namespace with lo only' : 'host (loopback candidates only)' },
}));

const relay = new Relay();
await relay.start();
const server = http.createServer((req, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end(PAGE); });
await new Promise((res) => server.listen(0, '127.0.0.1', res));
const origin = `http://127.0.0.1:${server.address().port}`;
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'connstate-chromium-'));
let context;
try {
  context = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', headless: true, args: flags });
} catch (e) {
  console.error('record.mjs: cannot start /usr/bin/chromium:', e.message);
  process.exit(4);
}
await context.grantPermissions(['microphone', 'camera'], { origin });
const page = context.pages()[0] || await context.newPage();
page.on('pageerror', (e) => console.error('page error:', e.message));

let ready = false;
const queued = [];
const hand = async (from, candidate, sdpMid) => {
  const to = from === 'a' ? 'b' : 'a';
  if (candidate === null) return page.evaluate(([n, m]) => window.__add(n, null, m), [to, sdpMid]);
  const f = candidate.split(' ');
  // candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type> ...
  if (f.length < 8 || f[2].toLowerCase() !== 'udp' || f[7] !== 'host') return;
  if (f[4] !== '127.0.0.1' && !f[4].endsWith('.local')) return;  // loopback only
  relay.real[from] = Number(f[5]);
  f[4] = '127.0.0.1';
  f[5] = String(relay.portFor(from));
  return page.evaluate(([n, c, m]) => window.__add(n, c, m), [to, f.join(' '), sdpMid]);
};
await page.exposeFunction('__candidate', (from, candidate, sdpMid) => {
  if (!ready) { queued.push([from, candidate, sdpMid]); return; }
  hand(from, candidate, sdpMid).catch((e) => console.error('addIceCandidate:', e.message));
});
await page.goto(origin);

const drain = async () => { for (const l of await page.evaluate(() => window.__trace.splice(0))) write(l); };
const drainer = setInterval(() => { drain().catch(() => {}); }, 250);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const state = () => page.evaluate(() => window.__state());
async function until(cond, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) { if (cond(await state())) return true; await sleep(50); }
  return false;
}
const marker = (event, extra = {}) => page.evaluate(([e, x]) => window.__log(Object.assign({ target: 'relay', event: e }, x)), [event, extra]);
const connected = (s) => s.a === 'connected' && s.b === 'connected';
const down = (s) => ['disconnected', 'failed'].includes(s.a) && ['disconnected', 'failed'].includes(s.b);

let goal = false, why = '';
try {
  await page.evaluate(() => { window.__create('a'); window.__create('b'); window.__channel(); });
  await page.evaluate(() => window.__negotiate(false));
  ready = true;  // both pcs have their transport listeners: now let the candidates through
  for (const q of queued.splice(0)) await hand(...q);
  if (!await until(connected, 10000)) throw new Error('did not connect');
  await sleep(500);
  switch (scenario) {
    case 'connect':
      goal = true;
      break;
    case 'close':
      await page.evaluate(() => window.__close('a'));
      await sleep(1500);
      goal = true;
      break;
    case 'remote-close':
      await page.evaluate(() => window.__close('b'));
      goal = await until((s) => ['disconnected', 'failed', 'closed'].includes(s.ai), 40000);
      await sleep(500);
      if (!goal) why = 'a did not notice that b closed';
      break;
    case 'ice-restart':
      ready = false;
      await page.evaluate(() => window.__negotiate(true));
      ready = true;
      for (const q of queued.splice(0)) await hand(...q);
      await sleep(1000);
      goal = await until(connected, 10000);
      await sleep(500);
      if (!goal) why = 'not connected again after the restart';
      break;
    case 'path-failure':
      relay.blocked = true;
      await marker('block', { direction: 'both' });
      goal = await until(down, 30000);
      if (goal) await until((s) => s.a === 'failed' && s.b === 'failed', 40000);  // failed if it comes
      if (!goal) why = 'neither disconnected nor failed';
      break;
    case 'recover':
      relay.blocked = true;
      await marker('block', { direction: 'both' });
      goal = await until(down, 30000);
      relay.blocked = false;
      await marker('unblock', { direction: 'both' });
      goal = goal && await until(connected, 30000);
      await sleep(500);
      if (!goal) why = 'did not recover after the unblock';
      break;
  }
} catch (e) {
  why = e.message;
}
clearInterval(drainer);
await marker('end', { goal, forwarded: relay.counts.forwarded, dropped: relay.counts.dropped }).catch(() => {});
await drain().catch(() => {});
await context.close();
relay.close();
server.close();
fs.rmSync(profile, { recursive: true, force: true });
if (out !== process.stdout) await new Promise((r) => out.end(r));
if (!goal) { console.error(`record.mjs: scenario ${scenario} did not reach its goal: ${why}`); process.exit(3); }
process.exit(0);

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
// With --internals-dump DUMP the same browser also opens chrome://webrtc-internals/?keepRemovedConnections
// in a first tab before the scenario tab, and when the scenario is over saves that page's own download
// ("Download the webrtc-internals dump", #dump-click-target) to DUMP, byte for byte: uncompressed by
// default (the "Compress result" box unticked, as a user does to read it), the page's gzip with
// --compressed. The trace of the same run still goes to -o.
//
// Usage: node record.mjs --scenario SCENARIO -o FILE [--internals-dump DUMP [--compressed]]
//   SCENARIO  connect | close | remote-close | ice-restart | path-failure | recover | two-pc
//             (two-pc: two pairs of pcs in one page, a-b and c-d; both connect, then a closes)
// Exit: 0 goal reached; 3 goal not reached (the trace is still written); 2 bad usage; 4 cannot run.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const SCENARIOS = ['connect', 'close', 'remote-close', 'ice-restart', 'path-failure', 'recover', 'two-pc'];
const args = process.argv.slice(2);
let scenario = '', outPath = '-', dumpPath = '', compressed = false;
for (let i = 0; i < args.length; ++i) {
  if (args[i] === '--scenario' || args[i] === '-s') scenario = args[++i];
  else if (args[i] === '-o') outPath = args[++i];
  else if (args[i] === '--internals-dump') dumpPath = args[++i];
  else if (args[i] === '--compressed') compressed = true;
  else if (!scenario && !args[i].startsWith('-')) scenario = args[i];
  else { console.error(`record.mjs: unexpected argument '${args[i]}'`); process.exit(2); }
}
if (!SCENARIOS.includes(scenario)) {
  console.error(`record.mjs: --scenario must be one of ${SCENARIOS.join(', ')}`);
  process.exit(2);
}
if (compressed && !dumpPath) { console.error('record.mjs: --compressed needs --internals-dump'); process.exit(2); }
// Each pc and the one it talks to; two-pc runs two independent pairs in the same page.
const PAIRS = scenario === 'two-pc' ? [['a', 'b'], ['c', 'd']] : [['a', 'b']];
const partner = Object.fromEntries(PAIRS.flatMap(([x, y]) => [[x, y], [y, x]]));

// --- the relay ---------------------------------------------------------------------------------------
// One relay per pair (x, y). rx stands for x towards y (y sends to it), ry for y towards x. A datagram
// arriving at rx goes out of ry to x's real port, so x sees it coming from y's (rewritten) candidate;
// and vice versa.
class Relay {
  constructor(x, y) {
    this.x = x;
    this.y = y;
    this.real = { [x]: null, [y]: null };
    this.blocked = false;
    this.counts = { forwarded: 0, dropped: 0 };
  }
  async start() {
    const open = () => new Promise((res) => { const s = dgram.createSocket('udp4'); s.bind(0, '127.0.0.1', () => res(s)); });
    this.rx = await open();
    this.ry = await open();
    this.rx.on('message', (m, from) => this.forward(m, from, this.ry, this.x));
    this.ry.on('message', (m, from) => this.forward(m, from, this.rx, this.y));
  }
  forward(msg, from, out, to) {
    if (from.address !== '127.0.0.1' || !this.real[to]) return;  // loopback only, both ways
    if (this.blocked) { this.counts.dropped++; return; }
    out.send(msg, this.real[to], '127.0.0.1');
    this.counts.forwarded++;
  }
  portFor(pc) { return (pc === this.x ? this.rx : this.ry).address().port; }
  close() { this.rx.close(); this.ry.close(); }
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
window.__negotiate = async (x, y, restart) => {
  const a = pcs[x], b = pcs[y];
  log({ pc: x, target: 'api', event: 'createOffer', detail: restart ? 'iceRestart' : '' });
  const offer = await a.createOffer(restart ? { iceRestart: true } : {});
  log({ pc: x, target: 'api', event: 'setLocalDescription' });
  await a.setLocalDescription(offer); attach(x);
  log({ pc: y, target: 'api', event: 'setRemoteDescription' });
  await b.setRemoteDescription(offer); attach(y);
  log({ pc: y, target: 'api', event: 'createAnswer' });
  const answer = await b.createAnswer();
  log({ pc: y, target: 'api', event: 'setLocalDescription' });
  await b.setLocalDescription(answer); attach(y);
  log({ pc: x, target: 'api', event: 'setRemoteDescription' });
  await a.setRemoteDescription(answer); attach(x);
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
// connectionState of each pc by name, and iceConnectionState under the name + 'i'.
window.__state = () => Object.fromEntries(Object.entries(pcs).flatMap(([n, pc]) =>
  [[n, pc.connectionState], [n + 'i', pc.iceConnectionState]]));
window.__channel = (name) => {
  const dc = pcs[name].createDataChannel('chat');
  dc.onopen = () => log({ pc: name, target: 'dc:chat', event: 'open' });
};
</script>`;

// --- the webrtc-internals dump ---------------------------------------------------------------------------
// What a user does: wait for the page's next stats poll (it asks every pc for getStats about once a
// second), open "Create a WebRTC-Internals dump", set "Compress result", click the download button,
// and keep the file the browser saved, unedited.
async function saveDump(internals) {
  await sleep(2500);
  await internals.evaluate(() => { document.querySelector('#dump-click-target').closest('details').open = true; });
  const box = internals.locator('#dump-checkbox');
  if ((await box.isChecked()) !== compressed) await box.click();
  const [download] = await Promise.all([internals.waitForEvent('download', { timeout: 30000 }),
                                        internals.click('#dump-click-target')]);
  const failure = await download.failure();
  if (failure) throw new Error(`download failed: ${failure}`);
  await download.saveAs(dumpPath);
  const hash = crypto.createHash('sha256');  // a Transform stream: end() it, then read the hash
  hash.end(fs.readFileSync(dumpPath));
  const sha256 = hash.read().toString('hex');
  // The provenance goes beside the dump (never into it): one JSON line on stderr.
  console.error(JSON.stringify({ dump: path.basename(dumpPath), page_file_name: download.suggestedFilename(), scenario,
    chromium: version, recorded: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), compressed, sha256,
    recorder: 'tools/record/record chromium-internals (record.mjs, playwright-core)' }));
}

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

const relays = {};
for (const [x, y] of PAIRS) {
  const r = new Relay(x, y);
  await r.start();
  relays[x] = relays[y] = r;
}
const relayList = [...new Set(Object.values(relays))];
const server = http.createServer((req, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end(PAGE); });
await new Promise((res) => server.listen(0, '127.0.0.1', res));
const origin = `http://127.0.0.1:${server.address().port}`;
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'connstate-chromium-'));
const downloads = fs.mkdtempSync(path.join(os.tmpdir(), 'connstate-chromium-dl-'));
let context;
try {
  context = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', headless: true, args: flags,
                                                              acceptDownloads: true, downloadsPath: downloads });
} catch (e) {
  console.error('record.mjs: cannot start /usr/bin/chromium:', e.message);
  process.exit(4);
}
await context.grantPermissions(['microphone', 'camera'], { origin });
// The internals page comes first, as a user opens it before the call: it only lists pcs created
// while it is open, and keepRemovedConnections keeps a closed pc (and its log) on the page.
let internals = null;
if (dumpPath) {
  internals = context.pages()[0] || await context.newPage();
  await internals.goto('chrome://webrtc-internals/?keepRemovedConnections');
}
const page = (!internals && context.pages()[0]) || await context.newPage();
page.on('pageerror', (e) => console.error('page error:', e.message));

let ready = false;
const queued = [];
const hand = async (from, candidate, sdpMid) => {
  const to = partner[from];
  if (candidate === null) return page.evaluate(([n, m]) => window.__add(n, null, m), [to, sdpMid]);
  const f = candidate.split(' ');
  // candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type> ...
  if (f.length < 8 || f[2].toLowerCase() !== 'udp' || f[7] !== 'host') return;
  if (f[4] !== '127.0.0.1' && !f[4].endsWith('.local')) return;  // loopback only
  relays[from].real[from] = Number(f[5]);
  f[4] = '127.0.0.1';
  f[5] = String(relays[from].portFor(from));
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
const names = PAIRS.flat();
const connected = (s) => names.every((n) => s[n] === 'connected');
const down = (s) => names.every((n) => ['disconnected', 'failed'].includes(s[n]));
const block = async (blocked) => {
  for (const r of relayList) r.blocked = blocked;
  await marker(blocked ? 'block' : 'unblock', { direction: 'both' });
};

let goal = false, why = '';
try {
  await page.evaluate((pairs) => {
    for (const [x, y] of pairs) { window.__create(x); window.__create(y); window.__channel(x); }
  }, PAIRS);
  for (const [x, y] of PAIRS) await page.evaluate(([x, y]) => window.__negotiate(x, y, false), [x, y]);
  ready = true;  // every pc has its transport listeners: now let the candidates through
  for (const q of queued.splice(0)) await hand(...q);
  if (!await until(connected, 10000)) throw new Error('did not connect');
  // With the internals page open the call lasts a few stats polls (about one a second) before the
  // scenario goes on, as a real call does before something happens to it.
  await sleep(internals ? 3500 : 500);
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
      await page.evaluate(() => window.__negotiate('a', 'b', true));
      ready = true;
      for (const q of queued.splice(0)) await hand(...q);
      await sleep(1000);
      goal = await until(connected, 10000);
      await sleep(500);
      if (!goal) why = 'not connected again after the restart';
      break;
    case 'path-failure':
      await block(true);
      goal = await until(down, 30000);
      if (goal) await until((s) => names.every((n) => s[n] === 'failed'), 40000);  // failed if it comes
      if (!goal) why = 'neither disconnected nor failed';
      break;
    case 'recover':
      await block(true);
      goal = await until(down, 30000);
      await block(false);
      goal = goal && await until(connected, 30000);
      await sleep(500);
      if (!goal) why = 'did not recover after the unblock';
      break;
    case 'two-pc':
      await page.evaluate(() => window.__close('a'));
      await sleep(1500);
      goal = true;
      break;
  }
} catch (e) {
  why = e.message;
}
clearInterval(drainer);
const forwarded = relayList.reduce((n, r) => n + r.counts.forwarded, 0);
const dropped = relayList.reduce((n, r) => n + r.counts.dropped, 0);
await marker('end', { goal, forwarded, dropped }).catch(() => {});
await drain().catch(() => {});
let dumpSaved = !internals;
if (internals) {
  try {
    await saveDump(internals);
    dumpSaved = true;
  } catch (e) {
    console.error('record.mjs: cannot save the webrtc-internals dump:', e.message);
  }
}
await context.close();
for (const r of relayList) r.close();
server.close();
fs.rmSync(profile, { recursive: true, force: true });
fs.rmSync(downloads, { recursive: true, force: true });
if (!dumpSaved) process.exit(4);
if (out !== process.stdout) await new Promise((r) => out.end(r));
if (!goal) { console.error(`record.mjs: scenario ${scenario} did not reach its goal: ${why}`); process.exit(3); }
process.exit(0);

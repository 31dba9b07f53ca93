// record.mjs — records a format-1 trace (docs/trace-format.md) of RTCPeerConnections in Chromium.
//
// Debian's /usr/bin/chromium runs headless under playwright-core with a fresh profile; the page is
// served from 127.0.0.1. In the page each pc ("a" offers, "b" answers; two-pc adds "c" and "d") is
// observed by the shared W3C peer of the Node recorders (tools/record/node/w3c-peer.mjs, served to the
// page as a module): every pc event and every statechange of each RTCDtlsTransport the pc references
// (pc.sctp.transport, each sender.transport) and of its iceTransport, with the value read in the
// listener and performance.now() as t_ms. Candidates go through this process, which hands each pc only
// the other's 127.0.0.1 UDP host candidate rewritten to a port of the Node recorders' UDP relay on
// 127.0.0.1 (tools/record/node/relay.mjs): blocking the relay blocks the path. Run it inside a network
// namespace that has only `lo` (tools/record/record does: `unshare -n`), so the browser cannot reach
// anything else.
//
// Scenarios: the first six and two-pc are this recorder's own (CHROMIUM_SCENARIOS, the goals the
// bundled Chromium traces were recorded with); the eight of issue 15 are the Node recorders' scenarios
// (tools/record/node/scenarios.mjs), run unchanged against the page through the same session
// interface (`session()` below): one definition of each scenario for every W3C stack.
//
// With --internals-dump DUMP the same browser also opens chrome://webrtc-internals/?keepRemovedConnections
// in a first tab before the scenario tab, and when the scenario is over saves that page's own download
// ("Download the webrtc-internals dump", #dump-click-target) to DUMP, byte for byte: uncompressed by
// default (the "Compress result" box unticked, as a user does to read it), the page's gzip with
// --compressed. The trace of the same run still goes to -o.
//
// Usage: node record.mjs --scenario SCENARIO -o FILE [--internals-dump DUMP [--compressed]]
//   SCENARIO  connect | close | remote-close | ice-restart | path-failure | recover | two-pc
//             | never-connects | bundle-balanced | restart-after-failed | candidate-after-failed
//             | quick-transitions | close-while-checking | dtls-failure | renegotiate-add-transport
//             (two-pc: two pairs of pcs in one page, a-b and c-d; both connect, then a closes)
// Exit: 0 goal reached; 3 goal not reached (the trace is still written); 2 bad usage; 4 cannot run.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { Relay } from '../node/relay.mjs';
import { SCENARIOS as SHARED_SCENARIOS } from '../node/scenarios.mjs';
import { withoutCandidates, loopbackHostCandidate } from '../node/sdp.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const POLL_MS = 50;

// --- this recorder's own scenarios -------------------------------------------------------------------
// Each gets the session (below) once every pair is connected and the call has lasted a moment.
const names = (s) => Object.values(s.pairs).flat();
const allConnected = (s) => (st) => names(s).every((n) => st[n].connection === 'connected');
const CHROMIUM_SCENARIOS = {
  connect: async () => ({ goal: true }),
  close: async (s) => {
    await s.peers.a.call('close');
    await s.sleep(1500);
    return { goal: true };
  },
  'remote-close': async (s) => {
    await s.peers.b.call('close');
    const goal = await s.until(({ a }) => ['disconnected', 'failed', 'closed'].includes(a.ice), 40000);
    await s.sleep(500);
    return { goal, why: goal ? '' : 'a did not notice that b closed' };
  },
  'ice-restart': async (s) => {
    await s.negotiate({ iceRestart: true });
    await s.sleep(1000);
    const goal = await s.until(allConnected(s), 10000);
    await s.sleep(500);
    return { goal, why: goal ? '' : 'not connected again after the restart' };
  },
  'path-failure': async (s) => {
    s.block();
    const down = (st) => names(s).every((n) => ['disconnected', 'failed'].includes(st[n].connection));
    const goal = await s.until(down, 30000);
    if (goal) await s.until((st) => names(s).every((n) => st[n].connection === 'failed'), 40000);  // failed if it comes
    return { goal, why: goal ? '' : 'neither disconnected nor failed' };
  },
  recover: async (s) => {
    s.block();
    const down = (st) => names(s).every((n) => ['disconnected', 'failed'].includes(st[n].connection));
    let goal = await s.until(down, 30000);
    s.unblock();
    goal = goal && await s.until(allConnected(s), 30000);
    await s.sleep(500);
    return { goal, why: goal ? '' : 'did not recover after the unblock' };
  },
  'two-pc': async (s) => {
    await s.peers.a.call('close');
    await s.sleep(1500);
    return { goal: true };
  },
};
const SCENARIOS = [...Object.keys(CHROMIUM_SCENARIOS), ...Object.keys(SHARED_SCENARIOS).filter((n) => !CHROMIUM_SCENARIOS[n])];

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
const shared = CHROMIUM_SCENARIOS[scenario] ? null : SHARED_SCENARIOS[scenario];
const bundlePolicy = (shared && shared.bundlePolicy) || 'max-bundle';
// Each offerer and the pc that answers it; two-pc runs two independent pairs in the same page.
const PAIRS = scenario === 'two-pc' ? { a: 'b', c: 'd' } : { a: 'b' };
const partner = Object.fromEntries(Object.entries(PAIRS).flatMap(([x, y]) => [[x, y], [y, x]]));

// --- the page ----------------------------------------------------------------------------------------
// The pcs and their observers; the recorder calls a peer's methods with __call and reads every line
// logged since the last poll, with the states of every pc, with __poll.
const PAGE = `<!doctype html><meta charset="utf-8"><title>connstate recorder</title><script type="module">
import { W3cPeer } from '/w3c-peer.mjs';
const trace = [];
const log = (line) => { trace.push(JSON.stringify(Object.assign({ t_ms: +performance.now().toFixed(3) }, line))); };
const peers = {};
window.__log = log;
window.__create = (name, bundlePolicy) => {
  const peer = new W3cPeer(name, new RTCPeerConnection({ iceServers: [], bundlePolicy }), log);
  peer.onCandidate = (candidate, sdpMid) => window.__candidate(name, candidate, sdpMid);
  peers[name] = peer;
};
window.__call = (name, method, args) => peers[name][method](...args);
window.__poll = () => ({ lines: trace.splice(0),
                         states: Object.fromEntries(Object.entries(peers).map(([n, p]) => [n, p.states()])) });
window.__ready = true;
</script>`;
const W3C_PEER = fs.readFileSync(path.join(here, '..', 'node', 'w3c-peer.mjs'), 'utf8');

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
  recorder: shared ? 'tools/record chromium (record.mjs, playwright-core; scenario of tools/record/node/scenarios.mjs)'
                   : 'tools/record chromium (record.mjs, playwright-core)',
  options: { flags, bundlePolicy, iceServers: [], data_channel: true, relay: 'node dgram UDP relay on 127.0.0.1',
             candidates: 'UDP host 127.0.0.1 only, trickled through the relay; a=candidate lines removed from the SDP',
             network: process.env.CONNSTATE_NETNS === '1' ? 'network namespace with lo only' : 'host (loopback candidates only)' },
}));

const relay = new Relay();
const server = http.createServer((req, res) => {
  const module = req.url === '/w3c-peer.mjs';
  res.writeHead(200, { 'content-type': module ? 'text/javascript' : 'text/html' });
  res.end(module ? W3C_PEER : PAGE);
});
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

// --- the session: what a scenario can do (the interface of tools/record/node/scenarios.mjs) ------------
const history = [];   // every line drained so far, parsed, for the scenarios' goals
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// Lines reach the file only from the page's queue, in the order the page logged them: the recorder's
// own markers are logged through the page too (chained, so they keep their order), stamped with its clock.
let markers = Promise.resolve();
const marker = (target, event, fields = {}) => {
  markers = markers.then(() => page.evaluate(([line]) => window.__log(line), [{ target, event, ...fields }])).catch(() => {});
  return markers;
};
// Polls run one after another (the drainer and a scenario both poll), so lines are written in order.
let polling = Promise.resolve();
function poll() {
  const step = async () => {
    await markers;
    const { lines, states } = await page.evaluate(() => window.__poll());
    for (const line of lines) { write(line); history.push(JSON.parse(line)); }
    return states;
  };
  const next = polling.then(step);
  polling = next.catch(() => {});
  return next;
}
// The page's performance.now(), estimated here from the two time origins (scenarios compare it with t_ms).
let pageOrigin = 0;
const now = () => +(performance.timeOrigin + performance.now() - pageOrigin).toFixed(3);
async function until(condition, ms) {
  const end = Date.now() + ms;
  for (;;) {
    if (condition(await poll())) return true;
    if (Date.now() >= end) return false;
    await sleep(POLL_MS);
  }
}
const peer = (name) => ({ name, call: (method, ...callArgs) => page.evaluate(([n, m, a]) => window.__call(n, m, a), [name, method, callArgs]) });
const peers = Object.fromEntries(Object.keys(partner).map((n) => [n, peer(n)]));

// Candidates are handed to a pc once it has the remote description they belong to ("its gate is
// open"), each rewritten to the relay port that stands for the candidate's real port in the current
// plane; handing is sequential per receiving pc, so candidates arrive in the order they were made.
const signalling = {
  gate: {}, held: {}, chain: {},
  realCandidates: Object.fromEntries(Object.keys(partner).map((n) => [n, []])),
  plane: 0,
  fromPeer(from, candidate, sdpMid) {
    const to = partner[from];
    if (candidate !== null) {
      const host = loopbackHostCandidate(candidate);
      if (!host) return;  // only UDP host candidates on 127.0.0.1 ever reach the other pc
      this.realCandidates[from].push({ port: host.port, sdpMid, candidate });
    }
    if (this.gate[to]) this.hand(to, candidate, sdpMid); else (this.held[to] ||= []).push([candidate, sdpMid]);
  },
  hand(to, candidate, sdpMid, plane = this.plane) {
    const step = async () => {
      if (candidate === null) return peers[to].call('addCandidate', null, sdpMid);
      const host = loopbackHostCandidate(candidate);
      return peers[to].call('addCandidate', host.rewrite(await relay.portFor(host.port, plane)), sdpMid);
    };
    this.chain[to] = (this.chain[to] || Promise.resolve()).then(step)
      .catch((e) => marker('recorder', 'addIceCandidate-failed', { pc: to, detail: e.message }));
    return this.chain[to];
  },
  open(to) {
    this.gate[to] = true;
    for (const [candidate, sdpMid] of (this.held[to] || []).splice(0)) this.hand(to, candidate, sdpMid);
  },
  close(...pcs) { for (const n of pcs) this.gate[n] = false; },
};
await page.exposeFunction('__candidate', (from, candidate, sdpMid) => signalling.fromPeer(from, candidate, sdpMid));

async function alter(sdp, { edit, detail }, receiver) {
  const altered = edit(sdp);
  if (altered !== sdp) await marker('recorder', 'sdp-altered', { pc: receiver, detail });
  return altered;
}
// x offers, y answers; the SDP each side gets has no candidates; alterOffer / alterAnswer are a
// scenario's deliberate edits ({ detail, edit }), logged as recorder lines. holdCandidates: no
// candidate moves before both descriptions are applied on both sides.
async function negotiate({ iceRestart = false, holdCandidates = false, alterOffer = null, alterAnswer = null } = {}, x = 'a') {
  const y = partner[x];
  signalling.close(x, y);
  const offer = await peers[x].call('makeOffer', { iceRestart });
  let offerForY = withoutCandidates(offer);
  if (alterOffer) offerForY = await alter(offerForY, alterOffer, y);
  const answer = await peers[y].call('takeOffer', offerForY);
  if (!holdCandidates) signalling.open(y);
  let answerForX = withoutCandidates(answer);
  if (alterAnswer) answerForX = await alter(answerForX, alterAnswer, x);
  await peers[x].call('takeAnswer', answerForX);
  signalling.open(x);
  signalling.open(y);
  return { offer, answer };
}

// Whether the path carries data now: a sends a message on its data channel and b must receive it.
let probes = 0;
async function probe(ms) {
  const text = `probe-${++probes}`;
  const sent = now();
  try {
    await peers.a.call('send', text);
  } catch (e) {
    await marker('recorder', 'probe-not-sent', { pc: 'a', detail: e.message });
    return null;
  }
  const end = Date.now() + ms;
  for (;;) {
    await poll();
    const received = history.find((l) => l.pc === 'b' && l.event === 'message' && l.detail === text);
    if (received) return +(received.t_ms - sent).toFixed(3);
    if (Date.now() >= end) return null;
    await sleep(POLL_MS);
  }
}

const session = {
  pairs: Object.fromEntries(Object.entries(PAIRS).map(([x, y]) => [x, [x, y]])),
  peers, signalling, relay, negotiate, until, sleep, history, probe, marker, now, stack: 'chromium',
  states: poll,
  block: (plane = 0, fields = {}) => { relay.block(plane); marker('relay', 'block', { direction: 'both', plane, ...fields }); },
  unblock: (plane = 0) => { relay.unblock(plane); marker('relay', 'unblock', { direction: 'both', plane }); },
};

await page.goto(origin);
await page.waitForFunction(() => window.__ready === true);
pageOrigin = await page.evaluate(() => performance.timeOrigin);
const drainer = setInterval(() => { poll().catch(() => {}); }, 250);

let goal = false, why = '', extra = {};
try {
  await page.evaluate(([pcs, policy]) => { for (const n of pcs) window.__create(n, policy); }, [Object.keys(partner), bundlePolicy]);
  let result;
  if (shared) {
    result = await shared.run(session);
  } else {
    for (const x of Object.keys(PAIRS)) await peers[x].call('addDataChannel', 'chat');
    for (const x of Object.keys(PAIRS)) await negotiate({}, x);
    if (!await until(allConnected(session), 10000)) throw new Error('did not connect');
    // With the internals page open the call lasts a few stats polls (about one a second) before the
    // scenario goes on, as a real call does before something happens to it.
    await sleep(internals ? 3500 : 500);
    result = await CHROMIUM_SCENARIOS[scenario](session);
  }
  ({ goal, why = '', extra = {} } = result);
} catch (e) {
  why = e.message;
}
clearInterval(drainer);
await marker('relay', 'end', { goal, ...(why ? { why } : {}), ...extra, forwarded: relay.counts.forwarded, dropped: relay.counts.dropped });
await poll().catch(() => {});
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
await relay.close();
server.close();
fs.rmSync(profile, { recursive: true, force: true });
fs.rmSync(downloads, { recursive: true, force: true });
if (!dumpSaved) process.exit(4);
if (out !== process.stdout) await new Promise((r) => out.end(r));
if (!goal) { console.error(`record.mjs: scenario ${scenario} did not reach its goal: ${why}`); process.exit(3); }
process.exit(0);

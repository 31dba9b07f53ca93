// record.mjs — records a format-1 trace (docs/trace-format.md) of two RTCPeerConnections in headless
// Firefox ESR, with no automation library: the trace is what connstate live's /probe.js saw in the page
// and `connstate live --record` wrote.
//
// This process starts `connstate live` on 127.0.0.1 (one session, recorded), serves the scenario page
// (page.html) on 127.0.0.1 and starts /usr/bin/firefox-esr on it as a plain process with a fresh
// profile. The page loads /probe.js, makes pcs "a" and "b" and does what this process asks over plain
// HTTP (long-polled calls, posted results). The scenarios are the Node recorders' (tools/record/node/
// scenarios.mjs), run here against the page's two peers, with the same signalling (each pc gets only
// the other's UDP host candidate on 127.0.0.1, rewritten to a port of the UDP relay in relay.mjs, and
// descriptions without candidates) and the same SDP edits (sdp.mjs). When the scenario is over the page
// ends the probe's session; the recorded file is written to -o with its header completed by this
// recorder (recorder, options, scenario, outcome), every other line as connstate live wrote it.
//
// Run it inside a network namespace that has only `lo`, with a default route on lo (tools/record/record
// sets that up): Firefox needs the route to pick a source address, and nothing can leave.
//
// Usage: node record.mjs --scenario SCENARIO --connstate BIN -o FILE
// Exit: 0 goal reached; 3 goal not reached (the trace is still written); 2 bad usage or a scenario
// Firefox cannot run; 4 Firefox or connstate cannot run, or no trace was recorded.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Relay } from '../node/relay.mjs';
import { SCENARIOS } from '../node/scenarios.mjs';
import { createSignalling } from '../node/signalling.mjs';
import { PREFS, writeProfile } from './profile.mjs';

const FIREFOX = '/usr/bin/firefox-esr';
const PAGE_READY_MS = 60000;      // Firefox's start-up with a fresh profile, on a loaded machine
const SESSION_END_MS = 20000;     // the probe's last lines reaching the server after end()
const here = path.dirname(fileURLToPath(import.meta.url));

// Scenarios Firefox cannot run, with the reason (none so far: each is tried; a goal not reached is
// exit 3 with the trace written).
const CANNOT = {};

const args = process.argv.slice(2);
let scenario = '', outPath = '-', connstate = '';
for (let i = 0; i < args.length; ++i) {
  if (args[i] === '--scenario' || args[i] === '-s') scenario = args[++i];
  else if (args[i] === '-o') outPath = args[++i];
  else if (args[i] === '--connstate') connstate = args[++i];
  else { console.error(`record.mjs: unexpected argument '${args[i]}'`); process.exit(2); }
}
if (!SCENARIOS[scenario]) { console.error(`record.mjs: --scenario must be one of ${Object.keys(SCENARIOS).join(', ')}`); process.exit(2); }
if (CANNOT[scenario]) { console.error(`record.mjs: firefox cannot run '${scenario}': ${CANNOT[scenario]}`); process.exit(2); }
if (!connstate || !fs.existsSync(connstate)) { console.error(`record.mjs: --connstate BIN is required (got '${connstate}')`); process.exit(4); }
if (!fs.existsSync(FIREFOX)) { console.error(`record.mjs: ${FIREFOX} is not installed (tools/record/install firefox)`); process.exit(4); }

let firefoxVersion = '';
try {
  firefoxVersion = (execFileSync(FIREFOX, ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().match(/([\d.]+esr|[\d.]+)/) || [])[1] || '';
} catch { /* the probe's header has the user agent's version anyway */ }

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'connstate-firefox-'));
const children = [];

// A child in a process group of its own (so that its helpers go with it), its stdout lines kept.
function start(cmd, argv, options = {}) {
  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, ...options });
  child.lines = [];
  child.exited = new Promise((resolve) => child.once('exit', (code, signal) => { child.code = code; child.signal = signal; resolve(); }));
  readline.createInterface({ input: child.stdout }).on('line', (l) => child.lines.push(l));
  child.stderr.on('data', (d) => fs.appendFileSync(path.join(work, path.basename(cmd) + '.stderr'), d));
  children.push(child);
  return child;
}
async function stop(child, ms = 5000) {
  for (const signal of ['SIGTERM', 'SIGKILL']) {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try { process.kill(-child.pid, signal); } catch { /* gone */ }
    await Promise.race([child.exited, sleep(ms)]);
  }
}
async function waitFor(condition, ms) {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() >= end) return false;
    await sleep(25);
  }
  return true;
}

// --- the page's clock ----------------------------------------------------------------------------------
// Trace times are the page's performance.now(). Each post carries it; the offset from this process's
// clock is the largest seen (a post's transit only makes it look smaller).
let clockOffset = -Infinity;
const now = () => +(performance.now() + clockOffset).toFixed(3);

// --- the page's two peers, over HTTP ---------------------------------------------------------------------
const history = [];        // every line the page's peers logged, for the scenarios' goals
const queued = [];         // calls waiting for the page's next /next
let waiting = null;        // the /next response held open (long poll)
const calls = new Map();
let nextId = 0, pageReady = false;

function send(call) {
  queued.push(call);
  if (waiting) { const res = waiting; waiting = null; res.end(JSON.stringify(queued.splice(0))); }
}
function callPage(peer, method, ...callArgs) {
  return new Promise((resolve, reject) => {
    const id = nextId++;
    calls.set(id, { resolve, reject, what: `${peer || 'page'}.${method}` });
    send({ id, peer, method, args: callArgs });
  });
}
const peers = { a: { call: (m, ...x) => callPage('a', m, ...x) }, b: { call: (m, ...x) => callPage('b', m, ...x) } };

// Markers go into the trace as the probe's mark lines (target "app", event "mark"), stamped by the page
// when it gets them (a few ms after the fact).
const markerLines = [];
function marker(target, event, extra = {}) {
  const label = `${target} ${event}` + (Object.keys(extra).length ? ' ' + JSON.stringify(extra) : '');
  markerLines.push(label);
  callPage(null, 'mark', label).catch(() => {});
}

// --- signalling: the Node recorders' (tools/record/node/signalling.mjs) ----------------------------------
const relay = new Relay();
const { signalling, negotiate, states, until, probe } = createSignalling({ relay, marker, now, history });
signalling.peers = peers;

// --- the page's server -------------------------------------------------------------------------------
function readBody(req) {
  return new Promise((resolve) => { let body = ''; req.on('data', (d) => { body += d; }); req.on('end', () => resolve(body)); });
}
const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  if (req.method === 'GET' && url.pathname === '/page.html') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(fs.readFileSync(path.join(here, 'page.html')));
  } else if (req.method === 'GET' && url.pathname === '/w3c-peer.mjs') {
    res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' });
    res.end(fs.readFileSync(path.join(here, '..', 'node', 'w3c-peer.mjs')));
  } else if (req.method === 'GET' && url.pathname === '/next') {
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    if (queued.length) { res.end(JSON.stringify(queued.splice(0))); return; }
    if (waiting) waiting.end('[]');
    waiting = res;
    setTimeout(() => { if (waiting === res) { waiting = null; res.end('[]'); } }, 10000);
  } else if (req.method === 'POST' && url.pathname === '/push') {
    const message = JSON.parse(await readBody(req));
    clockOffset = Math.max(clockOffset, message.now - performance.now());
    if (message.ready) pageReady = true;
    for (const line of message.lines || []) history.push(line);
    for (const { from, candidate, sdpMid } of message.candidates || []) signalling.fromPeer(from, candidate, sdpMid);
    for (const { id, result, error } of message.results || []) {
      const call = calls.get(id);
      if (!call) continue;
      calls.delete(id);
      if (error !== undefined) call.reject(new Error(`${call.what}: ${error}`)); else call.resolve(result);
    }
    res.writeHead(204);
    res.end();
  } else {
    res.writeHead(404);
    res.end();
  }
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const pageOrigin = `http://127.0.0.1:${server.address().port}`;

// --- main --------------------------------------------------------------------------------------------
const scenarioSpec = SCENARIOS[scenario];
const bundlePolicy = scenarioSpec.bundlePolicy || 'max-bundle';

let goal = false, why = '', extra = {}, exitCode = 3;
const recordDir = path.join(work, 'rec');
const live = start(connstate, ['live', '--listen', '127.0.0.1:0', '--record', recordDir, '--sessions', '1',
                               '--allow-origin', pageOrigin, '--quiet']);
let firefox = null;
try {
  if (!await waitFor(() => live.lines.some((l) => l.startsWith('connstate live: ')) || live.exitCode !== null, 20000))
    throw Object.assign(new Error('connstate live printed no URL line within 20 s'), { exitCode: 4 });
  const liveUrl = (live.lines.find((l) => l.startsWith('connstate live: ')) || '').replace('connstate live: ', '');
  if (!liveUrl) throw Object.assign(new Error(`connstate live exited (${live.code})`), { exitCode: 4 });
  const probeUrl = liveUrl.replace('/?token=', '/probe.js?token=');
  const profile = path.join(work, 'profile');
  writeProfile(profile);
  const pageUrl = `${pageOrigin}/page.html?probe=${encodeURIComponent(probeUrl)}&bundlePolicy=${bundlePolicy}`;
  firefox = start(FIREFOX, ['--headless', '--no-remote', '--profile', profile, pageUrl],
                  { env: { ...process.env, MOZ_CRASHREPORTER_DISABLE: '1' } });
  if (!await waitFor(() => pageReady || firefox.exitCode !== null, PAGE_READY_MS))
    throw Object.assign(new Error(`the page did not report ready within ${PAGE_READY_MS / 1000} s`), { exitCode: 4 });
  if (!pageReady) throw Object.assign(new Error(`firefox-esr exited (${firefox.code})`), { exitCode: 4 });
  const result = await scenarioSpec.run({
    peers, signalling, relay, negotiate, states, until, sleep, history, probe, marker, now, stack: 'firefox',
    block: (plane = 0, fields = {}) => { relay.block(plane); marker('relay', 'block', { direction: 'both', plane, ...fields }); },
    unblock: (plane = 0) => { relay.unblock(plane); marker('relay', 'unblock', { direction: 'both', plane }); },
  });
  ({ goal, why = '', extra = {} } = result);
  exitCode = goal ? 0 : 3;
} catch (e) {
  why = e.message;
  if (e.exitCode) exitCode = e.exitCode;
}

// The end: a last marker, then the page ends the probe's session and the server (--sessions 1) stops
// by itself once it has recorded it.
const outcome = { goal, ...(why ? { why } : {}), ...extra, forwarded: relay.counts.forwarded, dropped: relay.counts.dropped };
let recorded = null;
if (pageReady) {
  marker('recorder', 'end-of-trace', { ...outcome, detail: 'the pcs are torn down after this line, unrecorded' });
  await Promise.race([callPage(null, 'end'), sleep(5000)]).catch(() => {});
  await Promise.race([live.exited, sleep(SESSION_END_MS)]);
  const files = fs.existsSync(recordDir) ? fs.readdirSync(recordDir).filter((f) => f.endsWith('.jsonl')) : [];
  if (files.length === 1) recorded = fs.readFileSync(path.join(recordDir, files[0]), 'utf8');
}
for (const child of children) await stop(child);
server.closeAllConnections();
server.close();
await relay.close();

if (recorded === null) {
  console.error(`record.mjs: no trace was recorded: ${why || 'the session did not end'} (logs in ${work})`);
  process.exit(4);
}
// The header the server wrote, completed with what this recorder did; every other line unchanged.
const lines = recorded.split('\n');
const liveHeader = JSON.parse(lines[0]);
lines[0] = JSON.stringify({
  ...liveHeader, scenario, stack_version: liveHeader.stack_version || firefoxVersion, pc_events: true,
  recorder: 'tools/record firefox (tools/record/firefox/record.mjs + page.html, /probe.js, connstate live --record)',
  live_recorder: liveHeader.recorder,
  firefox: firefoxVersion,
  pcs: { pc1: 'a (offerer)', pc2: 'b (answerer)' },
  options: {
    browser: `${FIREFOX} --headless --no-remote, fresh profile, no automation library`, prefs: PREFS,
    bundlePolicy, iceServers: [], data_channel: true,
    relay: 'node dgram UDP relay on 127.0.0.1',
    candidates: 'UDP host 127.0.0.1 only, trickled through the relay; a=candidate lines removed from the SDP',
    markers: "the recorder's markers are the probe's mark lines (target app), stamped when the page got them",
    network: process.env.CONNSTATE_NETNS === '1' ? 'network namespace with lo only (default route on lo)' : 'host (loopback candidates only)',
  },
  outcome,
});
fs.writeFileSync(outPath === '-' ? 1 : outPath, lines.join('\n'));
fs.rmSync(work, { recursive: true, force: true });
if (!goal) console.error(`record.mjs: firefox ${scenario} did not reach its goal: ${why}`);
process.exit(exitCode);

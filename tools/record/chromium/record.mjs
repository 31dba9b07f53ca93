// record.mjs — records a format-1 trace (docs/trace-format.md) of RTCPeerConnections in Chromium.
//
// Debian's /usr/bin/chromium runs headless under playwright-core with a fresh profile; the page is
// served from 127.0.0.1. What runs in the page, the scenarios and the session they run in (signalling,
// the UDP relay on 127.0.0.1 that carries every datagram, the goals) are page-session.mjs; this file
// starts the browser, reaches the page through playwright (page.evaluate, exposeFunction) and writes
// the trace. Run it inside a network namespace that has only `lo` (tools/record/record does:
// `unshare -n`), so the browser cannot reach anything else.
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
import { chromium } from 'playwright-core';
import { PAGE_HTML, W3C_PEER_SOURCE, SCENARIO_NAMES, scenarioPlan, createSession, runScenario } from './page-session.mjs';

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
if (!SCENARIO_NAMES.includes(scenario)) {
  console.error(`record.mjs: --scenario must be one of ${SCENARIO_NAMES.join(', ')}`);
  process.exit(2);
}
if (compressed && !dumpPath) { console.error('record.mjs: --compressed needs --internals-dump'); process.exit(2); }
const plan = scenarioPlan(scenario);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

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
  recorder: plan.shared ? 'tools/record chromium (record.mjs, playwright-core; scenario of tools/record/node/scenarios.mjs)'
                        : 'tools/record chromium (record.mjs, playwright-core)',
  options: { flags, bundlePolicy: plan.bundlePolicy, iceServers: [], data_channel: true, relay: 'node dgram UDP relay on 127.0.0.1',
             candidates: 'UDP host 127.0.0.1 only, trickled through the relay; a=candidate lines removed from the SDP',
             network: process.env.CONNSTATE_NETNS === '1' ? 'network namespace with lo only' : 'host (loopback candidates only)' },
}));

const server = http.createServer((req, res) => {
  const module = req.url === '/w3c-peer.mjs';
  res.writeHead(200, { 'content-type': module ? 'text/javascript' : 'text/html' });
  res.end(module ? W3C_PEER_SOURCE : PAGE_HTML);
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

const session = createSession({
  plan, stack: 'chromium', write,
  page: {
    create: (names, bundlePolicy) => page.evaluate(([n, p]) => { for (const name of n) window.__create(name, p); }, [names, bundlePolicy]),
    call: (name, method, callArgs) => page.evaluate(([n, m, a]) => window.__call(n, m, a), [name, method, callArgs]),
    poll: () => page.evaluate(() => window.__poll()),
    log: (line) => page.evaluate((l) => window.__log(l), line),
  },
});
await page.exposeFunction('__candidate', (from, candidate, sdpMid) => session.fromPage(from, candidate, sdpMid));
await page.goto(origin);
await page.waitForFunction(() => window.__ready === true);
session.setPageOrigin(await page.evaluate(() => performance.timeOrigin));
const drainer = setInterval(() => { session.poll().catch(() => {}); }, 250);

let goal = false, why = '', extra = {};
try {
  // With the internals page open the call lasts a few stats polls (about one a second) before the
  // scenario goes on, as a real call does before something happens to it.
  ({ goal, why, extra } = await runScenario(session, plan, { settleMs: internals ? 3500 : 500 }));
} catch (e) {
  why = e.message;
}
clearInterval(drainer);
const { relay } = session;
await session.marker('relay', 'end', { goal, ...(why ? { why } : {}), ...extra, forwarded: relay.counts.forwarded, dropped: relay.counts.dropped });
await session.poll().catch(() => {});
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

// browser_test.mjs — `connstate live` with real browsers (run inside a network namespace with only lo:
// browser_test.sh sets it up). Scenarios:
//   probe-chromium, probe-firefox  an application page (pages/two_pcs.html) that includes only /probe.js
//       connects two pcs, closes them and ends its session; the live server receives and judges the
//       events, and what it pushed to a viewer (connstate-live-client viewer) equals `connstate check-trace`
//       on the file --record wrote for that session. Chromium runs under playwright-core; Firefox ESR is
//       started as a plain process (no automation: the page ends the session itself).
//   live-page  the live page in headless Chromium while three bundled traces are replayed: its DOM lists
//       the sessions, their pcs, a timeline per pc and the findings check-trace gives; and a screenshot.
// Usage: node browser_test.mjs SCENARIO --connstate BIN --client BIN --out DIR
// Exit 0 passed, 1 failed (what failed is printed). Every process it starts is stopped before it exits,
// and it checks that none is left.
import { spawn, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { writeProfile } from '../../../tools/record/firefox/profile.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const args = process.argv.slice(2);
const scenario = args[0];
const opt = (name) => { const i = args.indexOf('--' + name); return i > 0 ? args[i + 1] : undefined; };
const connstate = opt('connstate'), client = opt('client'), out = path.resolve(opt('out') || 'out');
if (!['probe-chromium', 'probe-firefox', 'live-page'].includes(scenario) || !connstate || !client) {
  console.error('usage: node browser_test.mjs probe-chromium|probe-firefox|live-page --connstate BIN --client BIN --out DIR');
  process.exit(2);
}
fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });

const failures = [];
const check = (ok, what) => { console.log((ok ? 'ok     ' : 'FAILED ') + what); if (!ok) failures.push(what); };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const children = [];

// A child process with its stdout lines; killed (its whole process group) at the end.
function start(cmd, argv, options = {}) {
  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, ...options });
  child.lines = [];
  child.waiters = [];
  child.exited = new Promise((resolve) => child.on('exit', (code, signal) => { child.code = code; child.signal = signal; resolve(); }));
  readline.createInterface({ input: child.stdout }).on('line', (l) => {
    child.lines.push(l);
    for (const w of [...child.waiters]) if (w.test(l)) { child.waiters.splice(child.waiters.indexOf(w), 1); w.resolve(l); }
  });
  child.stderr.on('data', (d) => fs.appendFileSync(path.join(out, path.basename(cmd) + '.stderr'), d));
  child.waitLine = (regex, ms) => new Promise((resolve, reject) => {
    const found = child.lines.find((l) => regex.test(l));
    if (found) return resolve(found);
    const w = { test: (l) => regex.test(l), resolve };
    child.waiters.push(w);
    setTimeout(() => reject(new Error(`${cmd}: no line matching ${regex} within ${ms} ms`)), ms);
  });
  children.push(child);
  return child;
}
async function stop(child, ms = 5000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try { process.kill(-child.pid, 'SIGTERM'); } catch { /* gone */ }
  await Promise.race([child.exited, sleep(ms)]);
  try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
  await Promise.race([child.exited, sleep(ms)]);
}
const withTimeout = (promise, ms, what) =>
  Promise.race([promise, sleep(ms).then(() => { throw new Error(`${what}: not within ${ms / 1000} s`); })]);

// check-trace on the recorded files, then every session the log saw must equal it.
function compareWithCheckTrace(recordDir, logs) {
  const files = fs.readdirSync(recordDir).filter((f) => f.endsWith('.jsonl')).map((f) => path.join(recordDir, f));
  execFileSync(connstate, ['check-trace', '--quiet', '--exit-zero', '--root', recordDir, '--json',
                           path.join(out, 'check.json'), ...files]);
  const r = JSON.parse(execFileSync(client, ['compare', '--out', path.join(out, 'check.json'), ...logs]).toString());
  fs.writeFileSync(path.join(out, 'compare.json'), JSON.stringify(r, null, 1));
  return { compare: r, check: JSON.parse(fs.readFileSync(path.join(out, 'check.json'))) };
}

async function startLive(extra) {
  const live = start(connstate, ['live', '--listen', '127.0.0.1:0', '--record', path.join(out, 'rec'), ...extra]);
  const line = await live.waitLine(/^connstate live: /, 20000);
  const url = line.replace('connstate live: ', '');
  check(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{32}$/.test(url), 'the URL line: ' + line);
  return { live, url, probe: url.replace('/?token=', '/probe.js?token=') };
}

async function startViewer(url, sessions) {
  const viewer = start(client, ['viewer', '--url', url, '--out', path.join(out, 'viewer.jsonl'), '--sessions', String(sessions)]);
  await viewer.waitLine(/"viewer":"connected"/, 20000);
  return viewer;
}

// --- the application page, served from another origin than the live server --------------------------
async function servePages() {
  const server = http.createServer((req, res) => {
    const name = new URL(req.url, 'http://x').pathname.slice(1) || 'two_pcs.html';
    const file = path.join(here, 'pages', path.basename(name));
    if (!fs.existsSync(file)) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(fs.readFileSync(file));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
  '--allow-loopback-in-peer-connection', '--disable-features=WebRtcHideLocalIpsWithMdns'];

async function chromium() {
  const require = createRequire(path.join(root, 'tools/record/chromium/package.json'));
  const { chromium: pw } = require('playwright-core');
  const profile = fs.mkdtempSync(path.join(out, 'chromium-profile-'));
  return pw.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_FLAGS });
}

function firefox(url) {
  const profile = fs.mkdtempSync(path.join(out, 'firefox-profile-'));
  writeProfile(profile);
  return start('/usr/bin/firefox-esr', ['--headless', '--no-remote', '--profile', profile, url],
               { env: { ...process.env, MOZ_CRASHREPORTER_DISABLE: '1' } });
}

// --- scenarios -----------------------------------------------------------------------------------------
async function probeScenario(browserName) {
  const pages = await servePages();
  const pageOrigin = `http://127.0.0.1:${pages.address().port}`;
  const { live, url, probe } = await startLive(['--allow-origin', pageOrigin, '--sessions', '1']);
  const viewer = await startViewer(url, 1);
  const pageUrl = `${pageOrigin}/two_pcs.html?probe=${encodeURIComponent(probe)}`;
  let context, ff;
  try {
    if (browserName === 'chromium') {
      context = await chromium();
      // Chromium gathers host candidates (here: loopback) only for a page allowed to capture media.
      await context.grantPermissions(['microphone', 'camera'], { origin: pageOrigin });
      const page = context.pages()[0] || await context.newPage();
      page.on('console', (m) => fs.appendFileSync(path.join(out, 'console.txt'), m.text() + '\n'));
      await page.goto(pageUrl);
    } else {
      ff = firefox(pageUrl);
    }
    // The page ends its session itself; the server stops after it (--sessions 1).
    await withTimeout(viewer.exited, 90000, 'the session to end');
    await withTimeout(live.exited, 20000, 'the server to stop');
  } finally {
    if (context) await context.close().catch(() => {});
    if (ff) await stop(ff);
    pages.close();
  }
  check(live.code === 0 || live.code === 1, `connstate live exited by itself (code ${live.code})`);
  const recorded = fs.readdirSync(path.join(out, 'rec')).filter((f) => f.endsWith('.jsonl'));
  check(recorded.length === 1, `one recorded session (${recorded.join(', ')})`);
  const lines = fs.readFileSync(path.join(out, 'rec', recorded[0]), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const header = lines[0];
  check(header.format === 'connstate-trace' && header.stack === browserName,
        `the header says ${browserName} ${header.stack_version} (${header.user_agent})`);
  const pcs = [...new Set(lines.filter((l) => l.pc).map((l) => l.pc))];
  check(pcs.length === 2, `two pcs observed (${pcs.join(', ')})`);
  for (const pc of pcs) {
    const own = lines.filter((l) => l.pc === pc);
    const reached = (target, state) => own.some((l) => l.target.startsWith(target) && l.event === 'statechange' && l.state === state);
    check(reached('ice:', 'connected') || reached('ice:', 'completed'), `${pc}: its ICE transport reached connected`);
    check(reached('dtls:', 'connected'), `${pc}: its DTLS transport reached connected`);
    check(own.some((l) => l.event === 'connectionstatechange' && l.state === 'connected'), `${pc}: connectionstatechange connected`);
    check(own.some((l) => l.target === 'api' && l.event === 'close'), `${pc}: close() recorded`);
    // The renegotiation's transport, attached while still new, reaching connected.
    const added = own.filter((l) => l.target.startsWith('dtls:') && l.event === 'added');
    check(added.length >= 2 && added.every((l) => l.state === 'new'),
          `${pc}: ${added.length} DTLS transports attached while new (${added.map((l) => l.target).join(', ')})`);
    const second = added[1] && added[1].target.replace('dtls:', 'ice:');
    check(!!second && own.some((l) => l.target === second && l.event === 'statechange' && ['connected', 'completed'].includes(l.state)),
          `${pc}: the transport created by renegotiation (${second}) reached connected`);
  }
  check(lines.some((l) => l.target === 'app' && l.detail === 'done'), 'the page connected both and marked done');
  check(lines.every((l, i) => i === 0 || i === 1 || l.t_ms >= lines[i - 1].t_ms || lines[i - 1].t_ms === undefined), 't_ms never decreases');
  const { compare, check: ct } = compareWithCheckTrace(path.join(out, 'rec'), [path.join(out, 'viewer.jsonl')]);
  check(compare.compared === 1 && compare.equal === 1 && compare.mismatches.length === 0,
        `findings pushed and the session's results equal check-trace on the recorded file (${JSON.stringify(compare)})`);
  for (const r of ct.results) console.log(`       ${r.id}: ${r.verdict} — ${r.message}`);
  const viewerLog = fs.readFileSync(path.join(out, 'viewer.jsonl'), 'utf8');
  check(viewerLog.includes('"type":"line"') && viewerLog.includes('"type":"end"'), 'the viewer was pushed the lines and the end');
}

async function livePageScenario() {
  const { live, url } = await startLive(['--quiet']);
  const traces = ['chromium/connect', 'pion/close', 'aiortc/recover'].map((t) => path.join(root, 'cases/traces', t + '.jsonl'));
  const context = await chromium();
  try {
    const page = context.pages()[0] || await context.newPage();
    page.on('pageerror', (e) => failures.push('page error: ' + e.message));
    await page.goto(url);
    await page.waitForFunction(() => document.getElementById('status').textContent === 'connected', null, { timeout: 20000 });
    // Replayed slowly, so that the page draws while events arrive.
    const replay = start(client, ['replay', '--url', url, '--clients', '3', '--pace-ms', '60', '--out', path.join(out, 'clients'), ...traces]);
    await page.waitForSelector('svg.live-timeline rect.state', { timeout: 30000 });
    check(true, 'a live timeline is drawn while the events arrive');
    await withTimeout(replay.exited, 60000, 'the replay');
    await page.waitForFunction(() => document.querySelectorAll('.session.ended').length === 3, null, { timeout: 30000 });
    const { compare, check: ct } = compareWithCheckTrace(path.join(out, 'rec'), [path.join(out, 'clients')].flatMap(
      (d) => fs.readdirSync(d).filter((f) => f.endsWith('.jsonl')).map((f) => path.join(d, f))));
    check(compare.equal === 3, `the three sessions equal check-trace (${JSON.stringify(compare)})`);
    const dom = await page.evaluate(() => [...document.querySelectorAll('.session')].map((s) => ({
      session: s.dataset.session,
      stack: s.querySelector('.stack').textContent,
      pcs: [...s.querySelectorAll('.pc')].map((p) => ({
        pc: p.dataset.pc,
        verdict: p.querySelector('.badge').dataset.verdict,
        findings: [...p.querySelectorAll('li.finding')].map((li) => li.dataset.kind),
        timeline: !!p.querySelector('.timeline svg.timeline rect.state'),
        marks: p.querySelectorAll('.timeline svg g.finding').length,
      })),
    })));
    fs.writeFileSync(path.join(out, 'dom.json'), JSON.stringify(dom, null, 1));
    check(dom.length === 3, `three sessions listed (${dom.map((s) => s.session + ' ' + s.stack.trim()).join('; ')})`);
    for (const r of ct.results) {
      const [traceId, pc] = r.id.split('#');
      const session = dom.find((s) => s.session === traceId.split('-').pop());
      const shown = session && session.pcs.find((p) => p.pc === pc);
      check(!!shown, `${r.id} is shown`);
      if (!shown) continue;
      check(shown.verdict === r.verdict, `${r.id}: verdict ${shown.verdict}, check-trace ${r.verdict}`);
      check(JSON.stringify([...shown.findings].reverse()) === JSON.stringify(r.findings.map((f) => f.kind)),
            `${r.id}: findings ${shown.findings.length} listed as check-trace has them (${r.findings.map((f) => f.kind).join(', ')})`);
      check(shown.timeline, `${r.id}: the checker's timeline is drawn`);
      check(r.findings.length === 0 || shown.marks > 0, `${r.id}: ${shown.marks} finding marks on the timeline`);
    }
    const shot = path.join(out, 'live-page.png');
    await page.screenshot({ path: shot, fullPage: true });
    const png = fs.readFileSync(shot);
    check(png.subarray(1, 4).toString() === 'PNG' && png.length > 20000, `screenshot ${shot} (${png.length} bytes)`);
    // A page opened later is sent what happened (the history).
    const late = await context.newPage();
    await late.goto(url);
    await late.waitForFunction(() => document.querySelectorAll('.session.ended').length === 3, null, { timeout: 20000 });
    check(true, 'a live page opened afterwards shows the three ended sessions');
  } finally {
    await context.close().catch(() => {});
    await stop(live);
  }
}

// --- run, then stop everything and look for leftovers ----------------------------------------------------
let status = 0;
try {
  if (scenario === 'live-page') await livePageScenario();
  else await probeScenario(scenario === 'probe-chromium' ? 'chromium' : 'firefox');
} catch (e) {
  failures.push(String(e && e.stack || e));
} finally {
  for (const c of children) await stop(c);
}
// Browsers take a moment to take their helper processes down; wait up to 10 s for them. This script
// and the ones that started it name the output directory too: they are not leftovers.
const ancestors = new Set();
for (let pid = process.pid; pid > 1;) {
  ancestors.add(String(pid));
  try { pid = Number(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[1]); } catch { break; }
}
const ours = () => fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p) && !ancestors.has(p)).filter((p) => {
  try { return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(out); } catch { return false; }
});
let leftovers = ours();
for (let i = 0; i < 100 && leftovers.length; ++i) { await sleep(100); leftovers = ours(); }
check(leftovers.length === 0, `no process left behind (${leftovers.join(' ')})`);
for (const p of leftovers) { try { process.kill(Number(p), 'SIGKILL'); } catch { /* gone */ } }
if (failures.length) {
  console.log(`\n${failures.length} check(s) failed:\n  ` + failures.join('\n  '));
  status = 1;
}
process.exit(status);

// page-session.mjs — the scenarios and the recording session for RTCPeerConnections that live in a
// browser page, independent of how the recorder reaches the page (record.mjs reaches Chromium's with
// playwright-core; another browser's recorder can reach its page another way and reuse all of this).
//
// The page (PAGE_HTML, which loads W3C_PEER_SOURCE as the module /w3c-peer.mjs) holds one W3cPeer of
// tools/record/node/w3c-peer.mjs per pc: the same observer as the Node recorders' wrtc and werift. The
// recorder gives createSession() a `page` object with four calls into it:
//   create(names, bundlePolicy)   window.__create for each name
//   call(name, method, args)      window.__call: a W3cPeer method (its result, awaited)
//   poll()                        window.__poll: { lines: the JSON lines logged since, states: per pc }
//   log(line)                     window.__log: a line stamped with the page's clock
// and hands every candidate the page reports (window.__candidate) to session.fromPage(). The session
// is the interface tools/record/node/scenarios.mjs is written against (peers, negotiate, states,
// until, block/unblock, probe, marker, now, history, signalling), so its scenarios run unchanged in a
// page; PAGE_SCENARIOS are the ones recorded in a page before those existed, kept with their goals.
// Candidates are handed to the other pc only as 127.0.0.1 UDP host candidates rewritten to a port of
// the Node recorders' relay (tools/record/node/relay.mjs), and the SDP carries none.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Relay } from '../node/relay.mjs';
import { SCENARIOS as SHARED_SCENARIOS } from '../node/scenarios.mjs';
import { withoutCandidates, loopbackHostCandidate } from '../node/sdp.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const POLL_MS = 50;

// --- the page ----------------------------------------------------------------------------------------
export const PAGE_HTML = `<!doctype html><meta charset="utf-8"><title>connstate recorder</title><script type="module">
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
export const W3C_PEER_SOURCE = fs.readFileSync(path.join(here, '..', 'node', 'w3c-peer.mjs'), 'utf8');

// --- the scenarios -----------------------------------------------------------------------------------
// Each gets the session once every pair is connected and the call has lasted a moment (runScenario).
const names = (s) => Object.keys(s.partner);
const allConnected = (s) => (st) => names(s).every((n) => st[n].connection === 'connected');
const allDown = (s) => (st) => names(s).every((n) => ['disconnected', 'failed'].includes(st[n].connection));
export const PAGE_SCENARIOS = {
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
    const goal = await s.until(allDown(s), 30000);
    if (goal) await s.until((st) => names(s).every((n) => st[n].connection === 'failed'), 40000);  // failed if it comes
    return { goal, why: goal ? '' : 'neither disconnected nor failed' };
  },
  recover: async (s) => {
    s.block();
    let goal = await s.until(allDown(s), 30000);
    s.unblock();
    goal = goal && await s.until(allConnected(s), 30000);
    await s.sleep(500);
    return { goal, why: goal ? '' : 'did not recover after the unblock' };
  },
  // Two independent pairs, a-b and c-d, in one page; a closes.
  'two-pc': async (s) => {
    await s.peers.a.call('close');
    await s.sleep(1500);
    return { goal: true };
  },
};
export const SCENARIO_NAMES = [...Object.keys(PAGE_SCENARIOS),
  ...Object.keys(SHARED_SCENARIOS).filter((n) => !PAGE_SCENARIOS[n])];

// What a scenario needs before it starts: the pairs (offerer → answerer) and the bundle policy, and
// whether it is one of tools/record/node/scenarios.mjs (which connects the pcs itself).
export function scenarioPlan(scenario) {
  const shared = PAGE_SCENARIOS[scenario] ? null : SHARED_SCENARIOS[scenario] || null;
  return {
    scenario, shared,
    pairs: scenario === 'two-pc' ? { a: 'b', c: 'd' } : { a: 'b' },
    bundlePolicy: (shared && shared.bundlePolicy) || 'max-bundle',
    from: shared ? 'tools/record/node/scenarios.mjs' : 'tools/record/chromium/page-session.mjs',
  };
}

// --- the session -------------------------------------------------------------------------------------
// page: the four calls above; plan: scenarioPlan(); stack: the stack's name in the trace; write(line):
// the trace writer (one JSON text per line). The recorder calls setPageOrigin(performance.timeOrigin
// of the page) once the page is loaded, before the scenario runs.
export function createSession({ page, plan, stack, write }) {
  const partner = Object.fromEntries(Object.entries(plan.pairs).flatMap(([x, y]) => [[x, y], [y, x]]));
  const relay = new Relay();
  const history = [];   // every line drained so far, parsed, for the scenarios' goals
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  // Lines reach the file only from the page's queue, in the order the page logged them: the recorder's
  // own markers are logged through the page too (chained, so they keep their order).
  let markers = Promise.resolve();
  const marker = (target, event, fields = {}) => {
    markers = markers.then(() => page.log({ target, event, ...fields })).catch(() => {});
    return markers;
  };
  // Polls run one after another (a timer and a scenario both poll), so lines are written in order.
  let polling = Promise.resolve();
  const poll = () => {
    const step = async () => {
      await markers;
      const { lines, states } = await page.poll();
      for (const line of lines) { write(line); history.push(JSON.parse(line)); }
      return states;
    };
    const next = polling.then(step);
    polling = next.catch(() => {});
    return next;
  };
  // The page's performance.now(), estimated from the two time origins (scenarios compare it with t_ms).
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
  const peers = Object.fromEntries(Object.keys(partner).map((name) =>
    [name, { name, call: (method, ...callArgs) => page.call(name, method, callArgs) }]));

  // Candidates are handed to a pc once it has the remote description they belong to ("its gate is
  // open"), each rewritten to the relay port that stands for the candidate's real port in the given
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
    shut(...pcs) { for (const n of pcs) this.gate[n] = false; },
  };

  async function alter(sdp, { edit, detail }, receiver) {
    const altered = edit(sdp);
    if (altered !== sdp) await marker('recorder', 'sdp-altered', { pc: receiver, detail });
    return altered;
  }
  // x offers, its partner answers; the SDP each side gets has no candidates; alterOffer / alterAnswer
  // are a scenario's deliberate edits ({ detail, edit }), logged as recorder lines. holdCandidates: no
  // candidate moves before both descriptions are applied on both sides.
  async function negotiate({ iceRestart = false, holdCandidates = false, alterOffer = null, alterAnswer = null } = {}, x = 'a') {
    const y = partner[x];
    signalling.shut(x, y);
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

  return {
    partner, peers, signalling, relay, negotiate, until, sleep, history, probe, marker, now, poll,
    states: poll, stack,
    createPcs: () => page.create(Object.keys(partner), plan.bundlePolicy),
    block: (plane = 0, fields = {}) => { relay.block(plane); marker('relay', 'block', { direction: 'both', plane, ...fields }); },
    unblock: (plane = 0) => { relay.unblock(plane); marker('relay', 'unblock', { direction: 'both', plane }); },
    fromPage: (from, candidate, sdpMid) => signalling.fromPeer(from, candidate, sdpMid),
    setPageOrigin: (origin) => { pageOrigin = origin; },
  };
}

// Creates the pcs and runs the scenario: a shared one connects them itself; a page scenario starts
// once every pair is connected and settleMs more have passed. Returns { goal, why, extra }.
export async function runScenario(session, plan, { settleMs = 500 } = {}) {
  await session.createPcs();
  let result;
  if (plan.shared) {
    result = await plan.shared.run(session);
  } else {
    for (const x of Object.keys(plan.pairs)) await session.peers[x].call('addDataChannel', 'chat');
    for (const x of Object.keys(plan.pairs)) await session.negotiate({}, x);
    if (!await session.until(allConnected(session), 10000)) throw new Error('did not connect');
    await session.sleep(settleMs);
    result = await PAGE_SCENARIOS[plan.scenario](session);
  }
  const { goal = false, why = '', extra = {} } = result;
  return { goal, why, extra };
}

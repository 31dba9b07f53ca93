// signalling.mjs — the signalling between the two peers of a recorder that runs the scenarios of
// scenarios.mjs: tools/record/node/record.mjs (a peer per process) and tools/record/firefox/record.mjs
// (both peers in a Firefox page). A peer is anything with call(method, ...args) that answers the W3C
// peer's calls (w3c-peer.mjs: makeOffer, takeOffer, takeAnswer, addCandidate, states, send).
//
// Candidates are handed to a peer once it has the remote description they belong to ("its gate is
// open"), each rewritten to the relay port that stands for the candidate's real port in the current
// plane; handing is sequential per receiving peer, so candidates arrive in the order they were made.
// Descriptions travel without candidates; a scenario's deliberate SDP edits are logged as markers.
import { withoutCandidates, loopbackHostCandidate } from './sdp.mjs';

// relay: the Relay; marker(target, event, fields): a trace marker; now(): the trace's clock;
// history: every trace line so far (probe() looks for b's received message in it). Set
// signalling.peers = { a, b } before the first call.
export function createSignalling({ relay, marker, now, history }) {
  const other = (name) => (name === 'a' ? 'b' : 'a');
  const signalling = {
    peers: {},
    gate: { a: false, b: false },
    held: { a: [], b: [] },
    chain: { a: Promise.resolve(), b: Promise.resolve() },
    realCandidates: { a: [], b: [] },   // { port, sdpMid, candidate } of each loopback host candidate
    plane: 0,
    fromPeer(from, candidate, sdpMid) {
      const to = other(from);
      if (candidate !== null) {
        const host = loopbackHostCandidate(candidate);
        if (!host) return;  // only UDP host candidates on 127.0.0.1 ever reach the other peer
        this.realCandidates[from].push({ port: host.port, sdpMid, candidate });
      }
      if (this.gate[to]) this.hand(to, candidate, sdpMid); else this.held[to].push([candidate, sdpMid]);
    },
    hand(to, candidate, sdpMid, plane = this.plane) {
      const step = async () => {
        if (candidate === null) {
          await this.peers[to].call('addCandidate', null, sdpMid);
          return;
        }
        const host = loopbackHostCandidate(candidate);
        await this.peers[to].call('addCandidate', host.rewrite(await relay.portFor(host.port, plane)), sdpMid);
      };
      this.chain[to] = this.chain[to].then(step).catch((e) => marker('recorder', 'addIceCandidate-failed', { pc: to, detail: e.message }));
      return this.chain[to];
    },
    open(to) {
      this.gate[to] = true;
      for (const [candidate, sdpMid] of this.held[to].splice(0)) this.hand(to, candidate, sdpMid);
    },
    closeGates() { this.gate.a = this.gate.b = false; },
  };

  function alter(sdp, { edit, detail }, receiver) {
    const altered = edit(sdp);
    if (altered !== sdp) marker('recorder', 'sdp-altered', { pc: receiver, detail });
    return altered;
  }

  // offerer → answerer; the SDP each side gets has no candidates; alterOffer / alterAnswer are the
  // scenario's deliberate edits ({ detail, edit }), logged as recorder lines. holdCandidates: no
  // candidate moves before both descriptions are applied on both sides.
  async function negotiate({ iceRestart = false, holdCandidates = false, alterOffer = null, alterAnswer = null } = {}) {
    const { a, b } = signalling.peers;
    signalling.closeGates();
    const offer = await a.call('makeOffer', { iceRestart });
    let offerForB = withoutCandidates(offer);
    if (alterOffer) offerForB = alter(offerForB, alterOffer, 'b');
    const answer = await b.call('takeOffer', offerForB);
    if (!holdCandidates) signalling.open('b');
    let answerForA = withoutCandidates(answer);
    if (alterAnswer) answerForA = alter(answerForA, alterAnswer, 'a');
    await a.call('takeAnswer', answerForA);
    signalling.open('a');
    signalling.open('b');
    return { offer, answer };
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  async function states() {
    const [a, b] = await Promise.all([signalling.peers.a.call('states'), signalling.peers.b.call('states')]);
    return { a, b };
  }
  async function until(condition, ms) {
    const end = Date.now() + ms;
    for (;;) {
      if (condition(await states())) return true;
      if (Date.now() >= end) return false;
      await sleep(25);
    }
  }

  // Whether the path carries data now: a sends a message on its data channel and b must receive it.
  let probes = 0;
  async function probe(ms) {
    const text = `probe-${++probes}`;
    const sent = now();
    try {
      await signalling.peers.a.call('send', text);
    } catch (e) {
      marker('recorder', 'probe-not-sent', { pc: 'a', detail: e.message });
      return null;
    }
    const end = Date.now() + ms;
    for (;;) {
      const received = history.find((l) => l.pc === 'b' && l.event === 'message' && l.detail === text);
      if (received) return +(received.t_ms - sent).toFixed(3);
      if (Date.now() >= end) return null;
      await sleep(25);
    }
  }

  return { signalling, negotiate, states, until, probe, sleep };
}

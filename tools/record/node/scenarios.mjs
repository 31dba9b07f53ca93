// scenarios.mjs — what the Node recorders make two peers do, and when a recording has reached its goal
// (docs/recorders.md, "Scenarios"). Every scenario runs against any driver; a driver lists the ones its
// stack cannot run, with the reason (driver.cannot).
//
// s (from record.mjs): peers.a / peers.b (call(method, …) on the peer processes), negotiate(options),
// states() ({ a, b }: connection, ice, transports [{ id, dtls, ice }]), until(condition, ms), sleep(ms),
// block(plane) / unblock(plane) of the relay, signalling (candidates), marker(target, event, fields),
// probe(ms) (a sends b a data-channel message: its delivery time, or null), history (every trace line
// so far).
const PROBE_MS = 5000;
import { withoutBundle, withWrongFingerprint } from './sdp.mjs';

const CONNECT_MS = 15000;
const connected = (pc) => pc.connection === 'connected';
const bothConnected = ({ a, b }) => connected(a) && connected(b);

// Whether a pc reported one of the states (a pc event, or a statechange of one of its ICE transports)
// at or after time t. Goals look at what was reported, not at a later read: a stack may pass through
// `failed` and close itself at once (libdatachannel does).
function reportedSince(s, pc, t, states) {
  return s.history.some((l) => l.pc === pc && l.t_ms >= t && states.includes(l.state) &&
    (l.event === 'connectionstatechange' || l.event === 'iceconnectionstatechange' ||
     (/^ice:/.test(l.target || '') && l.event === 'statechange')));
}
const downSince = (s, t, pcs = ['a', 'b']) => () => pcs.every((pc) => reportedSince(s, pc, t, ['disconnected', 'failed']));
const failedSince = (s, t, pcs = ['a', 'b']) => () => pcs.every((pc) => reportedSince(s, pc, t, ['failed']));

// a makes a data channel (and the given media transceivers) and offers; b answers.
async function connect(s, { media = [], holdCandidates = false, alterOffer = null, alterAnswer = null, wait = true } = {}) {
  await s.peers.a.call('addDataChannel', 'chat');
  for (const kind of media) await s.peers.a.call('addMedia', kind);
  const negotiated = await s.negotiate({ holdCandidates, alterOffer, alterAnswer });
  if (wait && !await s.until(bothConnected, CONNECT_MS)) throw new Error('the peers did not connect');
  return negotiated;
}

// The goal of the scenarios that bring a path back: both pcs connected again within ms, and a
// data-channel message through afterwards (a stack may report `connected` over a dead path).
async function backUp(s, ms, { after, notConnected }) {
  const connectedAgain = await s.until(bothConnected, ms);
  const delivered = connectedAgain ? await s.probe(PROBE_MS) : null;
  const goal = delivered !== null;
  await s.sleep(500);
  return { goal, extra: { probe_ms: delivered }, why: goal ? ''
    : connectedAgain ? `connected, but a data-channel message sent ${after} never arrived` : notConnected };
}

// The ICE states a pc went through, with times: its transports' statechange if the trace has them, else
// its iceconnectionstatechange.
function iceSteps(history, pc) {
  const transport = history.filter((l) => l.pc === pc && /^ice:/.test(l.target || '') && l.event === 'statechange');
  const steps = transport.length ? transport : history.filter((l) => l.pc === pc && l.event === 'iceconnectionstatechange');
  return steps.map((l) => ({ t: l.t_ms, state: l.state, target: l.target }));
}

function checkingToFailedMs(history, pc) {
  const steps = iceSteps(history, pc);
  const checking = steps.find((x) => x.state === 'checking');
  const failedPc = history.find((l) => l.pc === pc && l.target === 'pc' && l.event === 'connectionstatechange' && l.state === 'failed');
  const failedIce = steps.find((x) => x.state === 'failed');
  const failed = [failedIce && failedIce.t, failedPc && failedPc.t_ms].filter((t) => t !== undefined);
  if (!checking || !failed.length) return null;
  return +(Math.min(...failed) - checking.t).toFixed(1);
}

export const SCENARIOS = {
  connect: {
    async run(s) {
      await connect(s);
      await s.sleep(500);
      return { goal: true };
    },
  },

  close: {
    async run(s) {
      await connect(s);
      await s.sleep(500);
      await s.peers.a.call('close');
      await s.sleep(1500);
      return { goal: true };
    },
  },

  'remote-close': {
    async run(s) {
      await connect(s);
      await s.sleep(500);
      await s.peers.b.call('close');
      const noticed = ({ a }) => !['connected', 'completed'].includes(a.ice) || a.connection !== 'connected' ||
        a.transports.some((t) => ['closed', 'failed'].includes(t.dtls));
      const goal = await s.until(noticed, 40000);
      // What a read when it noticed (a stack may change a state without firing its event), then what
      // else it reports in the next seconds (a browser goes ICE disconnected ~5 s later).
      await s.peers.a.call('readBack');
      await s.sleep(6000);
      return { goal, why: goal ? '' : 'a did not notice that b closed (40 s)' };
    },
  },

  'ice-restart': {
    async run(s) {
      await connect(s);
      await s.sleep(500);
      await s.negotiate({ iceRestart: true });
      await s.sleep(1000);
      return backUp(s, 10000, { after: 'after the restart', notConnected: 'not connected again after the restart' });
    },
  },

  'path-failure': {
    async run(s) {
      await connect(s);
      await s.sleep(500);
      const blocked = s.now();
      s.block();
      const goal = await s.until(downSince(s, blocked), 60000);
      if (goal) await s.until(failedSince(s, blocked), 60000);  // failed if it comes
      return { goal, why: goal ? '' : 'neither disconnected nor failed within 60 s' };
    },
  },

  recover: {
    async run(s) {
      await connect(s);
      await s.sleep(500);
      const blocked = s.now();
      s.block();
      const down = await s.until(downSince(s, blocked), 60000);
      s.unblock();
      if (!down) return { goal: false, why: 'not down within 60 s of the block' };
      return backUp(s, 30000, { after: 'after the unblock', notConnected: 'not connected again within 30 s of the unblock' });
    },
  },

  'never-connects': {
    async run(s) {
      s.block(0, { detail: 'before any candidate is handed: every candidate the peers get is blackholed' });
      await connect(s, { wait: false });
      const goal = await s.until(failedSince(s, 0), 90000);
      await s.sleep(500);
      const extra = { checking_to_failed_ms: { a: checkingToFailedMs(s.history, 'a'), b: checkingToFailedMs(s.history, 'b') } };
      return { goal, why: goal ? '' : 'not failed within 90 s', extra };
    },
  },

  'bundle-balanced': {
    bundlePolicy: 'balanced',
    async run(s) {
      await connect(s, { media: ['audio', 'video'] });
      await s.sleep(1000);
      const made = s.history.filter((l) => l.pc === 'a' && /^dtls:/.test(l.target || '') && l.event === 'added').length;
      const goal = made >= 2;
      return { goal, why: goal ? '' : `a made ${made} transport(s) for audio + video + data channel under balanced`,
               extra: { transports_made: { a: made } } };
    },
  },

  'restart-after-failed': {
    async run(s) {
      await connect(s);
      await s.sleep(500);
      const blocked = s.now();
      s.block();
      const failed = await s.until(failedSince(s, blocked), 90000);
      if (!failed) return { goal: false, why: 'not failed within 90 s of the block' };
      s.unblock();
      await s.negotiate({ iceRestart: true });
      return backUp(s, 15000, { after: 'after the restart', notConnected: 'not connected within 15 s of the restart' });
    },
  },

  'candidate-after-failed': {
    async run(s) {
      await connect(s);
      await s.sleep(500);
      const blocked = s.now();
      s.block();
      const failed = await s.until(failedSince(s, blocked, ['a']), 90000);
      if (!failed) return { goal: false, why: 'a did not fail within 90 s of the block' };
      // b's host candidate again, at an address of relay plane 1, which is not blocked: a new path that
      // works, offered without an ICE restart.
      const [first] = s.signalling.realCandidates.b;
      s.marker('relay', 'new-path', { plane: 1, detail: "b's host candidate at a new relay address (plane 1, not blocked), added to a without a restart" });
      await s.signalling.hand('a', first.candidate, first.sdpMid, 1);
      await s.sleep(10000);
      // Recorded, not required: whether the new path carries data afterwards.
      return { goal: true, extra: { probe_ms: await s.probe(PROBE_MS) } };
    },
  },

  'quick-transitions': {
    async run(s) {
      // Every candidate is held until both descriptions are applied, then handed at once: checks start
      // on both sides together and the transitions follow each other within milliseconds.
      await connect(s, { holdCandidates: true });
      await s.sleep(1000);
      const spans = {};
      for (const pc of ['a', 'b']) {
        const steps = s.history.filter((l) => l.pc === pc && ((/^ice:/.test(l.target || '') && l.event === 'statechange') ||
                                                          l.event === 'iceconnectionstatechange'))
          .map((l) => ({ t: l.t_ms, state: l.state }));
        const checking = steps.findIndex((x) => x.state === 'checking');
        const connectedAt = steps.findIndex((x, i) => i > checking && x.state === 'connected');
        const completedAt = steps.findIndex((x, i) => i > connectedAt && x.state === 'completed');
        if (checking >= 0 && connectedAt > checking && completedAt > connectedAt)
          spans[pc] = { checking_to_completed_ms: +(steps[completedAt].t - steps[checking].t).toFixed(3),
                        connected_to_completed_ms: +(steps[completedAt].t - steps[connectedAt].t).toFixed(3) };
      }
      const goal = Object.values(spans).some((span) => span.connected_to_completed_ms <= 100);
      return { goal, extra: { ice_spans: spans },
               why: goal ? '' : 'no pc reported checking → connected → completed (transport or pc events) with connected → completed within 100 ms' };
    },
  },

  'close-while-checking': {
    async run(s) {
      s.block(0, { detail: 'before any candidate is handed: the checks never get an answer' });
      await connect(s, { wait: false });
      const checking = await s.until(({ a }) => a.ice === 'checking' || a.transports.some((t) => t.ice === 'checking'), 10000);
      await s.sleep(100);
      await s.peers.a.call('close');
      await s.sleep(1500);
      return { goal: checking, why: checking ? '' : 'a was not checking within 10 s' };
    },
  },

  'dtls-failure': {
    async run(s) {
      const alterAnswer = { detail: "the last byte of the answer's a=fingerprint changed: a rejects b's certificate in the DTLS handshake",
                            edit: withWrongFingerprint };
      await connect(s, { alterAnswer, wait: false });
      const dtlsFailed = () => s.history.some((l) => l.pc === 'a' && l.state === 'failed' &&
        ((/^dtls:/.test(l.target || '') && l.event === 'statechange') || l.event === 'connectionstatechange'));
      const goal = await s.until(dtlsFailed, 30000);
      await s.sleep(2000);
      return { goal, why: goal ? '' : "a's DTLS did not fail within 30 s" };
    },
  },

  'renegotiate-add-transport': {
    bundlePolicy: 'balanced',
    async run(s) {
      // A transport can only be added where the new m-line is not bundled; a stack rejects an answer
      // that moves an m-line out of an established BUNDLE group, so no offer b gets has one.
      const alterOffer = { detail: 'a=group:BUNDLE removed from the offer b gets: b answers without BUNDLE, each m-line keeps its own transport',
                           edit: withoutBundle };
      await connect(s, { alterOffer });
      await s.sleep(500);
      await s.peers.a.call('addMedia', 'audio');
      await s.negotiate({ alterOffer });
      const twoUp = ({ a, b }) => bothConnected({ a, b }) && [a, b].every((pc) =>
        pc.transports.length >= 2 && pc.transports.every((t) => t.dtls === 'connected'));
      const goal = await s.until(twoUp, CONNECT_MS);
      await s.sleep(1000);
      return { goal, why: goal ? '' : 'the pcs did not have two connected transports within 15 s of the renegotiation' };
    },
  },
};

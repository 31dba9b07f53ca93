// probe.js — the connstate live probe. A page includes it (or it is pasted into the devtools console)
// before it creates its RTCPeerConnections; from then on every RTCPeerConnection the page creates is
// observed: its pc events, and its ICE and DTLS transports as soon as they exist (those created by
// renegotiation too). Each event is stamped with performance.now() and streamed to the connstate live
// server over one WebSocket as a trace line (format 1, docs/trace-format.md); the server checks it as
// it arrives and sends findings back, which are logged in this console.
//
// Why it is built this way:
// - RTCPeerConnection is replaced by a subclass, so instanceof, prototypes and static methods still
//   work, and the probe's listeners are added in the constructor: before the application's, so they
//   read each state at dispatch.
// - Transports appear during setLocalDescription/setRemoteDescription, before signalingstatechange
//   fires; the probe looks for new ones at every pc event (and when those calls settle), so it attaches
//   while they are still "new". A transport found later is logged with the state it already had, which
//   the checker reports ("attached too late").
// - Transport ids are "<pc>.<n>" (unique in the trace, and owned by the pc that first mentions them).
// - Lines are batched (one message per 20 ms at most) to stay far below the server's rate limit.
// - `window.connstateProbe.mark(label)` writes a marker line; `end()` ends the session (the server
//   closes the trace and answers with the final verdicts).
(() => {
  'use strict';
  const CONFIG = /*CONNSTATE_CONFIG*/null;
  if (!CONFIG) return;
  if (window.connstateProbe) {
    console.info('[connstate] the probe is already installed');
    return;
  }
  const NativePeerConnection = window.RTCPeerConnection;
  if (typeof NativePeerConnection !== 'function') {
    console.warn('[connstate] this page has no RTCPeerConnection: nothing to observe');
    return;
  }

  const BATCH_MS = 20;
  const MAX_QUEUED_LINES = 100000;
  const PC_EVENTS = {
    connectionstatechange: 'connectionState',
    iceconnectionstatechange: 'iceConnectionState',
    icegatheringstatechange: 'iceGatheringState',
    signalingstatechange: 'signalingState',
  };
  const SCAN_EVENTS = ['negotiationneeded', 'icecandidate', 'track', 'datachannel'];

  // --- the connection to the server ---------------------------------------------------------------
  let socket = null;
  let socketOpen = false;
  let stopped = false;
  let flushTimer = null;
  let session = null;
  const queue = [];

  const now = () => Math.round(performance.now() * 1000) / 1000;

  function browser() {
    const ua = navigator.userAgent;
    let m;
    if ((m = ua.match(/Firefox\/([\d.]+)/))) return ['firefox', m[1]];
    if ((m = ua.match(/Edg\/([\d.]+)/))) return ['edge', m[1]];
    if ((m = ua.match(/(?:Chrome|Chromium)\/([\d.]+)/))) return ['chromium', m[1]];
    if ((m = ua.match(/Version\/([\d.]+).*Safari/))) return ['safari', m[1]];
    return ['unknown', ''];
  }

  function push(line) {
    if (stopped) return;
    if (queue.length >= MAX_QUEUED_LINES) {
      stop('more than ' + MAX_QUEUED_LINES + ' lines waiting for the server');
      return;
    }
    queue.push(line);
    if (socketOpen && !flushTimer) flushTimer = setTimeout(flush, BATCH_MS);
  }

  function emit(fields) {
    push(JSON.stringify(Object.assign({ t_ms: now() }, fields)));
  }

  function flush() {
    flushTimer = null;
    if (!socketOpen || queue.length === 0) return;
    const limit = CONFIG.max_message_bytes - 1024;
    let message = '';
    while (queue.length > 0) {
      const line = queue[0];
      if (line.length > limit) {  // cannot be sent whole: leave it out, and say so in the trace
        queue.shift();
        console.warn('[connstate] a trace line of ' + line.length + ' characters was left out');
        continue;
      }
      if (message.length + line.length + 1 > limit) {
        socket.send(message);
        message = '';
      }
      message += (message ? '\n' : '') + line;
      queue.shift();
    }
    if (message) socket.send(message);
  }

  function stop(why) {
    if (stopped) return;
    stopped = true;
    queue.length = 0;
    console.warn('[connstate] probe stopped: ' + why);
  }

  function describeFinding(m) {
    const f = m.finding;
    const exp = f.expected === null ? 'no event' : "'" + f.expected + "'";
    const obs = f.observed === null ? 'nothing' : "'" + f.observed + "'";
    return '[connstate] ' + m.pc + ': ' + f.kind + ' [' + f.severity + '] ' + f.target + ' ' + f.event +
      ' — expected ' + exp + ', observed ' + obs + ' (line ' + f.line + ')\n' + f.message + '\nrule ' + f.rule.id +
      ': "' + f.rule.quote + '"';
  }

  function connect() {
    try {
      socket = new WebSocket(CONFIG.ws);
    } catch (e) {
      stop('cannot open ' + CONFIG.ws + ' (' + e + ')');
      return;
    }
    socket.onopen = () => {
      socketOpen = true;
      flush();
    };
    socket.onmessage = (e) => {
      let m;
      try { m = JSON.parse(e.data); } catch { return; }
      if (m.type === 'hello') {
        session = m.session;
        console.info('[connstate] live session ' + session + ' (profile ' + m.server.profile + ')');
      } else if (m.type === 'finding') {
        console.warn(describeFinding(m));
      } else if (m.type === 'problem') {
        console.warn('[connstate] input problem, line ' + m.problem.line + ': ' + m.problem.message);
      } else if (m.type === 'end') {
        console.info('[connstate] session ' + session + ' ended: ' + m.verdict + ' — ' +
          m.results.map((r) => r.pc + ' ' + r.verdict + ' (' + r.message + ')').join('; '));
      }
    };
    socket.onclose = (e) => {
      const was = socketOpen;
      socketOpen = false;
      if (!stopped) stop(was ? 'the server closed the session (' + e.code + (e.reason ? ' ' + e.reason : '') + ')'
                             : 'cannot reach the connstate live server at ' + CONFIG.ws.split('?')[0]);
      stopped = true;
    };
  }

  // --- observing peer connections -----------------------------------------------------------------
  let pcCount = 0;
  const observed = new WeakMap();  // RTCPeerConnection -> its record

  function transportsOf(pc) {
    const found = [];
    const add = (t, sctpOnly) => { if (t && !found.some((f) => f.dtls === t)) found.push({ dtls: t, sctpOnly }); };
    try { for (const s of pc.getSenders()) add(s.transport, false); } catch { /* closed */ }
    try { for (const r of pc.getReceivers()) add(r.transport, false); } catch { /* closed */ }
    try { if (pc.sctp) add(pc.sctp.transport, true); } catch { /* no SCTP */ }
    return found;
  }

  function attach(record, dtls, sctpOnly) {
    const id = record.name + '.' + record.nextTransport++;
    record.transports.set(dtls, id);
    const pc = record.name;
    emit({ pc, target: 'dtls:' + id, event: 'added', state: dtls.state, sctp_only: sctpOnly });
    dtls.addEventListener('statechange', () => emit({ pc, target: 'dtls:' + id, event: 'statechange', state: dtls.state }));
    dtls.addEventListener('error', (e) => emit({ pc, target: 'dtls:' + id, event: 'error', detail: String(e.message || e.errorDetail || '') }));
    const ice = dtls.iceTransport;
    if (!ice) return;
    emit({ pc, target: 'ice:' + id, event: 'added', state: ice.state, sctp_only: sctpOnly, gatheringState: ice.gatheringState });
    ice.addEventListener('statechange', () => emit({ pc, target: 'ice:' + id, event: 'statechange', state: ice.state }));
    ice.addEventListener('gatheringstatechange', () =>
      emit({ pc, target: 'ice:' + id, event: 'gatheringstatechange', state: ice.gatheringState }));
  }

  function scan(pc) {
    const record = observed.get(pc);
    if (!record || record.closed) return;
    for (const { dtls, sctpOnly } of transportsOf(pc)) {
      if (!record.transports.has(dtls)) attach(record, dtls, sctpOnly && !pc.getTransceivers().length);
    }
  }

  function observe(pc) {
    const record = { name: 'pc' + ++pcCount, transports: new Map(), nextTransport: 0, closed: false };
    observed.set(pc, record);
    emit({ pc: record.name, target: 'api', event: 'create' });
    for (const [type, attribute] of Object.entries(PC_EVENTS)) {
      pc.addEventListener(type, () => {
        scan(pc);
        emit({ pc: record.name, target: 'pc', event: type, state: pc[attribute] });
      });
    }
    for (const type of SCAN_EVENTS) pc.addEventListener(type, () => scan(pc));
  }

  function afterSettled(pc, promise) {
    if (promise && typeof promise.then === 'function') promise.then(() => scan(pc), () => scan(pc));
    return promise;
  }

  class RTCPeerConnection extends NativePeerConnection {
    constructor(...args) {
      super(...args);
      observe(this);
    }
    setLocalDescription(...args) {
      const record = observed.get(this);
      if (record) emit({ pc: record.name, target: 'api', event: 'setLocalDescription', detail: args[0] && args[0].type || '' });
      return afterSettled(this, super.setLocalDescription(...args));
    }
    setRemoteDescription(...args) {
      const record = observed.get(this);
      if (record) emit({ pc: record.name, target: 'api', event: 'setRemoteDescription', detail: args[0] && args[0].type || '' });
      return afterSettled(this, super.setRemoteDescription(...args));
    }
    restartIce() {
      const record = observed.get(this);
      if (record) emit({ pc: record.name, target: 'api', event: 'restartIce' });
      return super.restartIce();
    }
    close() {
      const record = observed.get(this);
      if (!record || record.closed) return super.close();
      // Logged just before the call, and the states read right after it returns (docs/trace-format.md).
      emit({ pc: record.name, target: 'api', event: 'close' });
      const result = super.close();
      record.closed = true;
      for (const attribute of ['connectionState', 'iceConnectionState', 'signalingState', 'iceGatheringState'])
        emit({ pc: record.name, target: 'pc', event: 'get', attribute, state: this[attribute] });
      for (const [dtls, id] of record.transports) {
        emit({ pc: record.name, target: 'dtls:' + id, event: 'get', attribute: 'state', state: dtls.state });
        if (dtls.iceTransport)
          emit({ pc: record.name, target: 'ice:' + id, event: 'get', attribute: 'state', state: dtls.iceTransport.state });
      }
      return result;
    }
  }
  Object.defineProperty(RTCPeerConnection, 'name', { value: 'RTCPeerConnection' });
  window.RTCPeerConnection = RTCPeerConnection;
  if (window.webkitRTCPeerConnection) window.webkitRTCPeerConnection = RTCPeerConnection;

  const [stack, stackVersion] = browser();
  push(JSON.stringify({
    format: 'connstate-trace', version: 1, stack, stack_version: stackVersion,
    page: location.origin + location.pathname, user_agent: navigator.userAgent, probe: CONFIG.version,
  }));

  window.connstateProbe = {
    get session() { return session; },
    // A marker in the trace (shown on the timeline, ignored by the check).
    mark(label) { emit({ target: 'app', event: 'mark', detail: String(label) }); },
    // Ends the session: the server checks what it has, sends the verdicts, and closes.
    end() {
      if (stopped) return;
      emit({ target: 'recorder', event: 'end' });
      if (flushTimer) { clearTimeout(flushTimer); flushTimer = null; }
      flush();
      stopped = true;
    },
  };
  addEventListener('pagehide', () => flush());
  connect();
})();

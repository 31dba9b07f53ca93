// w3c-peer.mjs — one peer of a Node recorder for a stack that offers the W3C RTCPeerConnection API
// (@roamhq/wrtc, werift): the listeners that turn what the stack reports into trace lines, and the
// signalling steps the scenarios (scenarios.mjs) call.
//
// What is logged is what a page listener would see: each pc event with the attribute read inside the
// listener, and the `statechange` of every RTCDtlsTransport the pc references (pc.sctp.transport and
// each transceiver's sender.transport) and of its iceTransport. Transports are looked for after every
// signalling step, after each createDataChannel/addTransceiver and in every signalingstatechange
// listener, so listeners are attached while the transport is still `new`; a transport gets an id
// `<pc><n>` the first time it is seen.

const PC_EVENTS = {
  connectionstatechange: 'connectionState',
  iceconnectionstatechange: 'iceConnectionState',
  icegatheringstatechange: 'iceGatheringState',
  signalingstatechange: 'signalingState',
};

export class W3cPeer {
  // pc: the stack's RTCPeerConnection; log: the trace writer of the session.
  constructor(name, pc, log) {
    this.name = name;
    this.pc = pc;
    this.log = log;
    this.transports = new Map();  // RTCDtlsTransport -> { id, dtls, ice, referenced }
    this.transportSeq = 0;
    this.onCandidate = () => {};
    for (const [event, attribute] of Object.entries(PC_EVENTS)) {
      pc.addEventListener(event, () => {
        if (event === 'signalingstatechange') this.attachTransports();
        this.log({ pc: name, target: 'pc', event, state: pc[attribute] });
      });
    }
    pc.addEventListener('negotiationneeded', () => this.log({ pc: name, target: 'pc', event: 'negotiationneeded' }));
    pc.addEventListener('icecandidate', (e) => {
      const candidate = e.candidate && e.candidate.candidate ? e.candidate.candidate : null;
      this.log({ pc: name, target: 'pc', event: 'icecandidate', detail: candidate });
      this.onCandidate(candidate, e.candidate ? e.candidate.sdpMid : null);
    });
    pc.addEventListener('datachannel', (e) => {
      this.log({ pc: name, target: 'dc:' + e.channel.label, event: 'datachannel' });
      this.watchChannel(e.channel);
    });
  }

  // The channel probes travel on (scenarios send one to see that the path carries data).
  watchChannel(channel) {
    this.channel = channel;
    const target = 'dc:' + channel.label;
    channel.addEventListener('open', () => this.log({ pc: this.name, target, event: 'open' }));
    channel.addEventListener('close', () => this.log({ pc: this.name, target, event: 'close' }));
    channel.addEventListener('message', (e) => this.log({ pc: this.name, target, event: 'message', detail: String(e.data) }));
  }

  send(text) {
    this.api('send', text);
    this.channel.send(text);
  }

  // The DTLS transports the pc references now, each with whether only pc.sctp references it.
  referencedTransports() {
    const found = new Map();
    for (const transceiver of this.pc.getTransceivers()) {
      const dtls = transceiver.sender && transceiver.sender.transport;
      if (dtls) found.set(dtls, false);
    }
    const sctp = this.pc.sctp;
    if (sctp && sctp.transport && !found.has(sctp.transport)) found.set(sctp.transport, true);
    return found;
  }

  attachTransports() {
    const referenced = this.referencedTransports();
    for (const [dtls, sctpOnly] of referenced) {
      if (this.transports.has(dtls)) continue;
      const id = this.name + this.transportSeq++;
      const ice = dtls.iceTransport;
      const entry = { id, dtls, ice, referenced: true };
      this.transports.set(dtls, entry);
      this.log({ pc: this.name, target: 'dtls:' + id, event: 'added', state: dtls.state, sctp_only: sctpOnly });
      this.log({ pc: this.name, target: 'ice:' + id, event: 'added', state: ice.state, sctp_only: sctpOnly,
                 gatheringState: ice.gatheringState });
      dtls.addEventListener('statechange', () => this.log({ pc: this.name, target: 'dtls:' + id, event: 'statechange', state: dtls.state }));
      dtls.addEventListener('error', (e) => this.log({ pc: this.name, target: 'dtls:' + id, event: 'error',
                                                        detail: String((e && (e.error || e.message)) || e) }));
      ice.addEventListener('statechange', () => this.log({ pc: this.name, target: 'ice:' + id, event: 'statechange', state: ice.state }));
      ice.addEventListener('gatheringstatechange', () => this.log({ pc: this.name, target: 'ice:' + id, event: 'gatheringstatechange', state: ice.gatheringState }));
    }
    // A transport the pc stopped referencing (BUNDLE discarded it) is noted with the state it reads:
    // the trace format has no event for leaving the set, so this line is for the reader only. After
    // close() nothing references anything: not noted.
    if (this.pc.signalingState === 'closed') return;
    for (const entry of this.transports.values()) {
      if (entry.referenced && !referenced.has(entry.dtls)) {
        entry.referenced = false;
        this.log({ pc: this.name, target: 'dtls:' + entry.id, event: 'unreferenced', detail: 'no transceiver or pc.sctp references it',
                   dtls_state: entry.dtls.state, ice_state: entry.ice.state });
      }
    }
  }

  api(event, detail) { this.log({ pc: this.name, target: 'api', event, ...(detail === undefined ? {} : { detail }) }); }

  addDataChannel(label) {
    this.api('createDataChannel', label);
    this.watchChannel(this.pc.createDataChannel(label));
    this.attachTransports();  // a stack may create the transport here already (werift does)
  }

  addMedia(kind) {
    this.api('addTransceiver', kind);
    this.pc.addTransceiver(kind, { direction: 'sendrecv' });
    this.attachTransports();
  }

  async makeOffer({ iceRestart = false } = {}) {
    this.api('createOffer', iceRestart ? 'iceRestart' : '');
    const offer = await this.pc.createOffer(iceRestart ? { iceRestart: true } : {});
    this.api('setLocalDescription', 'offer');
    await this.pc.setLocalDescription(offer);
    this.attachTransports();
    return this.pc.localDescription.sdp;
  }

  async takeOffer(sdp) {
    this.api('setRemoteDescription', 'offer');
    await this.pc.setRemoteDescription({ type: 'offer', sdp });
    this.attachTransports();
    this.api('createAnswer');
    const answer = await this.pc.createAnswer();
    this.api('setLocalDescription', 'answer');
    await this.pc.setLocalDescription(answer);
    this.attachTransports();
    return this.pc.localDescription.sdp;
  }

  async takeAnswer(sdp) {
    this.api('setRemoteDescription', 'answer');
    await this.pc.setRemoteDescription({ type: 'answer', sdp });
    this.attachTransports();
  }

  // candidate: an SDP candidate attribute value ("candidate:…"), or null for end-of-candidates.
  async addCandidate(candidate, sdpMid) {
    this.api('addIceCandidate', candidate);
    await this.pc.addIceCandidate(candidate === null ? { candidate: '', sdpMid } : { candidate, sdpMid });
  }

  async close() {
    this.api('close');
    const closing = this.pc.close();
    this.readBack();
    await closing;  // werift's close() is async; its events are logged when they come
  }

  // The attributes as they read right after close() returned (or at any other moment).
  readBack() {
    for (const attribute of Object.values(PC_EVENTS))
      this.log({ pc: this.name, target: 'pc', event: 'get', attribute, state: this.pc[attribute] });
    for (const { id, dtls, ice } of this.transports.values()) {
      this.log({ pc: this.name, target: 'dtls:' + id, event: 'get', attribute: 'state', state: dtls.state });
      this.log({ pc: this.name, target: 'ice:' + id, event: 'get', attribute: 'state', state: ice.state });
    }
  }

  async teardown() { await this.pc.close(); }

  states() {
    return { connection: this.pc.connectionState, ice: this.pc.iceConnectionState,
             transports: [...this.transports.values()].filter((t) => t.referenced)
               .map((t) => ({ id: t.id, dtls: t.dtls.state, ice: t.ice.state })) };
  }
}

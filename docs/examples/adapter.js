#!/usr/bin/env node
// A complete protocol-1 adapter (docs/adapter-protocol.md): a toy stack whose state logic follows rec-2025.
'use strict';
const readline = require('readline');

const has = (set, ...xs) => xs.some((x) => set.has(x));
const only = (set, ...xs) => [...set].every((x) => xs.includes(x));

function iceConnectionState(ices) {
  if (ices.has('failed')) return 'failed';
  if (ices.has('disconnected')) return 'disconnected';
  if (only(ices, 'new', 'closed')) return 'new';
  if (has(ices, 'new', 'checking')) return 'checking';
  if (only(ices, 'completed', 'closed')) return 'completed';
  return 'connected';
}

function connectionState(ics, dtls, hasTransports) {
  if (ics === 'closed') return 'closed';
  if (ics === 'failed' || dtls.has('failed')) return 'failed';
  if (ics === 'disconnected') return 'disconnected';
  if ((ics === 'new' && only(dtls, 'new', 'closed')) || !hasTransports) return 'new';
  if (ics === 'connected' && only(dtls, 'connected', 'closed')) return 'connected';
  return 'connecting';
}

class PeerConnection {
  constructor() { this.t = new Map(); this.closed = false; this.ics = 'new'; this.pcs = 'new'; }
  update(events, rederiveIce) { // fire only what changed, ICE aggregate first
    const vals = [...this.t.values()];
    if (rederiveIce) {
      const ics = iceConnectionState(new Set(vals.map((v) => v[0])));
      if (ics !== this.ics) { this.ics = ics; events.push({ target: 'pc', type: 'iceconnectionstatechange', state: ics }); }
    }
    const pcs = connectionState(this.ics, new Set(vals.map((v) => v[1])), vals.length > 0);
    if (pcs !== this.pcs) { this.pcs = pcs; events.push({ target: 'pc', type: 'connectionstatechange', state: pcs }); }
  }
  step(op, name, state) {
    const events = [];
    if (this.closed) return events;
    if (op === 'close') { this.closed = true; this.ics = this.pcs = 'closed'; return events; } // no events
    if (op === 'add') { this.t.set(name, ['new', 'new']); return events; }
    if (op === 'remove') { // DTLS closes first (its update uses the ICE slot as it is), then ICE
      const [ice, dtls] = this.t.get(name); this.t.delete(name);
      if (dtls !== 'closed') { events.push({ target: `dtls:${name}`, type: 'statechange', state: 'closed' }); this.update(events, false); }
      if (ice !== 'closed') { events.push({ target: `ice:${name}`, type: 'statechange', state: 'closed' }); this.update(events, true); }
      return events;
    }
    const cur = this.t.get(name); const k = op === 'ice' ? 0 : 1;
    if (cur[k] === state) return events;
    cur[k] = state;
    events.push({ target: `${op}:${name}`, type: 'statechange', state });
    this.update(events, op === 'ice');
    return events;
  }
}

let pc = new PeerConnection();
const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const req = JSON.parse(line); const reply = { id: req.id };
  if (req.op === 'hello') Object.assign(reply, { protocol: 1, name: 'example (node)', version: '1.0', supports: ['evaluate', 'sequence'] });
  else if (req.op === 'evaluate') {
    const ts = req.closed ? [] : req.transports;
    const ics = req.closed ? 'closed' : iceConnectionState(new Set(ts.map((t) => t.ice)));
    Object.assign(reply, { iceConnectionState: ics, connectionState: connectionState(ics, new Set(ts.map((t) => t.dtls)), ts.length > 0) });
  } else if (req.op === 'reset') { pc = new PeerConnection(); if (req.options) reply.unsupported = 'options are not implemented'; }
  else if (['add', 'ice', 'dtls', 'remove', 'close'].includes(req.op)) Object.assign(reply, { events: pc.step(req.op, req.transport, req.state), connectionState: pc.pcs, iceConnectionState: pc.ics });
  else if (req.op !== 'bye') reply.error = `unknown op ${req.op}`;
  process.stdout.write(JSON.stringify(reply) + '\n');
  if (req.op === 'bye') rl.close();
});

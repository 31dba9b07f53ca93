// sdp.mjs — the few SDP edits the Node recorders make on the signalling path between the peers, each
// logged in the trace where it is made: candidates are taken out of the descriptions (they travel
// separately, through the relay), and three scenarios alter one attribute on purpose.

const lines = (sdp) => sdp.split(/\r\n|\n/).filter((line) => line !== '');
const join = (sdpLines) => sdpLines.join('\r\n') + '\r\n';

// Candidates reach the other peer only by trickle, rewritten to the relay; none may bypass it.
export function withoutCandidates(sdp) {
  return join(lines(sdp).filter((l) => !l.startsWith('a=candidate:') && l !== 'a=end-of-candidates'));
}

export function mids(sdp) {
  return lines(sdp).filter((l) => l.startsWith('a=mid:')).map((l) => l.slice('a=mid:'.length));
}

// The last byte of every a=fingerprint changed, so the peer that reads it rejects the certificate its
// peer presents in the DTLS handshake.
export function withWrongFingerprint(sdp) {
  return join(lines(sdp).map((l) => {
    if (!l.startsWith('a=fingerprint:')) return l;
    const last = l.slice(-2);
    return l.slice(0, -2) + (last.toUpperCase() === '00' ? '01' : '00');
  }));
}

// No a=group:BUNDLE: the answerer reads an offer from an endpoint that does not bundle, answers without
// BUNDLE, and every m-line keeps a transport of its own on both sides.
export function withoutBundle(sdp) {
  return join(lines(sdp).filter((l) => !l.startsWith('a=group:BUNDLE')));
}

// candidate: "candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type> …"
// Returns { port, rewrite(newPort) } for a UDP host candidate on 127.0.0.1, else null.
export function loopbackHostCandidate(candidate) {
  const fields = candidate.replace(/^a=/, '').split(' ');
  if (fields.length < 8 || fields[2].toLowerCase() !== 'udp' || fields[6] !== 'typ' || fields[7] !== 'host') return null;
  if (fields[4] !== '127.0.0.1') return null;
  return {
    port: Number(fields[5]),
    rewrite: (port) => { const copy = fields.slice(); copy[5] = String(port); return copy.join(' '); },
  };
}

// driver.mjs — werift for the Node recorder (tools/record/node/record.mjs): two real werift
// RTCPeerConnections connecting on loopback, one per peer process, observed through werift's public
// W3C surface (w3c-peer.mjs): pc events, pc.sctp.transport and each transceiver's sender.transport
// (RTCDtlsTransport) with their iceTransport, all fired synchronously from werift's own state setters.
//
// werift 0.25 only gathers on 127.0.0.1 when told to (iceAdditionalHostAddresses); IPv6 is off. Its
// RFC 7675 consent check would take 30 s to fail a blocked path: the two module constants it reads
// at each use are lowered (as the aiortc recorder does for aioice), so failure scenarios stay short.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { W3cPeer } from '../node/w3c-peer.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const packageDir = path.join(here, 'node_modules', 'werift');
const require = createRequire(import.meta.url);

const CONSENT_INTERVAL_S = 1;  // werift: 5
const CONSENT_TIMEOUT_S = 6;   // werift: 30

export const stack = 'werift';
export const options = {
  iceAdditionalHostAddresses: ['127.0.0.1'], iceUseIpv6: false,
  consent: `werift iceBase CONSENT_INTERVAL ${CONSENT_INTERVAL_S} s (5), CONSENT_TIMEOUT ${CONSENT_TIMEOUT_S} s (30)`,
};
export const delivery = 'werift fires every event synchronously from the state setter, on the one JavaScript thread';
export const cannot = {};

export function missing() {
  return fs.existsSync(path.join(packageDir, 'package.json')) ? null : 'werift is not installed';
}
export function version() {
  return JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')).version;
}

export async function createPeer(name, config, log) {
  const iceBase = require(path.join(packageDir, 'lib/ice/src/iceBase.js'));
  iceBase.CONSENT_INTERVAL = CONSENT_INTERVAL_S;
  iceBase.CONSENT_TIMEOUT = CONSENT_TIMEOUT_S;
  const { RTCPeerConnection } = require('werift');
  const pc = new RTCPeerConnection({
    iceServers: [], bundlePolicy: config.bundlePolicy,
    iceAdditionalHostAddresses: ['127.0.0.1'], iceUseIpv4: true, iceUseIpv6: false,
  });
  return new W3cPeer(name, pc, log);
}


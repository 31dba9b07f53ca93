// driver.mjs — @roamhq/wrtc (libwebrtc M106 in Node, the maintained fork of node-webrtc) for the Node
// recorder (tools/record/node/record.mjs): two RTCPeerConnections, one per peer process, observed
// through its W3C surface (w3c-peer.mjs): pc events, pc.sctp.transport and each transceiver's
// sender.transport (RTCDtlsTransport) with their iceTransport.
//
// wrtc's binding queues each native observer callback to the JavaScript thread and dispatches a bare
// event there: a listener reads the attribute's value at dispatch time, not the value the change
// carried, so a listener can read a later state than the one that fired (recorded as read). libwebrtc
// gathers on 127.0.0.1 and ::1 here (the namespace has nothing else); only the 127.0.0.1 candidate is
// handed on.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { W3cPeer } from '../node/w3c-peer.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const packageDir = path.join(here, 'node_modules', '@roamhq', 'wrtc');
const binaryPackage = path.join(here, 'node_modules', '@roamhq', 'wrtc-linux-x64', 'wrtc.node');
const require = createRequire(import.meta.url);

export const stack = 'wrtc';
export const options = { package: '@roamhq/wrtc (binary @roamhq/wrtc-linux-x64)' };
export const delivery = 'native observer callbacks are queued to the JavaScript thread; listeners read the attribute at dispatch time';
export const cannot = {};

export function missing() {
  if (!fs.existsSync(path.join(packageDir, 'package.json'))) return '@roamhq/wrtc is not installed';
  if (!fs.existsSync(binaryPackage)) return '@roamhq/wrtc-linux-x64 (the libwebrtc binary) is not installed';
  return null;
}
export function version() {
  return JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')).version + ' (libwebrtc M106)';
}

export async function createPeer(name, config, log) {
  const { RTCPeerConnection } = require('@roamhq/wrtc');
  const pc = new RTCPeerConnection({ iceServers: [], bundlePolicy: config.bundlePolicy });
  return new W3cPeer(name, pc, log);
}

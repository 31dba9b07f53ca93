// relay.mjs — the UDP relay on 127.0.0.1 that carries every datagram between the two peers of a
// Node recorder, so that the recorder, not the stack, decides which paths work.
//
// Each peer is told that the other's candidate is a port of this relay. A relay socket *stands for*
// one real endpoint (a peer's host candidate, 127.0.0.1:port): whatever arrives at it is delivered to
// that endpoint, sent from the relay socket that stands for the sender, so each peer only ever talks
// to the relay and sees its peer at the rewritten address. Sockets come in *planes*: plane 0 carries
// the negotiated candidates; another plane gives the same endpoints new addresses (a candidate added
// later reaches the peer over a path of its own), and each plane can be blocked on its own. Only
// datagrams from 127.0.0.1 are forwarded.
import dgram from 'node:dgram';

export class Relay {
  constructor() {
    this.planes = new Map();  // plane -> { blocked, byEndpoint: Map(realPort -> socket) }
    this.counts = { forwarded: 0, dropped: 0 };
  }

  plane(id) {
    let plane = this.planes.get(id);
    if (!plane) {
      plane = { blocked: false, byEndpoint: new Map() };
      this.planes.set(id, plane);
    }
    return plane;
  }

  // The relay port that stands for the real endpoint 127.0.0.1:realPort in the given plane.
  async portFor(realPort, planeId = 0) {
    return (await this.socketFor(realPort, planeId)).address().port;
  }

  async socketFor(realPort, planeId) {
    const plane = this.plane(planeId);
    let entry = plane.byEndpoint.get(realPort);
    if (!entry) {
      // The promise is stored at once, so two concurrent callers share one socket.
      entry = new Promise((resolve, reject) => {
        const socket = dgram.createSocket('udp4');
        socket.once('error', reject);
        socket.bind(0, '127.0.0.1', () => resolve(socket));
      });
      plane.byEndpoint.set(realPort, entry);
      const socket = await entry;
      socket.on('message', (message, from) => this.deliver(planeId, realPort, message, from));
      socket.on('error', () => {});  // e.g. ICMP unreachable after a peer closed: nothing to do
    }
    return entry;
  }

  async deliver(planeId, destinationPort, message, from) {
    const plane = this.plane(planeId);
    if (from.address !== '127.0.0.1' || plane.blocked) {
      this.counts.dropped++;
      return;
    }
    const sender = await this.socketFor(from.port, planeId);
    sender.send(message, destinationPort, '127.0.0.1');
    this.counts.forwarded++;
  }

  block(planeId = 0) { this.plane(planeId).blocked = true; }
  unblock(planeId = 0) { this.plane(planeId).blocked = false; }

  async close() {
    for (const plane of this.planes.values())
      for (const entry of plane.byEndpoint.values()) (await entry).close();
    this.planes.clear();
  }
}

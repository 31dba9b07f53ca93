// peer.mjs — the process that holds one peer of a Node recorder (record.mjs forks two: "a" and "b").
//
// One peer per process, so that what a stack reports process-wide (libdatachannel's log, which is the
// only place it reports its DTLS transport) belongs to one peer, and so that a stack whose teardown
// hangs can be killed without losing the trace. The process loads the stack's driver
// (tools/record/<stack>/driver.mjs), creates one peer with it, runs the methods record.mjs asks for over
// the IPC channel, and sends every trace line it logs, stamped with the shared clock (clock.mjs), back
// to record.mjs, which merges the lines of both peers in time order.
//
// Usage (by record.mjs only): node peer.mjs DRIVER_URL NAME CONFIG_JSON CLOCK_BASE_MS
import { sharedClockMs } from './clock.mjs';

const [driverUrl, name, configJson, clockBase] = process.argv.slice(2);
const base = Number(clockBase);
const send = (message) => { if (process.connected) process.send(message); };
const log = (line) => send({ line: { t_ms: +(sharedClockMs() - base).toFixed(3), ...line } });

const fail = (e) => { send({ fatal: String(e && e.stack ? e.stack : e) }); process.exit(4); };
process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);
// Without the recorder there is nobody to report to: leave at once.
process.on('disconnect', () => process.exit(0));

const driver = await import(driverUrl);
const peer = await driver.createPeer(name, JSON.parse(configJson), log);
peer.onCandidate = (candidate, sdpMid) => send({ candidate: { candidate, sdpMid } });

process.on('message', async ({ id, method, args }) => {
  if (method === 'teardown') {
    // After the recording: nothing is logged any more; the stack may take its time, or hang (the
    // recorder kills this process if it does).
    peer.log = () => {};
    await peer.teardown().catch(() => {});
    if (driver.shutdown) await driver.shutdown();
    send({ id, result: null });
    process.exit(0);
  }
  try {
    send({ id, result: (await peer[method](...(args || []))) ?? null });
  } catch (e) {
    send({ id, error: String(e && e.message ? e.message : e) });
  }
});
send({ ready: true });

// profile.mjs — the Firefox profile every connstate run of Firefox ESR uses (the recorder and the
// live-checking browser test): WebRTC over loopback with real host addresses and precise timers, and
// every background service that would reach the network switched off.
import fs from 'node:fs';
import path from 'node:path';

export const PREFS = {
  'media.peerconnection.ice.loopback': true,                   // else only a TCP candidate, and ICE fails
  'media.peerconnection.ice.obfuscate_host_addresses': false,  // else mDNS .local names that never resolve
  'privacy.reduceTimerPrecision': false,                       // 10 µs timestamps instead of 1 ms
  'app.update.enabled': false, 'app.update.auto': false, 'toolkit.telemetry.enabled': false,
  'datareporting.healthreport.uploadEnabled': false, 'datareporting.policy.dataSubmissionEnabled': false,
  'browser.safebrowsing.malware.enabled': false, 'browser.safebrowsing.phishing.enabled': false,
  'browser.safebrowsing.downloads.enabled': false, 'browser.shell.checkDefaultBrowser': false,
  'browser.startup.homepage_override.mstone': 'ignore', 'datareporting.policy.firstRunURL': '',
  'network.captive-portal-service.enabled': false, 'network.connectivity-service.enabled': false,
  'extensions.update.enabled': false, 'browser.aboutwelcome.enabled': false,
};

// Creates DIR (if needed) and writes PREFS into its user.js.
export function writeProfile(dir) {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'user.js'),
    Object.entries(PREFS).map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});`).join('\n') + '\n');
}

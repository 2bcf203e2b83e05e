/**
 * How every browser test starts Debian's Chromium: headless, no sandbox (root in CI), none of the
 * background services that would try to reach the internet, and WebRTC allowed on loopback (with
 * camera/microphone granted, Chromium then shows host candidates instead of mDNS names).
 */
export const CHROMIUM_PATH = process.env.CHROME_PATH ?? '/usr/bin/chromium';

/** Command-line flags for Chromium in tests. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--allow-loopback-in-peer-connection',
];

// Debian's Chromium for every browser test (web-test-runner and Playwright): the path, and the flags this
// machine needs (no sandbox as root; no background networking, which a closed network refuses).
export const CHROME_PATH = process.env.CHROME_PATH || '/usr/bin/chromium';

export const CHROME_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

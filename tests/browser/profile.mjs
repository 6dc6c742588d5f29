// A fresh, empty Chromium profile, launched headless: what each browser driver of tests/browser.rs
// starts from, so that nothing is shared between runs or between two "people". Uses Debian's
// Chromium (/usr/bin/chromium, or $CHROMIUM); it never downloads a browser.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

// Without the background-networking flags Chromium keeps calling Google's hosts, which this
// machine's closed network refuses; --no-sandbox because the tests run as root.
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A new, empty profile folder (the caller removes it). */
export function freshProfile() {
  return mkdtempSync(join(tmpdir(), 'agent-auth-chromium-'));
}

/** Chromium on the profile at `userDataDir`, every wait bounded by `timeoutMs`. */
export async function launch(userDataDir, timeoutMs) {
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 900, height: 640 },
    timeout: timeoutMs,
  });
  context.setDefaultTimeout(timeoutMs);
  return context;
}

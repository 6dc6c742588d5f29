// Opens one URL in a fresh headless Chromium profile, the way a person would, optionally presses
// a button, and reports what happened: every redirect on the way, the final address and what the
// page said. Used by tests/browser.rs for custom user verification, where a page may end at an
// address nothing serves yet (the browser's error page is then what the person sees).
//
//   node tests/browser/open.mjs URL SCREENSHOT.png [--click NAME] [--timeout-ms N]
//
// Prints one JSON line: {status, page_text, redirects: [{status, from, location}], final_url,
// final_status, final_text, error}; exits 0 when the browser ran, whatever the pages said.

import { rmSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { freshProfile, launch } from './profile.mjs';

const [url, screenshot, ...rest] = process.argv.slice(2);
let click = null;
let timeoutMs = 30000;
for (let i = 0; i < rest.length; i++) {
  if (rest[i] === '--click') click = rest[++i];
  else if (rest[i] === '--timeout-ms') timeoutMs = Number(rest[++i]);
  else throw new Error(`unknown option ${rest[i]}`);
}
if (!url || !screenshot) throw new Error('usage: node open.mjs URL SCREENSHOT.png [--click NAME] [--timeout-ms N]');
mkdirSync(dirname(screenshot), { recursive: true });

const report = { url, redirects: [] };
const userDataDir = freshProfile();
let context;
try {
  context = await launch(userDataDir, timeoutMs);
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('response', (response) => {
    const location = response.headers()['location'];
    if (location) report.redirects.push({ status: response.status(), from: response.url(), location });
  });
  const response = await page.goto(url, { waitUntil: 'load' }).catch((err) => {
    report.error = String(err?.message ?? err).split('\n')[0];
    return null;
  });
  report.status = response?.status() ?? null;
  report.page_text = squash(await page.locator('body').innerText().catch(() => ''));
  if (click) {
    const button = page.getByRole('button', { name: click });
    if ((await button.count()) !== 1) throw new Error(`expected one "${click}" button, found ${await button.count()}`);
    const settled = page.waitForLoadState('load').catch(() => {});
    const navigated = page.waitForNavigation({ waitUntil: 'load' }).then(
      (r) => r,
      (err) => {
        report.error = String(err?.message ?? err).split('\n')[0];
        return null;
      },
    );
    await button.click();
    const last = await navigated;
    await settled;
    report.final_status = last?.status() ?? null;
  } else {
    report.final_status = report.status;
  }
  report.final_url = page.url();
  report.final_text = squash(await page.locator('body').innerText().catch(() => ''));
  await page.screenshot({ path: screenshot, fullPage: true }).catch(() => {});
} catch (err) {
  report.error = String(err?.message ?? err).split('\n')[0];
}
try {
  await context?.close();
} catch {
  // already gone
}
rmSync(userDataDir, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify(report)}\n`);
process.exit(0);

function squash(text) {
  return text.replace(/\s+/g, ' ').trim();
}

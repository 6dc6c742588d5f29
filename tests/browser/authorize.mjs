// Completes one magic link of the virtual Scalekit the way a person would: in a real (headless)
// Chromium, read the page, press "Authorize", read the confirmation. Used by tests/browser.rs.
//
//   node tests/browser/authorize.mjs LINK SCREENSHOT.png [--connection NAME] [--identifier ID]
//                                    [--after AFTER.png] [--timeout-ms N]
//
// SCREENSHOT.png is the page before the click; AFTER.png (default: SCREENSHOT-connected.png) is the
// confirmation. Prints one JSON line with what it saw; exits 0 only when every check passed.
// Uses Debian's Chromium (/usr/bin/chromium, or $CHROMIUM); it never downloads a browser.

import { rmSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { freshProfile, launch } from './profile.mjs';

function parseArgs(argv) {
  const positional = [];
  const opts = { connection: null, identifier: null, after: null, timeoutMs: 30000 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--connection') opts.connection = value();
    else if (a === '--identifier') opts.identifier = value();
    else if (a === '--after') opts.after = value();
    else if (a === '--timeout-ms') opts.timeoutMs = Number(value());
    else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
    else positional.push(a);
  }
  if (positional.length !== 2) {
    throw new Error('usage: node authorize.mjs LINK SCREENSHOT.png [--connection NAME] [--identifier ID] [--after AFTER.png] [--timeout-ms N]');
  }
  const [link, before] = positional;
  if (!/^https?:\/\/.+\/magic\/[^/?#\s]+/.test(link)) throw new Error(`not a magic link: ${link}`);
  if (!Number.isFinite(opts.timeoutMs) || opts.timeoutMs <= 0) throw new Error('--timeout-ms must be a positive number');
  opts.after ??= before.replace(/(\.png)?$/i, '-connected.png');
  return { link, before, ...opts };
}

const report = { ok: false, link: null };

async function main() {
  const args = parseArgs(process.argv.slice(2));
  report.link = args.link;
  for (const file of [args.before, args.after]) mkdirSync(dirname(file), { recursive: true });

  const userDataDir = freshProfile();
  let context;
  let page;
  // A hard stop, whatever Chromium does: close it, then fail.
  const limit = args.timeoutMs * 2 + 5000;
  const watchdog = setTimeout(() => {
    report.ok = false;
    report.error = [report.error, `gave up after ${limit} ms`].filter(Boolean).join('; ');
    finish(1, context, userDataDir);
  }, limit);
  watchdog.unref();

  try {
    // A persistent context on a new, empty profile folder: nothing is shared with other runs.
    context = await launch(userDataDir, args.timeoutMs);
    report.browser = `${context.browser()?.version() ?? 'chromium'}`;
    page = context.pages()[0] ?? (await context.newPage());

    const response = await page.goto(args.link, { waitUntil: 'load', timeout: args.timeoutMs });
    report.status = response?.status() ?? null;
    if (!response || !response.ok()) throw new Error(`GET ${args.link} answered ${report.status}`);
    report.title = await page.title();
    const text = squash(await page.locator('body').innerText());
    report.page_text = text;
    for (const [what, expected] of [['connection', args.connection], ['identifier', args.identifier]]) {
      if (expected !== null && !text.includes(expected)) {
        throw new Error(`the authorization page does not name the ${what} ${JSON.stringify(expected)}: ${text}`);
      }
    }
    const button = page.getByRole('button', { name: 'Authorize' });
    if ((await button.count()) !== 1) throw new Error(`expected one "Authorize" button, found ${await button.count()}`);
    await page.screenshot({ path: args.before, fullPage: true });
    report.screenshot = args.before;

    await button.click();
    const confirmation = page.getByText(/is now connected/);
    await confirmation.first().waitFor({ state: 'visible' });
    report.confirmation = squash(await confirmation.first().innerText());
    report.final_url = page.url();
    await page.screenshot({ path: args.after, fullPage: true });
    report.screenshot_after = args.after;
    report.ok = true;
  } catch (err) {
    report.error = String(err?.message ?? err).split('\n')[0];
    // What the browser showed when it went wrong, beside the other screenshots.
    const failure = args.before.replace(/(\.png)?$/i, '-failure.png');
    try {
      await page?.screenshot({ path: failure, fullPage: true, timeout: 3000 });
      if (page) report.screenshot_failure = failure;
    } catch {
      // no page to show
    }
  }
  clearTimeout(watchdog);
  await finish(report.ok ? 0 : 1, context, userDataDir);
}

function squash(text) {
  return text.replace(/\s+/g, ' ').trim();
}

let finishing = false;
async function finish(code, context, userDataDir) {
  if (finishing) return;
  finishing = true;
  try {
    await context?.close();
  } catch {
    // already gone
  }
  try {
    rmSync(userDataDir, { recursive: true, force: true });
  } catch {
    // best effort
  }
  process.stdout.write(`${JSON.stringify(report)}\n`);
  process.exit(code);
}

main().catch((err) => {
  report.error = String(err?.message ?? err).split('\n')[0];
  process.stdout.write(`${JSON.stringify(report)}\n`);
  process.exit(2);
});

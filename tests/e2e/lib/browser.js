// A real browser for the end-to-end tests: Debian's chromium driven by playwright-core.
//
// TLS: the test servers use certificates from a throw-away CA that chromium does not know.
// Either name the server certificates in `trustCertPaths` (chromium then accepts exactly those
// public keys, via --ignore-certificate-errors-spki-list) or, without it, the browser context
// ignores certificate errors altogether. Both are for this test harness only.
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';

export const CHROMIUM = process.env.PORTCULLIS_E2E_CHROMIUM || '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'];

const open = new Set();
async function closeAll() {
  const list = [...open];
  open.clear();
  await Promise.allSettled(list.map((b) => b.close()));
}
// playwright-core itself kills the browsers it launched when this process exits or gets
// SIGINT/SIGTERM/SIGHUP; closeAllBrowsers() is the orderly way for `after` hooks.

/** base64 SHA-256 of a certificate's SubjectPublicKeyInfo, as chromium's SPKI list wants it. */
export function spkiHash(certPem) {
  const der = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64');
}

/** Throws a clear error when chromium or playwright-core is missing. */
export async function requireBrowser() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`chromium not found at ${CHROMIUM}: install it (apt-get install chromium, see scripts/setup)`);
  }
  try {
    return (await import('playwright-core')).chromium;
  } catch (err) {
    throw new Error(`the npm package playwright-core is required (cd tests/e2e && npm install): ${err.message}`);
  }
}

/**
 * Launches chromium and opens one context. Options: trustCertPaths (PEM server certificates to
 * accept), ignoreHTTPSErrors (default: true unless trustCertPaths is given), contextOptions.
 * Returns { browser, context, newPage(), close() }. Everything is closed at process exit too.
 */
export async function launchBrowser({ trustCertPaths = [], ignoreHTTPSErrors, contextOptions = {} } = {}) {
  const chromium = await requireBrowser();
  const args = [...CHROMIUM_ARGS];
  if (trustCertPaths.length) {
    const hashes = trustCertPaths.map((p) => spkiHash(readFileSync(p, 'utf8')));
    args.push(`--ignore-certificate-errors-spki-list=${hashes.join(',')}`);
  }
  const browser = await chromium.launch({ executablePath: CHROMIUM, args, timeout: 30000 });
  open.add(browser);
  const context = await browser.newContext({
    ignoreHTTPSErrors: ignoreHTTPSErrors ?? trustCertPaths.length === 0,
    ...contextOptions,
  });
  context.setDefaultTimeout(15000);
  return {
    browser,
    context,
    newPage: () => context.newPage(),
    /** A fresh context (no cookies) in the same browser. */
    newContext: (opts = {}) => browser.newContext({ ignoreHTTPSErrors: ignoreHTTPSErrors ?? trustCertPaths.length === 0, ...contextOptions, ...opts }),
    async close() {
      open.delete(browser);
      await browser.close();
    },
  };
}

/** Closes every browser this process launched (for `after` hooks). */
export const closeAllBrowsers = closeAll;

/**
 * Fills the identity provider's login form on `page` (which must show it, or be about to) and
 * submits it. Resolves after the form was submitted; wait for the next URL yourself.
 */
export async function signIn(page, { username, password }) {
  await page.waitForSelector('#username');
  await page.fill('#username', username);
  await page.fill('#password', password);
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('#submit')]);
}

/** Confirms the identity provider's sign-out question (RP-initiated logout). */
export async function confirmSignOut(page) {
  await page.waitForSelector('#logout-yes');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('#logout-yes')]);
}

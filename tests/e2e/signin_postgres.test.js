// Sign-in with the PostgreSQL databroker (databroker_storage_type: postgres, a real server through
// tests/support/postgres-server): sessions and users live in PostgreSQL, so a restart of
// portcullis (SIGTERM, then the same config and secrets) keeps the user signed in with the same
// cookie, the authenticate host still knows the browser, and sign-out after the restart deletes
// the stored session.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { confirmSignOut } from './lib/browser.js';
import { waitFor } from './lib/env.js';
import { PostgresServer } from './lib/postgres.js';
import {
  ALICE,
  BOB,
  BROWSER_ACCEPT,
  browserFor,
  decodeJwt,
  echoedInPage,
  freshContext,
  signInThrough,
  startSignInStack,
  verifyJwt,
} from './lib/signin.js';

const JSON_ACCEPT = { Accept: 'application/json' };

describe('sign-in with the PostgreSQL databroker', () => {
  let postgres;
  let stack;
  let browser;
  let context;
  let page;
  let cookie;
  let sessionId;

  before(async () => {
    postgres = PostgresServer.start();
    stack = await startSignInStack({ postgres });
    browser = await browserFor(stack);
  });

  after(async () => {
    await context?.close();
    await browser?.close();
    await stack?.stop();
    postgres?.stop();
  });

  test('alice signs in; the session and user are stored', async () => {
    const { hosts } = stack;
    context = await freshContext(browser.browser);
    page = await context.newPage();
    await signInThrough(page, stack.url(hosts.app, '/before-restart'), ALICE);
    const echoed = await echoedInPage(page);
    assert.equal(echoed.url, '/before-restart');
    assert.equal(verifyJwt(echoed.headers['x-pomerium-jwt-assertion'], await stack.jwks()).payload.email, 'alice@example.com');
    cookie = (await context.cookies(stack.origin(hosts.app))).find((c) => c.name === '_pomerium')?.value;
    assert.ok(cookie, 'the session cookie');
    sessionId = decodeJwt(cookie).payload.jti;
    const session = await stack.session(sessionId);
    assert.ok(session, 'the session record is in the databroker');
    assert.equal(session.userId, 'alice');
  });

  test('a restart (SIGTERM, same config and secrets) keeps alice signed in with the same cookie', async () => {
    assert.ok(cookie, 'needs the signed-in browser');
    const { hosts } = stack;
    const jwksBefore = await stack.jwks();
    await stack.restart();

    // The session comes back from PostgreSQL: the same cookie passes, for node and the browser.
    const res = await waitFor(async () => {
      const r = await stack.get(hosts.app, '/api/after-restart', { cookie: `_pomerium=${cookie}`, headers: JSON_ACCEPT });
      return r.status === 200 ? r : null;
    }, { timeoutMs: 10000, what: 'the old cookie to pass after the restart' }).catch(async (err) => {
      const r = await stack.get(hosts.app, '/api/after-restart', { cookie: `_pomerium=${cookie}`, headers: JSON_ACCEPT });
      throw new Error(`${err.message}; last answer ${r.status} ${r.text.slice(0, 200)}`);
    });
    const { header, payload } = verifyJwt(res.json().headers['x-pomerium-jwt-assertion'], await stack.jwks());
    assert.equal(payload.email, 'alice@example.com');
    assert.equal(payload.sid, sessionId);
    assert.equal(header.kid, jwksBefore.keys[0].kid, 'the same derived signing key after the restart');

    const nav = [];
    const onResponse = (r) => r.request().isNavigationRequest() && nav.push(r.url());
    page.on('response', onResponse);
    const resp = await page.goto(stack.url(hosts.app, '/after-restart'));
    page.off('response', onResponse);
    assert.equal(resp.status(), 200);
    assert.equal(page.url(), stack.url(hosts.app, '/after-restart'));
    assert.deepEqual(nav, [stack.url(hosts.app, '/after-restart')], 'straight through, no sign-in');

    // The authenticate host remembers the browser too: a new route host needs no password.
    const admin = await page.goto(stack.url(hosts.admin, '/'));
    assert.equal(admin.status(), 403, 'alice is known (and denied) on admin without signing in again');
    assert.match(await page.content(), /email-unauthorized/);
  });

  test('a new sign-in after the restart works, and sign-out deletes the stored session', async () => {
    assert.ok(cookie, 'needs the signed-in browser');
    const { hosts } = stack;
    const bobContext = await freshContext(browser.browser);
    try {
      const bobPage = await bobContext.newPage();
      await signInThrough(bobPage, stack.url(hosts.admin, '/bob'), BOB);
      assert.equal((await echoedInPage(bobPage)).url, '/bob');
    } finally {
      await bobContext.close();
    }

    await page.goto(stack.url(hosts.app, '/.pomerium/sign_out'));
    await confirmSignOut(page);
    assert.equal(new URL(page.url()).pathname, '/.pomerium/signed_out');
    await waitFor(async () => !(await stack.session(sessionId)), { timeoutMs: 5000, what: 'the session to be deleted' });
    const res = await stack.get(hosts.app, '/api', { cookie: `_pomerium=${cookie}`, headers: JSON_ACCEPT });
    assert.equal(res.status, 401);
    const browserRes = await stack.get(hosts.app, '/', { cookie: `_pomerium=${cookie}`, headers: { Accept: BROWSER_ACCEPT } });
    assert.equal(browserRes.status, 302);

    // And it stays deleted across another restart.
    await stack.restart();
    const after = await stack.get(hosts.app, '/api', { cookie: `_pomerium=${cookie}`, headers: JSON_ACCEPT });
    assert.equal(after.status, 401);
  });
});

// Sign-in for non-browser clients and everything hostile: 401 for API clients, programmatic login
// (sign-in URL as text, pomerium_jwt on a local redirect, Authorization: Pomerium <jwt>), the
// programmatic redirect whitelist, IdP token refresh by the identity manager (and the session's
// deletion when the provider refuses it), and bad input on every sign-in endpoint: each a clear
// 4xx that sets no cookie and creates no session. The identity provider here speaks plain HTTP on
// 127.0.0.1 (the browser suite uses HTTPS with certificate_authority_file).
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { signIn } from './lib/browser.js';
import { sleep, waitFor } from './lib/env.js';
import { secret32 } from './lib/portcullis.js';
import {
  ALICE,
  BOB,
  BROWSER_ACCEPT,
  CAROL,
  MALLORY,
  assertRefused,
  browserFor,
  checkSignedUrl,
  cookieHeader,
  decodeJwt,
  freshContext,
  hs256,
  settingCookies,
  signInThrough,
  signUrl,
  startLocalCallbackServer,
  startSignInStack,
  verifyJwt,
  withParam,
} from './lib/signin.js';

const JSON_ACCEPT = { Accept: 'application/json' };
const now = () => Math.floor(Date.now() / 1000);
const is4xx = (res) => res.status >= 400 && res.status < 500;

describe('sign-in for API clients and hostile input', () => {
  let stack;
  let browser;
  let hosts;

  before(async () => {
    stack = await startSignInStack({ idpTls: false });
    hosts = stack.hosts;
    browser = await browserFor(stack);
  });

  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  /** Session handles in the databroker, by id. */
  const sessionIds = async () => new Set((await stack.sessions()).map((s) => s.id));

  test('a protected route without a session: 401 JSON for API clients, 401 for plain text, 302 for browsers', async () => {
    stack.echo.reset();
    const res = await stack.get(hosts.app, '/api/items?x=1', {
      headers: { ...JSON_ACCEPT, 'X-Request-Id': 'signin-clients-401' },
    });
    assert.equal(res.status, 401, res.text);
    assert.match(res.headers['content-type'], /application\/json/);
    const body = res.json();
    assert.equal(typeof body.error, 'string');
    assert.equal(body.request_id, 'signin-clients-401');
    assert.equal(res.headers.location, undefined);
    assert.deepEqual(settingCookies(res.headers), []);

    const plain = await stack.get(hosts.app, '/api/items', { headers: { Accept: 'text/plain' } });
    assert.equal(plain.status, 401);

    const page = await stack.get(hosts.app, '/api/items?x=1', { headers: { Accept: BROWSER_ACCEPT } });
    assert.equal(page.status, 302);
    const url = checkSignedUrl(page.headers.location, stack.secret);
    assert.equal(url.origin + url.pathname, `${stack.authnUrl}/.pomerium/sign_in`);
    assert.equal(url.searchParams.get('pomerium_redirect_uri'), stack.url(hosts.app, '/api/items?x=1'));
    assert.equal(stack.echo.hits.length, 0);
  });

  test('programmatic login: sign-in URL as text, pomerium_jwt on the local redirect, Authorization: Pomerium passes', async () => {
    const local = await startLocalCallbackServer();
    const context = await freshContext(browser.browser);
    try {
      const redirect = `http://localhost:${local.port}/cb?cli=1`;
      const res = await stack.get(hosts.app, `/.pomerium/api/v1/login?pomerium_redirect_uri=${encodeURIComponent(redirect)}`);
      assert.equal(res.status, 200, res.text);
      assert.match(res.headers['content-type'], /text\/plain/);
      const signInUrl = res.text.trim();
      const url = checkSignedUrl(signInUrl, stack.secret);
      assert.equal(url.origin + url.pathname, `${stack.authnUrl}/.pomerium/sign_in`);
      assert.equal(url.searchParams.get('pomerium_redirect_uri'), redirect);
      assert.equal(url.searchParams.get('pomerium_programmatic'), 'true');
      assert.equal(url.searchParams.get('pomerium_callback_uri'), stack.url(hosts.app, '/.pomerium/callback/'));

      // The user signs in with a browser; the browser ends on the CLI's local URL.
      const page = await context.newPage();
      await page.goto(signInUrl);
      await signIn(page, BOB);
      await page.waitForURL((u) => u.href.startsWith(`http://localhost:${local.port}/cb`));
      const hit = await local.waitHit('/cb');
      assert.equal(hit.path, '/cb');
      assert.equal(hit.query.cli, '1', 'the redirect URI\'s own query is kept');
      const jwt = hit.query.pomerium_jwt;
      assert.ok(jwt && jwt.split('.').length === 3, `pomerium_jwt: ${jwt}`);
      const handle = decodeJwt(jwt).payload;
      assert.equal(handle.sub, 'bob');
      assert.ok(await stack.session(handle.jti), 'the handle names a stored session');

      // The CLI uses the JWT without any cookie, in each header form.
      stack.echo.reset();
      for (const headers of [
        { Authorization: `Pomerium ${jwt}` },
        { Authorization: `Bearer Pomerium-${jwt}` },
        { 'X-Pomerium-Authorization': jwt },
      ]) {
        const ok = await stack.get(hosts.app, '/api/me', { headers: { ...JSON_ACCEPT, ...headers } });
        assert.equal(ok.status, 200, `${Object.keys(headers)[0]}: ${ok.status} ${ok.text}`);
        const seen = ok.json().headers;
        assert.equal(seen.authorization, undefined, 'Authorization: Pomerium is not forwarded');
        assert.equal(seen['x-pomerium-authorization'], undefined);
        const { payload } = verifyJwt(seen['x-pomerium-jwt-assertion'], await stack.jwks());
        assert.equal(payload.email, 'bob@example.com');
        assert.equal(payload.sid, handle.jti);
      }
      // A JWT with a changed signature is no session.
      const bad = `${jwt.slice(0, -4)}${jwt.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
      const refused = await stack.get(hosts.app, '/api/me', { headers: { ...JSON_ACCEPT, Authorization: `Pomerium ${bad}` } });
      assert.equal(refused.status, 401);
      assert.equal(stack.echo.hits.length, 3);
    } finally {
      await context.close();
      await local.close();
    }
  });

  test('programmatic login to a redirect URI outside programmatic_redirect_domain_whitelist: 4xx, never a redirect', async () => {
    const bad = [
      'http://evil.example/cb',
      'https://evil.example/cb',
      'http://localhost.evil.example/cb',
      'http://localhost@evil.example/cb',
      'http://localhost:1@evil.example/cb',
      'http://evil.example%2F@localhost/cb',
      'http://%65vil.example/cb',
      'http://evil%2eexample/cb',
      '//evil.example/cb',
      '/\\evil.example/cb',
      '\\\\evil.example/cb',
      'http:evil.example/cb',
      'javascript:alert(1)//localhost/',
      'ftp://localhost/cb',
      '',
    ];
    for (const target of bad) {
      const res = await stack.get(hosts.app, `/.pomerium/api/v1/login?pomerium_redirect_uri=${encodeURIComponent(target)}`);
      assert.ok(is4xx(res), `${JSON.stringify(target)}: expected 4xx, got ${res.status} ${res.text.slice(0, 200)}`);
      assert.equal(res.headers.location, undefined, `${target}: no redirect`);
      assert.ok(!res.text.includes('/.pomerium/sign_in'), `${target}: no sign-in URL handed out`);
    }
    const none = await stack.get(hosts.app, '/.pomerium/api/v1/login');
    assert.ok(is4xx(none), `no pomerium_redirect_uri: ${none.status}`);
  });

  test('/.pomerium/sign_in: unsigned, tampered, expired, future or foreign-signed URLs get a 4xx and set nothing', async () => {
    const base = `${stack.authnUrl}/.pomerium/sign_in?pomerium_redirect_uri=${encodeURIComponent(stack.url(hosts.app, '/signed'))}`;
    const before = await sessionIds();

    // Control: signed like portcullis signs it, it starts the provider redirect.
    const good = signUrl(base, stack.secret);
    const ok = await stack.fetchUrl(good, { headers: { Accept: BROWSER_ACCEPT } });
    assert.equal(ok.status, 302, `a correctly signed sign-in URL: ${ok.status} ${ok.text}`);
    assert.ok(ok.headers.location.startsWith(stack.idp.issuer), ok.headers.location);

    const cases = {
      unsigned: base,
      'other secret': signUrl(base, secret32()),
      expired: signUrl(base, stack.secret, { now: now() - 600 }),
      'issued in the future': signUrl(base, stack.secret, { now: now() + 600 }),
      'expiry pushed out': withParam(good, 'pomerium_expiry', String(now() + 86400)),
      'signature garbage': withParam(good, 'pomerium_signature', 'AAAA'),
      'signature dropped': good.replace(/&?pomerium_signature=[^&]*/, ''),
      'redirect to another host': withParam(good, 'pomerium_redirect_uri', 'https://evil.example/'),
      'scheme-relative redirect': withParam(good, 'pomerium_redirect_uri', '//evil.example/'),
      'backslash redirect': withParam(good, 'pomerium_redirect_uri', '/\\evil.example/'),
      'userinfo redirect': withParam(good, 'pomerium_redirect_uri', `https://${hosts.app}@evil.example/`),
      'look-alike redirect': withParam(good, 'pomerium_redirect_uri', `https://${hosts.app}.evil.example/`),
      'percent-encoded redirect': withParam(good, 'pomerium_redirect_uri', 'https://%65vil.example/'),
      'redirect added twice': `${good}&pomerium_redirect_uri=${encodeURIComponent('https://evil.example/')}`,
    };
    for (const [what, url] of Object.entries(cases)) {
      const res = await stack.fetchUrl(url, { headers: { Accept: BROWSER_ACCEPT } });
      assertRefused(res, `sign_in ${what}`);
    }
    assert.deepEqual(await sessionIds(), before, 'no session created');
  });

  test('the provider refusing the user (error=access_denied at the callback): a 4xx page, no session, no cookie', async () => {
    const before = await sessionIds();
    const context = await freshContext(browser.browser);
    try {
      const page = await context.newPage();
      await page.goto(stack.url(hosts.app, '/mallory'));
      const callback = page.waitForResponse((r) => new URL(r.url()).pathname === '/oauth2/callback');
      await signIn(page, MALLORY);
      const res = await callback;
      assert.equal(new URL(res.url()).searchParams.get('error'), 'access_denied');
      assert.ok([400, 401, 403].includes(res.status()), `callback with an IdP error: ${res.status()}`);
      assert.equal(res.headers().location, undefined, 'no redirect');
      assert.match(res.headers()['content-type'] ?? '', /text\/html/);
      const names = (await context.cookies([stack.origin(hosts.app), stack.authnUrl])).map((c) => c.name);
      assert.ok(!names.includes('_pomerium') && !names.includes('_pomerium_authenticate'), `no session cookie: ${names}`);
      assert.deepEqual(await sessionIds(), before, 'no session created');
    } finally {
      await context.close();
    }
  });

  test('a state from another browser: the callback replayed in a second context gets a 4xx and creates nothing', async () => {
    const contextA = await freshContext(browser.browser);
    const contextB = await freshContext(browser.browser);
    try {
      // A's browser completes the provider step (and its own sign-in); its callback URL is kept.
      const pageA = await contextA.newPage();
      const { callbacks } = await signInThrough(pageA, stack.url(hosts.app, '/state-a'), CAROL);
      const captured = callbacks.oauth2;
      assert.ok(captured, 'the /oauth2/callback URL was seen');
      const u = new URL(captured);
      assert.ok(u.searchParams.get('code') && u.searchParams.get('state'), captured);

      // B replays it: refused on the state (B has no CSRF cookie) before any code exchange.
      const before = await sessionIds();
      const tokenCallsBefore = (await stack.idp.events()).routes.token ?? 0;
      const pageB = await contextB.newPage();
      const res = await pageB.goto(captured);
      assert.ok([400, 401, 403].includes(res.status()), `foreign state: ${res.status()} at ${pageB.url()}`);
      assert.equal(pageB.url(), captured, 'no redirect anywhere');
      const names = (await contextB.cookies([stack.origin(hosts.app), stack.authnUrl])).map((c) => c.name);
      assert.ok(!names.includes('_pomerium') && !names.includes('_pomerium_authenticate'), `no session cookie in B: ${names}`);
      assert.deepEqual(await sessionIds(), before, 'no session created');
      const tokenCallsAfter = (await stack.idp.events()).routes.token ?? 0;
      assert.equal(tokenCallsAfter, tokenCallsBefore, 'refused before the code went to the provider\'s token endpoint');
    } finally {
      await contextA.close();
      await contextB.close();
    }
  });

  describe('with a signed-in browser', () => {
    let context;
    let page;
    let callbacks;
    let cookie; // bob's _pomerium value on the app host
    let sessionId;

    before(async () => {
      context = await freshContext(browser.browser);
      page = await context.newPage();
      ({ callbacks } = await signInThrough(page, stack.url(hosts.app, '/signed-in'), BOB));
      cookie = (await context.cookies(stack.origin(hosts.app))).find((c) => c.name === '_pomerium')?.value;
      assert.ok(cookie, 'bob has a session cookie');
      sessionId = decodeJwt(cookie).payload.jti;
    });

    after(async () => {
      await context?.close();
    });

    test('a replayed authorization code gets a 4xx and no second session', async () => {
      assert.ok(callbacks.oauth2, 'the /oauth2/callback URL was seen');
      const before = await sessionIds();
      const res = await page.goto(callbacks.oauth2);
      assert.ok([400, 401, 403].includes(res.status()), `replayed code: ${res.status()} at ${page.url()}`);
      assert.equal(page.url(), callbacks.oauth2, 'no redirect');
      assert.deepEqual(await sessionIds(), before, 'no second session');
      const left = await stack.get(hosts.app, '/api', { cookie: `_pomerium=${cookie}`, headers: JSON_ACCEPT });
      assert.notEqual(left.status, 500);
    });

    test('forged, truncated, foreign-signed or stale session cookies and headers are signed out, never allowed', async () => {
      stack.echo.reset();
      const [h, p] = cookie.split('.');
      const claims = decodeJwt(cookie).payload;
      const key = Buffer.from(stack.secret, 'base64');
      const forged = {
        garbage: 'not-a-jwt',
        truncated: cookie.slice(0, -6),
        'signature of another secret': hs256(randomBytes(32), claims),
        'alg none': `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${p}.`,
        'payload swapped, signature kept': `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: 'alice' })).toString('base64url')}.${cookie.split('.')[2]}`,
        'a session that does not exist (real secret)': hs256(key, { ...claims, jti: randomUUID() }),
        'another identity provider (real secret)': hs256(key, { ...claims, idp_id: 'some-other-idp' }),
      };
      for (const [what, value] of Object.entries(forged)) {
        for (const headers of [
          { cookie: `_pomerium=${value}`, ...JSON_ACCEPT },
          { Authorization: `Pomerium ${value}`, ...JSON_ACCEPT },
        ]) {
          const res = await stack.get(hosts.app, '/api/secret', { headers });
          assert.equal(res.status, 401, `${what} (${Object.keys(headers)[0]}): ${res.status} ${res.text.slice(0, 200)}`);
        }
        const browserRes = await stack.get(hosts.app, '/page', { headers: { cookie: `_pomerium=${value}`, Accept: BROWSER_ACCEPT } });
        assert.equal(browserRes.status, 302, `${what} (browser)`);
        assert.ok(browserRes.headers.location.startsWith(`${stack.authnUrl}/.pomerium/sign_in?`), `${what}: to sign in`);
        const user = await stack.get(hosts.app, '/.pomerium/user', { headers: { cookie: `_pomerium=${value}`, ...JSON_ACCEPT } });
        assert.ok(!user.text.includes('bob@example.com'), `${what}: /.pomerium/user shows no one`);
      }
      assert.equal(stack.echo.hits.length, 0, 'the upstream never saw a forged session');
      // The real one still works.
      const ok = await stack.get(hosts.app, '/api/secret', { cookie: `_pomerium=${cookie}`, headers: JSON_ACCEPT });
      assert.equal(ok.status, 200);
    });

    test('/.pomerium/callback/: tampered, expired or foreign-signed URLs and a bad session get a 4xx and set no cookie', async () => {
      const real = callbacks.route;
      assert.ok(real, 'the route callback URL was seen');
      const target = new URL(real).searchParams.get('pomerium_redirect_uri');

      // Control: the same callback, freshly signed with the real secret, sets the cookie.
      const control = await stack.fetchUrl(signUrl(real, stack.secret), { headers: { Accept: BROWSER_ACCEPT } });
      assert.equal(control.status, 302, `control: ${control.status} ${control.text}`);
      assert.equal(control.headers.location, target);
      assert.ok(settingCookies(control.headers).some((c) => c.name === '_pomerium'), 'control sets _pomerium');

      const encrypted = new URL(real).searchParams.get('pomerium_session_encrypted');
      const cases = {
        unsigned: real.replace(/&?pomerium_signature=[^&]*/, ''),
        'other secret': signUrl(real, secret32()),
        expired: signUrl(real, stack.secret, { now: now() - 600 }),
        'expiry pushed out': withParam(real, 'pomerium_expiry', String(now() + 86400)),
        'redirect to another host': withParam(real, 'pomerium_redirect_uri', 'https://evil.example/'),
        'scheme-relative redirect': withParam(real, 'pomerium_redirect_uri', '//evil.example/'),
        'backslash redirect': withParam(real, 'pomerium_redirect_uri', '/\\evil.example/'),
        'userinfo redirect': withParam(real, 'pomerium_redirect_uri', `https://${hosts.app}@evil.example/`),
        'percent-encoded redirect': withParam(real, 'pomerium_redirect_uri', 'https://%65vil.example/'),
        'session swapped': withParam(real, 'pomerium_session_encrypted', Buffer.from(randomBytes(120)).toString('base64url')),
        'garbage session, signed with the real secret': signUrl(withParam(real, 'pomerium_session_encrypted', 'AAAA'), stack.secret),
        'truncated session, signed with the real secret': signUrl(withParam(real, 'pomerium_session_encrypted', encrypted.slice(0, -10)), stack.secret),
      };
      for (const [what, url] of Object.entries(cases)) {
        const res = await stack.fetchUrl(url, { headers: { Accept: BROWSER_ACCEPT } });
        assertRefused(res, `callback ${what}`);
      }
    });

    test('/.pomerium/sign_out: tampered or expired signatures get a 4xx and the session stays; no redirect to a foreign host', async () => {
      const authnCookies = await cookieHeader(context, stack.authnUrl);
      assert.match(authnCookies, /_pomerium_authenticate=/);
      const base = `${stack.authnUrl}/.pomerium/sign_out`;
      const good = signUrl(base, stack.secret);
      const cases = {
        'other secret': signUrl(base, secret32()),
        expired: signUrl(base, stack.secret, { now: now() - 600 }),
        'expiry pushed out': withParam(good, 'pomerium_expiry', String(now() + 86400)),
        'redirect added after signing': withParam(good, 'pomerium_redirect_uri', 'https://evil.example/'),
        'signature garbage': withParam(good, 'pomerium_signature', 'AAAA'),
      };
      for (const [what, url] of Object.entries(cases)) {
        const res = await stack.fetchUrl(url, { cookie: authnCookies, headers: { Accept: BROWSER_ACCEPT } });
        assert.ok([400, 401, 403].includes(res.status), `sign_out ${what}: ${res.status} ${res.headers.location ?? ''}`);
        assert.equal(res.headers.location, undefined, `sign_out ${what}: no redirect`);
        assert.deepEqual(setCookieLines(res), [], `sign_out ${what}: no cookie touched`);
      }
      assert.ok(await stack.session(sessionId), 'the session is still there');
      const still = await stack.get(hosts.app, '/api', { cookie: `_pomerium=${cookie}`, headers: JSON_ACCEPT });
      assert.equal(still.status, 200, 'still signed in');

      // The route host's sign_out never sends anyone to a caller-supplied foreign target.
      for (const evil of ['https://evil.example/', '//evil.example/', '/\\evil.example/', `https://${hosts.app}@evil.example/`]) {
        const res = await stack.get(hosts.app, `/.pomerium/sign_out?pomerium_redirect_uri=${encodeURIComponent(evil)}`, { headers: { Accept: BROWSER_ACCEPT } });
        assert.ok(res.status < 500, `route sign_out with ${evil}: ${res.status}`);
        if (res.headers.location) {
          const loc = new URL(res.headers.location, stack.url(hosts.app));
          assert.equal(loc.origin, stack.authnUrl, `route sign_out with ${evil} goes to the authenticate host, not ${res.headers.location}`);
          assert.ok(!res.headers.location.includes('evil.example'), `the foreign target is dropped: ${res.headers.location}`);
        }
      }
    });
  });

  test('token refresh: the identity manager refreshes expired tokens; once the provider refuses, the session is deleted', async () => {
    const context = await freshContext(browser.browser);
    try {
      await stack.idp.setTokenTtl({ AccessToken: 3, IdToken: 3 });
      await stack.idp.resetEvents();
      const page = await context.newPage();
      await signInThrough(page, stack.url(hosts.app, '/refresh'), ALICE);
      const cookie = (await context.cookies(stack.origin(hosts.app))).find((c) => c.name === '_pomerium').value;
      const id = decodeJwt(cookie).payload.jti;
      const first = await stack.session(id);
      assert.ok(first?.refreshToken, 'a refresh token is stored');
      const get = () => stack.get(hosts.app, '/api/refresh', { cookie: `_pomerium=${cookie}`, headers: JSON_ACCEPT });

      // Past the first access token's expiry, and through two refreshes, requests keep passing.
      const refreshes = async () => (await stack.idp.events()).grants.refresh_token ?? 0;
      await waitFor(async () => (await refreshes()) >= 1, { timeoutMs: 20000, intervalMs: 250, what: 'a refresh_token grant at the provider' });
      await sleep(Math.max(0, first.accessTokenExpiresAt * 1000 - Date.now()) + 500);
      assert.equal((await get()).status, 200, 'after the first access token expired');
      await waitFor(async () => (await refreshes()) >= 2, { timeoutMs: 20000, intervalMs: 250, what: 'a second refresh' });
      const res = await get();
      assert.equal(res.status, 200, 'still signed in after refreshes');
      assert.equal(verifyJwt(res.json().headers['x-pomerium-jwt-assertion'], await stack.jwks()).payload.email, 'alice@example.com');
      const refreshed = await stack.session(id);
      assert.ok(refreshed, 'the same session');
      assert.notEqual(refreshed.accessToken, first.accessToken, 'with a new access token');
      assert.ok(refreshed.accessTokenExpiresAt > first.accessTokenExpiresAt);
      assert.equal((await stack.idp.events()).grants.authorization_code ?? 0, 1, 'no new sign-in meanwhile');

      // The provider stops accepting the refresh token: the next refresh fails, the session goes.
      await stack.revokeAtIdp(refreshed.refreshToken);
      await waitFor(async () => !(await stack.session(id)), { timeoutMs: 30000, intervalMs: 250, what: 'the session to be deleted after a refused refresh' });
      await waitFor(async () => (await get()).status === 401, { timeoutMs: 5000, what: 'requests to need sign-in again' });
      const again = await stack.get(hosts.app, '/page', { cookie: `_pomerium=${cookie}`, headers: { Accept: BROWSER_ACCEPT } });
      assert.equal(again.status, 302);
      assert.ok(again.headers.location.startsWith(`${stack.authnUrl}/.pomerium/sign_in?`));
    } finally {
      await stack.idp.setTokenTtl({ AccessToken: 3600, IdToken: 3600 });
      await context.close();
    }
  });
});

/** Set-Cookie lines of a response (any: setting or deleting). */
function setCookieLines(res) {
  const raw = res.headers['set-cookie'];
  return raw === undefined ? [] : [].concat(raw);
}

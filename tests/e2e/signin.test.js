// Sign-in end to end in a real browser (headless chromium) against the real oidc-provider: the
// signed redirect to the authenticate host, authorization code + PKCE at the provider, the
// session in the databroker, the _pomerium cookie on the route host, the identity JWT the
// upstream receives (verified here with node:crypto against the served JWKS), a 403 on a route
// whose policy excludes the user, the user pages, two tabs signing in at once, sign-out, and the
// cookie_* options.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { confirmSignOut, signIn } from './lib/browser.js';
import { waitFor } from './lib/env.js';
import {
  ALICE,
  BOB,
  BROWSER_ACCEPT,
  CAROL,
  browserFor,
  checkSignedUrl,
  cookieHeader,
  decodeJwt,
  echoedInPage,
  freshContext,
  jwkThumbprint,
  parseSetCookies,
  signInThrough,
  startSignInStack,
  verifyJwt,
} from './lib/signin.js';

const headersOf = (array) => {
  const out = {};
  for (const { name, value } of array) {
    const k = name.toLowerCase();
    if (k === 'set-cookie') out[k] = [...(out[k] ?? []), ...value.split('\n')];
    else out[k] = value;
  }
  return out;
};

/** The session cookie a callback response set (asserting its attributes), as {value, attrs}. */
function sessionCookieOf(routeResponse, name = '_pomerium') {
  assert.ok(routeResponse, 'the browser went through the route host\'s /.pomerium/callback/');
  const cookies = parseSetCookies(headersOf(routeResponse.headers)).filter((c) => c.name === name);
  assert.equal(cookies.length, 1, `one ${name} cookie set by /.pomerium/callback/`);
  const [cookie] = cookies;
  assert.ok(cookie.value.length > 20, 'with a value');
  assert.equal(cookie.attrs.secure, true, 'Secure');
  assert.equal(cookie.attrs.httponly, true, 'HttpOnly');
  assert.equal(cookie.attrs.path, '/', 'Path=/');
  return cookie;
}

/** Seconds until a cookie expires, from Max-Age or Expires. */
function cookieLifetime(cookie) {
  if (cookie.attrs['max-age'] !== undefined) return Number(cookie.attrs['max-age']);
  assert.ok(cookie.attrs.expires, 'Max-Age or Expires');
  return (Date.parse(cookie.attrs.expires) - Date.now()) / 1000;
}

/** Verifies a session handle JWS (HS256 over the shared secret); returns its claims. */
function verifyHandle(token, secretB64) {
  const [h, p, s] = token.split('.');
  const header = decodeJwt(token).header;
  assert.equal(header.alg, 'HS256');
  const mac = createHmac('sha256', Buffer.from(secretB64, 'base64')).update(`${h}.${p}`).digest('base64url');
  assert.equal(s, mac, 'the session handle is signed with shared_secret');
  return decodeJwt(token).payload;
}

describe('sign-in in a browser', () => {
  let stack;
  let browser;
  let alice; // {context, page, sessionId, cookie} once signed in

  before(async () => {
    stack = await startSignInStack({ config: { cookie_expire: '2h', cookie_same_site: 'lax' } });
    browser = await browserFor(stack);
  });

  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  test('a protected route redirects to a signed sign-in URL, which starts code + PKCE at the provider', async () => {
    const { hosts } = stack;
    stack.echo.reset();
    const res = await stack.get(hosts.app, '/dashboard?tab=1', { headers: { Accept: BROWSER_ACCEPT } });
    assert.equal(res.status, 302, res.text);
    const signInUrl = checkSignedUrl(res.headers.location, stack.secret);
    assert.equal(signInUrl.origin + signInUrl.pathname, `${stack.authnUrl}/.pomerium/sign_in`);
    assert.equal(signInUrl.searchParams.get('pomerium_redirect_uri'), stack.url(hosts.app, '/dashboard?tab=1'));
    assert.equal(stack.echo.hits.length, 0, 'the upstream was not contacted');

    const start = await stack.fetchUrl(res.headers.location, { headers: { Accept: BROWSER_ACCEPT } });
    assert.equal(start.status, 302, start.text);
    const discovery = await stack.idp.discovery();
    const authorize = new URL(start.headers.location);
    assert.equal(authorize.origin + authorize.pathname, discovery.authorization_endpoint);
    const q = authorize.searchParams;
    assert.equal(q.get('response_type'), 'code');
    assert.equal(q.get('client_id'), stack.idp.clientId);
    assert.equal(q.get('redirect_uri'), `${stack.authnUrl}/oauth2/callback`);
    assert.equal(q.get('code_challenge_method'), 'S256');
    assert.match(q.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
    assert.ok((q.get('state') ?? '').length >= 16, 'state');
    assert.ok((q.get('nonce') ?? '').length >= 16, 'nonce');
    assert.ok(q.get('scope').split(' ').includes('openid'), 'openid scope');
    const cookies = parseSetCookies(start.headers);
    assert.ok(cookies.length >= 1, 'CSRF/PKCE cookies for the callback');
    for (const c of cookies) {
      assert.equal(c.attrs.secure, true, `${c.name} Secure`);
      assert.equal(c.attrs.path, '/', `${c.name} Path=/`);
    }
    assert.ok(!cookies.some((c) => c.name === '_pomerium'), 'no session cookie before signing in');
  });

  test('alice signs in and reaches the app: session stored, _pomerium set, identity JWT verified upstream', async () => {
    const { hosts } = stack;
    const context = await freshContext(browser.browser);
    const page = await context.newPage();
    const target = stack.url(hosts.app, '/hello?x=1&y=two');
    stack.echo.reset();
    const { chain, callbacks } = await signInThrough(page, target, ALICE);

    // The way there: authenticate host, provider, /oauth2/callback, route callback, the app.
    const paths = chain.map((c) => `${new URL(c.url).host}${new URL(c.url).pathname}`);
    assert.ok(paths.includes(`${hosts.authn}:${stack.port}/.pomerium/sign_in`), paths.join('\n'));
    assert.ok(callbacks.oauth2, 'through /oauth2/callback on the authenticate host');
    assert.equal(new URL(callbacks.oauth2).host, `${hosts.authn}:${stack.port}`);
    const routeCallback = checkSignedUrl(callbacks.route, stack.secret);
    assert.equal(routeCallback.host, `${hosts.app}:${stack.port}`);
    assert.equal(routeCallback.searchParams.get('pomerium_redirect_uri'), target);
    assert.ok(routeCallback.searchParams.get('pomerium_session_encrypted'), 'the session travels encrypted');
    assert.ok(!/eyJ/.test(callbacks.route), 'no plain JWT in the callback URL');
    assert.equal(chain.at(-1).status, 200);

    // The cookie: Secure, HttpOnly, Path=/, SameSite and lifetime from the options, host-only.
    const cookie = sessionCookieOf(callbacks.routeResponse);
    assert.equal(String(cookie.attrs.samesite).toLowerCase(), 'lax', 'cookie_same_site');
    assert.equal(cookie.attrs.domain, undefined, 'host-only without cookie_domain');
    const lifetime = cookieLifetime(cookie);
    assert.ok(lifetime > 7100 && lifetime <= 7200, `cookie_expire 2h, got ${lifetime}s`);
    const handle = verifyHandle(cookie.value, stack.secret);
    assert.equal(handle.sub, 'alice');
    assert.ok(handle.jti, 'the handle names the session');
    const aud = [].concat(handle.aud);
    assert.ok(aud.includes(hosts.app), `aud ${aud} includes the route host`);
    const stored = (await context.cookies(stack.origin(hosts.app))).find((c) => c.name === '_pomerium');
    assert.equal(stored?.value, cookie.value, 'the browser kept the cookie');

    // The databroker has the session (tokens included) and the user.
    const session = await stack.session(handle.jti);
    assert.ok(session, 'the session record exists');
    assert.equal(session.userId, 'alice');
    assert.ok(session.accessToken, 'access token stored');
    assert.ok(session.idTokenRaw, 'id token stored');
    assert.ok(session.refreshToken, 'refresh token stored (offline_access)');
    const untilExpiry = session.expiresAt - Date.now() / 1000;
    assert.ok(untilExpiry > 7000 && untilExpiry <= 7201, `session expires after cookie_expire (${untilExpiry}s)`);

    // The upstream got the original request with a verifiable identity JWT and claim headers.
    const echoed = await echoedInPage(page);
    assert.equal(echoed.url, '/hello?x=1&y=two');
    const seen = echoed.headers;
    assert.ok(!/_pomerium=/.test(seen.cookie ?? ''), 'the session cookie is not forwarded');
    const jwks = await stack.jwks();
    assert.equal(jwks.keys.length, 1);
    const { header, payload } = verifyJwt(seen['x-pomerium-jwt-assertion'], jwks);
    assert.equal(header.alg, 'ES256', 'ES256 from the derived signing key');
    assert.equal(header.kid, jwkThumbprint(jwks.keys[0]), 'kid = JWK thumbprint');
    assert.equal(payload.aud, hosts.app);
    assert.equal(payload.iss, hosts.app);
    assert.equal(payload.sub, 'alice');
    assert.equal(payload.user, 'alice');
    assert.equal(payload.email, 'alice@example.com');
    assert.deepEqual(payload.groups, ['admins', 'engineering']);
    assert.equal(payload.sid, handle.jti);
    assert.equal(payload.name, 'Alice Admin');
    assert.equal(payload.exp - payload.iat, 300);
    assert.ok(Math.abs(payload.iat - Date.now() / 1000) < 60);
    assert.equal(seen['x-pomerium-claim-email'], 'alice@example.com');
    assert.equal(seen['x-pomerium-claim-groups'], 'admins,engineering');

    alice = { context, page, sessionId: handle.jti, cookie: cookie.value, session };

    // The same cookie works for a node client too.
    const again = await stack.get(hosts.app, '/api', { cookie: `_pomerium=${cookie.value}`, headers: { Accept: 'application/json' } });
    assert.equal(again.status, 200, again.text);
  });

  test('alice is denied on a route whose policy excludes her: 403 page with the reason, no new sign-in', async () => {
    assert.ok(alice, 'needs the signed-in browser');
    const { hosts } = stack;
    stack.echo.reset();
    const nav = [];
    const onResponse = (r) => r.request().isNavigationRequest() && nav.push(r.url());
    alice.page.on('response', onResponse);
    const res = await alice.page.goto(stack.url(hosts.admin, '/reports'));
    alice.page.off('response', onResponse);
    assert.equal(res.status(), 403);
    const html = await alice.page.content();
    assert.match(html, /403/);
    assert.match(html, /email-unauthorized/, 'the page names the reason');
    assert.equal(stack.echo.hits.length, 0, 'the upstream never saw the request');
    const issuer = new URL(stack.idp.issuer).host;
    assert.ok(!nav.some((u) => new URL(u).host === issuer && new URL(u).pathname.startsWith('/interaction')),
      'the provider did not ask for a password again');

    // bob may: the same route answers him.
    const context = await freshContext(browser.browser);
    const page = await context.newPage();
    await signInThrough(page, stack.url(hosts.admin, '/reports'), BOB);
    const echoed = await echoedInPage(page);
    assert.equal(echoed.url, '/reports');
    const { payload } = verifyJwt(echoed.headers['x-pomerium-jwt-assertion'], await stack.jwks(hosts.admin));
    assert.equal(payload.aud, hosts.admin);
    assert.equal(payload.email, 'bob@example.com');
    await context.close();
  });

  test('/.pomerium/ shows the user and a sign-out button; /.pomerium/user has the claims; no tokens shown', async () => {
    assert.ok(alice, 'needs the signed-in browser');
    const { hosts } = stack;
    const res = await alice.page.goto(stack.url(hosts.app, '/.pomerium/'));
    assert.equal(res.status(), 200);
    const html = await alice.page.content();
    const text = await alice.page.locator('body').innerText();
    assert.match(text, /Alice Admin/);
    assert.match(text, /alice@example\.com/);
    assert.match(text, /admins/);
    assert.match(text, /engineering/);
    assert.match(text, /expire/i, 'the session expiry is shown');
    const signOut = alice.page.locator('form[action*="/.pomerium/sign_out"] button, form[action*="/.pomerium/sign_out"] input[type=submit], a[href*="/.pomerium/sign_out"]');
    assert.ok(await signOut.count() >= 1, 'a sign-out button');
    for (const [what, value] of [
      ['access token', alice.session.accessToken],
      ['refresh token', alice.session.refreshToken],
      ['id token', alice.session.idTokenRaw],
      ['session cookie', alice.cookie],
    ]) {
      assert.ok(value && !html.includes(value), `the page does not show the ${what}`);
    }
    assert.ok(!/eyJ[A-Za-z0-9_-]{10,}\./.test(html), 'no JWT anywhere in the page');

    const userRes = await alice.page.goto(stack.url(hosts.app, '/.pomerium/user'));
    assert.equal(userRes.status(), 200);
    assert.match(userRes.headers()['content-type'], /application\/json/);
    const claims = JSON.parse(await alice.page.locator('body').innerText());
    assert.equal(claims.email, 'alice@example.com');
    assert.deepEqual(claims.groups, ['admins', 'engineering']);
    assert.equal(claims.sub, 'alice');
    assert.equal(claims.sid, alice.sessionId);
    for (const k of ['iss', 'aud', 'exp', 'iat', 'jti']) assert.equal(claims[k], undefined, `no ${k} in /.pomerium/user`);

    // Without a session: no user.
    const anonymous = await stack.get(hosts.app, '/.pomerium/user', { headers: { Accept: 'application/json' } });
    assert.ok(anonymous.status === 401 || anonymous.status === 302, `anonymous /.pomerium/user: ${anonymous.status}`);
    assert.ok(!anonymous.text.includes('alice'), 'no one\'s claims');
  });

  test('two tabs start signing in at once and both end on their original URLs', async () => {
    const { hosts } = stack;
    const context = await freshContext(browser.browser);
    const one = await context.newPage();
    const two = await context.newPage();
    const urlOne = stack.url(hosts.app, '/tab/one?n=1');
    const urlTwo = stack.url(hosts.app, '/tab/two?n=2');
    // Both reach the provider's form before either completes.
    await one.goto(urlOne);
    await one.waitForSelector('#username');
    await two.goto(urlTwo);
    await two.waitForSelector('#username');
    // The second tab finishes first, then the first.
    await signIn(two, CAROL);
    await two.waitForURL(urlTwo);
    await signIn(one, CAROL);
    await one.waitForURL(urlOne);
    assert.equal((await echoedInPage(one)).url, '/tab/one?n=1');
    assert.equal((await echoedInPage(two)).url, '/tab/two?n=2');
    const jwt = (await echoedInPage(one)).headers['x-pomerium-jwt-assertion'];
    assert.equal(verifyJwt(jwt, await stack.jwks()).payload.email, 'carol@example.com');
    // Reloads stay signed in (no trip to the provider).
    const reload = await one.goto(urlOne);
    assert.equal(reload.status(), 200);
    assert.equal(one.url(), urlOne);
    await context.close();
  });

  test('sign-out deletes the session, clears the cookies, ends the provider session; the next visit signs in again', async () => {
    assert.ok(alice, 'needs the signed-in browser');
    const { hosts } = stack;
    const before = await stack.idp.events();
    assert.ok(await stack.session(alice.sessionId), 'signed in before');
    const appCookies = await cookieHeader(alice.context, stack.origin(hosts.app));
    assert.match(appCookies, /_pomerium=/);

    const nav = [];
    const onResponse = (r) => r.request().isNavigationRequest() && nav.push({ url: r.url(), status: r.status() });
    alice.page.on('response', onResponse);
    await alice.page.goto(stack.url(hosts.app, '/.pomerium/sign_out'));
    // The provider asks to confirm its own sign-out (RP-initiated logout).
    await confirmSignOut(alice.page);
    alice.page.off('response', onResponse);
    const signedOutAt = new URL(alice.page.url());
    assert.equal(signedOutAt.origin, stack.authnUrl, `ends on the authenticate host, at ${alice.page.url()}`);
    assert.equal(signedOutAt.pathname, '/.pomerium/signed_out');
    const authnSignOut = nav.find((n) => n.url.startsWith(`${stack.authnUrl}/.pomerium/sign_out`));
    assert.ok(authnSignOut, `through the authenticate host's sign_out: ${nav.map((n) => n.url).join('\n')}`);
    checkSignedUrl(authnSignOut.url, stack.secret);

    await waitFor(async () => !(await stack.session(alice.sessionId)), { what: 'the session record to be deleted', timeoutMs: 5000 });
    const after = await stack.idp.events();
    assert.ok((after.events['end_session.success'] ?? 0) > (before.events['end_session.success'] ?? 0), 'the provider session ended');
    assert.ok((after.routes.revocation ?? 0) > (before.routes.revocation ?? 0), 'the tokens were revoked at the provider');
    const left = (await alice.context.cookies([stack.origin(hosts.app), stack.authnUrl])).map((c) => c.name);
    assert.ok(!left.includes('_pomerium'), `no session cookie left: ${left}`);
    assert.ok(!left.includes('_pomerium_authenticate'), `no authenticate cookie left: ${left}`);

    // The old cookie is worth nothing now.
    const replay = await stack.get(hosts.app, '/api', { cookie: `_pomerium=${alice.cookie}`, headers: { Accept: 'application/json' } });
    assert.equal(replay.status, 401, replay.text);
    // And the next visit goes to the provider's password form again.
    await alice.page.goto(stack.url(hosts.app, '/back'));
    await alice.page.waitForSelector('#username');
    assert.equal(new URL(alice.page.url()).host, new URL(stack.idp.issuer).host);
    await alice.context.close();
  });
});

describe('cookie options', () => {
  let stack;
  let browser;

  before(async () => {
    // A shared parent domain for the authenticate host and the routes, as cookie_domain expects.
    stack = await startSignInStack({
      domain: 'e2e.localhost',
      idpTls: false,
      config: {
        cookie_name: '_e2e_session',
        cookie_domain: 'e2e.localhost',
        cookie_expire: '90m',
        cookie_same_site: 'lax',
      },
    });
    browser = await browserFor(stack);
  });

  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  test('cookie_name, cookie_domain, cookie_expire and cookie_same_site shape the session cookie', async () => {
    const { hosts } = stack;
    const context = await freshContext(browser.browser);
    const page = await context.newPage();
    const target = stack.url(hosts.app, '/cookie-options');
    const { callbacks } = await signInThrough(page, target, BOB);
    const cookie = sessionCookieOf(callbacks.routeResponse, '_e2e_session');
    assert.equal(String(cookie.attrs.domain).replace(/^\./, ''), 'e2e.localhost', 'cookie_domain');
    assert.equal(String(cookie.attrs.samesite).toLowerCase(), 'lax', 'cookie_same_site');
    const lifetime = cookieLifetime(cookie);
    assert.ok(lifetime > 5300 && lifetime <= 5400, `cookie_expire 90m, got ${lifetime}s`);
    const echoed = await echoedInPage(page);
    assert.equal(echoed.url, '/cookie-options');
    assert.ok(!/_e2e_session=/.test(echoed.headers.cookie ?? ''), 'the renamed cookie is not forwarded either');
    assert.equal(verifyJwt(echoed.headers['x-pomerium-jwt-assertion'], await stack.jwks()).payload.email, 'bob@example.com');
    const res = await stack.get(hosts.app, '/api', { cookie: `_e2e_session=${cookie.value}`, headers: { Accept: 'application/json' } });
    assert.equal(res.status, 200, res.text);
    const byOldName = await stack.get(hosts.app, '/api', { cookie: `_pomerium=${cookie.value}`, headers: { Accept: 'application/json' } });
    assert.equal(byOldName.status, 401, 'only cookie_name is read');
    await context.close();
  });
});

// Checks the identity provider and the browser harness on their own (no portcullis needed): a
// relying party written here drives authorization code + PKCE through chromium against the real
// oidc-provider, verifies the id_token with node:crypto, refreshes, revokes and signs out.
import assert from 'node:assert/strict';
import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { confirmSignOut, launchBrowser, signIn } from './browser.js';
import { deferred, sleep } from './env.js';
import { DEFAULT_USERS, startIdp } from './idp.js';

const b64url = (buf) => Buffer.from(buf).toString('base64url');

/** Verifies a compact JWS against a JWKS (RS256 / ES256); returns {header, payload}. */
function verifyJwt(jwt, jwks) {
  const [h, p, s] = jwt.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url'));
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  assert.ok(jwk, `kid ${header.kid} is in the JWKS`);
  assert.equal(jwk.d, undefined, 'the JWKS has no private parts');
  assert.equal(jwk.alg ?? header.alg, header.alg);
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  const ok = verify(
    { RS256: 'sha256', ES256: 'sha256' }[header.alg],
    Buffer.from(`${h}.${p}`),
    header.alg.startsWith('ES') ? { key, dsaEncoding: 'ieee-p1363' } : key,
    Buffer.from(s, 'base64url'),
  );
  assert.ok(ok, `${header.alg} signature verifies`);
  return { header, payload: JSON.parse(Buffer.from(p, 'base64url')) };
}

/** The relying party's side: a tiny node:http server that records what arrives at its URLs. */
async function startRp() {
  const waiting = new Map(); // path -> deferred of the next hit
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://rp');
    waiting.get(url.pathname)?.resolve(Object.fromEntries(url.searchParams));
    waiting.delete(url.pathname);
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<h1 id="rp">${url.pathname}</h1>`);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${server.address().port}`;
  return {
    base,
    callback: `${base}/cb`,
    loggedOut: `${base}/logged-out`,
    /** A promise of the query of the next request to `path`. */
    next(path) {
      const d = deferred();
      waiting.set(path, d);
      return d.promise;
    },
    close: () => new Promise((r) => {
      server.closeAllConnections();
      server.close(r);
    }),
  };
}

/** A fresh authorization request: PKCE S256, state and nonce. */
function authorization(discovery, clientId, redirectUri, { scope = 'openid email profile offline_access', extra = {} } = {}) {
  const verifier = b64url(randomBytes(32));
  const state = b64url(randomBytes(12));
  const nonce = b64url(randomBytes(12));
  const url = new URL(discovery.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri,
    scope,
    state,
    nonce,
    code_challenge: b64url(createHash('sha256').update(verifier).digest()),
    code_challenge_method: 'S256',
    ...extra,
  });
  return { url: url.href, verifier, state, nonce };
}

/** POSTs a form to one of the provider's endpoints with client_secret_basic or _post. */
async function postForm(idp, endpoint, params, { clientId, clientSecret, method = 'basic' } = {}) {
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  const form = new URLSearchParams(params);
  if (method === 'basic') {
    const enc = (v) => encodeURIComponent(v);
    headers.authorization = `Basic ${Buffer.from(`${enc(clientId)}:${enc(clientSecret)}`).toString('base64')}`;
  } else {
    form.set('client_id', clientId);
    form.set('client_secret', clientSecret);
  }
  const res = await idp.request({ method: 'POST', path: new URL(endpoint).pathname, headers, body: form.toString() });
  return { status: res.status, body: res.text ? JSON.parse(res.text) : null };
}

const userinfo = (idp, discovery, accessToken) =>
  idp.request({ path: new URL(discovery.userinfo_endpoint).pathname, headers: { authorization: `Bearer ${accessToken}` } });

describe('identity provider and browser harness', () => {
  let idp;
  let rp;
  let browser;
  let discovery;
  let jwks;

  before(async () => {
    rp = await startRp();
    idp = await startIdp({
      redirectUris: [rp.callback],
      postLogoutRedirectUris: [rp.loggedOut],
      users: [...DEFAULT_USERS, { email: 'mallory@example.com', password: 'mallory-password', deny: true }],
      ttl: { AccessToken: 2 },
    });
    browser = await launchBrowser();
    discovery = await idp.discovery();
    jwks = (await idp.request({ path: new URL(discovery.jwks_uri).pathname })).json();
  });

  after(async () => {
    await browser?.close();
    await idp?.stop();
    await rp?.close();
  });

  test('discovery names every endpoint the relying party needs, PKCE S256 and our claims', () => {
    assert.equal(discovery.issuer, idp.issuer);
    assert.match(idp.issuer, /^http:\/\/127\.0\.0\.1:\d+$/);
    for (const key of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri', 'end_session_endpoint', 'revocation_endpoint']) {
      assert.ok(discovery[key]?.startsWith(`${idp.issuer}/`), `${key}: ${discovery[key]}`);
    }
    assert.ok(discovery.code_challenge_methods_supported.includes('S256'));
    assert.ok(discovery.scopes_supported.includes('offline_access'));
    for (const claim of ['email', 'email_verified', 'name', 'given_name', 'family_name', 'groups']) {
      assert.ok(discovery.claims_supported.includes(claim), claim);
    }
    assert.deepEqual(discovery.id_token_signing_alg_values_supported, ['RS256']);
    assert.equal(jwks.keys.length, 1);
    assert.equal(jwks.keys[0].kty, 'RSA');
  });

  test('an authorization request without PKCE is refused at the redirect URI', async () => {
    const a = new URL(authorization(discovery, idp.clientId, rp.callback).url);
    a.searchParams.delete('code_challenge');
    a.searchParams.delete('code_challenge_method');
    const res = await idp.request({ path: a.pathname + a.search });
    assert.equal(res.status, 303);
    const location = new URL(res.headers.location);
    assert.equal(location.origin + location.pathname, rp.callback);
    assert.equal(location.searchParams.get('error'), 'invalid_request');
    assert.match(location.searchParams.get('error_description'), /PKCE/);
  });

  test('code + PKCE through chromium, id_token verified, refresh after expiry, revoke, sign out', async () => {
    await idp.resetEvents();
    const page = await browser.newPage();
    const auth = authorization(discovery, idp.clientId, rp.callback);
    await page.goto(auth.url);
    const arrived = rp.next('/cb');
    await signIn(page, { username: 'alice@example.com', password: 'alice-password' });
    const cb = await arrived;
    assert.equal(cb.state, auth.state);
    assert.equal(cb.iss, idp.issuer);
    assert.ok(cb.code, JSON.stringify(cb));

    const token = await postForm(idp, discovery.token_endpoint, {
      grant_type: 'authorization_code',
      code: cb.code,
      redirect_uri: rp.callback,
      code_verifier: auth.verifier,
    }, { clientId: idp.clientId, clientSecret: idp.clientSecret });
    assert.equal(token.status, 200, JSON.stringify(token.body));
    assert.equal(token.body.token_type, 'Bearer');
    assert.ok(token.body.refresh_token, ' yields a refresh token without a consent screen');
    assert.ok(token.body.expires_in <= 2);
    assert.match(token.body.scope, /offline_access/);

    const { header, payload } = verifyJwt(token.body.id_token, jwks);
    assert.equal(header.alg, 'RS256');
    assert.equal(payload.iss, idp.issuer);
    assert.equal(payload.aud, idp.clientId);
    assert.equal(payload.nonce, auth.nonce);
    assert.equal(payload.sub, 'alice');
    assert.equal(payload.email, 'alice@example.com');
    assert.equal(payload.email_verified, true);
    assert.equal(payload.name, 'Alice Admin');
    assert.deepEqual(payload.groups, ['admins', 'engineering']);
    assert.ok(payload.exp > Date.now() / 1000);

    const info = await userinfo(idp, discovery, token.body.access_token);
    assert.equal(info.status, 200);
    assert.deepEqual(info.json().groups, ['admins', 'engineering']);

    // The provider session makes a second authorization silent (no form).
    const silent = authorization(discovery, idp.clientId, rp.callback);
    const silentArrived = rp.next('/cb');
    await page.goto(silent.url);
    assert.ok((await silentArrived).code);

    // The access token expires; the refresh token gets a new one (and fresh claims).
    await idp.setUser('alice@example.com', { groups: ['admins', 'engineering', 'oncall'] });
    await sleep(2500);
    assert.equal((await userinfo(idp, discovery, token.body.access_token)).status, 401);
    const refreshed = await postForm(idp, discovery.token_endpoint, {
      grant_type: 'refresh_token', refresh_token: token.body.refresh_token,
    }, { clientId: idp.clientId, clientSecret: idp.clientSecret });
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    assert.notEqual(refreshed.body.access_token, token.body.access_token);
    assert.deepEqual(verifyJwt(refreshed.body.id_token, jwks).payload.groups, ['admins', 'engineering', 'oncall']);
    const info2 = await userinfo(idp, discovery, refreshed.body.access_token);
    assert.equal(info2.status, 200);
    assert.equal(info2.json().email, 'alice@example.com');
    const refreshToken = refreshed.body.refresh_token ?? token.body.refresh_token;

    // Revocation: the refresh token (and its grant) stop working.
    const revoked = await postForm(idp, discovery.revocation_endpoint, {
      token: refreshToken, token_type_hint: 'refresh_token',
    }, { clientId: idp.clientId, clientSecret: idp.clientSecret });
    assert.equal(revoked.status, 200);
    const afterRevoke = await postForm(idp, discovery.token_endpoint, {
      grant_type: 'refresh_token', refresh_token: refreshToken,
    }, { clientId: idp.clientId, clientSecret: idp.clientSecret });
    assert.equal(afterRevoke.status, 400);
    assert.equal(afterRevoke.body.error, 'invalid_grant');

    // RP-initiated logout back to the registered post-logout URI with state.
    const end = new URL(discovery.end_session_endpoint);
    end.search = new URLSearchParams({ id_token_hint: token.body.id_token, post_logout_redirect_uri: rp.loggedOut, state: 'bye' });
    const loggedOut = rp.next('/logged-out');
    await page.goto(end.href);
    await confirmSignOut(page);
    assert.equal((await loggedOut).state, 'bye');

    // Signed out: the next authorization shows the form again.
    await page.goto(authorization(discovery, idp.clientId, rp.callback).url);
    await page.waitForSelector('#username');

    const counters = await idp.events();
    assert.equal(counters.grants.authorization_code, 1);
    assert.equal(counters.grants.refresh_token, 1);
    assert.equal(counters.routes.revocation, 1);
    assert.equal(counters.events['login.success'], 1);
    assert.equal(counters.events['end_session.success'], 1);
    assert.ok(counters.events['grant.revoked'] >= 1);
    await page.close();
    await idp.setUser('alice@example.com', { groups: ['admins', 'engineering'] });
  });

  test('a wrong password shows the form again with an error', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const auth = authorization(discovery, idp.clientId, rp.callback);
    await page.goto(auth.url);
    await signIn(page, { username: 'bob@example.com', password: 'nope' });
    assert.match(await page.textContent('#error'), /Invalid email or password/);
    assert.equal(await page.inputValue('#username'), 'bob@example.com');
    const arrived = rp.next('/cb');
    await signIn(page, { username: 'bob@example.com', password: 'bob-password' });
    const { code } = await arrived;
    assert.ok((await idp.events()).events['login.failed'] >= 1);

    // A wrong code_verifier fails; a code is single use (reuse also revokes what it gave).
    const exchange = (verifier) => postForm(idp, discovery.token_endpoint, {
      grant_type: 'authorization_code', code, redirect_uri: rp.callback, code_verifier: verifier,
    }, { clientId: idp.clientId, clientSecret: idp.clientSecret });
    const wrong = await exchange(b64url(randomBytes(32)));
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.error, 'invalid_grant');
    const first = await exchange(auth.verifier);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(verifyJwt(first.body.id_token, jwks).payload.email, 'bob@example.com');
    const again = await exchange(auth.verifier);
    assert.equal(again.status, 400);
    assert.equal(again.body.error, 'invalid_grant');
    await context.close();
  });

  test('a denied user yields error=access_denied at the redirect URI', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const auth = authorization(discovery, idp.clientId, rp.callback);
    await page.goto(auth.url);
    const arrived = rp.next('/cb');
    await signIn(page, { username: 'mallory@example.com', password: 'mallory-password' });
    const cb = await arrived;
    assert.equal(cb.error, 'access_denied');
    assert.equal(cb.state, auth.state);
    assert.equal(cb.code, undefined);
    await context.close();
  });
});

describe('identity provider over HTTPS with ES256 and client_secret_post', () => {
  let idp;
  let rp;
  let browser;

  before(async () => {
    rp = await startRp();
    idp = await startIdp({
      tls: true,
      issuerHost: 'idp.localhost',
      signingAlgs: ['ES256', 'RS256'],
      clients: [{
        client_id: 'post-client',
        client_secret: 'post-secret',
        redirect_uris: [rp.callback],
        token_endpoint_auth_method: 'client_secret_post',
      }],
    });
    // Chromium resolves *.localhost itself and trusts exactly the provider's key.
    browser = await launchBrowser({ trustCertPaths: [idp.certFile] });
  });

  after(async () => {
    await browser?.close();
    await idp?.stop();
    await rp?.close();
  });

  test('sign-in over TLS; the id_token is ES256 and verifies against the JWKS', async () => {
    assert.match(idp.issuer, /^https:\/\/idp\.localhost:\d+$/);
    const discovery = await idp.discovery();
    assert.deepEqual(discovery.id_token_signing_alg_values_supported, ['ES256', 'RS256']);
    const jwks = (await idp.request({ path: '/jwks' })).json();
    assert.deepEqual(jwks.keys.map((k) => k.kty).sort(), ['EC', 'RSA']);

    const page = await browser.newPage();
    const auth = authorization(discovery, 'post-client', rp.callback, { scope: 'openid email groups' });
    await page.goto(auth.url);
    const arrived = rp.next('/cb');
    await signIn(page, { username: 'bob@example.com', password: 'bob-password' });
    const cb = await arrived;
    const token = await postForm(idp, discovery.token_endpoint, {
      grant_type: 'authorization_code', code: cb.code, redirect_uri: rp.callback, code_verifier: auth.verifier,
    }, { clientId: 'post-client', clientSecret: 'post-secret', method: 'post' });
    assert.equal(token.status, 200, JSON.stringify(token.body));
    assert.equal(token.body.refresh_token, undefined, 'no offline_access, no refresh token');
    const { header, payload } = verifyJwt(token.body.id_token, jwks);
    assert.equal(header.alg, 'ES256');
    assert.equal(payload.email, 'bob@example.com');
    assert.deepEqual(payload.groups, ['engineering']);
    assert.equal(payload.name, undefined, 'profile was not requested');
  });
});

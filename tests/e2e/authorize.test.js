// The authorize service in the data plane: the built-in /.well-known/pomerium documents, the
// sign-in redirect and 401/403 answers on protected routes, policies decided on the request alone,
// and the identity JWT the upstream receives (checked here with node's own crypto).
import assert from 'node:assert/strict';
import { createHmac, createPublicKey, verify as verifySignature } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { request } from './lib/http.js';
import { baseConfig, publicRoute, runPortcullis, startPortcullis, toYaml } from './lib/portcullis.js';
import { makeTempDir, removeTempDir } from './lib/env.js';
import { startEchoUpstream } from './lib/upstreams.js';

const AUTHN = 'https://authenticate.example.test';
const BROWSER = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
const b64url = (s) => Buffer.from(s, 'base64url');

/** Checks a Pomerium signed URL: HMAC-SHA512/256 over url + issued + " " + expiry. */
function checkSignedUrl(location, secretB64) {
  const at = location.indexOf('&pomerium_signature=');
  assert.ok(at > 0, location);
  const unsigned = location.slice(0, at);
  const url = new URL(location);
  const issued = url.searchParams.get('pomerium_issued');
  const expiry = url.searchParams.get('pomerium_expiry');
  const mac = createHmac('sha512-256', Buffer.from(secretB64, 'base64'))
    .update(`${unsigned}${issued} ${expiry}`)
    .digest('base64url');
  const expected = mac + '='.repeat((4 - (mac.length % 4)) % 4);
  assert.equal(url.searchParams.get('pomerium_signature'), expected, 'signature');
  assert.ok(Number(expiry) - Number(issued) === 300);
  return url;
}

/** Verifies a JWS with the keys of a JWKS document; returns [header, claims]. */
function verifyJwt(token, jwks) {
  const [h, p, s] = token.split('.');
  const header = JSON.parse(b64url(h));
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  assert.ok(jwk, `no key ${header.kid} in the JWKS`);
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  const ok = verifySignature('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' }, b64url(s));
  assert.ok(ok, 'JWT signature');
  return [header, JSON.parse(b64url(p))];
}

describe('authorize', () => {
  let pc;
  let echo;
  let secret;

  before(async () => {
    echo = await startEchoUpstream('authz');
    const config = await baseConfig({
      jwt_claims_headers: ['email'],
      routes: [
        publicRoute('public.example.test', echo.url),
        { from: 'https://app.example.test', to: echo.url, allow_any_authenticated_user: true },
        {
          from: 'https://readonly.example.test',
          to: echo.url,
          policy: [{ allow: { or: [{ accept: true }] } }, { deny: { or: [{ http_method: { is: 'DELETE' } }] } }],
        },
        {
          from: 'https://office.example.test',
          to: echo.url,
          policy: { allow: { or: [{ source_ip: '10.0.0.0/8' }] } },
        },
        {
          from: 'https://local.example.test',
          to: echo.url,
          pass_identity_headers: true,
          set_request_headers: { 'X-Copy-Of-Jwt': '${pomerium.jwt}', 'X-Literal': 'plain $$ text' },
          policy: { allow: { or: [{ source_ip: '127.0.0.1' }] } },
        },
        {
          from: 'https://local-nopass.example.test',
          to: echo.url,
          policy: { allow: { or: [{ source_ip: '127.0.0.1' }] } },
        },
      ],
    });
    secret = config.shared_secret;
    pc = await startPortcullis({ config });
  });

  after(async () => {
    await pc?.stop();
    await echo?.close();
  });

  const get = (host, p, opts = {}) => request({ port: pc.port, host, path: p, ...opts });

  describe('/.well-known/pomerium', () => {
    test('jwks.json is served on a route host, cacheable, with an ETag', async () => {
      const res = await get('app.example.test', '/.well-known/pomerium/jwks.json');
      assert.equal(res.status, 200);
      assert.match(res.headers['content-type'], /application\/json/);
      assert.equal(res.headers['cache-control'], 'max-age=60');
      assert.match(res.headers.etag, /^"[0-9a-f]+"$/);
      const jwks = res.json();
      assert.equal(jwks.keys.length, 1);
      assert.equal(jwks.keys[0].kty, 'EC');
      assert.equal(jwks.keys[0].alg, 'ES256');
      assert.match(jwks.keys[0].kid, /^[0-9a-f]{64}$/);
      const again = await get('app.example.test', '/.well-known/pomerium/jwks.json', {
        headers: { 'If-None-Match': res.headers.etag },
      });
      assert.equal(again.status, 304);
    });

    test('the discovery document names this host, with CORS allow-all', async () => {
      const res = await get('any-host.example.test', '/.well-known/pomerium');
      assert.equal(res.status, 200);
      assert.equal(res.headers['access-control-allow-origin'], '*');
      const doc = res.json();
      assert.equal(doc.issuer, 'http://any-host.example.test/');
      assert.equal(doc.jwks_uri, 'http://any-host.example.test/.well-known/pomerium/jwks.json');
      assert.equal(doc.frontchannel_logout_uri, 'http://any-host.example.test/.pomerium/sign_out');
      assert.equal(doc.authentication_callback_endpoint, `${AUTHN}/oauth2/callback`);
    });
  });

  describe('protected route without a session', () => {
    test('a browser is redirected to a signed sign-in URL', async () => {
      echo.reset();
      const res = await get('app.example.test', '/dashboard?tab=1', { headers: { Accept: BROWSER } });
      assert.equal(res.status, 302);
      assert.equal(res.headers['x-pomerium-intercepted-response'], 'true');
      const url = checkSignedUrl(res.headers.location, secret);
      assert.equal(url.origin + url.pathname, `${AUTHN}/.pomerium/sign_in`);
      assert.equal(url.searchParams.get('pomerium_redirect_uri'), 'https://app.example.test/dashboard?tab=1');
      assert.equal(echo.hits.length, 0);
    });

    test('an API client gets 401 JSON with the request id', async () => {
      const res = await get('app.example.test', '/api', {
        headers: { Accept: 'application/json', 'X-Request-Id': 'authz-e2e-1' },
      });
      assert.equal(res.status, 401);
      assert.match(res.headers['content-type'], /application\/json/);
      const body = res.json();
      assert.equal(body.request_id, 'authz-e2e-1');
      assert.equal(typeof body.error, 'string');
    });

    test('a forged or unknown session is the same as none', async () => {
      echo.reset();
      const forged = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJqdGkiOiJzZXNzIiwic3ViIjoidXNlciJ9.AAAA';
      for (const headers of [
        { Cookie: `_pomerium=${forged}` },
        { Cookie: '_pomerium=garbage' },
        { Authorization: `Pomerium ${forged}` },
        { Authorization: `Bearer Pomerium-${forged}` },
        { 'X-Pomerium-Authorization': forged },
      ]) {
        const res = await get('app.example.test', '/api', { headers: { Accept: 'application/json', ...headers } });
        assert.equal(res.status, 401, JSON.stringify(headers));
      }
      const browser = await get('app.example.test', '/', { headers: { Accept: BROWSER, Cookie: `_pomerium=${forged}` } });
      assert.equal(browser.status, 302);
      assert.equal(echo.hits.length, 0);
    });
  });

  describe('policies on the request', () => {
    test('a policy denying DELETE answers 403 with the reason; GET passes', async () => {
      echo.reset();
      const denied = await get('readonly.example.test', '/item/1', { method: 'DELETE', headers: { Accept: BROWSER } });
      assert.equal(denied.status, 403);
      assert.match(denied.headers['content-type'], /text\/html/);
      assert.match(denied.text, /403 Forbidden/);
      assert.match(denied.text, /http-method-ok/);
      assert.match(denied.text, /Request ID/);
      assert.equal(echo.hits.length, 0);
      const ok = await get('readonly.example.test', '/item/1');
      assert.equal(ok.status, 200);
    });

    test('a source_ip policy that does not match answers 403 listing the reason', async () => {
      const res = await get('office.example.test', '/', { headers: { Accept: 'application/json' } });
      assert.equal(res.status, 403);
      assert.equal(res.json().error, 'access to this route is denied');
    });

    test('allowed by source_ip: forwarded with a verifiable identity JWT and claim headers', async () => {
      echo.reset();
      const jwks = (await get('local.example.test', '/.well-known/pomerium/jwks.json')).json();
      const res = await get('local.example.test', '/who', {
        headers: { 'X-Pomerium-Jwt-Assertion': 'forged-by-client', 'X-Pomerium-Claim-Email': 'evil@example.test' },
      });
      assert.equal(res.status, 200, res.text);
      const seen = res.json().headers;
      const token = seen['x-pomerium-jwt-assertion'];
      assert.ok(token && token !== 'forged-by-client');
      const [header, claims] = verifyJwt(token, jwks);
      assert.equal(header.typ, 'JWT');
      assert.equal(claims.aud, 'local.example.test');
      assert.equal(claims.iss, 'local.example.test');
      assert.equal(claims.exp - claims.iat, 300);
      assert.deepEqual(claims.groups, []);
      assert.equal(seen['x-pomerium-claim-email'], '');
      assert.equal(seen['x-copy-of-jwt'], token);
      assert.equal(seen['x-literal'], 'plain $ text');
    });

    test('without pass_identity_headers the upstream gets no identity headers', async () => {
      const res = await get('local-nopass.example.test', '/who', {
        headers: { 'X-Pomerium-Jwt-Assertion': 'forged-by-client' },
      });
      assert.equal(res.status, 200);
      const seen = res.json().headers;
      assert.equal(seen['x-pomerium-jwt-assertion'], undefined);
      assert.equal(seen['x-pomerium-claim-email'], undefined);
    });

    test('public routes are not decided and get no identity header', async () => {
      const res = await get('public.example.test', '/');
      assert.equal(res.status, 200);
      assert.equal(res.json().headers['x-pomerium-jwt-assertion'], undefined);
    });

    test('each decision is logged', async () => {
      await get('readonly.example.test', '/logged', { method: 'DELETE', headers: { 'X-Request-Id': 'authz-log-1' } });
      const line = await pc.waitForLog((l) => l.message === 'authorize check' && l.request_id === 'authz-log-1', {
        what: 'the decision log line',
      });
      assert.equal(line.allow, true);
      assert.equal(line.deny, true);
      assert.equal(line.deny_why, 'http-method-ok');
      assert.equal(line.status, 403);
      assert.ok(line.route_id);
    });
  });

  describe('configuration', () => {
    let dir;
    before(() => {
      dir = makeTempDir();
    });
    after(() => removeTempDir(dir));

    test('validate reports a route policy that does not compile, naming the key', async () => {
      const file = path.join(dir, 'bad-policy.yaml');
      const config = await baseConfig({
        routes: [{ from: 'https://x.example.test', to: echo.url, policy: { allow: { or: [{ no_such: 1 }] } } }],
      });
      writeFileSync(file, toYaml(config));
      const r = await runPortcullis(['validate', '--config', file]);
      assert.equal(r.code, 1, r.output);
      assert.match(r.output, /routes\[0\]\.policy/);
      assert.match(r.output, /no_such/);
    });
  });
});

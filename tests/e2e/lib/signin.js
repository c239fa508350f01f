// Shared pieces of the sign-in suites: one call starts the identity provider (oidc-provider), an
// echo upstream and portcullis on TLS for authenticate.<domain>, app.<domain> and admin.<domain>,
// wired as Pomerium would be (idp_provider: oidc, client registered with the authenticate host's
// /oauth2/callback). Also: signed URLs made here with node:crypto, a node-side TLS client that
// connects to 127.0.0.1 with the right SNI and Host, Set-Cookie parsing, JWT verification
// against /.well-known/pomerium/jwks.json, the databroker's session records read over gRPC (and
// decoded by hand), and browser helpers around lib/browser.js.
import assert from 'node:assert/strict';
import { createHash, createHmac, createPublicKey, verify as verifySignature } from 'node:crypto';
import http from 'node:http';
import { generatePki } from './certs.js';
import { launchBrowser, signIn } from './browser.js';
import { DataBrokerClient, SESSION_TYPE, callToken } from './databroker.js';
import { deferred, freePort, makeTempDir, waitFor } from './env.js';
import { request } from './http.js';
import { DEFAULT_USERS, startIdp } from './idp.js';
import { baseConfig, startPortcullis } from './portcullis.js';
import { startEchoUpstream } from './upstreams.js';

export const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
export const USER_TYPE = 'type.googleapis.com/user.User';

/** The demo users plus mallory, whom the provider refuses (error=access_denied). */
export const SIGNIN_USERS = [
  ...DEFAULT_USERS,
  { email: 'mallory@example.com', password: 'mallory-password', given_name: 'Mallory', deny: true },
];
export const ALICE = { username: 'alice@example.com', password: 'alice-password' };
export const BOB = { username: 'bob@example.com', password: 'bob-password' };
export const CAROL = { username: 'carol@example.com', password: 'carol-password' };
export const MALLORY = { username: 'mallory@example.com', password: 'mallory-password' };

// ---------------------------------------------------------------------------------------------
// Signed URLs (Pomerium's internal/urlutil/signed.go), written independently of the C++ code.

/** Go's url.QueryEscape: unreserved bytes kept, space as '+', the rest %XX (upper case). */
export function goQueryEscape(s) {
  let out = '';
  for (const byte of Buffer.from(String(s), 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Go's url.Values.Encode: keys sorted, values in order. `entries` is [[k, v], ...]. */
export function goEncode(entries) {
  const keys = [...new Set(entries.map(([k]) => k))].sort();
  const parts = [];
  for (const k of keys) {
    for (const [kk, v] of entries) if (kk === k) parts.push(`${goQueryEscape(k)}=${goQueryEscape(v)}`);
  }
  return parts.join('&');
}

function hmacUrl(secretB64, urlText, issued, expiry) {
  const mac = createHmac('sha512-256', Buffer.from(secretB64, 'base64'))
    .update(`${urlText}${issued} ${expiry}`)
    .digest('base64url');
  return mac + '='.repeat((4 - (mac.length % 4)) % 4);
}

/**
 * Signs `url` (string) like Pomerium: pomerium_issued/expiry added (now + 5 min unless given),
 * query re-encoded with sorted keys, HMAC-SHA512/256 over url + issued + " " + expiry. Any
 * existing pomerium_issued/expiry/signature is replaced.
 */
export function signUrl(url, secretB64, { now = Math.floor(Date.now() / 1000), lifetime = 300 } = {}) {
  const u = new URL(url);
  const entries = [...u.searchParams.entries()].filter(
    ([k]) => !['pomerium_issued', 'pomerium_expiry', 'pomerium_signature'].includes(k),
  );
  const issued = now;
  const expiry = now + lifetime;
  entries.push(['pomerium_issued', String(issued)], ['pomerium_expiry', String(expiry)]);
  u.search = goEncode(entries);
  const signature = hmacUrl(secretB64, u.href, issued, expiry);
  entries.push(['pomerium_signature', signature]);
  u.search = goEncode(entries);
  return u.href;
}

/** Checks a signed URL from portcullis with the shared secret; returns the parsed URL. */
export function checkSignedUrl(location, secretB64) {
  const url = new URL(location);
  const signature = url.searchParams.get('pomerium_signature');
  assert.ok(signature, `no pomerium_signature in ${location}`);
  const issued = url.searchParams.get('pomerium_issued');
  const expiry = url.searchParams.get('pomerium_expiry');
  assert.equal(Number(expiry) - Number(issued), 300, 'a signed URL lives 5 minutes');
  assert.ok(Math.abs(Number(issued) - Date.now() / 1000) < 60, 'issued now');
  // Validation as Pomerium's: drop the signature, re-encode, compare.
  const entries = [...url.searchParams.entries()].filter(([k]) => k !== 'pomerium_signature');
  const unsigned = new URL(location);
  unsigned.search = goEncode(entries);
  const bySorted = hmacUrl(secretB64, unsigned.href, issued, expiry);
  // Or the URL exactly as sent, the signature being the last parameter.
  const at = location.indexOf('&pomerium_signature=');
  const asSent = at > 0 ? hmacUrl(secretB64, location.slice(0, at), issued, expiry) : null;
  assert.ok(signature === bySorted || signature === asSent, `signature of ${location}`);
  return url;
}

/** Replaces (or adds) one query parameter of a URL string, keeping the others byte for byte. */
export function withParam(url, key, value) {
  const u = new URL(url);
  const entries = u.search.slice(1).split('&').filter(Boolean);
  const enc = `${encodeURIComponent(key)}=${encodeURIComponent(value)}`;
  const i = entries.findIndex((e) => decodeURIComponent(e.split('=')[0]) === key);
  if (i >= 0) entries[i] = enc;
  else entries.push(enc);
  u.search = entries.join('&');
  return u.href;
}

// ---------------------------------------------------------------------------------------------
// JWTs.

export const b64urlJson = (part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));

/** Decodes a compact JWS without verifying it: {header, payload, signature}. */
export function decodeJwt(token) {
  const [h, p, s] = String(token).split('.');
  return { header: b64urlJson(h), payload: b64urlJson(p), signature: s };
}

/** RFC 7638 thumbprint (hex SHA-256) of a public JWK. */
export function jwkThumbprint(jwk) {
  const members = jwk.kty === 'EC' ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }
    : jwk.kty === 'RSA' ? { e: jwk.e, kty: jwk.kty, n: jwk.n }
      : { crv: jwk.crv, kty: jwk.kty, x: jwk.x };
  return createHash('sha256').update(JSON.stringify(members)).digest('hex');
}

/** Verifies a JWS (ES256/RS256) against a JWKS document; returns {header, payload}. */
export function verifyJwt(token, jwks) {
  const [h, p, s] = String(token).split('.');
  const header = b64urlJson(h);
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  assert.ok(jwk, `key ${header.kid} is in the JWKS`);
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  const ok = verifySignature(
    'sha256',
    Buffer.from(`${h}.${p}`),
    header.alg.startsWith('ES') ? { key, dsaEncoding: 'ieee-p1363' } : key,
    Buffer.from(s, 'base64url'),
  );
  assert.ok(ok, `${header.alg} signature of the identity JWT verifies`);
  return { header, payload: b64urlJson(p) };
}

/** A compact JWS HS256 over `key` (raw bytes) with the given claims (for forged handles). */
export function hs256(key, claims, header = { alg: 'HS256', typ: 'JWT' }) {
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
}

// ---------------------------------------------------------------------------------------------
// Cookies.

/** Parses Set-Cookie header values into [{name, value, attrs: {lower-case name: value|true}}]. */
export function parseSetCookies(headers) {
  const raw = headers['set-cookie'];
  const list = raw === undefined ? [] : [].concat(raw);
  return list.map((line) => {
    const [pair, ...rest] = line.split(';');
    const eq = pair.indexOf('=');
    const attrs = {};
    for (const a of rest) {
      const i = a.indexOf('=');
      const k = (i >= 0 ? a.slice(0, i) : a).trim().toLowerCase();
      attrs[k] = i >= 0 ? a.slice(i + 1).trim() : true;
    }
    return { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), attrs, line };
  });
}

/** Cookies that set a value (not deletions: empty value, Max-Age<=0 or Expires in the past). */
export function settingCookies(headers) {
  return parseSetCookies(headers).filter((c) => {
    if (c.value === '') return false;
    if (c.attrs['max-age'] !== undefined && Number(c.attrs['max-age']) <= 0) return false;
    if (c.attrs.expires && Date.parse(c.attrs.expires) < Date.now()) return false;
    return true;
  });
}

/** A Cookie header for `url` from a playwright context's cookies. */
export async function cookieHeader(context, url) {
  const cookies = await context.cookies(url);
  return cookies.map((c) => `${c.name}=${c.value}`).join('; ');
}

// ---------------------------------------------------------------------------------------------
// Session records from the databroker (decoded by hand: session.proto's field numbers).

function readVarint(buf, pos) {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    const b = buf[pos++];
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) break;
    shift += 7n;
  }
  return [result, pos];
}

/** Top-level fields of a protobuf message: Map<number, [value (Buffer | bigint)]>. */
export function protoFields(buf) {
  const fields = new Map();
  let pos = 0;
  while (pos < buf.length) {
    let key;
    [key, pos] = readVarint(buf, pos);
    const number = Number(key >> 3n);
    const wire = Number(key & 7n);
    let value;
    if (wire === 0) [value, pos] = readVarint(buf, pos);
    else if (wire === 2) {
      let len;
      [len, pos] = readVarint(buf, pos);
      value = buf.subarray(pos, pos + Number(len));
      pos += Number(len);
    } else if (wire === 1) {
      value = buf.subarray(pos, pos + 8);
      pos += 8;
    } else if (wire === 5) {
      value = buf.subarray(pos, pos + 4);
      pos += 4;
    } else throw new Error(`unsupported wire type ${wire}`);
    if (!fields.has(number)) fields.set(number, []);
    fields.get(number).push(value);
  }
  return fields;
}

const str = (fields, n) => (fields.get(n)?.[0] ? Buffer.from(fields.get(n)[0]).toString('utf8') : '');
const sub = (fields, n) => (fields.get(n)?.[0] ? protoFields(fields.get(n)[0]) : new Map());
const seconds = (fields, n) => Number(sub(fields, n).get(1)?.[0] ?? 0n);

/** The parts of a session.Session the suites look at. */
export function decodeSession(bytes) {
  const f = protoFields(Buffer.from(bytes));
  const idToken = sub(f, 6);
  const oauth = sub(f, 7);
  return {
    id: str(f, 2),
    userId: str(f, 3),
    expiresAt: seconds(f, 4),
    idTokenRaw: str(idToken, 5),
    accessToken: str(oauth, 1),
    accessTokenExpiresAt: seconds(oauth, 3),
    refreshToken: str(oauth, 4),
    idpId: str(f, 17),
  };
}

// ---------------------------------------------------------------------------------------------
// The stack.

/**
 * Starts the identity provider, an echo upstream and portcullis (TLS on one port) for
 *   authenticate.<domain>  authenticate_service_url (https://authenticate.<domain>:<port>)
 *   app.<domain>           any authenticated user, identity headers passed
 *   admin.<domain>         only bob@example.com (alice gets 403), identity headers passed
 *   public.<domain>        public
 * Options: domain ('localhost'), idpTls (true: https provider trusted via
 * certificate_authority_file; false: http on 127.0.0.1), ttl / signingAlgs / users for the
 * provider, config (extra portcullis keys), postgres (a PostgresServer: postgres storage).
 */
export async function startSignInStack({
  domain = 'localhost',
  idpTls = true,
  ttl,
  signingAlgs,
  users = SIGNIN_USERS,
  config: extra = {},
  postgres = null,
} = {}) {
  const dir = makeTempDir('portcullis-signin-');
  const hosts = {
    authn: `authenticate.${domain}`,
    app: `app.${domain}`,
    admin: `admin.${domain}`,
    public: `public.${domain}`,
  };
  const pki = generatePki(dir, [{ name: 'proxy', cn: hosts.app, dns: Object.values(hosts) }]);
  const port = await freePort();
  const origin = (host) => `https://${host}:${port}`;
  const authnUrl = origin(hosts.authn);

  const idp = await startIdp({
    tls: idpTls,
    issuerHost: idpTls ? 'localhost' : '127.0.0.1',
    redirectUris: [`${authnUrl}/oauth2/callback`],
    postLogoutRedirectUris: [`${authnUrl}/.pomerium/signed_out`],
    users,
    ttl,
    signingAlgs,
  });
  const echo = await startEchoUpstream('signin-app');

  const config = await baseConfig({
    address: `127.0.0.1:${port}`,
    insecure_server: undefined,
    certificates: [{ cert: pki.leaf.proxy.certFile, key: pki.leaf.proxy.keyFile }],
    authenticate_service_url: authnUrl,
    idp_provider: 'oidc',
    idp_provider_url: idp.issuer,
    idp_client_id: idp.clientId,
    idp_client_secret: idp.clientSecret,
    ...(idpTls ? { certificate_authority_file: idp.caFile } : {}),
    jwt_claims_headers: ['email', 'groups'],
    ...(postgres
      ? { databroker_storage_type: 'postgres', databroker_storage_connection_string: postgres.url }
      : {}),
    routes: [
      { from: `https://${hosts.app}`, to: echo.url, allow_any_authenticated_user: true, pass_identity_headers: true },
      {
        from: `https://${hosts.admin}`,
        to: echo.url,
        pass_identity_headers: true,
        policy: { allow: { or: [{ email: { is: 'bob@example.com' } }] } },
      },
      { from: `https://${hosts.public}`, to: echo.url, allow_public_unauthenticated_access: true },
    ],
    ...extra,
  });
  const pcDir = makeTempDir('portcullis-signin-pc-');
  let pc = await startPortcullis({ config, dir: pcDir });

  let broker = null;
  const databroker = () => {
    broker ??= new DataBrokerClient(config.grpc_address, { token: callToken(config.shared_secret) });
    return broker;
  };

  const stack = {
    dir,
    hosts,
    port,
    pki,
    idp,
    echo,
    config,
    secret: config.shared_secret,
    authnUrl,
    origin,
    url: (host, path = '/') => `${origin(host)}${path}`,
    get pc() {
      return pc;
    },
    /** Trust list for launchBrowser: portcullis's certificate and the provider's. */
    trustCertPaths: [pki.leaf.proxy.certFile, ...(idp.certFile ? [idp.certFile] : [])],

    /** A node-side request to portcullis as `host` (TLS with SNI, Host with the port). */
    get(host, path = '/', { headers = {}, method = 'GET', body, cookie } = {}) {
      return request({
        port,
        host: `${host}:${port}`,
        path,
        method,
        body,
        headers: { ...(cookie ? { cookie } : {}), ...headers },
        tls: { servername: host, ca: pki.ca.pem, rejectUnauthorized: true },
      });
    },
    /** GET of a full https://<host>:<port>/... URL from portcullis. */
    fetchUrl(url, opts = {}) {
      const u = new URL(url);
      assert.equal(Number(u.port), port, `${url} is on portcullis`);
      return stack.get(u.hostname, `${u.pathname}${u.search}`, opts);
    },
    /** The JWKS a route host serves. */
    async jwks(host = hosts.app) {
      const res = await stack.get(host, '/.well-known/pomerium/jwks.json');
      assert.equal(res.status, 200, res.text);
      return res.json();
    },

    /** Live session records in the databroker: [{id, userId, ..., version}]. */
    async sessions() {
      const messages = await databroker().collect('SyncLatest', { type: SESSION_TYPE });
      return messages
        .filter((m) => m.response === 'record' || m.record)
        .map((m) => m.record)
        .filter((r) => r && r.type === SESSION_TYPE && !r.deleted_at)
        .map((r) => ({ ...decodeSession(r.data.value), version: r.version }));
    },
    async session(id) {
      return (await stack.sessions()).find((s) => s.id === id) ?? null;
    },
    /** Revokes a token at the provider's revocation endpoint as the portcullis client. */
    async revokeAtIdp(token, hint = 'refresh_token') {
      const discovery = await idp.discovery();
      const res = await idp.request({
        method: 'POST',
        path: new URL(discovery.revocation_endpoint).pathname,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${encodeURIComponent(idp.clientId)}:${encodeURIComponent(idp.clientSecret)}`).toString('base64')}`,
        },
        body: new URLSearchParams({ token, token_type_hint: hint }).toString(),
      });
      assert.equal(res.status, 200, `revocation: ${res.status} ${res.text}`);
    },

    /** SIGTERM, then the same binary with the same config file (same ports and secrets). */
    async restart() {
      const stopped = await pc.stop();
      assert.equal(stopped.forced, false, 'portcullis exits on SIGTERM');
      broker?.close();
      broker = null;
      pc = await startPortcullis({ config, dir: pcDir });
      return pc;
    },

    async stop() {
      broker?.close();
      await pc?.stop();
      await echo.close();
      await idp.stop();
    },
  };
  return stack;
}

// ---------------------------------------------------------------------------------------------
// Browser helpers.

/** A chromium that trusts exactly the stack's certificates. */
export function browserFor(stack) {
  return launchBrowser({ trustCertPaths: stack.trustCertPaths });
}

/** A fresh context (no cookies) with the harness's defaults. */
export async function freshContext(browser) {
  const context = await browser.newContext();
  context.setDefaultTimeout(15000);
  return context;
}

/**
 * Navigates `page` to `url` (a protected page), signs in at the provider with `user` and waits
 * until the browser is back on `url`. Returns the navigation responses seen on the way:
 * {chain: [{url, status}], callbacks: {oauth2, route}} (URLs of /oauth2/callback and
 * /.pomerium/callback/ requests).
 */
export async function signInThrough(page, url, user, { expectUrl = url } = {}) {
  const chain = [];
  const callbacks = { oauth2: null, route: null, routeResponse: null };
  const onResponse = async (res) => {
    if (!res.request().isNavigationRequest()) return;
    chain.push({ url: res.url(), status: res.status() });
    const u = new URL(res.url());
    if (u.pathname === '/oauth2/callback') callbacks.oauth2 ??= res.url();
    if (u.pathname === '/.pomerium/callback/') {
      callbacks.route ??= res.url();
      callbacks.routeResponse ??= { status: res.status(), headers: await res.headersArray() };
    }
  };
  page.on('response', onResponse);
  try {
    await page.goto(url);
    await signIn(page, user);
    await page.waitForURL(expectUrl, { timeout: 15000 });
  } finally {
    page.off('response', onResponse);
  }
  return { chain, callbacks };
}

/** The JSON the echo upstream answered, as the browser shows it. */
export async function echoedInPage(page) {
  const text = await page.locator('body').innerText();
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`the page at ${page.url()} is not the upstream's JSON: ${text.slice(0, 300)}`);
  }
}

/** A local http server standing in for a CLI's redirect target (programmatic login). */
export async function startLocalCallbackServer() {
  const hits = [];
  let next = deferred();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    hits.push({ path: url.pathname, query: Object.fromEntries(url.searchParams) });
    next.resolve(hits.at(-1));
    next = deferred();
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<h1 id="cli">signed in, you may close this window</h1>');
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: server.address().port,
    hits,
    /** The first hit on `path` (browsers also ask for /favicon.ico). */
    waitHit: (path, timeoutMs = 15000) => waitFor(() => hits.find((h) => h.path === path), { timeoutMs, what: `a hit on the local redirect target ${path}` }),
    close: () => new Promise((r) => {
      server.closeAllConnections();
      server.close(r);
    }),
  };
}

/** Asserts a response is a clear 4xx: not 5xx, not a redirect, no cookie set. */
export function assertRefused(res, what, { statuses = [400, 401, 403] } = {}) {
  assert.ok(
    statuses.includes(res.status),
    `${what}: expected one of ${statuses.join('/')}, got ${res.status} ${res.headers.location ? `→ ${res.headers.location}` : ''} ${res.text.slice(0, 200)}`,
  );
  assert.equal(res.headers.location, undefined, `${what}: no redirect`);
  assert.deepEqual(settingCookies(res.headers).map((c) => c.name), [], `${what}: no cookie set`);
}

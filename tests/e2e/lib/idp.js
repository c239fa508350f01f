// Starts the test identity provider (idp-server.mjs: the `oidc-provider` package) in a child
// process and talks to its admin endpoint. See startIdp() for the options.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatePki } from './certs.js';
import { makeTempDir, withTimeout } from './env.js';
import { request } from './http.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const IDP_SERVER = path.join(here, 'idp-server.mjs');

/** The demo users (the server's defaults, idp-users.json); pass `users` to startIdp for others. */
export const DEFAULT_USERS = JSON.parse(readFileSync(path.join(here, 'idp-users.json'), 'utf8'));

const running = new Set();
process.on('exit', () => {
  for (const child of running) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** Throws a clear error when the oidc-provider package is not installed. */
export function requireOidcProvider() {
  try {
    import.meta.resolve('oidc-provider');
  } catch (err) {
    throw new Error(`the npm package oidc-provider is required (cd tests/e2e && npm install): ${err.message}`);
  }
}

/**
 * Starts the provider and resolves once it serves.
 * Options:
 *   port (default: any free port), issuerHost ('127.0.0.1'; e.g. 'localhost'), issuer (full URL),
 *   tls: false | true (certificate made with certs.js for issuerHost, localhost and 127.0.0.1)
 *        | {certFile, keyFile, caFile?} (your own),
 *   clients: [{client_id, client_secret, redirect_uris, post_logout_redirect_uris,
 *              token_endpoint_auth_method, id_token_signed_response_alg}] or, for one client,
 *   redirectUris / postLogoutRedirectUris (+ clientId, clientSecret: generated when absent),
 *   users (default DEFAULT_USERS; a user with `deny: true` gets error=access_denied at the
 *          redirect URI after signing in, or `deny: 'other_error'`),
 *   ttl: {AccessToken, IdToken, RefreshToken, ...} seconds, signingAlgs (['RS256'] | ['ES256', ...]),
 *   pkceRequired (true), rotateRefreshToken, alwaysIssueRefreshToken (false), readyTimeoutMs.
 * Returns { issuer, port, clientId, clientSecret, clients, users, caFile, caPem, discovery(),
 *   events(), resetEvents(), setTokenTtl(ttl), setUser(email, changes), request(opts), stop(),
 *   output() }.
 */
export async function startIdp(options = {}) {
  requireOidcProvider();
  const dir = makeTempDir('portcullis-idp-');
  const issuerHost = options.issuerHost ?? '127.0.0.1';
  let tls = null;
  if (options.tls === true) {
    const names = [...new Set([issuerHost, 'localhost'])].filter((n) => !/^[\d.]+$/.test(n));
    const pki = generatePki(dir, [{ name: 'idp', cn: names[0], dns: names, ips: ['127.0.0.1'] }]);
    tls = { certFile: pki.leaf.idp.certFile, keyFile: pki.leaf.idp.keyFile, caFile: pki.ca.certFile, caPem: pki.ca.pem };
  } else if (options.tls) {
    tls = { ...options.tls };
    if (tls.caFile && !tls.caPem) tls.caPem = readFileSync(tls.caFile, 'utf8');
  }

  const clients = options.clients ?? [{
    client_id: options.clientId ?? 'portcullis',
    client_secret: options.clientSecret ?? randomBytes(24).toString('base64url'),
    redirect_uris: [].concat(options.redirectUris ?? []),
    post_logout_redirect_uris: [].concat(options.postLogoutRedirectUris ?? []),
  }];
  const users = options.users ?? DEFAULT_USERS;
  const config = {
    port: options.port ?? 0,
    host: '127.0.0.1',
    issuerHost,
    issuer: options.issuer,
    tls: tls ? { cert: tls.certFile, key: tls.keyFile } : undefined,
    clients,
    users,
    ttl: options.ttl,
    signingAlgs: options.signingAlgs,
    pkceRequired: options.pkceRequired,
    rotateRefreshToken: options.rotateRefreshToken,
    alwaysIssueRefreshToken: options.alwaysIssueRefreshToken,
    admin: true,
    exitOnStdinClose: true,
  };
  const configFile = path.join(dir, 'idp.json');
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  if (!existsSync(IDP_SERVER)) throw new Error(`${IDP_SERVER} is missing`);

  // stdin is a pipe: when the test runner dies, the pipe closes and the provider exits.
  const child = spawn(process.execPath, [IDP_SERVER, '--config', configFile], {
    cwd: here,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  running.add(child);
  let out = '';
  let exitInfo = null;
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      exitInfo = { code, signal };
      resolve(exitInfo);
    });
  });
  const verbose = process.env.PORTCULLIS_E2E_VERBOSE;
  child.stderr.setEncoding('utf8').on('data', (c) => {
    out += c;
    if (verbose) process.stderr.write(`[idp:err] ${c}`);
  });
  const issuer = await withTimeout(new Promise((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (c) => {
      out += c;
      if (verbose) process.stderr.write(`[idp] ${c}`);
      const m = /oidc-provider ready: (\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('error', reject);
    exited.then((info) => reject(new Error(`the identity provider exited (${JSON.stringify(info)}) before it was ready:\n${out}`)));
  }), options.readyTimeoutMs ?? 15000, `the identity provider to start:\n${out}`).catch((err) => {
    child.kill('SIGKILL');
    throw err;
  });

  const url = new URL(issuer);
  const port = Number(url.port);
  /** A request to the provider (path relative to its root); body objects are sent as JSON. */
  const idpRequest = (opts) => {
    let { body, headers = {} } = opts;
    if (body && typeof body === 'object' && !Buffer.isBuffer(body)) {
      body = JSON.stringify(body);
      headers = { 'content-type': 'application/json', ...headers };
    }
    return request({
      port,
      host: url.host,
      ...opts,
      body,
      headers,
      tls: url.protocol === 'https:' ? { servername: /^[\d.]+$/.test(url.hostname) ? undefined : url.hostname, ca: tls?.caPem ?? undefined, rejectUnauthorized: Boolean(tls?.caPem) } : undefined,
    });
  };
  const adminJson = async (method, p, body) => {
    const res = await idpRequest({ method, path: p, body });
    if (res.status !== 200) throw new Error(`identity provider ${method} ${p}: ${res.status} ${res.text}`);
    return res.json();
  };

  return {
    issuer,
    port,
    clientId: clients[0].client_id,
    clientSecret: clients[0].client_secret,
    clients,
    users,
    dir,
    caFile: tls?.caFile,
    caPem: tls?.caPem,
    certFile: tls?.certFile,
    request: idpRequest,
    /** The discovery document. */
    discovery: () => adminJson('GET', '/.well-known/openid-configuration'),
    /** Counters: {events: {'grant.success': n, 'refresh_token.consumed': n, 'grant.revoked': n,
     *  'end_session.success': n, 'login.success'|'login.failed'|'login.denied': n, ...},
     *  routes: {token: n, revocation: n, userinfo: n, ...}, grants: {authorization_code: n, refresh_token: n}}. */
    events: () => adminJson('GET', '/__admin/events'),
    resetEvents: () => adminJson('POST', '/__admin/events/reset'),
    /** Changes lifetimes (seconds) for tokens issued from now on: {AccessToken: 2, ...}. */
    setTokenTtl: (ttl) => adminJson('POST', '/__admin/ttl', ttl),
    /** Changes one user, e.g. setUser('bob@example.com', {groups: ['admins']}). */
    setUser: (email, changes) => adminJson('POST', '/__admin/users', { ...changes, email }),
    output: () => out,
    get alive() {
      return exitInfo === null;
    },
    async stop() {
      if (exitInfo) return exitInfo;
      child.kill('SIGTERM');
      try {
        return await withTimeout(exited, 5000, 'identity provider exit');
      } catch {
        child.kill('SIGKILL');
        return exited;
      }
    },
  };
}

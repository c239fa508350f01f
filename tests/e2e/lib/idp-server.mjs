#!/usr/bin/env node
// The OpenID Connect provider for the end-to-end tests and the demo: the certified `oidc-provider`
// package with in-memory users, a plain-HTML login form and automatic consent for the configured
// clients. Runs as its own process (tests start it through idp.js) so that a crash or a hang of
// the provider cannot take the test runner down.
//
//   node idp-server.mjs [--config FILE.json] [--port N] [--host 127.0.0.1] [--issuer URL]
//                       [--issuer-host NAME] [--cert FILE --key FILE]
//                       [--client-id ID --client-secret SECRET --redirect-uri URI...
//                        --post-logout-redirect-uri URI...] [--admin]
//
// Command-line flags override the JSON config. Without users in the config, the demo users
// alice@example.com / alice-password, bob@example.com / bob-password and
// carol@example.com / carol-password exist. When ready it prints `oidc-provider ready: <issuer>`.
//
// Config (JSON) keys, all optional:
//   port (0 = any free port), host (listen address, 127.0.0.1), issuer (full URL) or issuerHost
//   (name in the issuer URL, default the listen address), tls: {cert, key} (PEM file paths),
//   clients: [{client_id, client_secret, redirect_uris, post_logout_redirect_uris,
//              token_endpoint_auth_method, id_token_signed_response_alg, ...}],
//   users: [{email, password, sub, name, given_name, family_name, groups, email_verified,
//            deny (true or an OAuth error code: the authorization answers that error)}],
//   ttl: {AccessToken, IdToken, RefreshToken, AuthorizationCode, Session, Grant} in seconds,
//   signingAlgs: ['RS256'] (first one signs id_tokens; ES256 adds a P-256 key to the JWKS),
//   clockTolerance (0 seconds), pkceRequired (true), rotateRefreshToken (provider default), alwaysIssueRefreshToken (false:
//   refresh tokens need the offline_access scope, as with real providers),
//   admin (false: the /__admin/ endpoints for tests: event counters, TTLs and users at runtime).
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import Provider from 'oidc-provider';

// The demo users, shared with idp.js.
export const DEMO_USERS = JSON.parse(readFileSync(new URL('./idp-users.json', import.meta.url), 'utf8'));

function loadConfig(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      issuer: { type: 'string' },
      'issuer-host': { type: 'string' },
      cert: { type: 'string' },
      key: { type: 'string' },
      'client-id': { type: 'string' },
      'client-secret': { type: 'string' },
      'redirect-uri': { type: 'string', multiple: true },
      'post-logout-redirect-uri': { type: 'string', multiple: true },
      admin: { type: 'boolean' },
    },
  });
  const config = values.config ? JSON.parse(readFileSync(values.config, 'utf8')) : {};
  if (values.port !== undefined) config.port = Number(values.port);
  if (values.host) config.host = values.host;
  if (values.issuer) config.issuer = values.issuer;
  if (values['issuer-host']) config.issuerHost = values['issuer-host'];
  if (values.cert || values.key) config.tls = { cert: values.cert, key: values.key };
  if (values['client-id']) {
    config.clients = [{
      client_id: values['client-id'],
      client_secret: values['client-secret'],
      redirect_uris: values['redirect-uri'] || [],
      post_logout_redirect_uris: values['post-logout-redirect-uri'] || [],
    }];
  }
  if (values.admin) config.admin = true;
  return config;
}

/** Fills in defaults for a user: sub from the email's local part, names, email_verified. */
function normalizeUser(u) {
  const email = String(u.email).toLowerCase();
  const local = email.split('@')[0];
  const given = u.given_name ?? local.charAt(0).toUpperCase() + local.slice(1);
  return {
    sub: u.sub ?? local,
    email,
    email_verified: u.email_verified ?? true,
    given_name: given,
    family_name: u.family_name ?? '',
    name: u.name ?? [given, u.family_name].filter(Boolean).join(' '),
    groups: u.groups ?? [],
    password: u.password,
    deny: u.deny ?? false,
  };
}

/** Fresh signing keys (private JWKs) for the given algorithms; kids are random. */
function signingKeys(algs) {
  return algs.map((alg) => {
    const pair = alg.startsWith('ES')
      ? generateKeyPairSync('ec', { namedCurve: { ES256: 'P-256', ES384: 'P-384' }[alg] })
      : generateKeyPairSync('rsa', { modulusLength: 2048 });
    return { ...pair.privateKey.export({ format: 'jwk' }), kid: `${alg.toLowerCase()}-${randomUUID().slice(0, 8)}`, alg, use: 'sig' };
  });
}

const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(res, status, title, body) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`<!DOCTYPE html><html><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:sans-serif;max-width:22em;margin:3em auto}input,button{display:block;width:100%;margin:.4em 0;padding:.4em}
#error{color:#b00}</style></head><body>${body}</body></html>`);
}

function loginForm(res, uid, { client, username = '', error } = {}) {
  page(res, error ? 401 : 200, 'Sign in', `<h1>Sign in</h1>
<p>to continue to <b>${esc(client)}</b></p>
${error ? `<p id="error" role="alert">${esc(error)}</p>` : ''}
<form method="post" action="/interaction/${esc(uid)}/login" autocomplete="off">
<label>Email <input id="username" name="username" type="text" value="${esc(username)}" autofocus required></label>
<label>Password <input id="password" name="password" type="password" required></label>
<button id="submit" type="submit">Sign in</button>
</form>`);
}

function readBody(req, limit = 64 * 1024) {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (c) => {
      data += c;
      if (data.length > limit) req.destroy(new Error('request body too large'));
    });
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

function json(res, status, value) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(value));
}

export async function main(argv = process.argv.slice(2)) {
  const config = loadConfig(argv);
  const users = new Map();
  const setUsers = (list) => {
    users.clear();
    for (const u of list.map(normalizeUser)) users.set(u.email, u);
  };
  setUsers(config.users ?? DEMO_USERS);
  const findUser = (name) => {
    const n = String(name ?? '').trim().toLowerCase();
    return users.get(n) ?? [...users.values()].find((u) => u.sub === n);
  };

  // Lifetimes in seconds, mutable at runtime through the admin endpoint.
  const ttl = { AccessToken: 3600, IdToken: 3600, RefreshToken: 14 * 86400, AuthorizationCode: 60, Session: 14 * 86400, Grant: 14 * 86400, Interaction: 3600, ...config.ttl };
  const signingAlgs = config.signingAlgs ?? ['RS256'];
  const clientIds = new Set();
  const clients = (config.clients ?? []).map((c) => {
    clientIds.add(c.client_id);
    return {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: signingAlgs[0],
      post_logout_redirect_uris: [],
      ...c,
    };
  });

  // Counters for tests: every provider event, requests per provider route, token grants by type.
  const counters = { events: {}, routes: {}, grants: {} };
  const bump = (map, key) => {
    map[key] = (map[key] ?? 0) + 1;
  };

  // Listen first so that port 0 works; the provider is created once the port is known.
  let handler = (req, res) => json(res, 503, { error: 'starting' });
  const server = config.tls
    ? https.createServer({ cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key) }, (q, s) => handler(q, s))
    : http.createServer((q, s) => handler(q, s));
  const host = config.host ?? '127.0.0.1';
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port ?? 0, host, resolve);
  });
  const { port } = server.address();
  const issuer = config.issuer ?? `${config.tls ? 'https' : 'http'}://${config.issuerHost ?? host}:${port}`;

  const claimsOf = (u) => {
    const { password, deny, ...claims } = u;
    return claims;
  };
  // The requested OpenID scopes and claims, offline_access included: no consent screen.
  const grantAll = (ctx, grant) => {
    grant.addOIDCScope([...ctx.oidc.requestParamOIDCScopes].join(' '));
    grant.addOIDCClaims([...ctx.oidc.requestParamClaims]);
  };

  const provider = new Provider(issuer, {
    clients,
    jwks: { keys: signingKeys(signingAlgs) },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    // Claims per scope; `groups` is also in `profile` so that the usual scopes carry it.
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'given_name', 'family_name', 'groups'],
      groups: ['groups'],
    },
    scopes: ['openid', 'offline_access', 'email', 'profile', 'groups'],
    conformIdTokenClaims: false, // email and groups in the id_token, not only from userinfo
    // The provider accepts expired tokens for clockTolerance seconds (default 15): one clock here,
    // and tests expire tokens after a few seconds.
    clockTolerance: config.clockTolerance ?? 0,
    async findAccount(ctx, sub) {
      const user = [...users.values()].find((u) => u.sub === sub);
      if (!user) return undefined;
      return { accountId: sub, claims: async () => claimsOf(user) };
    },
    pkce: { required: () => config.pkceRequired ?? true }, // S256 is the only method offered
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          ctx.body = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Sign out</title></head><body>
<h1>Sign out of ${esc(ctx.host)}?</h1>${form}
<button id="logout-yes" type="submit" form="op.logoutForm" name="logout" value="yes">Yes, sign me out</button>
<button id="logout-no" type="submit" form="op.logoutForm">No, stay signed in</button></body></html>`;
        },
        postLogoutSuccessSource: async (ctx) => {
          ctx.body = '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Signed out</title></head><body><h1 id="signed-out">Signed out</h1></body></html>';
        },
      },
    },
    enabledJWA: { idTokenSigningAlgValues: signingAlgs },
    ttl: Object.fromEntries(['AccessToken', 'IdToken', 'RefreshToken', 'AuthorizationCode', 'Session', 'Grant', 'Interaction'].map((k) => [k, () => ttl[k]])),
    ...(config.rotateRefreshToken !== undefined ? { rotateRefreshToken: () => config.rotateRefreshToken } : {}),
    async issueRefreshToken(ctx, client, code) {
      if (!client.grantTypeAllowed('refresh_token')) return false;
      return config.alwaysIssueRefreshToken === true || code.scopes.has('offline_access');
    },
    // Our clients never see a consent screen: an existing or new grant gets what they ask for.
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      let grant = grantId ? await ctx.oidc.provider.Grant.find(grantId) : undefined;
      if (!clientIds.has(ctx.oidc.client.clientId)) return grant;
      grant ??= new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grantAll(ctx, grant);
      await grant.save();
      return grant;
    },
    clientBasedCORS: () => false,
    async renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Error</title></head><body>
<h1>Sign-in error</h1><p id="error">${esc(out.error)}</p><p id="error_description">${esc(out.error_description)}</p></body></html>`;
    },
  });
  // No proxy in front: the listener terminates TLS itself, so the provider sees the real scheme.

  const originalEmit = provider.emit.bind(provider);
  provider.emit = (name, ...args) => {
    bump(counters.events, name);
    if (name === 'grant.success') bump(counters.grants, args[0]?.oidc?.params?.grant_type ?? 'unknown');
    return originalEmit(name, ...args);
  };
  provider.on('server_error', (ctx, err) => console.error('oidc-provider server_error:', err));
  provider.use(async (ctx, next) => {
    // oidc-provider drops offline_access unless the request also asks for prompt=consent (OIDC
    // Core 11). Real providers commonly issue refresh tokens for offline_access without it, and
    // relying parties (Pomerium too) rarely send it: for our clients add `consent` to the prompt,
    // which the interaction below approves without a screen.
    if (ctx.path === '/auth' && ctx.method === 'GET') {
      const q = new URLSearchParams(ctx.querystring);
      const prompts = (q.get('prompt') ?? '').split(' ').filter(Boolean);
      if (clientIds.has(q.get('client_id')) && (q.get('scope') ?? '').split(' ').includes('offline_access')
        && !prompts.includes('none') && !prompts.includes('consent')) {
        q.set('prompt', [...prompts, 'consent'].join(' '));
        ctx.querystring = q.toString();
      }
    }
    await next();
    if (ctx.oidc?.route) bump(counters.routes, ctx.oidc.route);
  });
  const providerCallback = provider.callback();

  async function interaction(req, res, url) {
    const [, , uid, action] = url.pathname.split('/'); // /interaction/:uid[/login]
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) return page(res, 400, 'Error', '<p id="error">interaction mismatch</p>');
    const client = details.params.client_id;
    if (details.prompt.name === 'consent') {
      // Requested explicitly (prompt=consent): approve everything for our clients.
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId: details.session.accountId, clientId: client });
      grant.addOIDCScope([...(details.prompt.details.missingOIDCScope ?? [])].join(' '));
      grant.addOIDCClaims(details.prompt.details.missingOIDCClaims ?? []);
      for (const [indicator, scopes] of Object.entries(details.prompt.details.missingResourceScopes ?? {})) {
        grant.addResourceScope(indicator, scopes.join(' '));
      }
      const grantId = await grant.save();
      return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    }
    if (req.method === 'GET' && !action) return loginForm(res, uid, { client });
    if (req.method !== 'POST' || action !== 'login') return page(res, 405, 'Error', '<p id="error">method not allowed</p>');
    const form = new URLSearchParams(await readBody(req));
    const user = findUser(form.get('username'));
    if (!user || user.password !== form.get('password')) {
      bump(counters.events, 'login.failed');
      return loginForm(res, uid, { client, username: form.get('username'), error: 'Invalid email or password.' });
    }
    if (user.deny) {
      // Error injection: the authorization answers the client's redirect URI with an error.
      bump(counters.events, 'login.denied');
      const error = typeof user.deny === 'string' ? user.deny : 'access_denied';
      return provider.interactionFinished(req, res, { error, error_description: `${user.email} may not sign in` }, { mergeWithLastSubmission: false });
    }
    bump(counters.events, 'login.success');
    return provider.interactionFinished(req, res, { login: { accountId: user.sub } }, { mergeWithLastSubmission: false });
  }

  async function admin(req, res, url) {
    if (req.method === 'GET' && url.pathname === '/__admin/events') return json(res, 200, counters);
    if (req.method === 'POST' && url.pathname === '/__admin/events/reset') {
      for (const map of Object.values(counters)) for (const k of Object.keys(map)) delete map[k];
      return json(res, 200, counters);
    }
    if (req.method === 'POST' && url.pathname === '/__admin/ttl') {
      Object.assign(ttl, JSON.parse(await readBody(req)));
      return json(res, 200, ttl);
    }
    if (req.method === 'POST' && url.pathname === '/__admin/users') {
      // Body: {email, ...changes} to change one user (groups, password, deny...), or [users] to replace all.
      const body = JSON.parse(await readBody(req));
      if (Array.isArray(body)) setUsers(body);
      else {
        const old = findUser(body.email);
        if (!old) return json(res, 404, { error: 'no such user' });
        users.set(old.email, normalizeUser({ ...old, ...body, email: old.email }));
      }
      return json(res, 200, [...users.values()].map(claimsOf));
    }
    return json(res, 404, { error: 'not found' });
  }

  handler = async (req, res) => {
    const url = new URL(req.url, issuer);
    try {
      if (url.pathname.startsWith('/interaction/')) return await interaction(req, res, url);
      if (config.admin && url.pathname.startsWith('/__admin/')) return await admin(req, res, url);
      return providerCallback(req, res);
    } catch (err) {
      // SessionNotFound and friends: an expired or foreign interaction.
      if (!res.headersSent) page(res, err.statusCode ?? 500, 'Error', `<p id="error">${esc(err.error ?? 'server_error')}</p><p id="error_description">${esc(err.error_description ?? err.message)}</p>`);
      else res.destroy();
    }
  };

  const stop = () => {
    server.closeAllConnections?.();
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  // Exit with the parent (tests) when stdin is a pipe that closes.
  if (config.exitOnStdinClose) {
    process.stdin.on('end', stop).on('error', stop).resume();
  }
  console.log(`oidc-provider ready: ${issuer}`);
}

// Run when executed directly (importing the module only gives DEMO_USERS and main).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(`idp-server: ${err.stack || err}`);
    process.exit(1);
  });
}

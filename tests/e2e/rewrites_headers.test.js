// Path rewrites, Host handling, request/response header options, forwarding headers, request ids
// and the stripping of Pomerium credentials before the upstream.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { keepAliveAgent, rawExchange, parseResponses, request } from './lib/http.js';
import { baseConfig, publicRoute, startPortcullis } from './lib/portcullis.js';
import { startEchoUpstream } from './lib/upstreams.js';

const splitList = (v) => String(v).split(/\s*,\s*/).filter(Boolean);

describe('rewrites and headers', () => {
  let pc;
  let trusting; // a second instance with xff_num_trusted_hops: 1
  let echo;

  before(async () => {
    echo = await startEchoUpstream('echo');
    const routes = [
      publicRoute('rw.example.test', echo.url, { prefix: '/old/', prefix_rewrite: '/new/' }),
      publicRoute('rx.example.test', echo.url, {
        regex_rewrite_pattern: '^/service/([^/]+)(/.*)$',
        regex_rewrite_substitution: '\\2/instance/\\1',
      }),
      publicRoute('topath.example.test', `${echo.url}/base/`),
      publicRoute('hostrw.example.test', echo.url, { host_rewrite: 'backend.internal.test' }),
      publicRoute('preserve.example.test', echo.url, { preserve_host_header: true }),
      publicRoute('plain.example.test', echo.url),
      publicRoute('setreq.example.test', echo.url, {
        set_request_headers: { 'X-Custom-One': 'one', 'X-Custom-Two': 'two words', 'X-Override': 'from-config' },
      }),
      publicRoute('rmreq.example.test', echo.url, { remove_request_headers: ['X-Secret', 'x-also-secret'] }),
      publicRoute('setresp.example.test', echo.url, {
        set_response_headers: { 'X-Route-Header': 'route-value', 'Cache-Control': 'no-store' },
      }),
    ];
    pc = await startPortcullis({ config: await baseConfig({ routes }) });
    trusting = await startPortcullis({
      config: await baseConfig({ xff_num_trusted_hops: 1, routes: [publicRoute('plain.example.test', echo.url)] }),
    });
  });

  after(async () => {
    await pc?.stop();
    await trusting?.stop();
    await echo?.close();
  });

  const send = (host, path = '/', opts = {}) =>
    request({ port: (opts.instance ?? pc).port, host, path, ...opts });
  const seen = async (host, path = '/', opts = {}) => {
    const res = await send(host, path, opts);
    assert.equal(res.status, 200, `${host}${path}: ${res.status} ${res.text.slice(0, 200)}`);
    return { res, req: res.json() };
  };

  test('prefix_rewrite replaces the matched prefix and keeps the query', async () => {
    const { req } = await seen('rw.example.test', '/old/a/b?x=1&y=2');
    assert.equal(req.url, '/new/a/b?x=1&y=2');
  });

  test('regex_rewrite substitutes capture groups', async () => {
    const { req } = await seen('rx.example.test', '/service/foo/bar/baz?k=v');
    assert.equal(req.url, '/bar/baz/instance/foo?k=v');
  });

  test('a path in the `to` URL becomes the prefix rewrite', async () => {
    assert.equal((await seen('topath.example.test', '/x/y')).req.url, '/base/x/y');
    assert.equal((await seen('topath.example.test', '/')).req.url, '/base/');
  });

  test('Host defaults to the upstream authority and X-Forwarded-Host carries the original', async () => {
    const { req } = await seen('plain.example.test', '/');
    assert.equal(req.headers.host, `127.0.0.1:${echo.port}`);
    assert.equal(req.headers['x-forwarded-host'], 'plain.example.test');
  });

  test('host_rewrite sets a literal Host', async () => {
    const { req } = await seen('hostrw.example.test', '/');
    assert.equal(req.headers.host, 'backend.internal.test');
    assert.equal(req.headers['x-forwarded-host'], 'hostrw.example.test');
  });

  test('preserve_host_header forwards the client Host unchanged', async () => {
    const { req } = await seen('preserve.example.test', '/');
    assert.equal(req.headers.host, 'preserve.example.test');
  });

  test('set_request_headers adds headers and overrides client values', async () => {
    const { req } = await seen('setreq.example.test', '/', {
      headers: { 'X-Override': 'from-client', 'X-Untouched': 'kept' },
    });
    assert.equal(req.headers['x-custom-one'], 'one');
    assert.equal(req.headers['x-custom-two'], 'two words');
    assert.equal(req.headers['x-override'], 'from-config');
    assert.equal(req.headers['x-untouched'], 'kept');
    const overrides = req.rawHeaders.filter((h, i) => i % 2 === 0 && h.toLowerCase() === 'x-override');
    assert.equal(overrides.length, 1, 'X-Override was sent more than once');
  });

  test('remove_request_headers removes headers case-insensitively and keeps the rest', async () => {
    const { req } = await seen('rmreq.example.test', '/', {
      headers: { 'x-secret': 's', 'X-Also-Secret': 'a', 'X-Public': 'p' },
    });
    assert.equal(req.headers['x-secret'], undefined);
    assert.equal(req.headers['x-also-secret'], undefined);
    assert.equal(req.headers['x-public'], 'p');
  });

  test('route set_response_headers and the global security headers are on the response', async () => {
    const { res } = await seen('setresp.example.test', '/');
    assert.equal(res.headers['x-route-header'], 'route-value');
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.equal(res.headers['x-frame-options'], 'SAMEORIGIN');
    assert.equal(res.headers['x-xss-protection'], '1; mode=block');
    // Upstream headers still come through.
    assert.equal(res.headers['x-upstream-name'], 'echo');
  });

  test('global security headers are on every proxied response, HSTS only with TLS', async () => {
    const { res } = await seen('plain.example.test', '/');
    assert.equal(res.headers['x-frame-options'], 'SAMEORIGIN');
    assert.equal(res.headers['x-xss-protection'], '1; mode=block');
    assert.equal(res.headers['strict-transport-security'], undefined, 'HSTS sent over plain HTTP without certificates');
  });

  test('X-Forwarded-For is the client address; a client-sent value is replaced without trusted hops', async () => {
    assert.deepEqual(splitList((await seen('plain.example.test')).req.headers['x-forwarded-for']), ['127.0.0.1']);
    const { req } = await seen('plain.example.test', '/', { headers: { 'X-Forwarded-For': '203.0.113.9' } });
    assert.deepEqual(splitList(req.headers['x-forwarded-for']), ['127.0.0.1']);
  });

  test('with xff_num_trusted_hops the client address is appended to the forwarded chain', async () => {
    const { req } = await seen('plain.example.test', '/', {
      instance: trusting,
      headers: { 'X-Forwarded-For': '203.0.113.9' },
    });
    assert.deepEqual(splitList(req.headers['x-forwarded-for']), ['203.0.113.9', '127.0.0.1']);
  });

  test('X-Forwarded-Proto is http on the plain listener, and a client value is not trusted', async () => {
    const { req } = await seen('plain.example.test', '/', { headers: { 'X-Forwarded-Proto': 'https' } });
    assert.equal(req.headers['x-forwarded-proto'], 'http');
  });

  test('X-Request-Id is generated, unique per request and matches the access log', async () => {
    const agent = keepAliveAgent();
    const ids = new Set();
    try {
      for (let i = 0; i < 20; i++) {
        const { req } = await seen('plain.example.test', `/rid/${i}`, { agent });
        const id = req.headers['x-request-id'];
        assert.ok(id && id.length >= 8, `missing or short x-request-id: ${id}`);
        ids.add(id);
      }
    } finally {
      agent.destroy();
    }
    assert.equal(ids.size, 20, 'request ids repeat');
    const { req } = await seen('plain.example.test', '/rid/log-check');
    const id = req.headers['x-request-id'];
    const log = await pc.waitForLog((l) => l.message === 'http-request' && l.path === '/rid/log-check', {
      what: 'access log line for /rid/log-check',
    });
    assert.equal(log.request_id, id);
  });

  test('client X-Pomerium-* headers never reach the upstream', async () => {
    const { req } = await seen('plain.example.test', '/', {
      headers: {
        'X-Pomerium-Jwt-Assertion': 'forged.jwt.value',
        'X-Pomerium-Claim-Email': 'admin@example.test',
        'X-Pomerium-Authorization': 'forged',
        'X-Pomerium-Whatever': 'x',
        'X-Other': 'kept',
      },
    });
    const pomeriumHeaders = Object.keys(req.headers).filter((h) => h.startsWith('x-pomerium-'));
    assert.deepEqual(pomeriumHeaders, []);
    assert.equal(req.headers['x-other'], 'kept');
  });

  test('the _pomerium cookie is stripped and other cookies survive', async () => {
    const { req } = await seen('plain.example.test', '/', {
      headers: { Cookie: 'a=1; _pomerium=eyJhbGciOiJIUzI1NiJ9.e30.sig; b=two; _pomerium_csrf=keep' },
    });
    const cookie = req.headers.cookie || '';
    assert.doesNotMatch(cookie, /(^|;\s*)_pomerium=/);
    assert.match(cookie, /(^|;\s*)a=1(;|$)/);
    assert.match(cookie, /(^|;\s*)b=two(;|$)/);
    assert.match(cookie, /(^|;\s*)_pomerium_csrf=keep(;|$)/);

    const only = await seen('plain.example.test', '/', { headers: { Cookie: '_pomerium=abc' } });
    assert.doesNotMatch(only.req.headers.cookie || '', /_pomerium=/);
  });

  test('Authorization: Pomerium is stripped, other Authorization schemes pass through', async () => {
    const stripped = await seen('plain.example.test', '/', { headers: { Authorization: 'Pomerium eyJ.e30.sig' } });
    assert.equal(stripped.req.headers.authorization, undefined);
    const kept = await seen('plain.example.test', '/', { headers: { Authorization: 'Bearer upstream-token' } });
    assert.equal(kept.req.headers.authorization, 'Bearer upstream-token');
  });

  test('the query string reaches the upstream byte for byte', async () => {
    const query = 'b=2&a=1&a=%2F&sp=%20+x&empty=&flag&utf=%E2%9C%93&raw=@:!$\'()*,;&enc=%3D%26&tilde=~';
    const { req } = await seen('plain.example.test', `/q?${query}`);
    assert.equal(req.query, query);
    // node:http refuses nothing here, but send it raw too so no client normalises anything.
    const out = await rawExchange(
      pc.port,
      `GET /q?${query} HTTP/1.1\r\nHost: plain.example.test\r\nConnection: close\r\n\r\n`,
    );
    const [res] = parseResponses(out.buffer);
    assert.equal(res.status, 200);
    assert.equal(JSON.parse(res.body).query, query);
  });
});

// Host and path routing, load balancing across several `to`, redirect and response actions,
// and the built-in /ping and /healthz endpoints.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { keepAliveAgent, request } from './lib/http.js';
import { baseConfig, publicRoute, startPortcullis } from './lib/portcullis.js';
import { startEchoUpstream } from './lib/upstreams.js';

describe('routing', () => {
  let pc;
  const up = {};

  before(async () => {
    for (const name of [
      'exact', 'wildcard', 'api', 'v2', 'docs', 'docs-index', 'exactpath', 'regex', 'caseless',
      'weighted-a', 'weighted-b', 'rr-a', 'rr-b', 'rr-c',
    ]) {
      up[name] = await startEchoUpstream(name);
    }
    const config = await baseConfig({
      routes: [
        // The wildcard comes first in the file: the exact host must still win.
        publicRoute('*.example.test', up.wildcard.url),
        publicRoute('exact.example.test', up.exact.url),
        // Path matchers on one host, first match in file order.
        publicRoute('paths.example.org', up.v2.url, { prefix: '/api/v2/' }),
        publicRoute('paths.example.org', up.api.url, { prefix: '/api' }),
        publicRoute('paths.example.org', up.docs.url, { prefix: '/docs' }),
        // Shadowed by the /docs prefix above.
        publicRoute('paths.example.org', up['docs-index'].url, { path: '/docs/index' }),
        publicRoute('paths.example.org', up.exactpath.url, { path: '/exact' }),
        publicRoute('paths.example.org', up.regex.url, { regex: '/re/[0-9]+' }),
        publicRoute('CaseLess.Example.ORG', up.caseless.url),
        // An exact host covered by the wildcard too, with a path matcher only.
        publicRoute('partial.example.test', up.exact.url, { prefix: '/only/' }),
        publicRoute('weighted.example.org', [`${up['weighted-a'].url},3`, `${up['weighted-b'].url},1`]),
        publicRoute('rr.example.org', [up['rr-a'].url, up['rr-b'].url, up['rr-c'].url], {
          load_balancing_policy: 'ROUND_ROBIN',
        }),
        {
          from: 'https://redirect.example.org',
          path: '/moved',
          redirect: { https_redirect: true, host_redirect: 'new.example.org', path_redirect: '/landing' },
          allow_public_unauthenticated_access: true,
        },
        {
          from: 'https://redirect.example.org',
          prefix: '/old/',
          redirect: { prefix_rewrite: '/new/', response_code: 307 },
          allow_public_unauthenticated_access: true,
        },
        {
          from: 'https://redirect.example.org',
          prefix: '/found',
          redirect: { host_redirect: 'found.example.org', response_code: 302, strip_query: true },
          allow_public_unauthenticated_access: true,
        },
        {
          from: 'https://teapot.example.org',
          response: { status: 418, body: "I'm a teapot, short and stout" },
          allow_public_unauthenticated_access: true,
        },
      ],
    });
    pc = await startPortcullis({ config });
  });

  after(async () => {
    await pc?.stop();
    await Promise.all(Object.values(up).map((u) => u.close()));
  });

  const get = (host, path = '/', opts = {}) => request({ port: pc.port, host, path, ...opts });
  const upstreamOf = async (host, path) => {
    const res = await get(host, path);
    assert.equal(res.status, 200, `GET ${host}${path}: expected 200, got ${res.status}: ${res.text.slice(0, 200)}`);
    return res.json().upstream;
  };

  test('an exact host wins over a wildcard host listed before it', async () => {
    assert.equal(await upstreamOf('exact.example.test', '/'), 'exact');
    assert.equal(await upstreamOf('exact.example.test', '/some/deep/path'), 'exact');
  });

  test('a wildcard host matches other subdomains but not the bare domain', async () => {
    assert.equal(await upstreamOf('other.example.test', '/'), 'wildcard');
    assert.equal(await upstreamOf('x-1.example.test', '/z'), 'wildcard');
    assert.equal((await get('example.test', '/')).status, 404);
    assert.equal((await get('example.test.evil.org', '/')).status, 404);
  });

  test('host matching ignores case and the port in the Host header', async () => {
    assert.equal(await upstreamOf('EXACT.Example.Test', '/'), 'exact');
    assert.equal(await upstreamOf(`exact.example.test:${pc.port}`, '/'), 'exact');
    assert.equal(await upstreamOf('caseless.example.org', '/'), 'caseless');
  });

  test('prefix routes match in file order', async () => {
    assert.equal(await upstreamOf('paths.example.org', '/api/v2/users'), 'v2');
    assert.equal(await upstreamOf('paths.example.org', '/api/v1/users'), 'api');
    assert.equal(await upstreamOf('paths.example.org', '/api'), 'api');
    // An earlier prefix shadows a later exact path.
    assert.equal(await upstreamOf('paths.example.org', '/docs/index'), 'docs');
  });

  test('prefix matching is a plain string prefix, as in Envoy', async () => {
    assert.equal(await upstreamOf('paths.example.org', '/apidocs'), 'api');
  });

  test('path routes match the exact path only', async () => {
    assert.equal(await upstreamOf('paths.example.org', '/exact'), 'exactpath');
    assert.equal(await upstreamOf('paths.example.org', '/exact?with=query'), 'exactpath');
    assert.equal((await get('paths.example.org', '/exact/more')).status, 404);
    assert.equal((await get('paths.example.org', '/exactly')).status, 404);
  });

  test('regex routes are anchored to the whole path', async () => {
    assert.equal(await upstreamOf('paths.example.org', '/re/12345'), 'regex');
    assert.equal((await get('paths.example.org', '/re/123x')).status, 404);
    assert.equal((await get('paths.example.org', '/x/re/123')).status, 404);
    assert.equal((await get('paths.example.org', '/re/')).status, 404);
  });

  test('an exact host with no matching path does not fall through to a wildcard route', async () => {
    // Envoy picks the virtual host by Host first; Pomerium puts wildcard routes in the catch-all
    // virtual host, so they only serve hosts that no exact route names.
    assert.equal(await upstreamOf('partial.example.test', '/only/x'), 'exact');
    const res = await get('partial.example.test', '/elsewhere');
    assert.equal(res.status, 404, `served by ${res.status === 200 ? res.json().upstream : res.status}`);
  });

  test('unknown hosts and unmatched paths answer 404 without reaching any upstream', async () => {
    const before = Object.values(up).reduce((n, u) => n + u.hits.length, 0);
    assert.equal((await get('unknown.example.net', '/')).status, 404);
    assert.equal((await get('paths.example.org', '/nothing-here')).status, 404);
    const afterHits = Object.values(up).reduce((n, u) => n + u.hits.length, 0);
    assert.equal(afterHits, before);
  });

  test('weighted upstreams receive traffic roughly in proportion to their weights', async () => {
    up['weighted-a'].reset();
    up['weighted-b'].reset();
    const agent = keepAliveAgent({ maxSockets: 4 });
    try {
      const N = 200;
      const batch = [];
      for (let i = 0; i < N; i++) {
        batch.push(get('weighted.example.org', `/w/${i}`, { agent }).then((r) => r.status));
        if (batch.length === 4) {
          for (const status of await Promise.all(batch.splice(0))) assert.equal(status, 200);
        }
      }
      for (const status of await Promise.all(batch)) assert.equal(status, 200);
      const a = up['weighted-a'].hits.length;
      const b = up['weighted-b'].hits.length;
      assert.equal(a + b, N);
      // Expected 150 / 50; more than 5 standard deviations away fails.
      assert.ok(a >= 120 && a <= 180, `weight 3 upstream got ${a} of ${N} (weight 1 got ${b})`);
    } finally {
      agent.destroy();
    }
  });

  test('round robin cycles through every upstream on one connection', async () => {
    const agent = keepAliveAgent();
    try {
      const seen = [];
      for (let i = 0; i < 30; i++) {
        const res = await get('rr.example.org', '/', { agent });
        assert.equal(res.status, 200);
        seen.push(res.json().upstream);
      }
      const counts = Object.fromEntries(['rr-a', 'rr-b', 'rr-c'].map((n) => [n, seen.filter((s) => s === n).length]));
      assert.deepEqual(counts, { 'rr-a': 10, 'rr-b': 10, 'rr-c': 10 }, `sequence: ${seen.join(' ')}`);
      for (let i = 3; i < seen.length; i++) {
        assert.equal(seen[i], seen[i - 3], `not a strict rotation: ${seen.join(' ')}`);
      }
    } finally {
      agent.destroy();
    }
  });

  test('redirect action: https, host and path redirect with the default 301', async () => {
    const res = await get('redirect.example.org', '/moved');
    assert.equal(res.status, 301);
    assert.equal(res.headers.location, 'https://new.example.org/landing');
  });

  test('redirect action: prefix rewrite, response code and the query kept', async () => {
    const res = await get('redirect.example.org', '/old/a/b?q=1&r=two');
    assert.equal(res.status, 307);
    assert.equal(res.headers.location, 'http://redirect.example.org/new/a/b?q=1&r=two');
  });

  test('redirect action: strip_query drops the query string', async () => {
    const res = await get('redirect.example.org', '/found/x?secret=1');
    assert.equal(res.status, 302);
    assert.equal(res.headers.location, 'http://found.example.org/found/x');
  });

  test('response action answers with the configured status and body', async () => {
    const res = await get('teapot.example.org', '/anything');
    assert.equal(res.status, 418);
    assert.equal(res.text, "I'm a teapot, short and stout");
  });

  test('/ping and /healthz answer 200 on route hosts and unknown hosts, never proxied', async () => {
    const before = up.exact.hits.length;
    for (const host of ['exact.example.test', 'paths.example.org', 'unknown.example.net']) {
      for (const path of ['/ping', '/healthz']) {
        const res = await get(host, path);
        assert.equal(res.status, 200, `${host}${path}`);
      }
    }
    assert.equal(up.exact.hits.length, before, 'a built-in endpoint was forwarded to the upstream');
  });
});

describe('routing: legacy `policy` key', () => {
  let pc;
  let up;
  before(async () => {
    up = await startEchoUpstream('legacy');
    pc = await startPortcullis({
      config: await baseConfig({ policy: [publicRoute('legacy.example.test', up.url, { prefix: '/v1/' })] }),
    });
  });
  after(async () => {
    await pc?.stop();
    await up?.close();
  });

  test('routes given under `policy:` are served like `routes:`', async () => {
    const res = await request({ port: pc.port, host: 'legacy.example.test', path: '/v1/x' });
    assert.equal(res.status, 200);
    assert.equal(res.json().upstream, 'legacy');
    assert.equal((await request({ port: pc.port, host: 'legacy.example.test', path: '/v2/x' })).status, 404);
  });
});

// Hostile input: path normalisation and escaped separators, malformed requests, header limits,
// authorization before the upstream, pipelining and request smuggling attempts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseResponses, rawExchange, request } from './lib/http.js';
import { baseConfig, publicRoute, startPortcullis } from './lib/portcullis.js';
import { startEchoUpstream, startUpstream } from './lib/upstreams.js';

const HOST = 'sec.example.test';

describe('security', () => {
  let pc;
  let echo;
  let normPublic;
  let normPrivate;
  let privateUp;
  let authnUp;
  let overeager; // answers some requests twice

  before(async () => {
    echo = await startEchoUpstream('sec');
    normPublic = await startEchoUpstream('norm-public');
    normPrivate = await startEchoUpstream('norm-private');
    privateUp = await startEchoUpstream('private');
    authnUp = await startEchoUpstream('authn');
    const extra = 'HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nsmuggled';
    overeager = await startUpstream({
      name: 'overeager',
      handler(_ctx, req, res) {
        res.setHeader('content-type', 'text/plain');
        const socket = res.socket; // detached from `res` once it ends
        if (req.url === '/extra-same-write') {
          // The extra answer in the same write as the response.
          socket.cork();
          res.end('first');
          socket.write(extra);
          process.nextTick(() => socket.uncork());
          return;
        }
        if (req.url === '/extra-later') {
          res.end('first');
          setTimeout(() => socket.write(extra), 20); // on the idle connection
          return;
        }
        res.end(`answer to ${req.url}`);
      },
    });
    const config = await baseConfig({
      routes: [
        publicRoute(HOST, echo.url),
        publicRoute('norm.example.test', normPublic.url, { prefix: '/public/' }),
        // No flags and no policy: deny-all.
        { from: 'https://norm.example.test', to: normPrivate.url, prefix: '/' },
        { from: 'https://private.example.test', to: privateUp.url },
        { from: 'https://authn.example.test', to: authnUp.url, allow_any_authenticated_user: true },
        publicRoute('overeager.example.test', overeager.url),
      ],
    });
    pc = await startPortcullis({ config });
  });

  after(async () => {
    await pc?.stop();
    for (const u of [echo, normPublic, normPrivate, privateUp, authnUp, overeager]) await u?.close();
  });

  const get = (host, path, opts = {}) => request({ port: pc.port, host, path, ...opts });
  const raw = (data, opts) => rawExchange(pc.port, data, { timeoutMs: 4000, ...opts });

  /** Sends bytes; asserts the first response is `statuses` and the server closes the connection. */
  async function expectRejected(data, statuses = [400], label = JSON.stringify(data).slice(0, 80)) {
    const out = await raw(data);
    const [first] = parseResponses(out.buffer);
    assert.ok(first && first.status, `${label}: no HTTP response (closed=${out.closed}, got ${JSON.stringify(out.text.slice(0, 120))})`);
    assert.ok(statuses.includes(first.status), `${label}: expected ${statuses.join('/')}, got ${first.status}`);
    assert.ok(out.closed, `${label}: connection left open after a ${first.status}`);
    return out;
  }

  describe('path normalisation', () => {
    const cases = [
      ['/a/../b', '/b'],
      ['/a/./b/', '/a/b/'],
      ['/a/b/../../c', '/c'],
      ['/../../etc/passwd', '/etc/passwd'],
      ['/a/..', '/'],
      ['/a/%2e%2e/b', '/b'],
      ['/a/%2E%2E/b', '/b'],
      ['/a/.%2e/b', '/b'],
      ['/a/%2e/b', '/a/b'],
      ['//a//b///c', '/a/b/c'],
      ['/a/../b?x=../y&z=//w', '/b?x=../y&z=//w'],
    ];
    for (const [sent, expected] of cases) {
      test(`${sent} reaches the upstream as ${expected}`, async () => {
        const res = await get(HOST, sent);
        assert.equal(res.status, 200, res.text.slice(0, 200));
        assert.equal(res.json().url, expected);
      });
    }

    test('routing and authorization use the normalised path', async () => {
      const ok = await get('norm.example.test', '/private/../public/x');
      assert.equal(ok.status, 200);
      assert.equal(ok.json().upstream, 'norm-public');
      assert.equal(ok.json().url, '/public/x');

      normPrivate.reset();
      for (const p of ['/public/../private/x', '/public/%2e%2e/private/x', '/public/./../secret']) {
        const res = await get('norm.example.test', p);
        assert.equal(res.status, 403, `${p} should hit the deny-all route`);
      }
      assert.equal(normPrivate.hits.length, 0, 'a denied request reached the upstream');
    });

    for (const p of ['/a%2Fb', '/a%2fb', '/public/..%2Fprivate', '/a%5Cb', '/a%5cb']) {
      test(`escaped separator ${p} is rejected with 400`, async () => {
        echo.reset();
        const res = await get(HOST, p);
        assert.equal(res.status, 400);
        assert.equal(echo.hits.length, 0);
      });
    }
  });

  describe('malformed requests', () => {
    const bad = {
      'control character in the path': `GET /a\x01b HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`,
      'NUL in the path': `GET /a\x00b HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`,
      'DEL in the path': `GET /a\x7fb HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`,
      'space in the path': `GET /a b HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`,
      'garbage request line': 'GARBAGE\r\n\r\n',
      'method only': 'GET\r\n\r\n',
      'extra token after the version': `GET / HTTP/1.1 extra\r\nHost: ${HOST}\r\n\r\n`,
      'bad protocol name': `GET / HTXP/1.1\r\nHost: ${HOST}\r\n\r\n`,
      'header line without a colon': `GET / HTTP/1.1\r\nHost: ${HOST}\r\nNoColonHere\r\n\r\n`,
      'whitespace before the colon': `GET / HTTP/1.1\r\nHost : ${HOST}\r\n\r\n`,
      'control character in a header value': `GET / HTTP/1.1\r\nHost: ${HOST}\r\nX-Bad: a\x01b\r\n\r\n`,
      'NUL in a header value': `GET / HTTP/1.1\r\nHost: ${HOST}\r\nX-Bad: a\x00b\r\n\r\n`,
      'two different Host headers': `GET / HTTP/1.1\r\nHost: ${HOST}\r\nHost: private.example.test\r\n\r\n`,
    };
    for (const [label, data] of Object.entries(bad)) {
      test(`${label} → 400 and the connection closes, nothing forwarded`, async () => {
        echo.reset();
        privateUp.reset();
        await expectRejected(data, [400], label);
        assert.equal(echo.hits.length + privateUp.hits.length, 0, 'the request was forwarded');
      });
    }

    // Well-framed requests refused for their headers: 400, never forwarded. The connection may
    // stay open, but what follows on it must be parsed as the next request.
    const refused = {
      'HTTP/1.1 without Host': 'GET /nohost HTTP/1.1\r\nX-Nothing: 1\r\n\r\n',
      'underscore in a header name': `GET /underscore HTTP/1.1\r\nHost: ${HOST}\r\nX_Custom_Header: 1\r\n\r\n`,
    };
    for (const [label, data] of Object.entries(refused)) {
      test(`${label} → 400, nothing forwarded`, async () => {
        echo.reset();
        const out = await raw(`${data}GET /after HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`);
        const [first, second] = parseResponses(out.buffer);
        assert.ok(first, `${label}: no response`);
        assert.equal(first.status, 400);
        assert.ok(!echo.hits.some((h) => h.url !== '/after'), `forwarded: ${echo.hits.map((h) => h.url)}`);
        if (second) {
          assert.equal(second.status, 200);
          assert.equal(JSON.parse(second.body).url, '/after');
        } else {
          assert.ok(out.closed, `${label}: connection neither answered the next request nor closed`);
        }
      });
    }

    test('underscore header via node:http is rejected too', async () => {
      echo.reset();
      const res = await get(HOST, '/', { headers: { 'x_forwarded_user': 'admin' } });
      assert.equal(res.status, 400);
      assert.equal(echo.hits.length, 0);
    });

    test('an oversized header → 431 (or 400) and nothing forwarded', async () => {
      echo.reset();
      const big = 'a'.repeat(200 * 1024);
      await expectRejected(`GET /big HTTP/1.1\r\nHost: ${HOST}\r\nX-Big: ${big}\r\n\r\n`, [431, 400], 'oversized header');
      assert.equal(echo.hits.length, 0);
    });

    test('too many headers → 431 (or 400) and nothing forwarded', async () => {
      echo.reset();
      const many = Array.from({ length: 2000 }, (_, i) => `X-H${i}: v\r\n`).join('');
      await expectRejected(`GET /many HTTP/1.1\r\nHost: ${HOST}\r\n${many}\r\n`, [431, 400], 'too many headers');
      assert.equal(echo.hits.length, 0);
    });

    test('the server keeps serving after the rejections', async () => {
      const res = await get(HOST, '/still-alive');
      assert.equal(res.status, 200);
    });
  });

  describe('authorization before the upstream', () => {
    test('a route without flags or policy → 403, upstream never contacted', async () => {
      privateUp.reset();
      for (const method of ['GET', 'POST', 'DELETE']) {
        const res = await get('private.example.test', '/admin', {
          method,
          body: method === 'POST' ? 'payload' : undefined,
          headers: { Accept: 'application/json' },
        });
        assert.equal(res.status, 403, `${method}`);
      }
      assert.equal(privateUp.hits.length, 0);
      assert.equal(privateUp.connections, 0, 'the proxy even opened a connection to the upstream');
    });

    test('an authenticated-only route → 401 for API clients, forged credentials do not help', async () => {
      authnUp.reset();
      const attempts = [
        {},
        { Authorization: 'Pomerium eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.forged' },
        { 'X-Pomerium-Authorization': 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.forged' },
        { Cookie: '_pomerium=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.forged' },
        { 'X-Pomerium-Jwt-Assertion': 'forged' },
      ];
      for (const headers of attempts) {
        const res = await get('authn.example.test', '/data', { headers: { Accept: 'application/json', ...headers } });
        assert.equal(res.status, 401, `headers ${JSON.stringify(headers)}`);
      }
      assert.equal(authnUp.hits.length, 0);
    });

    test('a browser on an authenticated-only route is sent to sign in (302)', async () => {
      authnUp.reset();
      const res = await get('authn.example.test', '/page', { headers: { Accept: 'text/html' } });
      assert.equal(res.status, 302);
      assert.match(res.headers.location, /^https:\/\/authenticate\.example\.test\/\.pomerium\/sign_in\?/);
      assert.equal(authnUp.hits.length, 0);
    });
  });

  describe('pipelining', () => {
    test('pipelined requests on one socket are answered in order', async () => {
      const body = 'pipelined-body';
      const data =
        `GET /p1 HTTP/1.1\r\nHost: ${HOST}\r\nX-Test-Delay-Ms: 300\r\n\r\n` +
        `POST /p2 HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: ${body.length}\r\n\r\n${body}` +
        `GET /p3?x=1 HTTP/1.1\r\nHost: ${HOST}\r\n\r\n` +
        `GET /p4 HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`;
      const out = await raw(data, { timeoutMs: 5000 });
      const responses = parseResponses(out.buffer);
      assert.equal(responses.length, 4, `got ${responses.length} responses: ${out.text.slice(0, 300)}`);
      const seen = responses.map((r) => {
        assert.equal(r.status, 200);
        return JSON.parse(r.body.toString());
      });
      assert.deepEqual(seen.map((s) => s.url), ['/p1', '/p2', '/p3?x=1', '/p4']);
      assert.equal(seen[1].body, body);
      assert.ok(out.closed, 'Connection: close on the last request was not honoured');
    });
  });

  describe('request smuggling', () => {
    const smuggled = (tag) => `GET /smuggled-${tag} HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`;
    const cases = {
      'Content-Length and Transfer-Encoding': (tag) =>
        `POST /smuggle-${tag} HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${smuggled(tag)}`,
      'Transfer-Encoding then Content-Length': (tag) =>
        `POST /smuggle-${tag} HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked\r\nContent-Length: 60\r\n\r\n0\r\n\r\n${smuggled(tag)}`,
      'two Transfer-Encoding headers': (tag) =>
        `POST /smuggle-${tag} HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${smuggled(tag)}`,
      'two different Content-Length values': (tag) =>
        `POST /smuggle-${tag} HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 0\r\nContent-Length: 45\r\n\r\n${smuggled(tag)}`,
      'Content-Length list with different values': (tag) =>
        `POST /smuggle-${tag} HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 0, 45\r\n\r\n${smuggled(tag)}`,
      'negative Content-Length': (tag) =>
        `POST /smuggle-${tag} HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: -1\r\n\r\n${smuggled(tag)}`,
      'non-numeric Content-Length': (tag) =>
        `POST /smuggle-${tag} HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 1e2\r\n\r\n${smuggled(tag)}`,
      'invalid chunk size': (tag) =>
        `POST /smuggle-${tag} HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n${smuggled(tag)}`,
      'overflowing chunk size': (tag) =>
        `POST /smuggle-${tag} HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffffffff1\r\nhello\r\n0\r\n\r\n${smuggled(tag)}`,
      'chunk without its CRLF': (tag) =>
        `POST /smuggle-${tag} HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n${smuggled(tag)}`,
    };
    let n = 0;
    for (const [label, make] of Object.entries(cases)) {
      const tag = `s${++n}`;
      const headerLevel = !/chunk/.test(label);
      test(`${label} → 400, never forwarded as two requests`, async () => {
        await expectRejected(make(tag), [400], label);
        await new Promise((r) => setTimeout(r, 150));
        const mine = echo.hits.filter((h) => h.url.endsWith(`-${tag}`)).map((h) => h.url);
        assert.ok(!mine.includes(`/smuggled-${tag}`), 'a smuggled request reached the upstream');
        if (headerLevel) assert.deepEqual(mine, [], 'a request with ambiguous framing was forwarded');
      });
    }

    test('a chunked body that looks like a request is delivered as body, once', async () => {
      echo.reset();
      const inner = `GET /smuggled-body HTTP/1.1\r\nHost: private.example.test\r\n\r\n`;
      const half = Math.floor(inner.length / 2);
      const chunks = [inner.slice(0, half), inner.slice(half)];
      const body = chunks.map((c) => `${c.length.toString(16)}\r\n${c}\r\n`).join('') + '0\r\n\r\n';
      const out = await raw(
        `POST /carrier HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked\r\n\r\n${body}` +
          `GET /next HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`,
      );
      const responses = parseResponses(out.buffer);
      assert.equal(responses.length, 2, `expected 2 responses: ${out.text.slice(0, 300)}`);
      assert.equal(responses[0].status, 200);
      const seen = JSON.parse(responses[0].body);
      assert.equal(seen.url, '/carrier');
      assert.equal(seen.body, inner, 'the upstream did not receive the chunked body intact');
      assert.equal(JSON.parse(responses[1].body).url, '/next');
      await new Promise((r) => setTimeout(r, 150));
      assert.deepEqual(echo.hits.map((h) => h.url), ['/carrier', '/next']);
      assert.deepEqual(echo.clientErrors, [], 'the upstream received bytes outside any HTTP message');
    });

    test('after a chunked upload, other clients still get their own responses', async () => {
      echo.reset();
      const chunk = 'x'.repeat(100);
      await raw(`POST /upload-a HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n64\r\n${chunk}\r\n64\r\n${chunk}\r\n0\r\n\r\n`);
      for (let i = 0; i < 6; i++) {
        const res = await get(HOST, `/victim/${i}`);
        assert.equal(res.status, 200, `victim request ${i} got ${res.status}`);
        assert.equal(res.json().url, `/victim/${i}`);
      }
    });

    test('unknown or stacked transfer codings are refused (400 or 501), never forwarded', async () => {
      await expectRejected(
        `POST /smuggle-te HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: xchunked\r\nContent-Length: 45\r\n\r\n${smuggled('te')}`,
        [400, 501],
        'unknown transfer coding',
      );
      await expectRejected(
        `POST /smuggle-te2 HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n${smuggled('te2')}`,
        [400, 501],
        'transfer coding other than chunked',
      );
      await new Promise((r) => setTimeout(r, 150));
      assert.deepEqual(echo.hits.filter((h) => /-te2?$/.test(h.url)).map((h) => h.url), []);
    });
  });

  // Response queue poisoning: an upstream that sends an answer nobody asked for, with its response
  // or on the idle keep-alive connection afterwards, must not have it taken for the next request's
  // response (nginx and Envoy close such a connection).
  describe('an upstream answering unasked', () => {
    for (const path of ['/extra-same-write', '/extra-later']) {
      test(`${path}: the next request gets its own response`, async () => {
        const first = await get('overeager.example.test', path);
        assert.equal(first.status, 200);
        assert.equal(first.text, 'first');
        await new Promise((r) => setTimeout(r, 100)); // the extra answer has arrived
        for (const next of ['/next-1', '/next-2']) {
          const res = await get('overeager.example.test', next);
          assert.equal(res.status, 200, `${next}: ${res.text}`);
          assert.equal(res.text, `answer to ${next}`);
        }
      });
    }
  });
});

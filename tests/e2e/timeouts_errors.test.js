// Upstream failures (refused, reset, truncated), route and default upstream timeouts without
// head-of-line blocking, and the downstream timeouts timeout_idle and timeout_read.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { freePort, sleep, withTimeout } from './lib/env.js';
import { keepAliveAgent, parseResponses, rawExchange, rawSocket, request } from './lib/http.js';
import { baseConfig, publicRoute, startPortcullis } from './lib/portcullis.js';
import { startEchoUpstream, startUpstream } from './lib/upstreams.js';

describe('timeouts and errors', () => {
  let main; // default timeouts, failing upstreams
  let idle; // timeout_idle: 1s
  let read; // timeout_read: 1s
  let echo;
  let resetter;
  let deadPort;

  before(async () => {
    echo = await startEchoUpstream('echo');
    resetter = await startUpstream({
      name: 'resetter',
      handler(_ctx, req, res) {
        if (req.url.startsWith('/cl-truncate')) {
          res.writeHead(200, { 'content-length': 5000 });
          res.write(Buffer.alloc(1000, 0x61));
          setTimeout(() => res.socket.destroy(), 100);
          return;
        }
        if (req.url.startsWith('/truncate')) {
          res.writeHead(200, { 'content-type': 'application/octet-stream' });
          res.write(Buffer.alloc(1000, 0x61));
          setTimeout(() => res.socket.destroy(), 100);
          return;
        }
        req.socket.destroy(); // before any response byte
      },
    });
    deadPort = await freePort(); // nothing listens here
    main = await startPortcullis({
      config: await baseConfig({
        default_upstream_timeout: '2s',
        routes: [
          publicRoute('down.example.test', `http://127.0.0.1:${deadPort}`),
          publicRoute('reset.example.test', resetter.url),
          publicRoute('slow.example.test', echo.url, { timeout: '1s' }),
          publicRoute('default.example.test', echo.url),
          publicRoute('fast.example.test', echo.url),
        ],
      }),
    });
    idle = await startPortcullis({
      config: await baseConfig({ timeout_idle: '1s', routes: [publicRoute('fast.example.test', echo.url)] }),
    });
    read = await startPortcullis({
      config: await baseConfig({
        timeout_read: '1s',
        timeout_idle: '60s',
        routes: [publicRoute('fast.example.test', echo.url, { timeout: '10s' })],
      }),
    });
  });

  after(async () => {
    for (const pc of [main, idle, read]) await pc?.stop();
    await echo?.close();
    await resetter?.close();
  });

  const get = (pc, host, path = '/', opts = {}) => request({ port: pc.port, host, path, ...opts });

  test('an upstream that refuses connections → 502/503 with an HTML page', async () => {
    const res = await get(main, 'down.example.test', '/x', { headers: { Accept: 'text/html' } });
    assert.ok([502, 503].includes(res.status), `got ${res.status}`);
    assert.match(res.headers['content-type'] || '', /text\/html/);
    assert.match(res.text, /<html/i);
    assert.ok(res.body.length < 64 * 1024, 'error page is not small');
  });

  test('an upstream that resets before answering → 502/503', async () => {
    const res = await get(main, 'reset.example.test', '/reset');
    assert.ok([502, 503].includes(res.status), `got ${res.status}`);
  });

  test('an upstream that dies mid-body yields a truncated response, not a clean end', async () => {
    const out = await rawExchange(
      main.port,
      'GET /truncate HTTP/1.1\r\nHost: reset.example.test\r\n\r\n',
      { timeoutMs: 5000 },
    );
    assert.ok(out.closed, 'the client connection stayed open after the upstream died mid-body');
    const [res] = parseResponses(out.buffer);
    assert.ok(res, 'no response head at all');
    assert.equal(res.status, 200);
    assert.equal(res.complete, false, 'the truncated body was terminated as if it were complete');
  });

  test('an upstream that dies inside a Content-Length body: the client connection is closed short', async () => {
    const out = await rawExchange(main.port, 'GET /cl-truncate HTTP/1.1\r\nHost: reset.example.test\r\n\r\n', { timeoutMs: 5000 });
    assert.ok(out.closed, 'the client connection stayed open after the upstream died mid-body');
    const [res] = parseResponses(out.buffer);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-length'], '5000');
    assert.equal(res.complete, false);
    assert.ok(res.body.length <= 1000);
  });

  test('a slow upstream beyond the route timeout → 504 while other requests stay fast', async () => {
    const slow = Array.from({ length: 4 }, (_, i) =>
      get(main, 'slow.example.test', `/slow/${i}`, { headers: { 'x-test-delay-ms': '3000' } }),
    );
    await sleep(100);
    for (let i = 0; i < 10; i++) {
      const res = await get(main, 'fast.example.test', `/fast/${i}`);
      assert.equal(res.status, 200);
      assert.ok(res.elapsedMs < 800, `fast request ${i} took ${res.elapsedMs} ms while slow ones were pending`);
    }
    for (const res of await Promise.all(slow)) {
      assert.equal(res.status, 504);
      assert.ok(res.elapsedMs >= 900 && res.elapsedMs < 2500, `504 after ${res.elapsedMs} ms for a 1s timeout`);
    }
  });

  test('default_upstream_timeout applies to routes without a timeout', async () => {
    const res = await get(main, 'default.example.test', '/d', { headers: { 'x-test-delay-ms': '4000' } });
    assert.equal(res.status, 504);
    assert.ok(res.elapsedMs >= 1900 && res.elapsedMs < 3500, `504 after ${res.elapsedMs} ms for a 2s default`);
  });

  test('timeout_idle closes an idle keep-alive connection', async () => {
    const agent = keepAliveAgent();
    try {
      const res = await get(idle, 'fast.example.test', '/idle', { agent });
      assert.equal(res.status, 200);
      const socket = res.socket;
      const t0 = Date.now();
      await withTimeout(
        new Promise((resolve) => (socket.destroyed ? resolve() : socket.once('close', resolve))),
        5000,
        'server closing an idle keep-alive connection (timeout_idle 1s)',
      );
      const waited = Date.now() - t0;
      assert.ok(waited >= 700, `idle connection closed after only ${waited} ms`);
    } finally {
      agent.destroy();
    }
  });

  test('timeout_idle does not close a connection that keeps being used', async () => {
    const agent = keepAliveAgent();
    const ports = new Set();
    try {
      const until = Date.now() + 2500;
      while (Date.now() < until) {
        const res = await get(idle, 'fast.example.test', '/busy', { agent });
        assert.equal(res.status, 200);
        ports.add(res.localPort);
        await sleep(300);
      }
    } finally {
      agent.destroy();
    }
    assert.equal(ports.size, 1, 'a busy keep-alive connection was closed');
  });

  test('timeout_read: headers never finished → 408 or close within the timeout', async () => {
    const out = await rawExchange(read.port, 'GET /never HTTP/1.1\r\nHost: fast.example.test\r\n', { timeoutMs: 5000 });
    assert.ok(out.closed, 'connection with unfinished headers still open after 5 s (timeout_read 1s)');
    assert.ok(out.closedAfterMs >= 700, `closed after only ${out.closedAfterMs} ms`);
    const [res] = parseResponses(out.buffer);
    if (res) assert.equal(res.status, 408);
  });

  test('timeout_read: a body that stalls → 408 or close within the timeout', async () => {
    const out = await rawExchange(
      read.port,
      'POST /stall HTTP/1.1\r\nHost: fast.example.test\r\nContent-Length: 100\r\n\r\n0123456789',
      { timeoutMs: 5000 },
    );
    assert.ok(out.closed, 'connection with a stalled body still open after 5 s (timeout_read 1s)');
    const [res] = parseResponses(out.buffer);
    if (res) assert.equal(res.status, 408);
  });

  test('timeout_read bounds the whole request, not each read (slowloris)', async () => {
    const s = await rawSocket(read.port);
    try {
      s.write('GET /trickle HTTP/1.1\r\nHost: fast.example.test\r\nX-Slow: ');
      const started = Date.now();
      const trickle = setInterval(() => {
        if (!s.state.closed) s.write('a');
      }, 150);
      try {
        await s.until((_t, st) => st.closed, 5000, 'connection close while trickling header bytes');
      } finally {
        clearInterval(trickle);
      }
      assert.ok(Date.now() - started < 4000);
    } finally {
      s.close();
    }
  });

  test('timeout_read does not cut a slow upstream response once the request is read', async () => {
    const res = await get(read, 'fast.example.test', '/slow-answer', { headers: { 'x-test-delay-ms': '2000' } });
    assert.equal(res.status, 200);
  });

  test('timeout_write bounds the whole exchange: a response still streaming after it is cut', async () => {
    const trickler = await startUpstream({
      name: 'trickler',
      handler(_ctx, req, res) {
        res.writeHead(200, { 'content-type': 'text/plain' });
        if (req.url === '/fast') {
          res.end('fast\n');
          return;
        }
        let n = 0;
        const timer = setInterval(() => {
          if (n++ >= 20 || res.destroyed) {
            clearInterval(timer);
            if (!res.destroyed) res.end('done\n');
            return;
          }
          res.write(`piece ${n}\n`);
        }, 200);
        res.on('close', () => clearInterval(timer));
      },
    });
    const pc = await startPortcullis({
      config: await baseConfig({
        timeout_write: '1s',
        routes: [publicRoute('trickle.example.test', trickler.url, { timeout: '30s' })],
      }),
    });
    try {
      const started = Date.now();
      const out = await rawExchange(pc.port, 'GET /stream HTTP/1.1\r\nHost: trickle.example.test\r\n\r\n', {
        timeoutMs: 8000,
      });
      const elapsed = Date.now() - started;
      assert.ok(out.closed, 'connection still open although timeout_write passed');
      assert.ok(elapsed < 3000, `cut after ${elapsed} ms; timeout_write is 1s and the upstream needs 4 s`);
      const [res] = parseResponses(out.buffer);
      assert.ok(res, 'no response head');
      assert.equal(res.status, 200);
      assert.equal(res.complete, false, 'the response was completed although it needed 4 s');
      // A quick exchange on the same settings is unaffected.
      const ok = await get(pc, 'trickle.example.test', '/fast');
      assert.equal(ok.status, 200);
    } finally {
      await pc.stop();
      await trickler.close();
    }
  });
});

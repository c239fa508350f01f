// Bodies: large chunked uploads and downloads streamed without whole-body buffering,
// Content-Length bodies, Expect: 100-continue and keep-alive reuse on both sides.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { deferred, withTimeout } from './lib/env.js';
import { keepAliveAgent, request } from './lib/http.js';
import { baseConfig, publicRoute, startPortcullis } from './lib/portcullis.js';
import { readBody, startEchoUpstream, startUpstream } from './lib/upstreams.js';

const MiB = 1024 * 1024;
const HOST = 'stream.example.test';

/** Deterministic pseudo-random block i of size n (cheap xorshift, not crypto). */
function block(i, n = MiB) {
  const buf = Buffer.alloc(Math.ceil(n / 4) * 4);
  let x = (i + 1) * 2654435761 >>> 0 || 1;
  for (let j = 0; j < n; j += 4) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    buf.writeUInt32LE(x, j);
  }
  return buf.subarray(0, n);
}

/** Peak resident set (VmHWM, bytes) of a process. */
function peakRss(pid) {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

describe('streaming', () => {
  let pc;
  let echo;
  let streamer;
  // Side channels between the tests and the streaming upstream.
  let uploadProgress; // upload: resolves when the upstream has received `threshold` bytes
  let downloadGate; // download: the upstream waits on this before finishing
  let downloadDone;

  before(async () => {
    echo = await startEchoUpstream('echo');
    streamer = await startUpstream({
      name: 'streamer',
      async handler(ctx, req, res) {
        if (req.url.startsWith('/upload')) {
          const hash = createHash('sha256');
          let length = 0;
          const threshold = 4 * MiB;
          req.on('data', (chunk) => {
            hash.update(chunk);
            length += chunk.length;
            if (length >= threshold) uploadProgress?.resolve(length);
          });
          await new Promise((r) => req.on('end', r));
          const payload = JSON.stringify({ length, sha256: hash.digest('hex'), te: req.headers['transfer-encoding'] ?? null, cl: req.headers['content-length'] ?? null });
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
          res.end(payload);
          return;
        }
        if (req.url.startsWith('/download')) {
          await readBody(req);
          const total = Number(new URL(req.url, 'http://x').searchParams.get('mib')) * MiB;
          res.writeHead(200, { 'content-type': 'application/octet-stream' }); // no length: chunked
          const hash = createHash('sha256');
          const first = Buffer.from('first-chunk:'.padEnd(16 * 1024, '.'));
          hash.update(first);
          res.write(first);
          // Do not finish until the client proves it has the first chunk.
          let timer;
          const released = await Promise.race([
            downloadGate.promise.then(() => true),
            new Promise((r) => {
              timer = setTimeout(() => r(false), 15000);
              res.once('close', () => r(false));
            }),
          ]);
          clearTimeout(timer);
          let sent = first.length;
          if (released) {
            for (let i = 0; sent < total; i++) {
              const b = block(i, Math.min(MiB, total - sent));
              hash.update(b);
              sent += b.length;
              if (!res.write(b)) await new Promise((r) => res.once('drain', r));
            }
          }
          res.end();
          downloadDone.resolve({ released, length: sent, sha256: hash.digest('hex') });
          return;
        }
        if (req.url.startsWith('/fixed')) {
          await readBody(req);
          const n = Number(new URL(req.url, 'http://x').searchParams.get('bytes'));
          const body = block(7, n);
          res.writeHead(200, {
            'content-length': n,
            'x-sha256': createHash('sha256').update(body).digest('hex'),
          });
          res.end(body);
          return;
        }
        res.writeHead(404);
        res.end();
      },
    });
    pc = await startPortcullis({
      config: await baseConfig({
        routes: [
          publicRoute(HOST, streamer.url, { prefix: '/upload' }),
          publicRoute(HOST, streamer.url, { prefix: '/download' }),
          publicRoute(HOST, streamer.url, { prefix: '/fixed' }),
          publicRoute(HOST, echo.url),
        ],
      }),
    });
  });

  after(async () => {
    await pc?.stop();
    await echo?.close();
    await streamer?.close();
  });

  test('a 64 MiB chunked upload is streamed to the upstream and arrives intact', { timeout: 60000 }, async () => {
    uploadProgress = deferred();
    const rssBefore = peakRss(pc.pid);
    const hash = createHash('sha256');
    const total = 64;
    const agent = new http.Agent({ keepAlive: false });
    const req = http.request({
      host: '127.0.0.1',
      port: pc.port,
      method: 'POST',
      path: '/upload',
      headers: { host: HOST, 'content-type': 'application/octet-stream' },
      agent,
    });
    const response = new Promise((resolve, reject) => {
      req.on('response', (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
      });
      req.on('error', reject);
    });
    // An early response (an error) ends the upload: stop writing instead of waiting for a drain.
    let early = null;
    response.then((r) => {
      early = r;
    }, (err) => {
      early = { status: 'error', body: err.message };
    });
    const write = async (b) => {
      if (early) throw new Error(`proxy answered before the upload finished: ${early.status} ${early.body.slice(0, 200)}`);
      if (req.write(b)) return;
      await Promise.race([new Promise((r) => req.once('drain', r)), response.catch(() => {})]);
    };
    const abortOnFailure = (err) => {
      req.destroy();
      throw err;
    };
    // First half, then wait for the upstream to report it has bytes: proves no whole-body buffering.
    try {
      for (let i = 0; i < total / 2; i++) {
        const b = block(i);
        hash.update(b);
        await write(b);
      }
      await withTimeout(Promise.race([uploadProgress.promise, response]), 10000,
        'upstream received data of an unfinished chunked upload (the proxy buffers the whole request body)');
      for (let i = total / 2; i < total; i++) {
        const b = block(i);
        hash.update(b);
        await write(b);
      }
    } catch (err) {
      abortOnFailure(err);
    }
    req.end();
    const res = await withTimeout(response, 30000, 'response to the 64 MiB upload');
    assert.equal(res.status, 200, res.body.slice(0, 200));
    const seen = JSON.parse(res.body);
    assert.equal(seen.length, total * MiB);
    assert.equal(seen.sha256, hash.digest('hex'));
    const growth = peakRss(pc.pid) - rssBefore;
    assert.ok(growth < 48 * MiB, `peak RSS grew by ${(growth / MiB).toFixed(1)} MiB during a 64 MiB upload`);
  });

  test('a large chunked response reaches the client before the upstream has finished it', { timeout: 60000 }, async () => {
    downloadGate = deferred();
    downloadDone = deferred();
    const rssBefore = peakRss(pc.pid);
    const mib = 64;
    const result = new Promise((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1',
        port: pc.port,
        path: `/download?mib=${mib}`,
        headers: { host: HOST },
        agent: false,
      });
      req.on('error', reject);
      req.on('response', (res) => {
        const hash = createHash('sha256');
        let length = 0;
        let firstAt = null;
        res.on('data', (c) => {
          if (firstAt === null) {
            firstAt = Date.now();
            // The side channel: only now may the upstream finish.
            downloadGate.resolve();
          }
          hash.update(c);
          length += c.length;
        });
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, length, sha256: hash.digest('hex') }));
        res.on('aborted', () => reject(new Error('download aborted')));
      });
      req.end();
    });
    const up = await withTimeout(downloadDone.promise, 30000, 'upstream finishing the download');
    assert.ok(up.released, 'the client did not receive the first chunk while the upstream held the response open (response buffered)');
    const got = await withTimeout(result, 30000, 'client receiving the whole download');
    assert.equal(got.status, 200);
    assert.equal(got.length, up.length);
    assert.equal(got.sha256, up.sha256);
    const growth = peakRss(pc.pid) - rssBefore;
    assert.ok(growth < 48 * MiB, `peak RSS grew by ${(growth / MiB).toFixed(1)} MiB during a 64 MiB download`);
  });

  test('a small chunked upload arrives intact', { timeout: 15000 }, async () => {
    const parts = ['first part, ', 'second part, ', 'third and last'];
    const res = await new Promise((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1',
        port: pc.port,
        method: 'POST',
        path: '/upload/small',
        headers: { host: HOST, 'transfer-encoding': 'chunked' },
        agent: false,
      });
      req.on('response', (r) => {
        const chunks = [];
        r.on('data', (c) => chunks.push(c));
        r.on('end', () => resolve({ status: r.statusCode, body: Buffer.concat(chunks).toString() }));
      });
      req.on('error', reject);
      (async () => {
        for (const p of parts) {
          req.write(p);
          await new Promise((r) => setTimeout(r, 50));
        }
        req.end();
      })();
    });
    assert.equal(res.status, 200, res.body.slice(0, 200));
    const seen = JSON.parse(res.body);
    const whole = parts.join('');
    assert.equal(seen.length, whole.length);
    assert.equal(seen.sha256, createHash('sha256').update(whole).digest('hex'));
    assert.equal(streamer.clientErrors.length, 0, `upstream parse errors: ${streamer.clientErrors}`);
  });

  test('a Content-Length request body is forwarded with its length, not re-chunked', async () => {
    const body = block(3, MiB + 17);
    const res = await request({
      port: pc.port,
      host: HOST,
      method: 'POST',
      path: '/upload/fixed-length',
      headers: { 'content-length': body.length },
      body,
    });
    assert.equal(res.status, 200);
    const seen = res.json();
    assert.equal(seen.length, body.length);
    assert.equal(seen.sha256, createHash('sha256').update(body).digest('hex'));
    assert.equal(seen.cl, String(body.length));
    assert.equal(seen.te, null);
  });

  test('a Content-Length response keeps its length and bytes', async () => {
    const n = 5 * MiB + 3;
    const res = await request({ port: pc.port, host: HOST, path: `/fixed?bytes=${n}` });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-length'], String(n));
    assert.equal(res.body.length, n);
    assert.equal(createHash('sha256').update(res.body).digest('hex'), res.headers['x-sha256']);
  });

  test('empty bodies: POST with Content-Length: 0 and HEAD', async () => {
    const post = await request({ port: pc.port, host: HOST, method: 'POST', path: '/empty', headers: { 'content-length': 0 }, body: '' });
    assert.equal(post.status, 200);
    assert.equal(post.json().bodyLength, 0);
    const head = await request({ port: pc.port, host: HOST, method: 'HEAD', path: `/fixed?bytes=1000` });
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    assert.equal(head.headers['content-length'], '1000');
  });

  test('Expect: 100-continue gets a 100 before the body is sent', async () => {
    const body = block(9, 256 * 1024);
    const result = await new Promise((resolve, reject) => {
      let continued = false;
      const req = http.request({
        host: '127.0.0.1',
        port: pc.port,
        method: 'PUT',
        path: '/upload/continue',
        headers: { host: HOST, expect: '100-continue', 'content-length': body.length },
        agent: false,
      });
      req.on('continue', () => {
        continued = true;
        req.end(body);
      });
      const timer = setTimeout(() => reject(new Error('no 100 Continue within 5 s')), 5000);
      req.on('response', (res) => {
        clearTimeout(timer);
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ continued, status: res.statusCode, body: Buffer.concat(chunks).toString() }));
      });
      req.on('error', reject);
    });
    assert.ok(result.continued, 'final response arrived without 100 Continue');
    assert.equal(result.status, 200);
    assert.equal(JSON.parse(result.body).sha256, createHash('sha256').update(body).digest('hex'));
  });

  test('keep-alive: many requests reuse one client connection and few upstream connections', async () => {
    echo.reset();
    const agent = keepAliveAgent();
    const localPorts = new Set();
    try {
      for (let i = 0; i < 25; i++) {
        const res = await request({
          port: pc.port,
          host: HOST,
          method: i % 2 ? 'POST' : 'GET',
          path: `/ka/${i}`,
          body: i % 2 ? `body-${i}` : undefined,
          agent,
        });
        assert.equal(res.status, 200);
        assert.equal(res.json().url, `/ka/${i}`);
        assert.notEqual(res.headers.connection, 'close');
        localPorts.add(res.localPort);
      }
    } finally {
      agent.destroy();
    }
    assert.equal(localPorts.size, 1, `client connection not reused: ${localPorts.size} connections`);
    assert.equal(echo.hits.length, 25);
    assert.ok(echo.connections <= 2, `proxy opened ${echo.connections} upstream connections for 25 sequential requests`);
  });
});

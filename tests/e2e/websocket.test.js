// WebSocket upgrades through the proxy: echo in both directions, refusal without
// allow_websockets, close propagation and no route timeout on long-lived connections.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { sleep, waitFor, withTimeout } from './lib/env.js';
import { baseConfig, publicRoute, startPortcullis } from './lib/portcullis.js';
import { startWebsocketUpstream } from './lib/upstreams.js';

describe('websocket', () => {
  let pc;
  let wsUp;
  let plainUp;

  before(async () => {
    wsUp = await startWebsocketUpstream({ name: 'ws' });
    plainUp = await startWebsocketUpstream({ name: 'no-ws' });
    pc = await startPortcullis({
      config: await baseConfig({
        // A short global upstream timeout: websocket routes must not inherit it.
        default_upstream_timeout: '1s',
        routes: [
          publicRoute('ws.example.test', wsUp.url, { allow_websockets: true }),
          publicRoute('nows.example.test', plainUp.url),
        ],
      }),
    });
  });

  after(async () => {
    await pc?.stop();
    await wsUp?.close();
    await plainUp?.close();
  });

  /** Opens a client through the proxy; resolves {ws, inbox, next(), closed}. */
  async function connect(host, path = '/chat') {
    const ws = new WebSocket(`ws://127.0.0.1:${pc.port}${path}`, {
      headers: { Host: host },
      maxPayload: 64 * 1024 * 1024,
    });
    ws.on('error', () => {}); // failures surface through open/close below
    const inbox = [];
    const waiters = [];
    ws.on('message', (data, isBinary) => {
      const msg = { data: Buffer.from(data), isBinary };
      const w = waiters.shift();
      if (w) w(msg);
      else inbox.push(msg);
    });
    const closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    await withTimeout(
      new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
        ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused with ${res.statusCode}`)));
      }),
      5000,
      `websocket open to ${host}`,
    );
    const next = (ms = 5000) =>
      withTimeout(
        new Promise((resolve) => {
          if (inbox.length) resolve(inbox.shift());
          else waiters.push(resolve);
        }),
        ms,
        'websocket message',
      );
    return { ws, next, closed };
  }

  test('the upgrade reaches the upstream with path and query, and server messages flow down', async () => {
    const c = await connect('ws.example.test', '/chat/room1?user=a');
    const hello = await c.next();
    assert.equal(hello.data.toString(), 'welcome /chat/room1?user=a');
    assert.equal(hello.isBinary, false);
    const upgrade = wsUp.upgrades.at(-1);
    assert.equal(upgrade.headers.upgrade.toLowerCase(), 'websocket');
    assert.equal(upgrade.headers['x-forwarded-proto'], 'http');
    c.ws.close();
    await c.closed;
  });

  test('text and binary messages echo both ways, in order, many times', async () => {
    const c = await connect('ws.example.test');
    await c.next(); // welcome
    const sent = [];
    for (let i = 0; i < 300; i++) {
      const binary = i % 3 === 0;
      const payload = binary ? randomBytes(1 + (i * 37) % 4096) : `message ${i} ${'x'.repeat(i % 100)}`;
      sent.push({ payload: Buffer.from(payload), binary });
      c.ws.send(payload, { binary });
    }
    for (let i = 0; i < sent.length; i++) {
      const got = await c.next();
      assert.equal(got.isBinary, sent[i].binary, `message ${i} type`);
      assert.ok(got.data.equals(sent[i].payload), `message ${i} content`);
    }
    c.ws.close(1000);
    await c.closed;
  });

  test('a 4 MiB binary message survives the round trip', async () => {
    const c = await connect('ws.example.test');
    await c.next();
    const big = randomBytes(4 * 1024 * 1024);
    c.ws.send(big);
    const got = await c.next(15000);
    assert.ok(got.isBinary);
    assert.ok(got.data.equals(big));
    c.ws.close();
    await c.closed;
  });

  test('a route without allow_websockets refuses the upgrade with 403', async () => {
    const status = await new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${pc.port}/chat`, { headers: { Host: 'nows.example.test' } });
      ws.once('unexpected-response', (_req, res) => {
        resolve(res.statusCode);
        res.resume();
        ws.terminate();
      });
      ws.once('open', () => {
        ws.terminate();
        reject(new Error('upgrade accepted on a route without allow_websockets'));
      });
      ws.on('error', () => {});
    });
    assert.equal(status, 403);
    assert.equal(plainUp.upgrades.length, 0, 'the upstream saw a websocket upgrade');
  });

  test('a client close (code and reason) reaches the upstream', async () => {
    const c = await connect('ws.example.test');
    await c.next();
    const before = wsUp.closes.length;
    c.ws.close(4001, 'client says bye');
    const clientSide = await withTimeout(c.closed, 5000, 'close handshake');
    assert.equal(clientSide.code, 4001);
    await waitFor(() => wsUp.closes.length > before, { timeoutMs: 5000, what: 'upstream close' });
    const last = wsUp.closes.at(-1);
    assert.equal(last.code, 4001);
    assert.equal(last.reason, 'client says bye');
  });

  test('an upstream close (code and reason) reaches the client', async () => {
    const c = await connect('ws.example.test');
    await c.next();
    c.ws.send('close:4002:server says bye');
    const closed = await withTimeout(c.closed, 5000, 'close from the upstream');
    assert.equal(closed.code, 4002);
    assert.equal(closed.reason, 'server says bye');
  });

  test('an abrupt client disconnect closes the upstream side', async () => {
    const c = await connect('ws.example.test');
    await c.next();
    const before = wsUp.closes.length;
    c.ws.terminate();
    await waitFor(() => wsUp.closes.length > before, { timeoutMs: 5000, what: 'upstream noticing the disconnect' });
  });

  test('a websocket outlives default_upstream_timeout when idle', async () => {
    const c = await connect('ws.example.test');
    await c.next();
    await sleep(2500);
    c.ws.send('still there?');
    const got = await c.next();
    assert.equal(got.data.toString(), 'still there?');
    c.ws.close();
    await c.closed;
  });
});

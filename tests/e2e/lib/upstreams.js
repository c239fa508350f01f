// Real upstream servers: an HTTP(S) echo server that reports what it received as JSON, and a
// websocket echo peer. Every request is recorded the moment its headers arrive, so a suite can
// assert that a request never reached an upstream.
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { WebSocketServer } from 'ws';

const liveServers = new Set();
process.on('exit', () => {
  for (const s of liveServers) {
    try {
      s.closeAllConnections?.();
      s.close();
    } catch {
      // ignore
    }
  }
});

function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve(server.address().port);
    });
  });
}

/** Reads the whole body; resolves {length, sha256, text (when small)}. */
export function readBody(req, { keepText = 64 * 1024 } = {}) {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    let length = 0;
    const kept = [];
    req.on('data', (chunk) => {
      hash.update(chunk);
      length += chunk.length;
      if (length <= keepText) kept.push(chunk);
    });
    req.on('end', () =>
      resolve({
        length,
        sha256: hash.digest('hex'),
        text: length <= keepText ? Buffer.concat(kept).toString('utf8') : null,
      }),
    );
    req.on('error', reject);
  });
}

/** What the echo upstream answers: everything it saw about the request. */
export function describeRequest(name, req, body) {
  const q = req.url.indexOf('?');
  return {
    upstream: name,
    method: req.method,
    url: req.url,
    path: q >= 0 ? req.url.slice(0, q) : req.url,
    query: q >= 0 ? req.url.slice(q + 1) : null,
    httpVersion: req.httpVersion,
    headers: req.headers,
    rawHeaders: req.rawHeaders,
    bodyLength: body.length,
    bodySha256: body.sha256,
    body: body.text,
    remotePort: req.socket.remotePort,
  };
}

async function echoHandler(ctx, req, res) {
  const body = await readBody(req);
  const delay = Number(req.headers['x-test-delay-ms'] || 0);
  if (delay > 0) {
    // Wait, but give up as soon as the proxy drops the request (no timers left behind).
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, delay);
      res.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
  if (res.destroyed) return;
  const payload = JSON.stringify(describeRequest(ctx.name, req, body));
  const status = Number(req.headers['x-test-status'] || 200);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
    'x-upstream-name': ctx.name,
  });
  res.end(payload);
}

/**
 * Starts an upstream on 127.0.0.1:<random>. Options: name, handler(ctx, req, res) (default: echo),
 * tls {cert, key} for HTTPS. Returns ctx with: name, port, url, hits (every request: {method,
 * url, headers, at}), clientErrors (HTTP parse errors on upstream connections), connections
 * (count of accepted TCP connections), close(), reset().
 */
export async function startUpstream({ name = 'upstream', handler = echoHandler, tls: tlsOptions } = {}) {
  const ctx = {
    name,
    hits: [],
    clientErrors: [],
    connections: 0,
    remotePorts: new Set(),
  };
  const onRequest = (req, res) => {
    ctx.hits.push({ method: req.method, url: req.url, headers: req.headers, at: Date.now() });
    Promise.resolve(handler(ctx, req, res)).catch((err) => {
      if (!res.headersSent) {
        res.writeHead(500);
        res.end(String(err));
      } else {
        res.destroy();
      }
    });
  };
  const server = tlsOptions
    ? https.createServer({ cert: tlsOptions.cert, key: tlsOptions.key }, onRequest)
    : http.createServer(onRequest);
  server.keepAliveTimeout = 30000;
  server.headersTimeout = 60000;
  server.requestTimeout = 0;
  server.on(tlsOptions ? 'secureConnection' : 'connection', (socket) => {
    ctx.connections += 1;
    ctx.remotePorts.add(socket.remotePort);
  });
  // Bytes the upstream cannot parse as HTTP: a sign that the proxy broke message framing.
  server.on('clientError', (err, socket) => {
    ctx.clientErrors.push(err.code || err.message);
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });
  ctx.server = server;
  ctx.port = await listen(server);
  ctx.url = `${tlsOptions ? 'https' : 'http'}://127.0.0.1:${ctx.port}`;
  liveServers.add(server);
  ctx.reset = () => {
    ctx.hits.length = 0;
    ctx.clientErrors.length = 0;
    ctx.connections = 0;
    ctx.remotePorts.clear();
  };
  ctx.close = () =>
    new Promise((resolve) => {
      liveServers.delete(server);
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return ctx;
}

export const startEchoUpstream = (name, opts = {}) => startUpstream({ name, ...opts });

/**
 * A websocket echo peer. Each message is sent back with the same type (text/binary).
 * A text message "close:<code>:<reason>" makes the server close with that code.
 * On connect the server sends the text "welcome <path>".
 * Records: upgrades [{url, headers}], closes [{code, reason}], plain (non-upgrade) HTTP hits.
 */
export async function startWebsocketUpstream({ name = 'ws-upstream' } = {}) {
  const ctx = { name, upgrades: [], closes: [], hits: [], sockets: new Set() };
  const server = http.createServer((req, res) => {
    ctx.hits.push({ method: req.method, url: req.url, headers: req.headers });
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`plain http from ${name}`);
  });
  const wss = new WebSocketServer({ server, maxPayload: 64 * 1024 * 1024 });
  wss.on('connection', (ws, req) => {
    ctx.upgrades.push({ url: req.url, headers: req.headers });
    ctx.sockets.add(ws);
    ws.send(`welcome ${req.url}`);
    ws.on('message', (data, isBinary) => {
      if (!isBinary) {
        const text = data.toString('utf8');
        const m = /^close:(\d+):(.*)$/.exec(text);
        if (m) {
          ws.close(Number(m[1]), m[2]);
          return;
        }
      }
      ws.send(data, { binary: isBinary });
    });
    ws.on('close', (code, reason) => {
      ctx.sockets.delete(ws);
      ctx.closes.push({ code, reason: reason.toString('utf8'), at: Date.now() });
    });
    ws.on('error', () => {});
  });
  ctx.server = server;
  ctx.wss = wss;
  ctx.port = await listen(server);
  ctx.url = `http://127.0.0.1:${ctx.port}`;
  liveServers.add(server);
  ctx.close = () =>
    new Promise((resolve) => {
      liveServers.delete(server);
      for (const ws of ctx.sockets) ws.terminate();
      wss.close();
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return ctx;
}

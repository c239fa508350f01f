// HTTP clients: node:http/https requests with explicit agents, and raw sockets for bytes that
// node:http refuses to send (malformed requests, pipelining, smuggling attempts).
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';

/**
 * One request. Options: port, host (Host header), path, method, headers, body (string|Buffer),
 * agent (default: a fresh connection), tls ({servername, ca, rejectUnauthorized}), timeoutMs.
 * Resolves {status, headers, rawHeaders, body (Buffer), text, json(), localPort, elapsedMs, socket}.
 */
export function request({
  port,
  address = '127.0.0.1',
  host,
  path = '/',
  method = 'GET',
  headers = {},
  body,
  agent = false,
  tls: tlsOptions,
  timeoutMs = 10000,
} = {}) {
  const started = Date.now();
  const mod = tlsOptions ? https : http;
  const finalHeaders = { ...headers };
  if (host !== undefined && !Object.keys(finalHeaders).some((k) => k.toLowerCase() === 'host')) {
    finalHeaders.host = host;
  }
  return new Promise((resolve, reject) => {
    const req = mod.request({
      host: address,
      port,
      path,
      method,
      headers: finalHeaders,
      agent,
      ...(tlsOptions || {}),
    });
    let localPort;
    let socketRef;
    req.on('socket', (socket) => {
      socketRef = socket;
      const note = () => {
        localPort = socket.localPort;
      };
      if (socket.localPort) note();
      else socket.once('connect', note);
    });
    req.setTimeout(timeoutMs, () => {
      req.destroy(new Error(`request ${method} ${path} (Host ${host}) timed out after ${timeoutMs} ms`));
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', reject);
      res.on('aborted', () => reject(new Error(`response to ${method} ${path} aborted`)));
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        resolve({
          status: res.statusCode,
          headers: res.headers,
          rawHeaders: res.rawHeaders,
          trailers: res.trailers,
          body: buf,
          text: buf.toString('utf8'),
          json() {
            try {
              return JSON.parse(buf.toString('utf8'));
            } catch {
              throw new Error(`response is not JSON (status ${res.statusCode}): ${buf.toString('utf8').slice(0, 300)}`);
            }
          },
          localPort: localPort ?? res.socket?.localPort,
          elapsedMs: Date.now() - started,
          socket: socketRef,
        });
      });
    });
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

export const keepAliveAgent = (opts = {}) => new http.Agent({ keepAlive: true, maxSockets: 1, ...opts });

/**
 * Writes bytes on a raw TCP (or TLS) socket and collects everything until the server closes the
 * connection or timeoutMs passes. Resolves {buffer, text, closed, closedAfterMs, error}.
 * Write errors (EPIPE, ECONNRESET) are recorded, not thrown: servers may close early.
 */
export function rawExchange(port, data, { timeoutMs = 3000, tls: tlsOptions, halfClose = false, address = '127.0.0.1' } = {}) {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = tlsOptions
      ? tls.connect({ host: address, port, ...tlsOptions })
      : net.connect({ host: address, port });
    const chunks = [];
    let error = null;
    let done = false;
    const finish = (closed) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const buffer = Buffer.concat(chunks);
      resolve({
        buffer,
        text: buffer.toString('latin1'),
        closed,
        closedAfterMs: closed ? Date.now() - started : null,
        error,
      });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', (err) => {
      error = err;
    });
    socket.on('close', () => finish(true));
    socket.once(tlsOptions ? 'secureConnect' : 'connect', () => {
      const parts = Array.isArray(data) ? data : [data];
      for (const part of parts) socket.write(part);
      if (halfClose) socket.end();
    });
  });
}

/** An open raw socket with helpers to write later and to read what has arrived so far. */
export function rawSocket(port, { address = '127.0.0.1' } = {}) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: address, port });
    const chunks = [];
    const state = { closed: false, closedAt: null, error: null };
    const waiters = new Set();
    socket.on('data', (c) => {
      chunks.push(c);
      for (const w of waiters) w();
    });
    socket.on('error', (err) => {
      state.error = err;
    });
    socket.on('close', () => {
      state.closed = true;
      state.closedAt = Date.now();
      for (const w of waiters) w();
    });
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve({
        socket,
        state,
        write: (d) => socket.write(d),
        text: () => Buffer.concat(chunks).toString('latin1'),
        buffer: () => Buffer.concat(chunks),
        /** Resolves once pred(text, state) is true; rejects after timeoutMs. */
        until(pred, timeoutMs = 5000, what = 'socket condition') {
          return new Promise((res, rej) => {
            const check = () => {
              const t = Buffer.concat(chunks).toString('latin1');
              if (pred(t, state)) {
                clearTimeout(timer);
                waiters.delete(check);
                res(t);
              }
            };
            const timer = setTimeout(() => {
              waiters.delete(check);
              rej(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; received: ${JSON.stringify(Buffer.concat(chunks).toString('latin1').slice(0, 500))}`));
            }, timeoutMs);
            waiters.add(check);
            check();
          });
        },
        close: () => socket.destroy(),
      });
    });
  });
}

/**
 * Parses a byte stream of HTTP/1.x responses (in order). Returns
 * [{status, reason, headers (lower-case, arrays joined by ', '), headerList, body (Buffer)}].
 * Interim 1xx responses are included. A response without length runs to the end of data.
 * `complete` is false when the data ends inside a response.
 */
export function parseResponses(input, { headRequests = 0 } = {}) {
  const buf = Buffer.isBuffer(input) ? input : Buffer.from(input, 'latin1');
  const out = [];
  let pos = 0;
  let headLeft = headRequests;
  while (pos < buf.length) {
    const headEnd = buf.indexOf('\r\n\r\n', pos, 'latin1');
    if (headEnd < 0) {
      out.push({ complete: false, partial: buf.subarray(pos).toString('latin1') });
      break;
    }
    const head = buf.subarray(pos, headEnd).toString('latin1');
    const [statusLine, ...headerLines] = head.split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(statusLine);
    if (!m) {
      out.push({ complete: false, partial: buf.subarray(pos).toString('latin1'), malformed: statusLine });
      break;
    }
    const status = Number(m[1]);
    const headers = {};
    const headerList = [];
    for (const line of headerLines) {
      const idx = line.indexOf(':');
      const name = line.slice(0, idx).trim().toLowerCase();
      const value = line.slice(idx + 1).trim();
      headerList.push([name, value]);
      headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
    }
    pos = headEnd + 4;
    const response = { status, reason: m[2] ?? '', headers, headerList, body: Buffer.alloc(0), complete: true };
    out.push(response);
    if (status < 200) continue; // interim response, the final one follows
    const noBody = status === 204 || status === 304 || (headLeft > 0 && headLeft--);
    if (noBody) continue;
    if (/\bchunked\b/i.test(headers['transfer-encoding'] || '')) {
      const parts = [];
      for (;;) {
        const lineEnd = buf.indexOf('\r\n', pos, 'latin1');
        if (lineEnd < 0) {
          response.complete = false;
          pos = buf.length;
          break;
        }
        const size = parseInt(buf.subarray(pos, lineEnd).toString('latin1').split(';')[0], 16);
        pos = lineEnd + 2;
        if (size === 0) {
          const trailerEnd = buf.indexOf('\r\n', pos, 'latin1');
          // skip trailers until the empty line
          let p = pos;
          let te = trailerEnd;
          while (te >= 0 && te !== p) {
            p = te + 2;
            te = buf.indexOf('\r\n', p, 'latin1');
          }
          if (te < 0) response.complete = false;
          pos = te < 0 ? buf.length : te + 2;
          break;
        }
        if (pos + size + 2 > buf.length) {
          response.complete = false;
          parts.push(buf.subarray(pos));
          pos = buf.length;
          break;
        }
        parts.push(buf.subarray(pos, pos + size));
        pos += size + 2;
      }
      response.body = Buffer.concat(parts);
    } else if (headers['content-length'] !== undefined) {
      const len = Number(headers['content-length']);
      response.body = buf.subarray(pos, pos + len);
      if (pos + len > buf.length) response.complete = false;
      pos += len;
    } else {
      response.body = buf.subarray(pos);
      pos = buf.length;
    }
  }
  return out;
}

/** The final (non-1xx) responses of parseResponses. */
export const finalResponses = (input, opts) => parseResponses(input, opts).filter((r) => !r.complete || r.status >= 200);

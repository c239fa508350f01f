// Checks the harness itself (no portcullis needed): generated certificates, SNI selection against
// a plain node:https server, the echo and websocket upstreams and the raw response parser.
import assert from 'node:assert/strict';
import https from 'node:https';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { generateStandardPki } from './certs.js';
import { makeTempDir, removeTempDir } from './env.js';
import { parseResponses, rawExchange, request } from './http.js';
import { startEchoUpstream, startWebsocketUpstream } from './upstreams.js';

describe('harness', () => {
  let dir;
  let pki;
  let sniServer;
  let sniPort;

  before(async () => {
    dir = makeTempDir();
    pki = generateStandardPki(dir);
    const contexts = {
      'alpha.example.test': tls.createSecureContext({ cert: pki.leaf.alpha.certPem, key: pki.leaf.alpha.keyPem }),
      'beta.example.test': tls.createSecureContext({ cert: pki.leaf.beta.certPem, key: pki.leaf.beta.keyPem }),
      'beta-alt.example.test': tls.createSecureContext({ cert: pki.leaf.beta.certPem, key: pki.leaf.beta.keyPem }),
    };
    sniServer = https.createServer(
      {
        cert: pki.leaf.wildcard.certPem,
        key: pki.leaf.wildcard.keyPem,
        SNICallback: (name, cb) => cb(null, contexts[name]),
      },
      (req, res) => res.end('sni ok'),
    );
    await new Promise((r) => sniServer.listen(0, '127.0.0.1', r));
    sniPort = sniServer.address().port;
  });

  after(async () => {
    sniServer.closeAllConnections();
    await new Promise((r) => sniServer.close(r));
    removeTempDir(dir);
  });

  function peerCert(servername) {
    return new Promise((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port: sniPort, servername, ca: pki.ca.pem }, () => {
        const cert = socket.getPeerCertificate();
        socket.destroy();
        resolve(cert);
      });
      socket.on('error', reject);
    });
  }

  test('generated leaves verify against the CA and SNI picks the matching one', async () => {
    assert.equal((await peerCert('alpha.example.test')).subject.CN, 'alpha.example.test');
    const beta = await peerCert('beta-alt.example.test');
    assert.equal(beta.subject.CN, 'beta.example.test');
    assert.match(beta.subjectaltname, /DNS:beta-alt\.example\.test/);
    const wild = await peerCert('gamma.example.test');
    assert.equal(wild.subject.CN, '*.example.test');
    assert.equal(wild.issuer.CN, 'Portcullis E2E Test CA');
  });

  test('a name outside the certificate fails hostname verification', async () => {
    await assert.rejects(peerCert('other.invalid'), /altnames|Hostname/i);
  });

  test('echo upstream reports method, path, query, headers and body digest', async () => {
    const up = await startEchoUpstream('echo');
    try {
      const res = await request({
        port: up.port,
        method: 'POST',
        path: '/p/a?x=1&y=%20',
        headers: { 'x-thing': 'v' },
        body: 'hello',
      });
      assert.equal(res.status, 200);
      const seen = res.json();
      assert.equal(seen.upstream, 'echo');
      assert.equal(seen.path, '/p/a');
      assert.equal(seen.query, 'x=1&y=%20');
      assert.equal(seen.headers['x-thing'], 'v');
      assert.equal(seen.body, 'hello');
      assert.equal(seen.bodyLength, 5);
      assert.equal(up.hits.length, 1);
    } finally {
      await up.close();
    }
  });

  test('raw pipelining and the response parser agree', async () => {
    const up = await startEchoUpstream('raw');
    try {
      const reqs = ['/one', '/two', '/three']
        .map((p) => `GET ${p} HTTP/1.1\r\nHost: x\r\n\r\n`)
        .join('');
      const out = await rawExchange(up.port, reqs, { timeoutMs: 1500 });
      const responses = parseResponses(out.buffer);
      assert.equal(responses.length, 3);
      assert.deepEqual(responses.map((r) => JSON.parse(r.body).path), ['/one', '/two', '/three']);
    } finally {
      await up.close();
    }
  });

  test('websocket upstream echoes text and binary and honours close commands', async () => {
    const up = await startWebsocketUpstream();
    try {
      const ws = new WebSocket(`ws://127.0.0.1:${up.port}/chat`);
      const received = [];
      const closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
      ws.on('message', (data, isBinary) => {
        received.push({ data: Buffer.from(data), isBinary });
        if (received.length === 3) ws.send('close:4002:done');
      });
      await new Promise((resolve, reject) => {
        ws.on('open', resolve);
        ws.on('error', reject);
      });
      ws.send('text');
      ws.send(Buffer.from([1, 2, 3]));
      const { code, reason } = await closed;
      assert.equal(received[0].data.toString(), 'welcome /chat');
      assert.equal(received[1].data.toString(), 'text');
      assert.equal(received[1].isBinary, false);
      assert.deepEqual([...received[2].data], [1, 2, 3]);
      assert.equal(received[2].isBinary, true);
      assert.equal(code, 4002);
      assert.equal(reason, 'done');
    } finally {
      await up.close();
    }
  });
});

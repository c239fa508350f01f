// TLS listener: SNI picks among several certificates (incl. a wildcard), HSTS over TLS,
// X-Forwarded-Proto https, the http_redirect_addr listener and the single-certificate keys.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import tls from 'node:tls';
import { generateStandardPki } from './lib/certs.js';
import { freePort, makeTempDir, removeTempDir, withTimeout } from './lib/env.js';
import { request } from './lib/http.js';
import { baseConfig, publicRoute, startPortcullis } from './lib/portcullis.js';
import { startEchoUpstream } from './lib/upstreams.js';

describe('tls', () => {
  let dir;
  let pki;
  let pc;
  let single;
  let echo;
  let redirectPort;

  before(async () => {
    dir = makeTempDir();
    pki = generateStandardPki(dir);
    echo = await startEchoUpstream('echo');
    redirectPort = await freePort();
    const routes = [
      publicRoute('alpha.example.test', echo.url),
      publicRoute('beta.example.test', echo.url),
      publicRoute('beta-alt.example.test', echo.url),
      publicRoute('gamma.example.test', echo.url),
    ];
    pc = await startPortcullis({
      dir: makeTempDir(),
      config: await baseConfig({
        insecure_server: undefined,
        certificates: ['alpha', 'beta', 'wildcard'].map((n) => ({
          cert: pki.leaf[n].certFile,
          key: pki.leaf[n].keyFile,
        })),
        http_redirect_addr: `127.0.0.1:${redirectPort}`,
        routes,
      }),
    });
    single = await startPortcullis({
      dir: makeTempDir(),
      config: await baseConfig({
        insecure_server: undefined,
        certificate_file: path.join(dir, 'beta.crt'),
        certificate_key_file: path.join(dir, 'beta.key'),
        routes,
      }),
    });
  });

  after(async () => {
    await pc?.stop();
    await single?.stop();
    await echo?.close();
    if (dir) removeTempDir(dir);
  });

  /** Handshake only: resolves the verified peer certificate for this SNI name. */
  function peerCertificate(port, servername) {
    return withTimeout(
      new Promise((resolve, reject) => {
        const socket = tls.connect({ host: '127.0.0.1', port, servername, ca: pki.ca.pem }, () => {
          const cert = socket.getPeerCertificate();
          socket.destroy();
          resolve(cert);
        });
        socket.on('error', reject);
      }),
      5000,
      `TLS handshake with SNI ${servername}`,
    );
  }

  const httpsGet = (instance, host, p = '/') =>
    request({ port: instance.port, host, path: p, tls: { servername: host, ca: pki.ca.pem } });

  test('SNI selects the certificate for each name, wildcard for the rest', async () => {
    const cases = [
      ['alpha.example.test', 'alpha.example.test'],
      ['beta.example.test', 'beta.example.test'],
      ['beta-alt.example.test', 'beta.example.test'],
      ['gamma.example.test', '*.example.test'],
    ];
    for (const [sni, cn] of cases) {
      const cert = await peerCertificate(pc.port, sni);
      assert.equal(cert.subject.CN, cn, `SNI ${sni}`);
      assert.equal(cert.issuer.CN, 'Portcullis E2E Test CA');
      assert.match(cert.subjectaltname, new RegExp(cn === '*.example.test' ? 'DNS:\\*\\.example\\.test' : `DNS:${sni.replace(/\./g, '\\.')}`));
    }
  });

  test('requests over TLS are proxied with X-Forwarded-Proto https and carry HSTS', async () => {
    for (const host of ['alpha.example.test', 'beta-alt.example.test', 'gamma.example.test']) {
      const res = await httpsGet(pc, host, '/over/tls?x=1');
      assert.equal(res.status, 200, `${host}: ${res.text.slice(0, 200)}`);
      const seen = res.json();
      assert.equal(seen.url, '/over/tls?x=1');
      assert.equal(seen.headers['x-forwarded-proto'], 'https');
      assert.equal(seen.headers['x-forwarded-host'], host);
      const hsts = res.headers['strict-transport-security'];
      assert.ok(hsts, `${host}: no Strict-Transport-Security header over TLS`);
      assert.match(hsts, /max-age=31536000/);
      assert.match(hsts, /includeSubDomains/);
      assert.equal(res.headers['x-frame-options'], 'SAMEORIGIN');
    }
  });

  test('/ping answers over TLS', async () => {
    const res = await httpsGet(pc, 'alpha.example.test', '/ping');
    assert.equal(res.status, 200);
  });

  test('plain HTTP sent to the TLS port gets no proxied answer', async () => {
    echo.reset();
    const res = await request({ port: pc.port, host: 'alpha.example.test', path: '/plain' }).catch((e) => e);
    if (!(res instanceof Error)) assert.ok(res.status >= 400, `plain HTTP on the TLS port answered ${res.status}`);
    assert.equal(echo.hits.length, 0);
  });

  test('http_redirect_addr answers 301 to https with the same host, path and query', async () => {
    const res = await request({ port: redirectPort, host: 'alpha.example.test', path: '/some/path?q=1&r=2' });
    assert.equal(res.status, 301);
    assert.equal(res.headers.location, 'https://alpha.example.test/some/path?q=1&r=2');
    const root = await request({ port: redirectPort, host: 'beta.example.test', path: '/' });
    assert.equal(root.status, 301);
    assert.equal(root.headers.location, 'https://beta.example.test/');
  });

  test('http_redirect_addr does not proxy', async () => {
    echo.reset();
    const res = await request({ port: redirectPort, host: 'alpha.example.test', path: '/x', method: 'POST', body: 'data' });
    assert.ok([301, 308].includes(res.status), `got ${res.status}`);
    assert.equal(echo.hits.length, 0);
  });

  test('certificate_file / certificate_key_file serve a single certificate', async () => {
    const cert = await peerCertificate(single.port, 'beta.example.test');
    assert.equal(cert.subject.CN, 'beta.example.test');
    const res = await httpsGet(single, 'beta-alt.example.test', '/single');
    assert.equal(res.status, 200);
    assert.equal(res.json().url, '/single');
  });

});

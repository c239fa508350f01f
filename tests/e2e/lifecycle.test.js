// The process: CLI (validate, --version, --help), logs, reloads (SIGHUP, file edits, bad files,
// reload under load), graceful SIGTERM drain, and the health and metrics listeners.
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPO_ROOT, freePort, makeTempDir, sleep, waitFor, withTimeout } from './lib/env.js';
import { keepAliveAgent, request } from './lib/http.js';
import {
  baseConfig,
  portOf,
  publicRoute,
  runPortcullis,
  startPortcullis,
  toYaml,
} from './lib/portcullis.js';
import { startEchoUpstream } from './lib/upstreams.js';

const POMERIUM_CONFIGS = process.env.POMERIUM_CONFIGS || path.resolve(REPO_ROOT, '..', 'shared', 'pomerium-configs');

const connectRefused = (port) =>
  new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', (err) => resolve(err.code === 'ECONNREFUSED'));
  });

describe('lifecycle', () => {
  let echo;
  before(async () => {
    echo = await startEchoUpstream('echo');
  });
  after(async () => {
    await echo?.close();
  });

  describe('command line', () => {
    let dir;
    before(() => {
      dir = makeTempDir();
    });

    test('validate accepts a good file (exit 0, no errors)', async () => {
      const file = path.join(dir, 'good.yaml');
      writeFileSync(file, toYaml(await baseConfig({ routes: [publicRoute('a.example.test', echo.url)] })));
      const r = await runPortcullis(['validate', '--config', file]);
      assert.equal(r.code, 0, r.output);
      assert.doesNotMatch(r.output, /^error:/m);
    });

    test('validate rejects a bad file naming each key and line (exit 1)', async () => {
      const file = path.join(dir, 'bad.yaml');
      writeFileSync(file, [
        'address: 127.0.0.1:1',
        'insecure_server: true',
        'authenticate_service_url: https://authenticate.example.test',
        'timeout_idle: banana',
        'routes:',
        '  - from: https://a.example.test',
        '    to: "not a url"',
        '    allow_public_unauthenticated_access: true',
        '',
      ].join('\n'));
      const r = await runPortcullis(['validate', '--config', file]);
      assert.equal(r.code, 1, r.output);
      assert.match(r.output, /^error: timeout_idle \(line 4\): .+/m);
      assert.match(r.output, /^error: \S*\bto\b\S* \(line 7\): .+/m, 'the bad `to` is not reported with its line');
    });

    test('validate warns about an unknown key but exits 0', async () => {
      const file = path.join(dir, 'unknown.yaml');
      const config = await baseConfig({ routes: [publicRoute('a.example.test', echo.url)] });
      writeFileSync(file, `${toYaml(config)}frobnicate_widgets: 3\n`);
      const r = await runPortcullis(['validate', '--config', file]);
      assert.equal(r.code, 0, r.output);
      assert.match(r.output, /^warning: frobnicate_widgets\b.*/m);
    });

    test('validate reports a YAML syntax error with its line', async () => {
      const file = path.join(dir, 'syntax.yaml');
      writeFileSync(file, 'address: 127.0.0.1:1\ninsecure_server: true\nroutes: [\n  {from: https://a.example.test\n');
      const r = await runPortcullis(['validate', '--config', file]);
      assert.equal(r.code, 1, r.output);
      assert.match(r.output, /^error: .*line \d+/m);
    });

    test('real Pomerium config files load without unknown-key or type complaints', async () => {
      const configs = readdirSync(POMERIUM_CONFIGS).filter((f) => f.endsWith('.yaml'));
      assert.ok(configs.length > 0, `no configs in ${POMERIUM_CONFIGS}`);
      for (const name of configs) {
        const r = await runPortcullis(['validate', '--config', path.join(POMERIUM_CONFIGS, name)]);
        assert.equal(r.signal, null, `${name}: validate died with ${r.signal}`);
        assert.ok(r.code === 0 || r.code === 1, `${name}: exit ${r.code}`);
        const complaints = r.output.split('\n').filter((l) => /^(error|warning):/.test(l) && /unknown|not a |expected|invalid type|wrong type/i.test(l));
        assert.deepEqual(complaints, [], `${name}`);
      }
    });

    test('--version prints a version and exits 0', async () => {
      const r = await runPortcullis(['--version']);
      assert.equal(r.code, 0, r.output);
      assert.match(r.output, /\d+\.\d+\.\d+/);
    });

    test('--help documents --config and validate', async () => {
      const r = await runPortcullis(['--help']);
      assert.equal(r.code, 0, r.output);
      assert.match(r.output, /--config/);
      assert.match(r.output, /validate/);
    });

    test('starting with a missing or invalid config exits non-zero without serving', async () => {
      const missing = await runPortcullis(['--config', path.join(dir, 'does-not-exist.yaml')], { timeoutMs: 5000 });
      assert.notEqual(missing.code, 0);
      const file = path.join(dir, 'invalid-start.yaml');
      const port = await freePort();
      writeFileSync(file, `address: 127.0.0.1:${port}\ninsecure_server: true\ntimeout_idle: banana\n`);
      const bad = await runPortcullis(['--config', file], { timeoutMs: 5000 });
      assert.notEqual(bad.code, 0);
    });
  });

  describe('logs and reloads', () => {
    let pc;
    let config;
    before(async () => {
      config = await baseConfig({ routes: [publicRoute('live.example.test', echo.url)] });
      pc = await startPortcullis({ config });
    });
    after(async () => {
      await pc?.stop();
    });

    const status = async (host, p = '/') => (await request({ port: pc.port, host, path: p })).status;
    const withRoutes = (...hosts) => ({ ...config, routes: hosts.map((h) => publicRoute(h, echo.url)) });
    const reloadedAfter = (from, what) =>
      pc.waitForLog((l) => l.message === 'config reloaded', { from, timeoutMs: 8000, what });

    test('a "listening" log line names each listener address', async () => {
      for (const address of [config.address, config.health_check_addr]) {
        await pc.waitForLog((l) => l.message === 'listening' && l.address === address, {
          timeoutMs: 3000,
          what: `listening log for ${address}`,
        });
      }
    });

    test('each request is logged as http-request with the documented fields', async () => {
      const res = await request({ port: pc.port, host: 'live.example.test', path: '/logged?x=1', method: 'POST', body: 'twelve bytes' });
      assert.equal(res.status, 200);
      const line = await pc.waitForLog((l) => l.message === 'http-request' && String(l.path).startsWith('/logged'), {
        what: 'access log for /logged',
      });
      for (const field of ['request_id', 'method', 'authority', 'path', 'route_id', 'status', 'duration_ms', 'bytes_received', 'bytes_sent', 'upstream']) {
        assert.ok(field in line, `access log lacks ${field}: ${JSON.stringify(line)}`);
      }
      assert.equal(line.method, 'POST');
      assert.equal(line.authority, 'live.example.test');
      assert.equal(line.status, 200);
      assert.equal(line.bytes_received, 12);
      assert.ok(line.bytes_sent >= res.body.length, `bytes_sent ${line.bytes_sent} < body ${res.body.length}`);
      assert.equal(typeof line.duration_ms, 'number');
      assert.match(String(line.upstream), new RegExp(`127\\.0\\.0\\.1:${echo.port}`));
    });

    test('SIGHUP reloads the config even without a change', async () => {
      const from = pc.logs.length;
      pc.signal('SIGHUP');
      await reloadedAfter(from, 'config reloaded after SIGHUP');
      assert.equal(await status('live.example.test'), 200);
    });

    test('SIGHUP after an edit brings in a new route', async () => {
      assert.equal(await status('hup.example.test'), 404);
      pc.rewriteConfig(withRoutes('live.example.test', 'hup.example.test'));
      pc.signal('SIGHUP');
      await waitFor(async () => (await status('hup.example.test')) === 200, { timeoutMs: 8000, what: 'hup.example.test routed' });
      assert.equal(await status('live.example.test'), 200);
    });

    test('editing the file in place reloads it without a signal', async () => {
      const from = pc.logs.length;
      pc.rewriteConfig(withRoutes('live.example.test', 'hup.example.test', 'edited.example.test'));
      await waitFor(async () => (await status('edited.example.test')) === 200, { timeoutMs: 8000, what: 'edited.example.test routed after an in-place edit' });
      await reloadedAfter(from, 'config reloaded log after the edit');
    });

    test('replacing the file by rename reloads it, and later edits still do', async () => {
      pc.rewriteConfig(withRoutes('live.example.test', 'renamed.example.test'), { atomic: true });
      await waitFor(async () => (await status('renamed.example.test')) === 200, { timeoutMs: 8000, what: 'route after an atomic rename' });
      assert.equal(await status('edited.example.test'), 404, 'a route removed by the reload is still served');
      pc.rewriteConfig(withRoutes('live.example.test', 'renamed.example.test', 'again.example.test'), { atomic: true });
      await waitFor(async () => (await status('again.example.test')) === 200, { timeoutMs: 8000, what: 'route after a second rename' });
    });

    test('a bad edit is rejected and the old config keeps serving', async () => {
      const from = pc.logs.length;
      pc.rewriteConfig('routes: [ {from: https://broken.example.test\ntimeout_idle: [\n');
      const rejected = await pc.waitForLog((l) => l.message === 'config reload rejected', {
        from,
        timeoutMs: 8000,
        what: 'config reload rejected',
      });
      assert.ok(rejected.error, 'the rejection log has no error field');
      assert.equal(await status('live.example.test'), 200);
      assert.equal(await status('again.example.test'), 200);
      // A type error (valid YAML) is rejected too.
      const from2 = pc.logs.length;
      pc.rewriteConfig({ ...withRoutes('live.example.test', 'typo.example.test'), timeout_idle: 'banana' });
      await pc.waitForLog((l) => l.message === 'config reload rejected', { from: from2, timeoutMs: 8000, what: 'second rejection' });
      assert.equal(await status('typo.example.test'), 404);
      assert.equal(await status('live.example.test'), 200);
      assert.ok(pc.alive);
      // And a good file afterwards is picked up.
      pc.rewriteConfig(withRoutes('live.example.test', 'fixed.example.test'), { atomic: true });
      await waitFor(async () => (await status('fixed.example.test')) === 200, { timeoutMs: 8000, what: 'route after fixing the file' });
    });

    test('reloads under load lose no request', async () => {
      const clients = 8;
      let stop = false;
      const failures = [];
      let ok = 0;
      const worker = async (id) => {
        const agent = keepAliveAgent();
        try {
          for (let i = 0; !stop; i++) {
            try {
              const res = await request({ port: pc.port, host: 'live.example.test', path: `/load/${id}/${i}`, agent, method: i % 4 === 0 ? 'POST' : 'GET', body: i % 4 === 0 ? 'x'.repeat(1000) : undefined });
              if (res.status === 200 && res.json().url === `/load/${id}/${i}`) ok++;
              else failures.push(`client ${id} request ${i}: ${res.status}`);
            } catch (err) {
              failures.push(`client ${id} request ${i}: ${err.message}`);
            }
          }
        } finally {
          agent.destroy();
        }
      };
      const running = Array.from({ length: clients }, (_, id) => worker(id));
      const reloadLogsBefore = pc.logs.filter((l) => l.message === 'config reloaded').length;
      for (let r = 0; r < 6; r++) {
        await sleep(400);
        const extra = `extra${r}.example.test`;
        pc.rewriteConfig(withRoutes('live.example.test', extra), { atomic: true });
        if (r % 2) pc.signal('SIGHUP');
      }
      await sleep(600);
      stop = true;
      await Promise.all(running);
      const reloads = pc.logs.filter((l) => l.message === 'config reloaded').length - reloadLogsBefore;
      assert.deepEqual(failures.slice(0, 10), [], `${failures.length} failed requests out of ${ok + failures.length}`);
      assert.ok(ok > 200, `only ${ok} requests completed`);
      assert.ok(reloads >= 3, `only ${reloads} reloads happened`);
      assert.equal(await status('extra5.example.test'), 200);
    });
  });

  describe('health and metrics listeners', () => {
    let pc;
    let config;
    before(async () => {
      config = await baseConfig({
        metrics_address: `127.0.0.1:${await freePort()}`,
        routes: [
          publicRoute('metered.example.test', echo.url, { id: 'metered-route' }),
          publicRoute('broken.example.test', `http://127.0.0.1:${await freePort()}`, { id: 'broken-route' }),
        ],
      });
      pc = await startPortcullis({ config });
    });
    after(async () => {
      await pc?.stop();
    });

    const healthGet = (p) => request({ port: portOf(config.health_check_addr), host: '127.0.0.1', path: p });
    const metricsText = async () => {
      const res = await request({ port: portOf(config.metrics_address), host: '127.0.0.1', path: '/metrics' });
      assert.equal(res.status, 200);
      return res.text;
    };
    const sumOf = (text, name, labelPred = () => true) =>
      text.split('\n')
        .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
        .filter((l) => labelPred(l))
        .reduce((n, l) => n + Number(l.trim().split(/\s+/).at(-1)), 0);

    test('/healthz and /readyz answer 200 on health_check_addr', async () => {
      assert.equal((await healthGet('/healthz')).status, 200);
      assert.equal((await healthGet('/readyz')).status, 200);
    });

    test('/metrics counts requests by route and code', async () => {
      for (let i = 0; i < 7; i++) {
        assert.equal((await request({ port: pc.port, host: 'metered.example.test', path: `/m/${i}` })).status, 200);
      }
      await request({ port: pc.port, host: 'broken.example.test', path: '/b' });
      const text = await metricsText();
      assert.match(text, /^# TYPE portcullis_http_requests_total counter/m);
      const ok = sumOf(text, 'portcullis_http_requests_total', (l) => /route="metered-route"/.test(l) && /code="200"/.test(l));
      assert.ok(ok >= 7, `portcullis_http_requests_total{route="metered-route",code="200"} = ${ok}\n${text.slice(0, 2000)}`);
      assert.match(text, /^portcullis_http_request_duration_seconds_bucket\{.*le="\+Inf".*\} \d+/m);
      assert.match(text, /^portcullis_active_connections(\{.*\})? \d+/m);
      assert.ok(sumOf(text, 'portcullis_upstream_errors_total') >= 1, 'upstream error not counted');
    });

    test('metrics and health paths are not served on the main listener', async () => {
      for (const p of ['/metrics', '/readyz']) {
        const res = await request({ port: pc.port, host: 'unrouted.example.test', path: p });
        assert.equal(res.status, 404, `${p} on the main listener`);
        assert.doesNotMatch(res.text, /portcullis_http_requests_total/);
      }
      // On a routed host the path belongs to the upstream.
      const res = await request({ port: pc.port, host: 'metered.example.test', path: '/metrics' });
      assert.equal(res.status, 200);
      assert.equal(res.json().url, '/metrics');
    });
  });

  describe('SIGTERM', () => {
    test('drains: in-flight request completes, new connections refused, /readyz 503, exit 0', async () => {
      const config = await baseConfig({ shutdown_timeout: '10s', routes: [publicRoute('drain.example.test', echo.url)] });
      const pc = await startPortcullis({ config });
      try {
        echo.reset();
        const inflight = request({ port: pc.port, host: 'drain.example.test', path: '/slow', headers: { 'x-test-delay-ms': '1500' } });
        await waitFor(() => echo.hits.some((h) => h.url === '/slow'), { timeoutMs: 3000, what: 'in-flight request at the upstream' });
        const termAt = Date.now();
        pc.signal('SIGTERM');
        await waitFor(() => connectRefused(pc.port), { timeoutMs: 1000, intervalMs: 25, what: 'main listener refusing new connections after SIGTERM' });
        const ready = await request({ port: portOf(config.health_check_addr), host: '127.0.0.1', path: '/readyz' });
        assert.equal(ready.status, 503, '/readyz while draining');
        const res = await inflight;
        assert.equal(res.status, 200);
        assert.equal(res.json().url, '/slow');
        const exit = await withTimeout(pc.exited, 5000, 'exit after draining');
        assert.equal(exit.code, 0, `exit ${JSON.stringify(exit)}\n${pc.tail()}`);
        assert.ok(Date.now() - termAt >= 1000, 'exited before the in-flight request could finish');
      } finally {
        await pc.kill();
      }
    });

    test('an idle keep-alive connection does not hold up the exit', async () => {
      const config = await baseConfig({ shutdown_timeout: '10s', routes: [publicRoute('drain.example.test', echo.url)] });
      const pc = await startPortcullis({ config });
      const agent = keepAliveAgent();
      try {
        const res = await request({ port: pc.port, host: 'drain.example.test', path: '/', agent });
        assert.equal(res.status, 200);
        const t0 = Date.now();
        pc.signal('SIGTERM');
        const exit = await withTimeout(pc.exited, 3000, 'exit with an idle keep-alive client connected');
        assert.equal(exit.code, 0);
        assert.ok(Date.now() - t0 < 3000);
      } finally {
        agent.destroy();
        await pc.kill();
      }
    });

    test('shutdown_timeout bounds the drain', async () => {
      const config = await baseConfig({ shutdown_timeout: '1s', routes: [publicRoute('drain.example.test', echo.url, { timeout: '60s' })] });
      const pc = await startPortcullis({ config });
      try {
        echo.reset();
        const stuck = request({ port: pc.port, host: 'drain.example.test', path: '/stuck', headers: { 'x-test-delay-ms': '20000' }, timeoutMs: 30000 }).catch((e) => e);
        await waitFor(() => echo.hits.some((h) => h.url === '/stuck'), { timeoutMs: 3000, what: 'stuck request at the upstream' });
        const t0 = Date.now();
        pc.signal('SIGTERM');
        const exit = await withTimeout(pc.exited, 5000, 'exit within shutdown_timeout');
        assert.ok(Date.now() - t0 < 4000, `drain took ${Date.now() - t0} ms with shutdown_timeout 1s`);
        assert.equal(exit.code, 0);
        await stuck;
      } finally {
        await pc.kill();
      }
    });
  });
});

// The databroker in split mode: two `services: databroker` processes over one real PostgreSQL,
// spoken to with @grpc/grpc-js (not our C++ client): cross-instance sync, call-token checks,
// stale versions, bad input, and no lost or duplicated change through a killed instance and a
// PostgreSQL restart.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { freePort, sleep, waitFor, withTimeout } from './lib/env.js';
import { secret32, startPortcullis } from './lib/portcullis.js';
import {
  DataBrokerClient,
  GrpcStatus,
  SESSION_TYPE,
  callToken,
  sessionRecord,
  signJwt,
} from './lib/databroker.js';
import { PostgresServer } from './lib/postgres.js';

const big = (v) => BigInt(v);

async function startDatabroker(postgres, sharedSecret, port) {
  const config = {
    services: 'databroker',
    grpc_address: `127.0.0.1:${port ?? (await freePort())}`,
    grpc_insecure: true,
    shared_secret: sharedSecret,
    databroker_storage_type: 'postgres',
    databroker_storage_connection_string: postgres.url,
    log_level: 'info',
  };
  const instance = await startPortcullis({ config, waitReady: false });
  await instance.waitForLog((l) => l.message === 'listening' && l.service === 'databroker', {
    what: 'the databroker gRPC listener',
    timeoutMs: 20000,
  });
  instance.grpcAddress = config.grpc_address;
  return instance;
}

describe('databroker over gRPC with PostgreSQL', () => {
  let postgres;
  let sharedSecret;
  let a;
  let b;
  let clientA;
  let clientB;
  const clients = [];
  const client = (instance, options = {}) => {
    const c = new DataBrokerClient(instance.grpcAddress, { token: callToken(sharedSecret), ...options });
    clients.push(c);
    return c;
  };

  before(async () => {
    postgres = PostgresServer.start();
    sharedSecret = secret32();
    a = await startDatabroker(postgres, sharedSecret);
    b = await startDatabroker(postgres, sharedSecret);
    clientA = client(a);
    clientB = client(b);
  });

  after(async () => {
    for (const c of clients) c.close();
    await a?.stop();
    await b?.stop();
    postgres?.stop();
  });

  test('a Put through A reaches a Sync stream on B, B\'s Get and B\'s SyncLatest', async () => {
    const info = await clientB.call('ServerInfo');
    const infoA = await clientA.call('ServerInfo');
    assert.equal(infoA.server_version, info.server_version, 'one store, one server version');
    const seen = [];
    let options = 0;
    const stream = clientB.sync(
      { server_version: info.server_version, record_version: info.latest_record_version, type: SESSION_TYPE },
      (record) => seen.push(record),
      () => options++,
    );
    const put = await clientA.call('Put', { records: [sessionRecord('cross-1')] });
    assert.equal(put.records.length, 1);
    const version = put.records[0].version;
    await waitFor(() => seen.some((r) => r.id === 'cross-1'), { what: 'the record on B\'s stream' });
    assert.equal(options, 1, 'the stream starts with the type\'s options');
    assert.equal(seen.find((r) => r.id === 'cross-1').version, version);
    stream.cancel();
    assert.equal((await stream.ended)?.code, GrpcStatus.CANCELLED);

    const got = await clientB.call('Get', { type: SESSION_TYPE, id: 'cross-1' });
    assert.equal(got.record.version, version);
    assert.equal(got.record.data.type_url, SESSION_TYPE);

    const latest = await clientB.collect('SyncLatest', { type: SESSION_TYPE });
    const last = latest.at(-1);
    assert.equal(last.response, 'versions', 'SyncLatest ends with the versions');
    assert.ok(big(last.versions.latest_record_version) >= big(version));
    assert.ok(latest.some((m) => m.response === 'record' && m.record.id === 'cross-1'));
  });

  test('calls without a valid call token are UNAUTHENTICATED and change nothing', async () => {
    const key = Buffer.from(sharedSecret, 'base64');
    const exp = Math.floor(Date.now() / 1000) + 600;
    const cases = {
      'no token': null,
      forged: signJwt(Buffer.from(secret32(), 'base64'), { exp }),
      'tampered signature': callToken(sharedSecret).slice(0, -2) + 'AA',
      expired: signJwt(key, { exp: Math.floor(Date.now() / 1000) - 3600 }),
      'alg none': `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(
        JSON.stringify({ exp }),
      ).toString('base64url')}.`,
      'extra claims': signJwt(key, { exp, sub: 'someone', iss: 'elsewhere' }),
      'no exp': signJwt(key, {}),
    };
    const before = await clientA.call('ServerInfo');
    for (const [name, token] of Object.entries(cases)) {
      const bad = client(a, { token });
      assert.equal(await bad.code('Put', { records: [sessionRecord(`unauth-${name}`)] }), GrpcStatus.UNAUTHENTICATED, name);
      assert.equal(await bad.code('Get', { type: SESSION_TYPE, id: 'cross-1' }), GrpcStatus.UNAUTHENTICATED, name);
      assert.equal(await bad.code('ServerInfo'), GrpcStatus.UNAUTHENTICATED, name);
      assert.equal(
        await bad.code('AcquireLease', { name: 'unauth', duration: { seconds: 10 } }),
        GrpcStatus.UNAUTHENTICATED,
        name,
      );
      const stream = bad.sync({ server_version: before.server_version, record_version: 0 }, () => {
        assert.fail(`${name}: a record reached an unauthenticated stream`);
      });
      assert.equal((await withTimeout(stream.ended, 5000, `${name} Sync`))?.code, GrpcStatus.UNAUTHENTICATED, name);
    }
    const afterInfo = await clientA.call('ServerInfo');
    assert.equal(afterInfo.latest_record_version, before.latest_record_version);
    // The lease was never taken.
    assert.ok((await clientA.call('AcquireLease', { name: 'unauth', duration: { seconds: 1 } })).id);
  });

  test('Sync on a stale server version is ABORTED', async () => {
    const info = await clientB.call('ServerInfo');
    const stale = (big(info.server_version) + 1n).toString();
    const stream = clientB.sync({ server_version: stale, record_version: 0 }, () => {});
    assert.equal((await withTimeout(stream.ended, 5000, 'Sync'))?.code, GrpcStatus.ABORTED);
  });

  test('leases: one holder across instances', async () => {
    const { id } = await clientA.call('AcquireLease', { name: 'e2e-lease', duration: { seconds: 30 } });
    assert.match(id, /^[0-9a-f-]{36}$/);
    assert.equal(
      await clientB.code('AcquireLease', { name: 'e2e-lease', duration: { seconds: 30 } }),
      GrpcStatus.ALREADY_EXISTS,
    );
    await clientB.call('RenewLease', { name: 'e2e-lease', id, duration: { seconds: 30 } });
    assert.equal(
      await clientB.code('RenewLease', { name: 'e2e-lease', id: 'not-the-holder', duration: { seconds: 30 } }),
      GrpcStatus.ALREADY_EXISTS,
    );
    await clientB.call('ReleaseLease', { name: 'e2e-lease', id });
    const next = await clientB.call('AcquireLease', { name: 'e2e-lease', duration: { seconds: 30 } });
    assert.notEqual(next.id, id);
  });

  test('bad input is INVALID_ARGUMENT (or RESOURCE_EXHAUSTED when too large) and changes nothing', async () => {
    await clientA.call('Put', { records: [sessionRecord('bad-input-base')] });
    const before = await clientA.call('ServerInfo');
    const noType = { ...sessionRecord('bad-1'), type: '' };
    const garbage = { ...sessionRecord('bad-2'), data: { type_url: SESSION_TYPE, value: Buffer.from([0xff, 0xff, 0xff]) } };
    const cases = [
      ['Put', { records: [sessionRecord('bad-0'), noType] }],
      ['Put', { records: [{ ...sessionRecord('x'), id: '' }] }],
      ['Put', { records: [garbage] }],
      ['Get', { type: '', id: 'bad-input-base' }],
      ['Query', { type: SESSION_TYPE, limit: 10, filter: { fields: { $bogus: { string_value: 'x' } } } }],
      ['Query', { type: '', limit: 10 }],
      ['Patch', { records: [sessionRecord('bad-input-base')], field_mask: { paths: ['no_such_field'] } }],
      ['SetOptions', { type: '', options: {} }],
      ['SetOptions', { type: SESSION_TYPE, options: { indexable_fields: ['$bad'] } }],
      ['AcquireLease', { name: '', duration: { seconds: 10 } }],
      ['AcquireLease', { name: 'no-duration' }],
    ];
    for (const [method, request] of cases) {
      assert.equal(await clientA.code(method, request), GrpcStatus.INVALID_ARGUMENT, `${method} ${JSON.stringify(request)}`);
    }
    const huge = sessionRecord('bad-huge', 'x'.repeat(17 * 1024 * 1024));
    assert.equal(await clientA.code('Put', { records: [huge] }), GrpcStatus.RESOURCE_EXHAUSTED);

    const afterInfo = await clientA.call('ServerInfo');
    assert.equal(afterInfo.latest_record_version, before.latest_record_version);
    for (const id of ['bad-0', 'bad-1', 'bad-2', 'bad-huge']) {
      assert.equal(await clientB.code('Get', { type: SESSION_TYPE, id }), GrpcStatus.NOT_FOUND, id);
    }
  });

  test('every acknowledged put is seen once, in order, through a killed instance and a PostgreSQL restart', async () => {
    const info = await clientB.call('ServerInfo');
    const serverVersion = info.server_version;

    // Reader: follows B's Sync, reconnecting from its last version on any error.
    const seen = [];
    let lastVersion = big(info.latest_record_version);
    let reading = true;
    let reconnects = 0;
    let current = null;
    const reader = (async () => {
      while (reading) {
        current = clientB.sync(
          { server_version: serverVersion, record_version: lastVersion.toString(), type: SESSION_TYPE },
          (record) => {
            seen.push({ id: record.id, version: big(record.version) });
            lastVersion = big(record.version);
          },
        );
        const err = await current.ended;
        if (!reading) break;
        assert.notEqual(err?.code, GrpcStatus.ABORTED, 'the server version stays the same');
        reconnects++;
        await sleep(100);
      }
    })();

    // A stream on A that dies with it.
    const doomed = clientA.sync({ server_version: serverVersion, record_version: info.latest_record_version }, () => {});

    // Writer: puts one new record at a time through B; only acknowledged puts count.
    const acked = [];
    let failedPuts = 0;
    let writing = true;
    let n = 0;
    const writer = (async () => {
      while (writing) {
        const id = `flow-${n++}`;
        try {
          const put = await clientB.call('Put', { records: [sessionRecord(id)] });
          acked.push({ id, version: big(put.records[0].version) });
        } catch {
          failedPuts++;
          await sleep(50);
        }
        await sleep(5);
      }
    })();

    await sleep(1000);
    await a.kill(); // SIGKILL mid-stream
    const doomedEnd = await withTimeout(doomed.ended, 5000, 'the stream on the killed instance to end');
    assert.equal(doomedEnd?.code, GrpcStatus.UNAVAILABLE);
    await sleep(500);
    await postgres.restart(1);
    await sleep(3000);
    writing = false;
    await writer;

    assert.ok(acked.length > 50, `the writer made progress (${acked.length} acknowledged)`);
    const lastAcked = acked.at(-1).version;
    await waitFor(() => lastVersion >= lastAcked, { timeoutMs: 30000, what: 'the reader to catch up' });
    reading = false;
    current?.cancel();
    await reader;

    // In version order, no version or id twice.
    for (let i = 1; i < seen.length; i++) {
      assert.ok(seen[i].version > seen[i - 1].version, `versions increase at ${i}: ${seen[i - 1].version} then ${seen[i].version}`);
    }
    const byId = new Map();
    for (const s of seen) {
      assert.ok(!byId.has(s.id), `${s.id} seen twice`);
      byId.set(s.id, s.version);
    }
    // Nothing acknowledged was lost, and each came with its acknowledged version.
    for (const { id, version } of acked) {
      assert.equal(byId.get(id), version, `${id} (version ${version})`);
    }
    console.log(
      `databroker flow: ${acked.length} acknowledged puts, ${failedPuts} failed during the outage, ` +
        `${seen.length} records streamed, ${reconnects} reconnects`,
    );

    // B serves again after the restart.
    const again = await clientB.call('Put', { records: [sessionRecord('after-restart')] });
    assert.ok(big(again.records[0].version) > lastAcked);
  });
});

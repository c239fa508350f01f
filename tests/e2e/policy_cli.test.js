// `portcullis policy check` and `portcullis policy eval`: the JSON decision, the status the
// proxy would answer, and non-zero exits with a message that names the problem.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeTempDir, portcullisBinary, removeTempDir } from './lib/env.js';

describe('policy CLI', () => {
  let bin;
  let dir;

  const write = (name, content) => {
    const file = path.join(dir, name);
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    return file;
  };
  const run = (...args) => spawnSync(bin, args, { encoding: 'utf8', timeout: 20000 });
  const evaluate = (policyArgs, input) => {
    const result = run('policy', 'eval', ...policyArgs, '--input', write('input.json', input));
    assert.equal(result.status, 0, result.stderr);
    return JSON.parse(result.stdout);
  };

  before(() => {
    bin = portcullisBinary();
    dir = makeTempDir('portcullis-policy-');
  });
  after(() => removeTempDir(dir));

  const policy = `
allow:
  or:
    - email:
        is: alice@example.com
    - groups:
        has: admins
deny:
  or:
    - http_method:
        is: DELETE
`;
  const alice = {
    http: { method: 'GET', path: '/', headers: { Accept: '*/*' } },
    session: { id: 's1', user_id: 'u1' },
    user: { id: 'u1', email: 'alice@example.com' },
  };

  test('allowed by email', () => {
    const out = evaluate(['--policy', write('p.yaml', policy)], alice);
    assert.deepEqual(out, {
      allow: { value: true, reasons: ['email-ok'] },
      deny: { value: false, reasons: ['http-method-unauthorized'] },
      status: 200,
    });
  });

  test('denied by method', () => {
    const out = evaluate(['--policy', write('p.yaml', policy)], {
      ...alice,
      http: { method: 'DELETE', path: '/' },
    });
    assert.equal(out.deny.value, true);
    assert.deepEqual(out.deny.reasons, ['http-method-ok']);
    assert.equal(out.status, 403);
  });

  test('allowed by group, other user', () => {
    const out = evaluate(['--policy', write('p.yaml', policy)], {
      ...alice,
      user: { email: 'bob@example.com' },
      directory_user: { group_ids: ['admins'] },
    });
    assert.deepEqual(out.allow, { value: true, reasons: ['groups-ok'] });
  });

  test('not signed in: 302 for a browser, 401 for curl', () => {
    const p = write('p.yaml', policy);
    const browser = evaluate(['--policy', p], {
      http: { method: 'GET', headers: { Accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } },
    });
    assert.deepEqual(browser.allow.reasons, ['user-unauthenticated']);
    assert.equal(browser.status, 302);
    const curl = evaluate(['--policy', p], { http: { method: 'GET', headers: { Accept: '*/*' } } });
    assert.equal(curl.status, 401);
  });

  test('time zones and the given time', () => {
    const p = write('t.json', {
      allow: { and: [{ time_of_day: { timezone: 'Europe/Berlin', after: '22:00', before: '06:00' } }] },
    });
    assert.equal(evaluate(['--policy', p], { now: '2021-05-10T23:30:00Z' }).status, 200);
    assert.equal(evaluate(['--policy', p], { now: '2021-05-11T12:00:00Z' }).status, 403);
  });

  test('client certificate failures answer 495', () => {
    const p = write('c.yaml', 'allow: {or: [accept: true]}\ndeny: {or: [invalid_client_certificate: true]}');
    const out = evaluate(['--policy', p], { client_certificate: { presented: false } });
    assert.deepEqual(out.deny, { value: true, reasons: ['client-certificate-required'] });
    assert.equal(out.status, 495);
  });

  test('a route from a config file, by id, name and index', () => {
    const config = write('config.yaml', `
insecure_server: true
address: 127.0.0.1:0
routes:
  - from: http://public.example.test
    to: http://127.0.0.1:9
    allow_public_unauthenticated_access: true
  - id: admin-route
    name: admin
    from: http://admin.example.test
    to: http://127.0.0.1:9
    allowed_users: [alice@example.com]
    policy:
      deny:
        or:
          - http_path:
              starts_with: /secret
  - from: http://closed.example.test
    to: http://127.0.0.1:9
`);
    for (const id of ['admin-route', 'admin', '1']) {
      const out = evaluate(['--config', config, '--route', id], alice);
      assert.deepEqual(out.allow, { value: true, reasons: ['email-ok'] }, id);
      assert.equal(out.status, 200);
    }
    const secret = evaluate(['--config', config, '--route', 'admin'], {
      ...alice,
      http: { method: 'GET', path: '/secret/x' },
    });
    assert.equal(secret.status, 403);
    assert.equal(evaluate(['--config', config, '--route', '0'], {}).status, 200);
    // A route with neither flags nor policy denies everything.
    const closed = evaluate(['--config', config, '--route', '2'], alice);
    assert.deepEqual(closed.allow, { value: false, reasons: [] });
    assert.equal(closed.status, 403);
    const missing = run('policy', 'eval', '--config', config, '--route', 'nope', '--input',
      write('i.json', {}));
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /no route with id, name or index "nope"/);
  });

  test('check accepts a good policy and names the problem in a bad one', () => {
    const good = run('policy', 'check', write('good.yaml', policy));
    assert.equal(good.status, 0, good.stderr);
    const cases = [
      ['allow: {or: [emial: a@b.c]}', /rule 1 allow\.or\[1\] "emial": unknown policy criterion/],
      ['[{allow: {and: [accept: true]}}, {deny: {xor: []}}]', /rule 2 deny: unsupported block "xor"/],
      ['allow: {and: [email: {iss: a}]}', /unknown string matcher operator "iss"/],
      ['allow: {and: [source_ip: 10.0.0.0/40]}', /expected IP or CIDR range/],
      ['allow: {and: [time_of_day: {after: "10:00"}]}', /timezone is required/],
    ];
    for (const [text, message] of cases) {
      const result = run('policy', 'check', write('bad.yaml', text));
      assert.notEqual(result.status, 0, text);
      assert.match(result.stderr, message);
    }
    const evalBad = run('policy', 'eval', '--policy', write('bad.yaml', 'allow: {or: [nope: 1]}'),
      '--input', write('i.json', {}));
    assert.notEqual(evalBad.status, 0);
    assert.match(evalBad.stderr, /unknown policy criterion "nope"/);
  });

  test('a bad input names the field', () => {
    const result = run('policy', 'eval', '--policy', write('p.yaml', policy), '--input',
      write('i.json', { http: { ip: 'not-an-ip' } }));
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /http\.ip is not an IP address/);
  });
});

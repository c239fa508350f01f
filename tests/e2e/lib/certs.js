// Test PKI made with the openssl CLI: one local CA and leaf certificates signed by it.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { requireOpenssl } from './env.js';

function openssl(args, cwd) {
  try {
    return execFileSync('openssl', args, { cwd, stdio: 'pipe' });
  } catch (err) {
    const stderr = err.stderr ? err.stderr.toString() : '';
    throw new Error(`openssl ${args.join(' ')} failed: ${stderr || err.message}`);
  }
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/**
 * Creates a CA and the given leaves in dir.
 * leaves: [{ name, cn, dns: ['a.example.test', '*.example.test'], ips: ['127.0.0.1'] }]
 * Returns { ca: {certFile, keyFile, pem}, leaf: { [name]: {certFile, keyFile, certPem, keyPem, cn, dns} } }.
 */
export function generatePki(dir, leaves) {
  requireOpenssl();
  const caKey = path.join(dir, 'ca.key');
  const caCert = path.join(dir, 'ca.crt');
  openssl([
    'req', '-x509', ...EC_KEY, '-keyout', caKey, '-out', caCert, '-days', '3',
    '-subj', '/O=Portcullis E2E/CN=Portcullis E2E Test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ], dir);

  const result = {
    ca: { certFile: caCert, keyFile: caKey, pem: readFileSync(caCert, 'utf8') },
    leaf: {},
  };
  for (const leaf of leaves) {
    const base = path.join(dir, leaf.name);
    const sans = [
      ...(leaf.dns || []).map((d) => `DNS:${d}`),
      ...(leaf.ips || []).map((ip) => `IP:${ip}`),
    ];
    writeFileSync(`${base}.ext`, [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      `subjectAltName=${sans.join(',')}`,
      '',
    ].join('\n'));
    openssl(['req', '-new', ...EC_KEY, '-keyout', `${base}.key`, '-out', `${base}.csr`,
      '-subj', `/O=Portcullis E2E/CN=${leaf.cn}`], dir);
    openssl(['x509', '-req', '-in', `${base}.csr`, '-CA', caCert, '-CAkey', caKey,
      '-CAcreateserial', '-out', `${base}.crt`, '-days', '2', '-sha256',
      '-extfile', `${base}.ext`], dir);
    result.leaf[leaf.name] = {
      certFile: `${base}.crt`,
      keyFile: `${base}.key`,
      certPem: readFileSync(`${base}.crt`, 'utf8'),
      keyPem: readFileSync(`${base}.key`, 'utf8'),
      cn: leaf.cn,
      dns: leaf.dns || [],
    };
  }
  return result;
}

/** The standard set used by the TLS suite: two hosts, one with an extra SAN, and a wildcard. */
export function generateStandardPki(dir) {
  return generatePki(dir, [
    { name: 'alpha', cn: 'alpha.example.test', dns: ['alpha.example.test'] },
    { name: 'beta', cn: 'beta.example.test', dns: ['beta.example.test', 'beta-alt.example.test'] },
    { name: 'wildcard', cn: '*.example.test', dns: ['*.example.test'] },
    { name: 'upstream', cn: 'upstream.internal.test', dns: ['upstream.internal.test'], ips: ['127.0.0.1'] },
  ]);
}

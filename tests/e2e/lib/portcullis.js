// Starts the real portcullis binary with a YAML config written from a JS object,
// waits until its listeners accept connections and records its JSON log lines.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync, renameSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import YAML from 'yaml';
import { freePort, makeTempDir, portcullisBinary, sleep, withTimeout } from './env.js';

const running = new Set();

function killAll() {
  for (const child of running) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  running.clear();
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => {
    killAll();
    process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1));
  });
}

export const secret32 = () => randomBytes(32).toString('base64');

export function toYaml(config) {
  return YAML.stringify(config, { lineWidth: 0 });
}

/** Writes the config in place (truncate + write), like most editors. */
export function writeConfigInPlace(file, config) {
  writeFileSync(file, typeof config === 'string' ? config : toYaml(config));
}

/** Writes the config to a sibling file and renames it over the original (atomic replace). */
export function writeConfigAtomically(file, config) {
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  writeFileSync(tmp, typeof config === 'string' ? config : toYaml(config));
  renameSync(tmp, file);
}

/**
 * A config with fresh ports and the keys every instance needs (plain HTTP listener, secrets,
 * authenticate URL, a placeholder identity provider, health listener off the shared default port). Overrides are merged on top.
 */
export async function baseConfig(overrides = {}) {
  const config = {
    address: `127.0.0.1:${await freePort()}`,
    insecure_server: true,
    authenticate_service_url: 'https://authenticate.example.test',
    shared_secret: secret32(),
    cookie_secret: secret32(),
    // Serving routes that are not public needs an identity provider; suites that sign in
    // override these with a real one.
    idp_provider_url: 'https://idp.example.test',
    idp_client_id: 'portcullis-e2e',
    idp_client_secret: 'e2e-client-secret',
    grpc_address: `127.0.0.1:${await freePort()}`,
    health_check_addr: `127.0.0.1:${await freePort()}`,
    log_level: 'info',
    num_workers: 2,
    ...overrides,
  };
  for (const [k, v] of Object.entries(config)) if (v === undefined) delete config[k];
  return config;
}

export const portOf = (address) => Number(String(address).split(':').pop());

function tcpAccepts(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export class Portcullis {
  constructor({ child, configFile, dir, config }) {
    this.child = child;
    this.pid = child.pid;
    this.configFile = configFile;
    this.dir = dir;
    this.config = config;
    this.lines = []; // raw stdout lines
    this.logs = []; // parsed JSON stdout lines
    this.stderr = '';
    this.exitInfo = null;
    this.waiters = new Set();
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        running.delete(child);
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
        this.notify();
      });
    });
    let pending = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      pending += chunk;
      let nl;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        this.lines.push(line);
        try {
          const parsed = JSON.parse(line);
          if (parsed && typeof parsed === 'object') this.logs.push(parsed);
        } catch {
          // not JSON: kept in lines only
        }
        if (process.env.PORTCULLIS_E2E_VERBOSE) process.stderr.write(`[portcullis] ${line}\n`);
      }
      this.notify();
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      this.stderr += chunk;
      if (process.env.PORTCULLIS_E2E_VERBOSE) process.stderr.write(`[portcullis:err] ${chunk}`);
    });
  }

  get address() {
    return this.config.address;
  }

  get port() {
    return portOf(this.config.address);
  }

  get alive() {
    return this.exitInfo === null;
  }

  notify() {
    for (const waiter of this.waiters) waiter();
  }

  /** Last lines of output, for error messages. */
  tail(n = 30) {
    const out = this.lines.slice(-n).join('\n');
    const err = this.stderr.split('\n').slice(-n).join('\n');
    return `--- stdout (last ${n} lines) ---\n${out}\n--- stderr ---\n${err}`;
  }

  /** Waits for a parsed log line matching pred, searching from index `from` of this.logs. */
  waitForLog(pred, { timeoutMs = 10000, from = 0, what = 'log line' } = {}) {
    return new Promise((resolve, reject) => {
      const check = () => {
        for (let i = from; i < this.logs.length; i++) {
          if (pred(this.logs[i])) {
            cleanup();
            resolve(this.logs[i]);
            return;
          }
        }
        if (!this.alive) {
          cleanup();
          reject(new Error(`portcullis exited (${JSON.stringify(this.exitInfo)}) before ${what}\n${this.tail()}`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${this.tail()}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  signal(sig) {
    if (this.alive) this.child.kill(sig);
  }

  /** SIGTERM, then SIGKILL after timeoutMs. Returns {code, signal, forced}. */
  async stop({ timeoutMs = 10000 } = {}) {
    if (!this.alive) return { ...this.exitInfo, forced: false };
    this.child.kill('SIGTERM');
    try {
      const info = await withTimeout(this.exited, timeoutMs, 'portcullis exit after SIGTERM');
      return { ...info, forced: false };
    } catch {
      this.child.kill('SIGKILL');
      const info = await this.exited;
      return { ...info, forced: true };
    }
  }

  kill() {
    if (this.alive) this.child.kill('SIGKILL');
    return this.exited;
  }

  /** Writes a new config to the same file (in place unless atomic is set). */
  rewriteConfig(config, { atomic = false } = {}) {
    if (typeof config !== 'string') this.config = config;
    if (atomic) writeConfigAtomically(this.configFile, config);
    else writeConfigInPlace(this.configFile, config);
  }
}

/** Addresses of the listeners that must accept connections before the instance is ready. */
function listenerPorts(config) {
  const ports = [];
  for (const key of ['address', 'http_redirect_addr', 'health_check_addr', 'metrics_address']) {
    if (config[key]) ports.push(portOf(config[key]));
  }
  return ports;
}

/**
 * Starts portcullis with `config` (an object written as YAML, or a string written as is).
 * Resolves once every listener accepts TCP connections. Throws if the binary is missing,
 * exits early or does not become ready within readyTimeoutMs.
 */
export async function startPortcullis({
  config,
  dir = makeTempDir(),
  fileName = 'config.yaml',
  args = null,
  env = {},
  readyTimeoutMs = 15000,
  waitReady = true,
} = {}) {
  const bin = portcullisBinary();
  const configFile = path.join(dir, fileName);
  writeConfigInPlace(configFile, config);
  const child = spawn(bin, args ?? ['--config', configFile], {
    cwd: dir,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const spawnError = new Promise((_, reject) => child.once('error', reject));
  const instance = new Portcullis({
    child,
    configFile,
    dir,
    config: typeof config === 'string' ? {} : config,
  });
  if (!waitReady) return instance;

  const ports = typeof config === 'string' ? [] : listenerPorts(config);
  const deadline = Date.now() + readyTimeoutMs;
  const ready = (async () => {
    for (const port of ports) {
      for (;;) {
        if (!instance.alive) {
          throw new Error(
            `portcullis exited early (${JSON.stringify(instance.exitInfo)})\n${instance.tail()}`,
          );
        }
        if (await tcpAccepts(port)) break;
        if (Date.now() > deadline) {
          throw new Error(`portcullis did not listen on 127.0.0.1:${port} within ${readyTimeoutMs} ms\n${instance.tail()}`);
        }
        await sleep(50);
      }
    }
  })();
  try {
    await Promise.race([ready, spawnError]);
  } catch (err) {
    await instance.kill();
    throw err;
  }
  return instance;
}

/** Runs the binary to completion (for validate, --version, --help). */
export function runPortcullis(args, { timeoutMs = 15000, cwd } = {}) {
  const bin = portcullisBinary();
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`portcullis ${args.join(' ')} did not exit within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      running.delete(child);
      reject(err);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ code, signal, stdout, stderr, output: stdout + stderr });
    });
  });
}

/** A public route (no auth) from `https://host` to the given upstream URL(s). */
export function publicRoute(host, to, extra = {}) {
  return {
    from: `https://${host}`,
    to,
    allow_public_unauthenticated_access: true,
    ...extra,
  };
}

// Temp dirs, free ports and prerequisite checks shared by every suite.
import { accessSync, constants, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(here, '..', '..', '..');
export const DEFAULT_BIN = path.join(REPO_ROOT, 'build', 'release', 'src', 'app', 'portcullis');
export const BUILD_HINT =
  'cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release && ninja -C build/release portcullis';

/** Path of the binary under test; throws a clear error when it is missing. */
export function portcullisBinary() {
  const bin = process.env.PORTCULLIS_BIN || DEFAULT_BIN;
  if (!existsSync(bin)) {
    throw new Error(
      `portcullis binary not found at ${bin}. Build it (${BUILD_HINT}) or set PORTCULLIS_BIN.`,
    );
  }
  try {
    accessSync(bin, constants.X_OK);
  } catch {
    throw new Error(`portcullis binary at ${bin} is not executable`);
  }
  return bin;
}

/** Throws a clear error when the openssl CLI is not installed. */
export function requireOpenssl() {
  try {
    execFileSync('openssl', ['version'], { stdio: 'pipe' });
  } catch (err) {
    throw new Error(`the openssl CLI is required to generate test certificates: ${err.message}`);
  }
}

const tempDirs = new Set();

export function makeTempDir(prefix = 'portcullis-e2e-') {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

export function removeTempDir(dir) {
  tempDirs.delete(dir);
  rmSync(dir, { recursive: true, force: true });
}

process.on('exit', () => {
  if (process.env.PORTCULLIS_E2E_KEEP_TMP) return;
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort() {
  const server = net.createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A port that refuses connections: bound, then closed, with nothing listening on it. */
export const closedPort = freePort;

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls fn until it returns a truthy value; throws with `what` after timeoutMs. */
export async function waitFor(fn, { timeoutMs = 10000, intervalMs = 50, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}` +
          (lastError ? ` (last error: ${lastError.message})` : ''),
      );
    }
    await sleep(intervalMs);
  }
}

/** Resolves with a value, or rejects after ms with a message naming what did not happen. */
export function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** A promise with its resolve function exposed. */
export function deferred() {
  let resolve;
  let reject;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

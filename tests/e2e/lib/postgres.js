// A throw-away PostgreSQL server through tests/support/postgres-server. Missing PostgreSQL
// binaries fail the suite with the script's message (never a skip).
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './env.js';

const script = path.join(REPO_ROOT, 'tests', 'support', 'postgres-server');

function run(args, timeout = 60000) {
  return execFileSync(script, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout });
}

export class PostgresServer {
  static start() {
    // The server may run as another OS user: its directory's parent must be traversable.
    const parent = mkdtempSync(path.join(os.tmpdir(), 'portcullis-pg-'));
    chmodSync(parent, 0o755);
    const dir = path.join(parent, 'server');
    try {
      run(['start', dir]);
    } catch (err) {
      throw new Error(`cannot start PostgreSQL: ${err.stderr || err.message}`);
    }
    return new PostgresServer(dir);
  }

  constructor(dir) {
    this.dir = dir;
    this.url = readFileSync(path.join(dir, 'url'), 'utf8').trim();
  }

  /**
   * Stops the server, waits `pauseSeconds`, starts it again on the same port and data. Runs in the
   * background (the event loop keeps serving the test's clients meanwhile).
   */
  restart(pauseSeconds = 0) {
    return new Promise((resolve, reject) => {
      execFile(script, ['restart', this.dir, String(pauseSeconds)], { timeout: 60000 }, (err, _out, stderr) =>
        err ? reject(new Error(`PostgreSQL restart failed: ${stderr || err.message}`)) : resolve(),
      );
    });
  }

  stop() {
    try {
      run(['stop', this.dir]);
    } catch {
      // already gone
    }
  }
}

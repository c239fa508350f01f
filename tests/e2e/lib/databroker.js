// A databroker client built from our proto/*.proto with @grpc/grpc-js (an implementation
// independent of the C++ server), call tokens made here with node:crypto, and small promise
// wrappers around the unary calls and the Sync stream.
import { createHmac } from 'node:crypto';
import path from 'node:path';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';
import { REPO_ROOT } from './env.js';

const definition = protoLoader.loadSync(path.join(REPO_ROOT, 'proto', 'databroker.proto'), {
  keepCase: true,
  longs: String, // uint64 versions as decimal strings (compare them as BigInt)
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [REPO_ROOT],
});
const proto = grpc.loadPackageDefinition(definition);
export const { status: GrpcStatus, Metadata } = grpc;

export const SESSION_TYPE = 'type.googleapis.com/session.Session';

const b64url = (data) => Buffer.from(data).toString('base64url');

/** A compact JWS with the given header and claims, HMAC-SHA256 under `key` (raw bytes). */
export function signJwt(key, claims, header = { alg: 'HS256', typ: 'JWT' }) {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
}

/** The call token every databroker call carries: HS256 over the decoded secret, only `exp`. */
export function callToken(sharedSecretBase64, { expiresIn = 3600 } = {}) {
  const exp = Math.floor(Date.now() / 1000) + expiresIn;
  return signJwt(Buffer.from(sharedSecretBase64, 'base64'), { exp });
}

function varint(n) {
  const out = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}

function stringField(number, text) {
  const bytes = Buffer.from(text, 'utf8');
  return Buffer.concat([varint((number << 3) | 2), varint(bytes.length), bytes]);
}

/** A session.Session record (fields id = 2 and user_id = 3, encoded by hand). */
export function sessionRecord(id, userId = 'user-1') {
  return {
    type: SESSION_TYPE,
    id,
    data: {
      type_url: SESSION_TYPE,
      value: Buffer.concat([stringField(2, id), stringField(3, userId)]),
    },
  };
}

/** A client of one databroker address; `token` is the jwt metadata value (null: none). */
export class DataBrokerClient {
  constructor(address, { token = null, deadlineMs = 5000 } = {}) {
    this.client = new proto.databroker.DataBrokerService(address, grpc.credentials.createInsecure(), {
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1000,
    });
    this.token = token;
    this.deadlineMs = deadlineMs;
  }

  metadata() {
    const md = new grpc.Metadata();
    if (this.token !== null) md.set('jwt', this.token);
    return md;
  }

  /** Calls a unary method; resolves with the response, rejects with the gRPC error. */
  call(method, request = {}) {
    return new Promise((resolve, reject) => {
      this.client[method](
        request,
        this.metadata(),
        { deadline: Date.now() + this.deadlineMs },
        (err, response) => (err ? reject(err) : resolve(response)),
      );
    });
  }

  /** The gRPC status code a unary call ends with (0 for OK). */
  async code(method, request = {}) {
    try {
      await this.call(method, request);
      return GrpcStatus.OK;
    } catch (err) {
      return err.code;
    }
  }

  /** Reads a whole server stream (SyncLatest, or Sync with wait: false). */
  collect(method, request) {
    return new Promise((resolve, reject) => {
      const messages = [];
      const stream = this.client[method](request, this.metadata());
      stream.on('data', (m) => messages.push(m));
      stream.on('error', reject);
      stream.on('end', () => resolve(messages));
    });
  }

  /**
   * Opens a Sync stream. `onRecord(record)` runs for each record; the returned object's `ended`
   * resolves with the gRPC error (or null for a clean end); `cancel()` closes it.
   */
  sync(request, onRecord, onOptions = () => {}) {
    const stream = this.client.Sync(request, this.metadata());
    const ended = new Promise((resolve) => {
      stream.on('data', (m) => (m.response === 'record' ? onRecord(m.record) : onOptions(m.options)));
      stream.on('error', (err) => resolve(err));
      stream.on('end', () => resolve(null));
    });
    return { ended, cancel: () => stream.cancel() };
  }

  close() {
    this.client.close();
  }
}

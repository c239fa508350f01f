// Signs in through the real flow and prints the route host's session cookie value (`_pomerium`):
// the route's sign-in redirect, the authenticate host, the identity provider's login form, the
// provider's redirect back, /oauth2/callback and the route host's /.pomerium/callback/.
//
//   node bench/sign_in.mjs --proxy 127.0.0.1:PORT --url http://bench.local/ \
//                          --username alice@example.com --password alice-password
//
// Requests to any host other than the provider's go to --proxy with that Host header (so no name
// needs to resolve); the provider is reached at its own URL. Cookies are kept per host.
import http from 'node:http';
import https from 'node:https';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    proxy: { type: 'string' },
    url: { type: 'string' },
    idp: { type: 'string' },
    username: { type: 'string', default: 'alice@example.com' },
    password: { type: 'string', default: 'alice-password' },
  },
});
const [proxyHost, proxyPort] = values.proxy.split(':');
const idpOrigin = new URL(values.idp).host;
const jar = new Map(); // host -> Map(name -> value)

function send(method, url, body) {
  const target = new URL(url);
  const viaProxy = target.host !== idpOrigin;
  const cookies = jar.get(target.host);
  const headers = { accept: 'text/html', host: target.host };
  if (cookies?.size) headers.cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  if (body) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    headers['content-length'] = Buffer.byteLength(body);
  }
  const client = !viaProxy && target.protocol === 'https:' ? https : http;
  const options = {
    method,
    host: viaProxy ? proxyHost : target.hostname,
    port: viaProxy ? proxyPort : target.port,
    path: target.pathname + target.search,
    headers,
    rejectUnauthorized: false,
  };
  return new Promise((resolve, reject) => {
    const req = client.request(options, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (data += c));
      res.on('end', () => {
        for (const line of [res.headers['set-cookie'] ?? []].flat()) {
          const [pair, ...attrs] = line.split(';');
          const eq = pair.indexOf('=');
          const name = pair.slice(0, eq).trim();
          const value = pair.slice(eq + 1).trim();
          const host = jar.get(target.host) ?? new Map();
          if (attrs.some((a) => /max-age=0/i.test(a.trim())) || value === '') host.delete(name);
          else host.set(name, value);
          jar.set(target.host, host);
        }
        resolve({ status: res.statusCode, location: res.headers.location, body: data, url });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

let response = await send('GET', values.url);
for (let hops = 0; hops < 20; hops++) {
  if (response.status >= 300 && response.status < 400 && response.location) {
    response = await send('GET', new URL(response.location, response.url).toString());
    continue;
  }
  const form = response.body.match(/<form method="post" action="([^"]+)"/);
  if (response.status === 200 && form && response.body.includes('id="username"')) {
    const body = new URLSearchParams({ username: values.username, password: values.password }).toString();
    response = await send('POST', new URL(form[1], response.url).toString(), body);
    continue;
  }
  break;
}
const cookie = jar.get(new URL(values.url).host)?.get('_pomerium');
if (!cookie) {
  console.error(`sign-in did not end with a session cookie: ${response.status} ${response.url}\n${response.body.slice(0, 400)}`);
  process.exit(1);
}
console.log(cookie);

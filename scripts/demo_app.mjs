// The demo upstream: a small web app that shows what reached it through Portcullis: the signed
// identity (X-Pomerium-Jwt-Assertion, decoded; the signature is Portcullis's, checkable against
// https://<route host>/.well-known/pomerium/jwks.json), the X-Pomerium-Claim-* headers and every
// other request header.
import http from 'node:http';

const port = Number(process.argv[2] || 8000);
const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The payload of a compact JWS, or null. Display only: the signature is not checked here. */
function jwtClaims(token) {
  try {
    const payload = String(token).split('.')[1];
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
}

const table = (rows) =>
  `<table>${rows.map(([k, v]) => `<tr><td><code>${escape(k)}</code></td><td><code>${escape(v)}</code></td></tr>`).join('\n')}</table>`;

http
  .createServer((req, res) => {
    const jwt = req.headers['x-pomerium-jwt-assertion'];
    const claims = jwt ? jwtClaims(jwt) : null;
    const claimHeaders = Object.entries(req.headers).filter(([k]) => k.startsWith('x-pomerium-claim-'));
    const who = claims?.email ? `Signed in as <b id="email">${escape(claims.email)}</b>.` : 'Public route: no identity is attached.';
    const sections = [];
    if (claims) {
      const rows = Object.entries(claims).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]);
      sections.push(`<h2>Identity JWT claims (X-Pomerium-Jwt-Assertion)</h2>${table(rows)}`);
    }
    if (claimHeaders.length) sections.push(`<h2>Claim headers</h2>${table(claimHeaders)}`);
    sections.push(`<h2>Request headers</h2>${table(Object.entries(req.headers))}`);
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(`<!DOCTYPE html><html><head><meta charset="utf-8"><title>Portcullis demo app</title>
<style>body{font-family:sans-serif;margin:2em}td{padding:2px 8px;border-bottom:1px solid #ddd}</style>
</head><body><h1>Portcullis demo app</h1>
<p>${who} <a href="/.pomerium/">Your session</a> · <a href="/.pomerium/sign_out">Sign out</a></p>
<p><b>${escape(req.method)}</b> <code>${escape(req.host ?? req.headers.host)}${escape(req.url)}</code></p>
${sections.join('\n')}
</body></html>\n`);
  })
  .listen(port, '127.0.0.1', () => console.log(`demo app on http://127.0.0.1:${port}`));

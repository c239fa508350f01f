// The demo upstream: a small web app that shows what reached it through Portcullis.
import http from 'node:http';

const port = Number(process.argv[2] || 8000);
const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

http
  .createServer((req, res) => {
    const rows = Object.entries(req.headers)
      .map(([k, v]) => `<tr><td><code>${escape(k)}</code></td><td><code>${escape(v)}</code></td></tr>`)
      .join('\n');
    const jwt = req.headers['x-pomerium-jwt-assertion'];
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!DOCTYPE html><html><head><meta charset="utf-8"><title>Portcullis demo app</title>
<style>body{font-family:sans-serif;margin:2em}td{padding:2px 8px;border-bottom:1px solid #ddd}</style>
</head><body><h1>Portcullis demo app</h1>
<p>${jwt ? 'Signed identity received.' : 'Public route: no identity is attached.'}</p>
<p><b>${escape(req.method)}</b> <code>${escape(req.url)}</code></p>
<table>${rows}</table></body></html>\n`);
  })
  .listen(port, '127.0.0.1', () => console.log(`demo app on http://127.0.0.1:${port}`));

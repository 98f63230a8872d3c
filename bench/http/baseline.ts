// A baseline server for the HTTP bench, run as its own process: `node` (bare node:http) or `hono` (one Hono route on
// @hono/node-server), each answering GET /json and GET /healthz with the same small JSON body.
import { createServer } from 'node:http';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const kind = process.argv[2];
const port = Number(process.env.PORT);
const BODY = JSON.stringify({ ok: true, service: 'baseline' });

if (kind === 'node') {
  createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(BODY) });
    res.end(BODY);
  }).listen(port, '127.0.0.1');
} else if (kind === 'hono') {
  const app = new Hono();
  app.get('/json', (c) => c.json({ ok: true, service: 'baseline' }));
  app.get('/healthz', (c) => c.json({ ok: true, service: 'baseline' }));
  serve({ fetch: app.fetch, port, hostname: '127.0.0.1' });
} else {
  process.stderr.write(`usage: baseline.ts node|hono (PORT in the environment)\n`);
  process.exit(2);
}

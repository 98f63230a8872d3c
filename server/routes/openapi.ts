// GET /openapi.json: the OpenAPI 3.1 document (server/openapi/), its server the public URL with the mount path, made once.
import { Hono } from 'hono';
import type { AppEnv } from '../context.js';
import { openApiText } from '../openapi/document.js';

export const openApiRoutes = new Hono<AppEnv>();

openApiRoutes.get('/openapi.json', (c) =>
  c.body(openApiText(c.get('deps').config.publicUrl), 200, { 'Content-Type': 'application/json', 'Cache-Control': 'public, max-age=300' }),
);

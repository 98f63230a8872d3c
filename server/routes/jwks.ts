// `GET /.well-known/jwks.json`: the public keys of the entitlement tokens (security/entitlement-tokens.ts), for
// any origin and any JOSE library; cached for 5 min, so a verifier sees a new key within that of a restart.
import { Hono } from 'hono';
import type { AppEnv } from '../context.js';
import { assetResponse } from '../static-assets.js';

export const jwksRoutes = new Hono<AppEnv>();

jwksRoutes.get('/.well-known/jwks.json', (c) => assetResponse(c.req.raw, c.get('deps').entitlementTokens.jwks, 'public, max-age=300'));

// Static files over HTTP: each file compressed once (brotli and gzip, kept in memory until it changes on
// disk), the coding chosen by Accept-Encoding's q-values, a strong ETag of the content and 304 on If-None-Match.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlib, gzip } from 'node:zlib';

/** The content codings the server offers, in its order of preference on a tie (brotli is the smaller). */
export const CONTENT_CODINGS = ['br', 'gzip'] as const;
export type ContentCoding = (typeof CONTENT_CODINGS)[number];
export type Coding = ContentCoding | 'identity';

const compressors: Record<ContentCoding, (bytes: Uint8Array) => Promise<Buffer>> = {
  br: (bytes) => promisify(brotliCompress)(bytes, { params: { [zlib.BROTLI_PARAM_MODE]: zlib.BROTLI_MODE_TEXT, [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: bytes.byteLength } }),
  gzip: (bytes) => promisify(gzip)(bytes, { level: 9 }),
};

export interface StaticAsset {
  type: string;
  bytes: Uint8Array<ArrayBuffer>;
  /** Strong ETag of the uncompressed bytes; a compressed representation gets it with its coding appended. */
  etag: string;
  compressible: boolean;
  /** Each coding's bytes, made on first use (null: no smaller than the original, so it is not offered). */
  encoded: Map<ContentCoding, Promise<Uint8Array<ArrayBuffer> | null>>;
}

/** An asset of these bytes; text types are compressible (images and fonts are compressed already). */
export function memoryAsset(bytes: Uint8Array<ArrayBuffer>, type: string): StaticAsset {
  const hash = createHash('sha256').update(bytes).digest('base64url').slice(0, 27);
  return { type, bytes, etag: `"${hash}"`, compressible: /^text\/|^application\/json|^image\/svg\+xml/.test(type), encoded: new Map() };
}

const files = new Map<string, { mtimeMs: number; size: number; asset: Promise<StaticAsset> }>();

/** The asset of a file, read (and later compressed) once until its size or mtime changes; rejects as readFile does. */
export async function fileAsset(path: string, type: string): Promise<StaticAsset> {
  const info = await stat(path);
  if (!info.isFile()) throw Object.assign(new Error(`not a file: ${path}`), { code: 'EISDIR' });
  const cached = files.get(path);
  if (cached && cached.mtimeMs === info.mtimeMs && cached.size === info.size) return cached.asset;
  const asset = readFile(path).then((data) => memoryAsset(new Uint8Array(data), type));
  files.set(path, { mtimeMs: info.mtimeMs, size: info.size, asset });
  asset.catch(() => files.delete(path));
  return asset;
}

function encodedBytes(asset: StaticAsset, coding: ContentCoding): Promise<Uint8Array<ArrayBuffer> | null> {
  let bytes = asset.encoded.get(coding);
  if (!bytes) {
    bytes = compressors[coding](asset.bytes).then((out) => (out.byteLength < asset.bytes.byteLength ? new Uint8Array(out) : null));
    asset.encoded.set(coding, bytes);
  }
  return bytes;
}

/**
 * The content codings of an Accept-Encoding header that the server offers, best first (RFC 9110 §12.5.3):
 * by q-value, `*` standing for any coding not named, `q=0` meaning "not this one", ties in the server's order.
 * Identity comes first only when the header names it with a higher q than every offered coding.
 */
export function preferredCodings(header: string | undefined): Coding[] {
  if (!header) return ['identity'];
  const q = new Map<string, number>();
  for (const part of header.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const value = qParam ? Number(qParam.slice(2)) : 1;
    q.set(name === 'x-gzip' ? 'gzip' : name, Number.isFinite(value) ? Math.min(Math.max(value, 0), 1) : 0);
  }
  const qOf = (coding: string) => q.get(coding) ?? q.get('*') ?? 0;
  const offered = CONTENT_CODINGS.filter((c) => qOf(c) > 0).sort((a, b) => qOf(b) - qOf(a));
  const identityQ = q.get('identity');
  if (identityQ !== undefined && offered.length && identityQ > qOf(offered[0])) return ['identity', ...offered];
  return [...offered, 'identity'];
}

/** Does an If-None-Match header name this ETag (weak comparison, as RFC 9110 §13.1.2 asks)? */
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

/**
 * The response to `request` for `asset`: the best coding it accepts, or 304 when the client has this
 * representation. A public file: any origin may load it (module scripts and their chunks need CORS).
 */
export async function assetResponse(request: Request, asset: StaticAsset, cacheControl: string): Promise<Response> {
  let coding: Coding = 'identity';
  let body = asset.bytes;
  if (asset.compressible) {
    for (const candidate of preferredCodings(request.headers.get('Accept-Encoding') ?? undefined)) {
      if (candidate === 'identity') break;
      const bytes = await encodedBytes(asset, candidate);
      if (bytes) {
        coding = candidate;
        body = bytes;
        break;
      }
    }
  }
  const etag = coding === 'identity' ? asset.etag : `${asset.etag.slice(0, -1)}-${coding}"`;
  const out = new Headers({ 'Content-Type': asset.type, 'Cache-Control': cacheControl, ETag: etag, 'Access-Control-Allow-Origin': '*' });
  if (asset.compressible) out.set('Vary', 'Accept-Encoding');
  if (matches(request.headers.get('If-None-Match') ?? undefined, etag)) return new Response(null, { status: 304, headers: out });
  if (coding !== 'identity') out.set('Content-Encoding', coding);
  out.set('Content-Length', String(body.byteLength));
  return new Response(body, { status: 200, headers: out });
}

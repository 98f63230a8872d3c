// The version `tollgate --version` prints: from the nearest package.json above this file that is Tollgate's
// (`tollgate`, or `tollgate-server` when the server is installed as its own package), wherever it is installed.
import { readFileSync } from 'node:fs';

const PACKAGE_NAMES = new Set(['tollgate', 'tollgate-server']);

export function packageVersion(from: string | URL = import.meta.url): string {
  for (let dir = new URL('.', from); ; dir = new URL('..', dir)) {
    let text: string | undefined;
    try {
      text = readFileSync(new URL('package.json', dir), 'utf8');
    } catch {
      // none here: look further up
    }
    const pkg = text === undefined ? undefined : (JSON.parse(text) as { name?: string; version?: string });
    if (pkg?.name && PACKAGE_NAMES.has(pkg.name) && pkg.version) return pkg.version;
    if (new URL('..', dir).href === dir.href) throw new Error(`no package.json of ${[...PACKAGE_NAMES].join(' or ')} above ${from}`);
  }
}

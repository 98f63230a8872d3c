// Runs after `vite build`: the npm entries (index, react, one per element; dist/node/ for Node), the IIFE,
// `.d.ts` types into dist/types/ (with the framework declarations made from the manifest) and the
// custom-elements manifest dist/custom-elements.json, its paths pointing at dist/; the OpenAPI document dist/openapi.json.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { writeContractTypes } from './contract-types.mjs';
import { elementsOf, reactJsx, svelteElements, vueComponents, vueModule } from './framework-types.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = (name) => fileURLToPath(new URL(`../node_modules/.bin/${name}`, import.meta.url));

function run(label, command, args, env = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (result.status !== 0) {
    console.error(`build-extras: ${label} failed`);
    process.exit(result.status ?? 1);
  }
}

run('elements build', bin('vite'), ['build', '--logLevel', 'warn'], { TOLLGATE_BUILD: 'elements' });
run('node build', bin('vite'), ['build', '--logLevel', 'warn'], { TOLLGATE_BUILD: 'node' });
run('iife build', bin('vite'), ['build', '--logLevel', 'warn'], { TOLLGATE_BUILD: 'iife' });
run('openapi document', bin('tsx'), ['scripts/openapi.ts']);

// Declarations for the browser code only; the contract's (zod's `z.infer`) are then written out without zod.
mkdirSync(`${root}.tmp`, { recursive: true });
const tsconfig = `${root}.tmp/tsconfig.types.json`;
writeFileSync(
  tsconfig,
  JSON.stringify({
    extends: '../tsconfig.json',
    compilerOptions: {
      noEmit: false,
      declaration: true,
      emitDeclarationOnly: true,
      outDir: '../dist/types',
      rootDir: '../src',
      types: [],
    },
    include: ['../src'],
  }),
);
rmSync(`${root}dist/types`, { recursive: true, force: true });
run('types', bin('tsc'), ['-p', tsconfig]);
writeContractTypes(root);

run('custom-elements manifest', bin('custom-elements-manifest'), [
  'analyze',
  '--litelement',
  '--globs',
  'src/components/**/*.ts',
  'src/base/*.ts',
  '--outdir',
  'dist',
]);

const manifestPath = `${root}dist/custom-elements.json`;
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
const elements = elementsOf(manifest);
writeFileSync(`${root}dist/types/jsx.d.ts`, reactJsx(elements));
writeFileSync(`${root}dist/types/vue.d.ts`, vueComponents(elements));
writeFileSync(`${root}dist/types/svelte.d.ts`, svelteElements(elements));
writeFileSync(`${root}dist/vue.js`, vueModule(elements));
// `tollgate/server` is the tollgate-server package (a peer the app installs for the server), re-exported, so that
// the browser package installs none of the server's dependencies.
const serverEntry = "// tollgate/server: the server lives in the tollgate-server package (npm i tollgate-server).\nexport * from 'tollgate-server';\n";
writeFileSync(`${root}dist/server.js`, serverEntry);
writeFileSync(`${root}dist/types/server.d.ts`, serverEntry);
// The types-only entries have an empty module too, so a bundler resolving `import 'tollgate/jsx'` finds one.
for (const entry of ['jsx', 'svelte']) writeFileSync(`${root}dist/${entry}.js`, `// Types only: see ./types/${entry}.d.ts.\nexport {};\n`);

// The manifest's paths point at dist/: each element's module is its entry (the class and its definition),
// the other modules (base classes, styles) their declarations.
const elementPath = (path) => /^\/?src\/components\/([\w-]+)\/\1(?:\.component)?\.[jt]s$/.exec(path)?.[1];
const distPath = (path) => {
  const tag = elementPath(path);
  return tag ? `dist/elements/${tag}.js` : path.replace(/^\/?src\/(.*)\.[jt]s$/, 'dist/types/$1.d.ts');
};
const repath = (value) => (Array.isArray(value) ? value.map(repath) : value && typeof value === 'object' ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, k === 'module' || k === 'path' ? distPath(v) : repath(v)])) : value);
const modules = new Map();
for (const module of repath(manifest.modules)) {
  const kept = modules.get(module.path);
  if (!kept) modules.set(module.path, module);
  else for (const key of ['declarations', 'exports']) kept[key] = [...(kept[key] ?? []), ...(module[key] ?? [])];
}
for (const module of modules.values()) module.exports = [...new Map((module.exports ?? []).map((e) => [`${e.kind} ${e.name}`, e])).values()];
writeFileSync(manifestPath, JSON.stringify({ ...manifest, modules: [...modules.values()] }, null, 2) + '\n');
console.log('build-extras: dist/index.js, dist/react.js, dist/elements/, dist/node/, dist/tollgate.iife.js, dist/types/, dist/custom-elements.json, dist/openapi.json');

// The npm package as a partner installs it: `npm pack` of this repo, and a temporary consumer project that installs
// the tarball with React 19, Vue 3 and Vite, holding three pages (React + TypeScript, Vue + vue-tsc, plain HTML),
// built with Vite and served from another origin than the Tollgate server.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize } from 'node:path';
import { ensureBuilt, ROOT } from '../e2e/harness.js';

export interface Packed {
  dir: string;
  tarball: string;
  /** Paths in the tarball, without the `package/` prefix. */
  files: string[];
  size: number;
  unpackedSize: number;
}

/** `npm pack` of the built repo (or of another package folder of it: packages/server) into a fresh temp dir. */
export function pack(folder = ROOT): Packed {
  ensureBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-pack-'));
  const result = spawnSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: folder, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`npm pack failed:\n${result.stderr}`);
  const [info] = JSON.parse(result.stdout) as { filename: string; files: { path: string }[]; size: number; unpackedSize: number }[];
  return { dir, tarball: join(dir, info.filename), files: info.files.map((f) => f.path).sort(), size: info.size, unpackedSize: info.unpackedSize };
}

export interface Run {
  code: number | null;
  output: string;
}

/** Run a command to its end (asynchronously: the test's servers keep answering meanwhile). */
export function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** The consumer project's versions: pinned, so a run installs the same tree (from npm's cache when it has them). */
const CONSUMER_DEPENDENCIES = { react: '19.3.1', 'react-dom': '19.3.1', vue: '3.5.45' };
const CONSUMER_DEV_DEPENDENCIES = {
  '@types/react': '19.3.3',
  '@types/react-dom': '19.3.0',
  '@vitejs/plugin-vue': '6.0.11',
  svelte: '5.57.3',
  typescript: '5.9.3',
  vite: '8.3.8',
  'vue-tsc': '3.3.14',
};

/** The consumer's sources, by path. */
export const APP_FILES: Record<string, string> = {
  'vite.config.ts': `import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';
import { isCustomElement } from 'tollgate/vue';

export default defineConfig({
  // Vue leaves the Tollgate tags to the browser instead of resolving them as Vue components.
  plugins: [vue({ template: { compilerOptions: { isCustomElement } } })],
  build: { rollupOptions: { input: { react: 'react.html', vue: 'vue.html', plain: 'plain.html' } } },
});
`,
  'tsconfig.json': JSON.stringify(
    {
      compilerOptions: {
        target: 'ES2022',
        module: 'ESNext',
        moduleResolution: 'bundler',
        jsx: 'react-jsx',
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        lib: ['ES2022', 'DOM', 'DOM.Iterable'],
        types: [],
      },
      include: ['src/react'],
    },
    null,
    2,
  ),
  'tsconfig.wrong.json': JSON.stringify({ extends: './tsconfig.json', include: ['src/wrong'] }, null, 2),
  'tsconfig.vue.json': JSON.stringify(
    { extends: './tsconfig.json', compilerOptions: { jsx: 'preserve', skipLibCheck: true }, include: ['src/vue/**/*.ts', 'src/vue/**/*.vue'] },
    null,
    2,
  ),
  'tsconfig.vue-wrong.json': JSON.stringify({ extends: './tsconfig.vue.json', include: ['src/vue/env.d.ts', 'src/vue-wrong/*.vue'] }, null, 2),
  'tsconfig.svelte.json': JSON.stringify({ extends: './tsconfig.json', include: ['src/svelte'] }, null, 2),
  'tsconfig.svelte-wrong.json': JSON.stringify({ extends: './tsconfig.json', include: ['src/svelte-wrong'] }, null, 2),
  // What svelte-check checks a template's <plan-picker …> against: svelte/elements' SvelteHTMLElements.
  'src/svelte/elements.ts': `import type { SvelteHTMLElements } from 'svelte/elements';
import type {} from 'tollgate/svelte';

export const picker: SvelteHTMLElements['plan-picker'] = {
  api: 'https://billing.example/billing',
  currency: 'USD',
  'current-plan': 'free',
  'onplan-select': (event) => console.log(event.detail.plan, event.detail.interval),
  'on:checkout-success': (event) => console.log(event.detail.new_plan),
};
export const meter: SvelteHTMLElements['usage-meter'] = { 'warn-at': 0.5, class: 'meter', 'onupgrade-request': (event) => console.log(event.detail.plan) };
`,
  'src/svelte-wrong/elements.ts': `import type { SvelteHTMLElements } from 'svelte/elements';
import type {} from 'tollgate/svelte';

export const a: SvelteHTMLElements['plan-picker'] = { currency: 5 };
export const b: SvelteHTMLElements['plan-picker'] = { 'onplan-select': (event) => event.detail.no_such_field };
`,
  'react.html': `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>React</title></head>
<body><div id="root"></div><script type="module" src="/src/react/main.tsx"></script></body></html>
`,
  'src/react/main.tsx': `import { StrictMode, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { PlanPicker, UsageMeter, configure, type CheckoutSuccessDetail } from 'tollgate/react';
import type {} from 'tollgate/jsx';

const params = new URLSearchParams(location.search);
const api = params.get('api') ?? '';
configure({ session: params.get('session') ?? undefined });

function App() {
  const [paid, setPaid] = useState<CheckoutSuccessDetail | null>(null);
  const [picked, setPicked] = useState('');
  return (
    <main>
      <section id="wrapper">
        <PlanPicker api={api} interval="month" onCheckoutSuccess={(event) => setPaid(event.detail)} />
        <UsageMeter api={api} warnAt={0.5} onUpgradeRequest={(event) => console.log(event.detail.plan)} />
        <output id="paid">{paid ? \`\${paid.checkout_id} \${paid.new_plan}\` : ''}</output>
      </section>
      <section id="plain">
        <plan-picker
          api={api}
          current-plan="free"
          onplan-select={(event) => {
            event.preventDefault();
            setPicked(\`\${event.detail.plan} \${event.detail.interval}\`);
          }}
        />
        <output id="picked">{picked}</output>
      </section>
    </main>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
`,
  // Each line below is a mistake TypeScript must catch: a wrong prop value, a wrong attribute type, a wrong event detail.
  'src/wrong/wrong.tsx': `import { PlanPicker } from 'tollgate/react';
import type {} from 'tollgate/jsx';
export const a = <PlanPicker interval="weekly" />;
export const b = <plan-picker currency={5} />;
export const c = <PlanPicker onCheckoutSuccess={(event) => event.detail.no_such_field} />;
export const d = <plan-picker onplan-select={(event) => event.detail.no_such_field} />;
`,
  'vue.html': `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Vue</title></head>
<body><div id="app"></div><script type="module" src="/src/vue/main.ts"></script></body></html>
`,
  'src/vue/env.d.ts': `// The Tollgate elements' types in Vue templates.
import type {} from 'tollgate/vue';
`,
  'src/vue/main.ts': `import { createApp } from 'vue';
import 'tollgate/elements/plan-picker';
import App from './App.vue';

createApp(App).mount('#app');
`,
  'src/vue/App.vue': `<script setup lang="ts">
import { ref } from 'vue';
import type { PlanSelectDetail } from 'tollgate';

const api = new URLSearchParams(location.search).get('api') ?? '';
const picked = ref('');
function onSelect(event: CustomEvent<PlanSelectDetail>) {
  event.preventDefault();
  picked.value = event.detail.plan;
}
</script>

<template>
  <plan-picker :api="api" interval="year" @plan-select="onSelect"></plan-picker>
  <output id="picked">{{ picked }}</output>
</template>
`,
  'src/vue-wrong/Wrong.vue': `<script setup lang="ts">
function onSelect(event: CustomEvent<{ nope: number }>) {
  return event.detail.nope;
}
</script>

<template>
  <plan-picker :currency="5" interval="weekly" @plan-select="onSelect"></plan-picker>
</template>
`,
  'plain.html': `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Plain</title></head>
<body><plan-picker></plan-picker><script type="module" src="/src/plain/main.ts"></script></body></html>
`,
  'src/plain/main.ts': `// One element from its own entry, configure() from the main one: one Lit, one config.
import 'tollgate/elements/plan-picker';
import { configure } from 'tollgate';

configure({ api: new URLSearchParams(location.search).get('api') ?? '' });
`,
};

export interface Consumer {
  dir: string;
  /** `npm install` output, for failure messages. */
  install: Run;
}

/** A temporary consumer project with the tarball installed (`--prefer-offline`: npm's cache when it has the versions). */
export async function makeConsumer(tarball: string): Promise<Consumer> {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-consumer-'));
  const pkg = {
    name: 'tollgate-consumer',
    private: true,
    type: 'module',
    dependencies: { tollgate: `file:${tarball}`, ...CONSUMER_DEPENDENCIES },
    devDependencies: CONSUMER_DEV_DEPENDENCIES,
  };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
  for (const [path, text] of Object.entries(APP_FILES)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const install = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], dir);
  if (install.code !== 0) throw new Error(`npm install in the consumer failed:\n${install.output}`);
  return { dir, install };
}

export function removeDir(dir: string | undefined): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
}

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json' };

/** A static server for the consumer's built `dist/` on `port` (its own origin). */
export async function serveStatic(root: string, port: number): Promise<{ origin: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    const file = join(root, path);
    if (!file.startsWith(root) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-store' }).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    // `localhost`, not 127.0.0.1 like the Tollgate server: another host as well as another port.
    origin: `http://localhost:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

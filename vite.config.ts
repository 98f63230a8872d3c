// Library builds of the browser elements. `vite build` makes the main ES module; build-extras.mjs
// runs this config again with TOLLGATE_BUILD=elements (the npm entries: index, react and one per element, in one
// build sharing its chunks: one Lit, one config), TOLLGATE_BUILD=node (the same entries with Lit's Node build, for
// SSR and test runners: dist/node/) and TOLLGATE_BUILD=iife (classic script). Stripe's loader is always its own lazily imported chunk; the main
// module has no static chunk; Lit's css`` and html`` templates are whitespace-minified.
import { defineConfig, parseAst, type Plugin, type UserConfig } from 'vite';

const ELEMENTS = ['plan-picker', 'razorpay-checkout', 'stripe-checkout', 'usage-meter', 'paywall-gate'];
const STRIPE_MODULE = '@stripe/stripe-js/dist/pure.mjs';
/** Stable name so the IIFE build can import the ES chunk at run time. */
const STRIPE_CHUNK = 'chunks/stripe-js.js';

/**
 * Everything every element needs (Lit, @lit/task, the base class, API client, config, events,
 * formatting, English strings, shared styles) in one chunk: a page pays one request and one gzip
 * dictionary for it instead of five small chunks. Element code and the lazy checkout stay apart, and so does
 * @lit/react (only `tollgate/react` uses it).
 */
const FOUNDATION =
  /node_modules[\\/](lit|lit-html|lit-element|@lit[\\/](?!react)[^\\/]+)[\\/]|src[\\/](base[\\/]tollgate-element|checkout[\\/]lazy-checkout|promotion[\\/]lazy-promotion|api[\\/]|config|events|format|i18n[\\/](index|en)\.|styles[\\/])/;

const chunkFileNames = (chunk: { moduleIds?: string[]; name: string }): string =>
  chunk.moduleIds?.some((id) => id.includes('@stripe/stripe-js/')) ? STRIPE_CHUNK : 'chunks/[name]-[hash].js';

/**
 * Lit's css`` templates reach the bundle verbatim; collapse their indentation and the whitespace
 * around braces and semicolons and after a declaration's colon (not before a `:`: there a space
 * can be a descendant combinator).
 */
function minifyLitCss(): Plugin {
  return {
    name: 'tollgate-minify-lit-css',
    transform(code, id) {
      if (!/[\\/]src[\\/].*\.ts$/.test(id) || !code.includes('css`')) return null;
      return code.replace(/\bcss`([^`]*)`/g, (_whole, body: string) => {
        if (body.includes('${')) return _whole; // interpolations: leave as written
        const min = body
          .replace(/\/\*[\s\S]*?\*\//g, '')
          .replace(/\s+/g, ' ')
          .replace(/\s*([{};])\s*/g, '$1')
          .replace(/;}/g, '}')
          .replace(/([{;][\w-]+):\s+/g, '$1:') // `{display: grid` → `{display:grid`
          .replace(/\s*([,>])\s*/g, '$1') // `a, b` → `a,b`, `min(100%, 15rem)` → `min(100%,15rem)`, `a > b` → `a>b`
          .replace(/([\s:(,*/-])0\.(\d)/g, '$1.$2') // `0.25rem` → `.25rem`
          .trim();
        return 'css`' + min + '`';
      });
    },
  };
}

/**
 * Lit's html`` templates reach the bundle verbatim as well: in their static text, a run of white space
 * that holds a line break becomes one space. HTML renders the two alike (no element here keeps white
 * space: no <pre> or <textarea>, no `white-space: pre*`), and every binding stays where it was.
 */
function minifyLitHtml(): Plugin {
  return {
    name: 'tollgate-minify-lit-html',
    transform(code, id) {
      if (!/[\\/]src[\\/].*\.ts$/.test(id) || !code.includes('html`')) return null;
      const spans: [number, number][] = [];
      const visit = (node: unknown): void => {
        if (!node || typeof node !== 'object') return;
        if (Array.isArray(node)) return node.forEach(visit);
        const n = node as { type?: string; tag?: { type: string; name?: string }; quasi?: { quasis: { start: number; end: number }[] } };
        if (n.type === 'TaggedTemplateExpression' && n.tag?.type === 'Identifier' && n.tag.name === 'html') {
          for (const q of n.quasi!.quasis) spans.push([q.start, q.end]);
        }
        for (const value of Object.values(node)) visit(value);
      };
      visit(parseAst(code, { lang: 'ts' }));
      let out = code;
      for (const [start, end] of spans.sort((a, b) => b[0] - a[0])) {
        out = out.slice(0, start) + out.slice(start, end).replace(/\s*\n\s*/g, ' ') + out.slice(end);
      }
      return out === code ? null : { code: out, map: null };
    },
  };
}

/**
 * A classic script cannot code-split, so in the IIFE the Stripe loader is a tiny shim that
 * imports the ES build's chunk next to the script (dynamic `import()` works in classic scripts).
 */
function stripeShimForIife(): Plugin {
  const id = '\0tollgate-stripe-shim';
  return {
    name: 'tollgate-stripe-shim',
    enforce: 'pre',
    resolveId(source) {
      return source === STRIPE_MODULE ? id : null;
    },
    load(moduleId) {
      if (moduleId !== id) return null;
      return `const base = (document.currentScript && document.currentScript.src) || location.href;
export async function loadStripe(...args) {
  const m = await import(/* @vite-ignore */ new URL('${STRIPE_CHUNK}', base).href);
  return m.loadStripe(...args);
}`;
    },
  };
}

/**
 * A classic script is decoded with the page's charset (often not UTF-8 on partner pages), so the
 * IIFE is written in pure ASCII: every other character becomes a \uXXXX escape.
 */
function asciiOnly(): Plugin {
  return {
    name: 'tollgate-ascii-only',
    generateBundle(_options, bundle) {
      for (const output of Object.values(bundle)) {
        if (output.type === 'chunk') {
          output.code = output.code.replace(/[^\x00-\x7f]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
        }
      }
    },
  };
}

const shared: UserConfig = {
  publicDir: false,
  plugins: [minifyLitCss(), minifyLitHtml()],
  build: {
    outDir: 'dist',
    target: 'es2022',
    minify: true,
    sourcemap: false,
    reportCompressedSize: false,
  },
};

/** The npm package's entries: `tollgate`, `tollgate/react`, `tollgate/client` and `tollgate/elements/<name>`. */
const NPM_ENTRIES = {
  index: 'src/index.ts',
  react: 'src/react.ts',
  // The partner backend's client: no Lit, no DOM; it shares nothing with the elements.
  client: 'src/client/index.ts',
  ...Object.fromEntries(ELEMENTS.map((el) => [`elements/${el}`, `src/components/${el}/${el}.ts`])),
};

function variant(name: string): UserConfig {
  if (name === 'elements' || name === 'node') {
    return {
      ...shared,
      // Node: Lit's `node` build (its DOM shim instead of the browser's HTMLElement), so importing never throws.
      ...(name === 'node' ? { resolve: { conditions: ['node', 'module', 'production'] } } : {}),
      build: {
        ...shared.build,
        outDir: name === 'node' ? 'dist/node' : 'dist',
        emptyOutDir: false,
        lib: {
          entry: NPM_ENTRIES,
          formats: ['es'],
          fileName: (_format, entryName) => `${entryName}.js`,
        },
        rollupOptions: {
          // React is the app's: `tollgate/react` imports it; everything else is bundled.
          external: ['react'],
          // index.js and react.js import each element's own entry file instead of a chunk beside it: no extra request.
          preserveEntrySignatures: 'allow-extension',
          // `comments`: no /* @__PURE__ */ marks left for a bundler; these files are loaded as they are.
          output: { chunkFileNames, minify: true, comments: { annotation: false }, codeSplitting: { groups: [{ name: 'shared', test: FOUNDATION }] } },
        },
      },
    };
  }
  if (name === 'iife') {
    return {
      ...shared,
      plugins: [minifyLitCss(), minifyLitHtml(), stripeShimForIife(), asciiOnly()],
      // A classic script has no import.meta; config.ts reads document.currentScript first.
      define: { 'import.meta.url': 'undefined' },
      build: {
        ...shared.build,
        emptyOutDir: false,
        lib: { entry: 'src/index.ts', name: 'Tollgate', formats: ['iife'], fileName: () => 'tollgate.iife.js' },
        rollupOptions: { output: { minify: true } },
      },
    };
  }
  return {
    ...shared,
    build: {
      ...shared.build,
      emptyOutDir: true,
      lib: { entry: { tollgate: 'src/index.ts' }, formats: ['es'], fileName: (_format, entryName) => `${entryName}.js` },
      rollupOptions: {
        // The code tollgate.js shares with its lazy chunks (Lit, the base, the client) goes in tollgate.js, which
        // the lazy chunks import, instead of a chunk of its own that a page discovers only once tollgate.js is
        // parsed: one request for everything the elements need. tollgate.js then also exports that code under
        // short internal names (not in its types).
        preserveEntrySignatures: 'allow-extension',
        output: { chunkFileNames, minify: true },
      },
    },
  };
}

export default defineConfig(() => variant(process.env.TOLLGATE_BUILD ?? 'main'));

// Folds the generated element reference (docs/elements.md) and the provider sections (docs/<name>.md)
// into README.md between its markers, so the README is current without hand-copying.
// `npm run docs` runs it after scripts/docs.mjs; `--check` fails when README.md is out of date.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const readmePath = `${root}README.md`;
const PROVIDER_DOCS = ['stripe', 'mintbot', 'mimicbot', 'mintoken', 'bonzai'];

/** Shift headings `by` levels down, dropping the generator comment (and the title, when asked). */
function section(path, by, { dropTitle = false } = {}) {
  let text = readFileSync(path, 'utf8').replace(/<!--[\s\S]*?-->\n?/g, '');
  if (dropTitle) text = text.replace(/^# .*\n/, '');
  // Headings only outside code fences.
  return text
    .split(/(^```[\s\S]*?^```)/m)
    .map((part, i) => (i % 2 ? part : part.replace(/^(#{1,4}) /gm, (_, h) => '#'.repeat(h.length + by) + ' ')))
    .join('')
    .trim();
}

function replaceBetween(text, name, body) {
  const begin = `<!-- ${name}:begin -->`;
  const end = `<!-- ${name}:end -->`;
  const single = `<!-- ${name} -->`;
  if (text.includes(single)) text = text.replace(single, `${begin}\n${end}`);
  const a = text.indexOf(begin);
  const b = text.indexOf(end);
  if (a < 0 || b < 0) throw new Error(`README.md has no ${name} markers`);
  return text.slice(0, a + begin.length) + '\n' + body.trim() + '\n' + text.slice(b);
}

let readme = readFileSync(readmePath, 'utf8');
const before = readme;
readme = replaceBetween(readme, 'elements', section(`${root}docs/elements.md`, 1, { dropTitle: true }));
const providers = PROVIDER_DOCS.filter((n) => existsSync(`${root}docs/${n}.md`)).map((n) => section(`${root}docs/${n}.md`, 2));
readme = replaceBetween(readme, 'providers', providers.join('\n\n'));

if (process.argv.includes('--check')) {
  if (readme !== before) {
    console.error('README.md is out of date: run `npm run docs`');
    process.exit(1);
  }
  console.log('README.md is current');
} else {
  writeFileSync(readmePath, readme);
  console.log('README.md updated');
}

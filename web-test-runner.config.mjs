// Browser tests: test/browser/**/*.test.ts in Debian's headless Chromium, TypeScript via esbuild
// (reads tsconfig.json for experimentalDecorators / useDefineForClassFields:false).
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { chromeLauncher } from '@web/test-runner-chrome';
import { fileURLToPath } from 'node:url';
import { CHROME_ARGS, CHROME_PATH } from './test/chromium.mjs';

export default {
  files: ['test/browser/**/*.test.ts'],
  nodeResolve: true,
  concurrency: 1,
  testFramework: { config: { timeout: 10000 } },
  plugins: [esbuildPlugin({ ts: true, target: 'es2022', tsconfig: fileURLToPath(new URL('./tsconfig.json', import.meta.url)) })],
  browsers: [
    chromeLauncher({
      launchOptions: {
        executablePath: CHROME_PATH,
        headless: true,
        args: ['--headless', ...CHROME_ARGS],
      },
    }),
  ],
};

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import react from '@vitejs/plugin-react';
import { type Plugin, defineConfig } from 'vite';
import { consoleSourceHash } from './source-hash';

/** Records which sources the build came from (checked by test/console-build.test.ts). */
function sourceHash(): Plugin {
  return {
    name: 'console-source-hash',
    apply: 'build',
    closeBundle() {
      writeFileSync(path.join(__dirname, 'dist', 'source-hash.txt'), `${consoleSourceHash(__dirname)}\n`);
    },
  };
}

/**
 * The operations console (index.html) and the API explorer (explorer.html), built into dist/ and
 * served by the gateway under /console. Everything is bundled: nothing is fetched from the
 * internet when the pages run.
 */
export default defineConfig({
  root: __dirname,
  base: '/console/',
  plugins: [react(), sourceHash()],
  // A stable build (no timestamps) so a rebuild of unchanged sources changes no committed file.
  build: {
    outDir: path.join(__dirname, 'dist'),
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 2500,
    rollupOptions: {
      input: { index: path.join(__dirname, 'index.html'), explorer: path.join(__dirname, 'explorer.html') },
    },
  },
  server: {
    // `npm run console:dev`: the app with hot reload against a running stack's gateway.
    proxy: { '/graphql': 'http://127.0.0.1:4000', '/export': 'http://127.0.0.1:4000', '/import': 'http://127.0.0.1:4000' },
  },
});

#!/usr/bin/env node
/**
 * Bundle the dashboard's single-page app (src/dashboard/web/app.ts with preact, htm and uPlot) for
 * the browser, minified, into dist/dashboard/assets/ (app.js and app.css). `npm run build` runs it;
 * `node scripts/build-dashboard.mjs --outdir <dir>` writes elsewhere (the tests do).
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const at = process.argv.indexOf('--outdir');
const outdir =
  at > 0 && process.argv[at + 1] ? resolve(process.argv[at + 1]) : join(root, 'dist', 'dashboard', 'assets');

await build({
  entryPoints: { app: join(root, 'src', 'dashboard', 'web', 'app.ts') },
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome110', 'firefox110', 'safari16'],
  outdir,
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
});

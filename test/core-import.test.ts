import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

it('importing the core requires none of the lazily loaded parsers and drivers', () => {
  const result = execFileSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const { ADict, Scope } = await import('ato');
       new Scope(); new ADict({ a: 1 }).getStructuralHash();
       const { createRequire } = await import('node:module');
       console.log(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));`,
    ],
    { cwd: root, encoding: 'utf8' },
  );
  const cjs = JSON.parse(result) as string[];
  expect(
    cjs.filter((p) =>
      /better-sqlite3|kysely|[\\/]pg[\\/]|yaml|smol-toml|@lezer|meriyah|tsx|jsonc-parser/.test(p),
    ),
  ).toEqual([]);
});

it('the built core (dist/index.js and every chunk it imports) statically imports only node built-ins', () => {
  const seen = new Set<string>();
  const external = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(
      /^\s*(?:import|export)\s[^;]*?from\s*["']([^"']+)["']|^\s*import\s*["']([^"']+)["']/gm,
    )) {
      const specifier = match[1] ?? match[2]!;
      if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier));
      else if (!specifier.startsWith('node:')) external.add(specifier);
    }
  };
  visit(join(root, 'dist', 'index.js'));
  expect(seen.size).toBeGreaterThan(1);
  expect([...external]).toEqual([]);
  // the same walk does find the tracker's dependencies
  visit(join(root, 'dist', 'tracker', 'index.js'));
  expect([...external]).toContain('kysely');
});

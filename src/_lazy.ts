/**
 * Internal: load a parser only when a file of its format is read, so that importing the core costs
 * nothing for formats a program never uses. CommonJS builds keep the loading synchronous.
 */
import { createRequire } from 'node:module';

const requireModule = createRequire(import.meta.url);
const cache = new Map<string, unknown>();

/** `require` a dependency once, on first use. */
export function lazyRequire<T>(id: string): T {
  let mod = cache.get(id);
  if (mod === undefined) {
    mod = requireModule(id);
    cache.set(id, mod);
  }
  return mod as T;
}

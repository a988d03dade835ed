/**
 * Fingerprint benchmarks (issue 4): the static fingerprint of a 30-line function, first time and
 * cached; the runtime fingerprint of a 100 MB Float32Array beside node's raw SHA-256 of the same
 * bytes; the runtime fingerprint of a 1,000-key nested object.
 *
 * Run alone with `npx tsx bench/fingerprint.ts`.
 */
import { createHash } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { parse } from 'meriyah';
import { clearFingerprintCache, fingerprintFunction, fingerprintValue } from '../src/fingerprint/index.js';
import { type Figure, formatMs, formatRatio, printTable, timePerCall } from './harness.js';

/** A 30-line training-step-like function whose source differs with `n`. */
function thirtyLineFunction(n: number): Function {
  const body = `
    const lr = options.lr ?? ${0.001 + n * 1e-9};
    const momentum = options.momentum ?? 0.9;
    let total = 0;
    const grads = [];
    for (let i = 0; i < batch.inputs.length; i++) {
      const x = batch.inputs[i];
      const y = batch.labels[i];
      const pred = model.weights.reduce((acc, w, j) => acc + w * x[j], model.bias);
      const err = pred - y;
      total += err * err;
      grads.push(x.map((v) => v * err));
    }
    const mean = grads.reduce((acc, g) => acc.map((a, j) => a + g[j] / grads.length), model.weights.map(() => 0));
    for (let j = 0; j < model.weights.length; j++) {
      model.velocity[j] = momentum * model.velocity[j] - lr * mean[j];
      model.weights[j] += model.velocity[j];
    }
    if (options.clip) {
      const norm = Math.sqrt(model.weights.reduce((a, w) => a + w * w, 0));
      if (norm > options.clip) {
        for (let j = 0; j < model.weights.length; j++) model.weights[j] *= options.clip / norm;
      }
    }
    const { log = console.log, every = 10 } = options;
    if (batch.step % every === 0) log({ step: batch.step, loss: total / batch.inputs.length });
    return { loss: total / batch.inputs.length, lr, norm: model.weights.length };`;
  return new Function('model', 'batch', 'options', body);
}

/** 10 groups of 100 keys: numbers, strings, small arrays and objects. */
function thousandKeyObject(): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (let g = 0; g < 10; g++) {
    const group: Record<string, unknown> = {};
    for (let k = 0; k < 100; k++) {
      const key = `key_${(k * 7919) % 100}_${g}`;
      group[key] =
        k % 4 === 0
          ? k * 0.5
          : k % 4 === 1
            ? `value ${k}`
            : k % 4 === 2
              ? [k, k + 1, k + 2]
              : { a: k, b: null };
    }
    root[`group${g}`] = group;
  }
  return root;
}

const mbPerSecond = (bytes: number, ms: number) => `${(bytes / 1e6 / (ms / 1000)).toFixed(0)} MB/s`;
const opsPerSecond = (ms: number) => `${Math.round(1000 / ms).toLocaleString('en-US')} ops/s`;

/**
 * Measure the fingerprint figures.
 *
 * @example
 * ```ts
 * printTable('fingerprints', await runFingerprintBench());
 * ```
 */
export async function runFingerprintBench(): Promise<Figure[]> {
  const figures: Figure[] = [];

  // Static, first time: a new source for every call
  const iterations = 100;
  const batches = 7;
  const functions = Array.from({ length: iterations * (batches + 1) }, (_, i) => thirtyLineFunction(i));
  const sources = functions.map((fn) => fn.toString());
  clearFingerprintCache();
  let next = 0;
  const first = timePerCall(() => fingerprintFunction(functions[next++]!), iterations, batches);
  next = 0;
  const parseOnly = timePerCall(() => parse(`(${sources[next++]!}\n)`, { next: true }), iterations, batches);
  figures.push({
    name: 'static fingerprint, 30-line function, first time',
    value: formatMs(first),
    baseline: `${formatMs(parseOnly)} (meriyah parse alone)`,
    ratio: formatRatio(first, parseOnly),
  });

  // Static, cached: the same source again
  const cachedFn = functions[0]!;
  fingerprintFunction(cachedFn);
  const cached = timePerCall(() => fingerprintFunction(cachedFn), 10_000);
  figures.push({
    name: 'static fingerprint, 30-line function, cached (same function)',
    value: formatMs(cached),
    baseline: `${formatMs(first)} (first time)`,
    ratio: `${(first / cached).toFixed(0)}x faster`,
  });
  // Static, cached by source: a new function object with a source seen before
  const twins = Array.from({ length: 2_000 * 8 }, () => thirtyLineFunction(0));
  next = 0;
  const bySource = timePerCall(() => fingerprintFunction(twins[next++]!), 2_000);
  figures.push({
    name: 'static fingerprint, 30-line function, cached (new function object, same source)',
    value: formatMs(bySource),
    baseline: `${formatMs(first)} (first time)`,
    ratio: `${(first / bySource).toFixed(0)}x faster`,
  });
  clearFingerprintCache();

  // Runtime: 100 MB Float32Array beside raw SHA-256 of its bytes
  const floats = new Float32Array(25_000_000);
  for (let i = 0; i < floats.length; i++) floats[i] = Math.sin(i) * 1e3;
  const bytes = new Uint8Array(floats.buffer);
  const raw = timePerCall(() => createHash('sha256').update(bytes).digest('hex'), 1, 5);
  const typed = timePerCall(() => fingerprintValue(floats), 1, 5);
  figures.push({
    name: 'runtime fingerprint, 100 MB Float32Array (target >= 1,000 MB/s)',
    value: mbPerSecond(bytes.byteLength, typed),
    baseline: `${mbPerSecond(bytes.byteLength, raw)} (raw SHA-256)`,
    ratio: formatRatio(raw, typed),
  });

  // Runtime: 1,000-key nested object beside JSON.stringify + SHA-256 (which ignores key order)
  const object = thousandKeyObject();
  const nested = timePerCall(() => fingerprintValue(object), 200);
  const naive = timePerCall(() => createHash('sha256').update(JSON.stringify(object)).digest('hex'), 200);
  figures.push({
    name: 'runtime fingerprint, 1,000-key nested object',
    value: opsPerSecond(nested),
    baseline: `${opsPerSecond(naive)} (JSON.stringify + SHA-256)`,
    ratio: formatRatio(naive, nested),
  });

  return figures;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printTable('fingerprints', await runFingerprintBench());
}

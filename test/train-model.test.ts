import { describe, expect, it } from 'vitest';
import { createGaussian, createRng, type Dataset, makeDataset, split } from '../examples/train/data.js';
import {
  type Activation,
  computeGradients,
  createModel,
  createOptimizer,
  evaluate,
  forward,
  iterateBatches,
  type Model,
  type OptimizerConfig,
  optimizerStep,
  predict,
  trainStep,
  trainStepDeps,
} from '../examples/train/model.js';

/** The configuration recommended for the demo. */
const DEMO = {
  samples: 2000,
  noise: 0.04,
  validationFraction: 0.2,
  hidden: [32, 32],
  activation: 'relu' as Activation,
  optimizer: { name: 'adam', lr: 0.01 } as OptimizerConfig,
  batchSize: 32,
  epochs: 30,
  seed: 0,
};

type RunConfig = typeof DEMO;

/** A whole training run, as the demo does it; returns every batch loss and the per-epoch validation. */
function run(overrides: Partial<RunConfig> = {}) {
  const config = { ...DEMO, ...overrides };
  const data = makeDataset({ samples: config.samples, noise: config.noise, seed: config.seed });
  const { train, validation } = split(data, {
    validationFraction: config.validationFraction,
    seed: config.seed + 1,
  });
  const model = createModel({
    inputs: data.features,
    hidden: config.hidden,
    outputs: data.classes,
    activation: config.activation,
    seed: config.seed + 2,
  });
  const optimizer = createOptimizer(model, config.optimizer);
  const rng = createRng(config.seed + 3);
  const losses: number[] = [];
  const validationAccuracy: number[] = [];
  let final = evaluate(model, validation.x, validation.y, validation.n);
  const started = performance.now();
  for (let epoch = 0; epoch < config.epochs; epoch++) {
    for (const batch of iterateBatches(train, config.batchSize, rng)) {
      losses.push(trainStep(model, optimizer, batch.x, batch.y, batch.size).loss);
    }
    final = evaluate(model, validation.x, validation.y, validation.n);
    validationAccuracy.push(final.accuracy);
  }
  return { model, losses, validationAccuracy, final, ms: performance.now() - started, train, validation };
}

function classCounts(dataset: Dataset): number[] {
  const counts = new Array<number>(dataset.classes).fill(0);
  for (const label of dataset.y) counts[label]! += 1;
  return counts;
}

/** Each row as a string, to compare row sets. */
function rows(dataset: Dataset): string[] {
  const out: string[] = [];
  for (let r = 0; r < dataset.n; r++) {
    out.push(`${dataset.x[2 * r]},${dataset.x[2 * r + 1]},${dataset.y[r]}`);
  }
  return out.sort();
}

describe('random numbers', () => {
  it('createRng is deterministic, seed-dependent and uniform in [0, 1)', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const first = Array.from({ length: 5 }, a);
    expect(Array.from({ length: 5 }, b)).toEqual(first);
    expect(Array.from({ length: 5 }, c)).not.toEqual(first);
    expect(createRng(-1)()).not.toBe(createRng(2 ** 32 - 1)());
    const rng = createRng(7);
    let sum = 0;
    let min = 1;
    let max = 0;
    for (let i = 0; i < 100_000; i++) {
      const u = rng();
      sum += u;
      min = Math.min(min, u);
      max = Math.max(max, u);
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    expect(sum / 100_000).toBeCloseTo(0.5, 2);
    expect(() => createRng(1.5)).toThrow(TypeError);
  });

  it('createGaussian draws standard normal numbers', () => {
    const normal = createGaussian(createRng(3));
    let sum = 0;
    let squares = 0;
    const count = 100_000;
    for (let i = 0; i < count; i++) {
      const z = normal();
      sum += z;
      squares += z * z;
    }
    expect(sum / count).toBeCloseTo(0, 1);
    expect(squares / count).toBeCloseTo(1, 1);
  });
});

describe('the spirals dataset', () => {
  it('has the documented shapes and balanced classes', () => {
    const data = makeDataset({ samples: 2000, noise: 0.04, seed: 0 });
    expect(data.n).toBe(2000);
    expect(data.features).toBe(2);
    expect(data.classes).toBe(3);
    expect(data.x).toBeInstanceOf(Float32Array);
    expect(data.x.length).toBe(4000);
    expect(data.y).toBeInstanceOf(Uint8Array);
    expect(data.y.length).toBe(2000);
    expect(classCounts(data)).toEqual([667, 667, 666]);
    expect(data.x.every((v) => Number.isFinite(v) && Math.abs(v) < 1.5)).toBe(true);
    const two = makeDataset({ samples: 101, noise: 0.1, classes: 2, seed: 0 });
    expect(classCounts(two)).toEqual([51, 50]);
  });

  it('is a pure function of its seed', () => {
    const a = makeDataset({ samples: 500, noise: 0.04, seed: 7 });
    const b = makeDataset({ samples: 500, noise: 0.04, seed: 7 });
    const c = makeDataset({ samples: 500, noise: 0.04, seed: 8 });
    expect(a.x).toEqual(b.x);
    expect(a.y).toEqual(b.y);
    expect(c.x).not.toEqual(a.x);
    expect(c.y).toEqual(a.y); // labels come class by class, whatever the seed
  });

  it('rejects invalid options', () => {
    expect(() => makeDataset({ samples: 2, noise: 0.1, seed: 0 })).toThrow(RangeError);
    expect(() => makeDataset({ samples: 10, noise: -1, seed: 0 })).toThrow(RangeError);
    expect(() => makeDataset({ samples: 10, noise: 0.1, classes: 1, seed: 0 })).toThrow(RangeError);
    expect(() => makeDataset({ samples: 10, noise: 0.1, turns: 0, seed: 0 })).toThrow(RangeError);
  });

  it('split shuffles deterministically into disjoint sets that hold every row', () => {
    const data = makeDataset({ samples: 1000, noise: 0.04, seed: 0 });
    const first = split(data, { validationFraction: 0.2, seed: 5 });
    const again = split(data, { validationFraction: 0.2, seed: 5 });
    const other = split(data, { validationFraction: 0.2, seed: 6 });
    expect(first.train.n).toBe(800);
    expect(first.validation.n).toBe(200);
    expect(first.train.x.length).toBe(1600);
    expect(again.validation.x).toEqual(first.validation.x);
    expect(again.train.y).toEqual(first.train.y);
    expect(other.validation.x).not.toEqual(first.validation.x);
    expect([...rows(first.train), ...rows(first.validation)].sort()).toEqual(rows(data));
    // Shuffled: every class is in the validation set in roughly its share.
    for (const count of classCounts(first.validation)) expect(count).toBeGreaterThan(40);
    expect(() => split(data, { validationFraction: 1, seed: 0 })).toThrow(RangeError);
  });

  it('iterateBatches visits every row once per epoch, in a new order each epoch', () => {
    const data = makeDataset({ samples: 100, noise: 0.04, seed: 0 });
    const rng = createRng(1);
    const epoch1 = [...iterateBatches(data, 32, rng)];
    const epoch2 = [...iterateBatches(data, 32, rng)];
    expect(epoch1.map((b) => b.size)).toEqual([32, 32, 32, 4]);
    const seen: Dataset = {
      x: Float32Array.from(epoch1.flatMap((b) => [...b.x])),
      y: Uint8Array.from(epoch1.flatMap((b) => [...b.y])),
      n: 100,
      features: 2,
      classes: 3,
    };
    expect(rows(seen)).toEqual(rows(data));
    expect(epoch2[0]!.x).not.toEqual(epoch1[0]!.x);
    const replay = [...iterateBatches(data, 32, createRng(1))];
    expect(replay[0]!.x).toEqual(epoch1[0]!.x);
  });
});

describe('the MLP', () => {
  it('builds the layers with seeded initialisation', () => {
    const config = { inputs: 2, hidden: [32, 32], outputs: 3, activation: 'relu' as const, seed: 0 };
    const model = createModel(config);
    expect(model.layers.map((l) => [l.inputs, l.outputs])).toEqual([
      [2, 32],
      [32, 32],
      [32, 3],
    ]);
    expect(model.params.length).toBe(2 * 32 + 32 + 32 * 32 + 32 + 32 * 3 + 3);
    expect(createModel(config).params).toEqual(model.params);
    expect(createModel({ ...config, seed: 1 }).params).not.toEqual(model.params);
    expect(model.layers.every((l) => l.bias.every((b) => b === 0))).toBe(true);
    // He initialisation: the second layer's weights have a standard deviation near sqrt(2 / 32).
    const w = model.layers[1]!.weights;
    const std = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
    expect(std).toBeGreaterThan(0.2);
    expect(std).toBeLessThan(0.3);
    expect(() => createModel({ ...config, hidden: [0] })).toThrow(RangeError);
    expect(() => createModel({ ...config, activation: 'gelu' as Activation })).toThrow(RangeError);
  });

  for (const activation of ['tanh', 'relu'] as const) {
    it(`computes exact gradients (${activation}): analytic vs central finite differences`, () => {
      const model = createModel({ inputs: 2, hidden: [4, 3], outputs: 3, activation, seed: 11 });
      // Non-zero biases, so that every parameter matters.
      const normal = createGaussian(createRng(12));
      for (const layer of model.layers)
        for (let j = 0; j < layer.bias.length; j++) layer.bias[j] = 0.1 * normal();
      const data = makeDataset({ samples: 6, noise: 0.1, seed: 13 });
      computeGradients(model, data.x, data.y, data.n);
      const analytic = Float64Array.from(model.grads);
      const lossAt = () => evaluate(model, data.x, data.y, data.n).loss;
      const eps = 1e-6;
      let worst = 0;
      for (let i = 0; i < model.params.length; i++) {
        const saved = model.params[i]!;
        model.params[i] = saved + eps;
        const up = lossAt();
        model.params[i] = saved - eps;
        const down = lossAt();
        model.params[i] = saved;
        const numeric = (up - down) / (2 * eps);
        const a = analytic[i]!;
        const relative = Math.abs(a - numeric) / Math.max(Math.abs(a), Math.abs(numeric), 1e-6);
        worst = Math.max(worst, relative);
      }
      expect(worst).toBeLessThan(1e-3);
      // The gradient is not trivially zero.
      expect(analytic.some((g) => Math.abs(g) > 1e-3)).toBe(true);
    });
  }

  it('applies the documented optimizer updates', () => {
    const model = createModel({ inputs: 2, hidden: [3], outputs: 2, activation: 'tanh', seed: 1 });
    const data = makeDataset({ samples: 8, noise: 0.1, classes: 2, seed: 2 });
    const optimizer = createOptimizer(model, { name: 'sgd', lr: 0.1, momentum: 0.5, weightDecay: 0.01 });
    const before = Float64Array.from(model.params);
    computeGradients(model, data.x, data.y, data.n);
    optimizerStep(optimizer);
    const firstWeight = before[0]! - 0.1 * (model.grads[0]! + 0.01 * before[0]!);
    expect(model.params[0]).toBeCloseTo(firstWeight, 12);
    const biasIndex = model.layers[0]!.weights.length; // biases are not decayed
    expect(model.params[biasIndex]).toBeCloseTo(before[biasIndex]! - 0.1 * model.grads[biasIndex]!, 12);
    expect(optimizer.steps).toBe(1);

    const other = createModel({ inputs: 2, hidden: [3], outputs: 2, activation: 'tanh', seed: 1 });
    const adam = createOptimizer(other, { name: 'adam', lr: 0.01 });
    computeGradients(other, data.x, data.y, data.n);
    optimizerStep(adam);
    // Adam's first bias-corrected step moves every parameter with a gradient by about lr.
    for (let i = 0; i < other.params.length; i++) {
      if (Math.abs(other.grads[i]!) > 1e-6)
        expect(Math.abs(other.params[i]! - before[i]!)).toBeCloseTo(0.01, 4);
    }
    expect(() => trainStep(model, adam, data.x, data.y, data.n)).toThrow(/another model/);
    expect(() => createOptimizer(model, { name: 'sgd', lr: 0 })).toThrow(RangeError);
    expect(() => createOptimizer(model, { name: 'adam', lr: 0.1, beta2: 1 })).toThrow(RangeError);
  });

  it('forward, evaluate and predict agree on any batch size', () => {
    const model: Model = createModel({ inputs: 2, hidden: [8], outputs: 3, activation: 'relu', seed: 4 });
    const data = makeDataset({ samples: 1200, noise: 0.04, seed: 0 }); // more rows than one eval chunk
    const { predictions, accuracy } = evaluate(model, data.x, data.y, data.n);
    expect(predict(model, data.x, data.n)).toEqual(predictions);
    const correct = predictions.reduce((s, p, i) => s + (p === data.y[i] ? 1 : 0), 0);
    expect(accuracy).toBe(correct / data.n);
    const logitsOfThree = Float64Array.from(forward(model, data.x, 3));
    const logitsOfOne = Float64Array.from(forward(model, data.x.subarray(4), 1));
    expect(logitsOfOne).toEqual(logitsOfThree.subarray(6, 9));
  });

  it('lists trainStep helpers for fingerprinting', () => {
    expect(trainStepDeps.every((fn) => typeof fn === 'function')).toBe(true);
    expect(trainStep.toString()).toMatch(/^function trainStep\(/);
  });
});

describe('training on the spirals', () => {
  it('the demo config reaches >= 95% validation accuracy in seconds; a linear model cannot', () => {
    const started = performance.now();
    const mlp = run();
    const linear = run({ hidden: [] });
    const elapsed = performance.now() - started;
    expect(mlp.final.accuracy).toBeGreaterThanOrEqual(0.95);
    expect(linear.final.accuracy).toBeLessThanOrEqual(0.75);
    expect(mlp.final.loss).toBeLessThan(linear.final.loss / 4);
    // Training makes progress: the late batch losses are far below the first ones.
    const mean = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;
    expect(mean(mlp.losses.slice(-50))).toBeLessThan(mean(mlp.losses.slice(0, 50)) / 4);
    expect(mlp.losses.every(Number.isFinite)).toBe(true);
    expect(elapsed).toBeLessThan(10_000);
  });

  it('identical runs give identical losses, other seeds other losses', () => {
    const a = run({ epochs: 3 });
    const b = run({ epochs: 3 });
    const c = run({ epochs: 3, seed: 1 });
    expect(b.losses).toEqual(a.losses);
    expect(b.model.params).toEqual(a.model.params);
    expect(b.final).toEqual(a.final);
    expect(c.losses).not.toEqual(a.losses);
  });

  it('sgd with momentum learns too', () => {
    const sgd = run({ optimizer: { name: 'sgd', lr: 0.05, momentum: 0.9 } });
    expect(sgd.final.accuracy).toBeGreaterThanOrEqual(0.95);
  });

  it('tanh learns too', () => {
    const tanh = run({ activation: 'tanh' });
    expect(tanh.final.accuracy).toBeGreaterThanOrEqual(0.95);
  });
});

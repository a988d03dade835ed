/**
 * The model behind ato's demo experiment: a multi-layer perceptron with softmax cross-entropy,
 * trained by mini-batch SGD (with momentum) or Adam, in plain TypeScript loops over typed arrays.
 *
 * All parameters, gradients and optimizer state are `Float64Array`s, and every loop runs in a fixed
 * order, so a run is a pure function of its seeds: the same losses on every run and every machine
 * (the only transcendental functions are `Math.exp`, `Math.log`, `Math.tanh`, `Math.sin`/`Math.cos`
 * for initialisation and `Math.pow`, all deterministic in V8).
 *
 * The usual loop:
 * ```ts
 * const model = createModel({ inputs: 2, hidden: [32, 32], outputs: 3, activation: 'relu', seed: 0 });
 * const optimizer = createOptimizer(model, { name: 'adam', lr: 0.01 });
 * const rng = createRng(1);
 * for (let epoch = 0; epoch < 30; epoch++) {
 *   for (const batch of iterateBatches(train, 32, rng)) trainStep(model, optimizer, batch.x, batch.y, batch.size);
 *   const { loss, accuracy } = evaluate(model, validation.x, validation.y, validation.n);
 * }
 * ```
 *
 * @module
 */
import { createGaussian, createRng, type Dataset, permutation, type Rng } from './data.js';

/** The hidden layers' nonlinearity. */
export type Activation = 'relu' | 'tanh';

/** The shape of an MLP, see {@link createModel}. */
export interface ModelConfig {
  /** Input features per row. */
  inputs: number;
  /** The hidden layers' widths, input side first; `[]` is a linear (softmax regression) model. */
  hidden: readonly number[];
  /** Output classes. */
  outputs: number;
  /** The hidden layers' nonlinearity. */
  activation: Activation;
  /** The initialisation seed (a safe integer). */
  seed: number;
}

/**
 * A fully connected layer: `out[j] = bias[j] + Σ_i in[i] * weights[i * outputs + j]`.
 *
 * All four arrays are views into the model's flat {@link Model.params} and {@link Model.grads}.
 */
export interface DenseLayer {
  /** Input width. */
  readonly inputs: number;
  /** Output width. */
  readonly outputs: number;
  /** `inputs * outputs` weights, row-major by input: input `i` to unit `j` at `i * outputs + j`. */
  readonly weights: Float64Array;
  /** `outputs` biases. */
  readonly bias: Float64Array;
  /** The gradient of the loss with respect to `weights` (same layout), filled by {@link backward}. */
  readonly weightGrad: Float64Array;
  /** The gradient of the loss with respect to `bias`, filled by {@link backward}. */
  readonly biasGrad: Float64Array;
}

/** A multi-layer perceptron, as {@link createModel} builds it. */
export interface Model {
  /** A frozen copy of the config the model was built from. */
  readonly config: Readonly<ModelConfig>;
  /** Input features per row. */
  readonly inputs: number;
  /** Output classes. */
  readonly outputs: number;
  /** The layers, input side first: one per hidden width, then the output layer. */
  readonly layers: readonly DenseLayer[];
  /** All parameters, layer by layer (weights, then biases). */
  readonly params: Float64Array;
  /** The gradient of the last {@link backward}, same layout as `params`. */
  readonly grads: Float64Array;
}

/** The optimizers {@link createOptimizer} knows. */
export type OptimizerName = 'sgd' | 'adam';

/** The settings of {@link createOptimizer}. */
export interface OptimizerConfig {
  /** `'sgd'` (with momentum) or `'adam'`. */
  name: OptimizerName;
  /** The learning rate (> 0). */
  lr: number;
  /** SGD momentum in `[0, 1)`. Default 0.9 (0 is plain SGD). */
  momentum?: number;
  /** Adam's first-moment decay in `[0, 1)`. Default 0.9. */
  beta1?: number;
  /** Adam's second-moment decay in `[0, 1)`. Default 0.999. */
  beta2?: number;
  /** Adam's denominator guard (> 0). Default 1e-8. */
  epsilon?: number;
  /**
   * Weight decay (>= 0) on the weights, never the biases. Default 0. SGD adds `weightDecay * w` to
   * the gradient (L2 regularisation, as PyTorch's SGD); Adam decays decoupled from the gradient
   * statistics, `w -= lr * weightDecay * w` (AdamW).
   */
  weightDecay?: number;
}

/** An optimizer bound to one model, as {@link createOptimizer} builds it. */
export interface Optimizer {
  /** The model whose parameters it updates. */
  readonly model: Model;
  /** The settings, defaults filled in. `lr` here is the initial learning rate. */
  readonly config: Readonly<Required<OptimizerConfig>>;
  /** The current learning rate: set it between steps for a schedule. */
  lr: number;
  /** How many updates it has applied. */
  steps: number;
  /** SGD's velocity or Adam's first moment, one per parameter. */
  readonly moment1: Float64Array;
  /** Adam's second moment, one per parameter (empty for SGD). */
  readonly moment2: Float64Array;
  /** 1 for the parameters that weight decay applies to (weights), 0 for biases. */
  readonly decayMask: Uint8Array;
}

/** Mean loss and accuracy over a batch. */
export interface BatchMetrics {
  /** Mean softmax cross-entropy (natural log). */
  loss: number;
  /** Share of rows whose highest logit is the label (ties go to the lowest class). */
  accuracy: number;
}

/** A mini-batch, as {@link iterateBatches} yields it. */
export interface Batch {
  /** `size * features` numbers, row-major (a view: copy it to keep it past the epoch). */
  x: Float32Array;
  /** `size` labels (a view). */
  y: Uint8Array;
  /** Rows in this batch (the last batch of an epoch may be smaller). */
  size: number;
}

/** Scratch buffers for one model, grown to the largest batch seen. */
interface Workspace {
  capacity: number;
  /** The batch's input, converted to Float64. */
  input: Float64Array;
  /** Each layer's output (after its activation; the last one holds the logits). */
  outputs: Float64Array[];
  /** Two buffers for the backward pass's deltas, `capacity * widest layer` each. */
  deltaA: Float64Array;
  deltaB: Float64Array;
}

const workspaces = new WeakMap<Model, Workspace>();

/** Rows per chunk when {@link evaluate} and {@link predict} run over a whole dataset. */
const EVAL_CHUNK = 512;

/**
 * Builds an MLP with seeded initialisation: He normal (`std = sqrt(2 / fan_in)`) for the weights
 * feeding ReLU units, Xavier/Glorot normal (`std = sqrt(2 / (fan_in + fan_out))`) for those feeding
 * tanh units and for the output layer; all biases 0.
 *
 * @param config `inputs`, `hidden` widths (`[]` for a linear model), `outputs`, `activation`, `seed`.
 * @returns The model; the same config gives bit-identical parameters.
 * @throws {RangeError} When a width is not a positive integer or `activation` is unknown.
 * @throws {TypeError} When `seed` is not a safe integer.
 *
 * @example
 * ```ts
 * const model = createModel({ inputs: 2, hidden: [32, 32], outputs: 3, activation: 'relu', seed: 0 });
 * model.params.length; // 2*32+32 + 32*32+32 + 32*3+3 = 1251
 * ```
 */
export function createModel(config: ModelConfig): Model {
  const { inputs, outputs, activation, seed } = config;
  assertPositiveInteger('inputs', inputs);
  assertPositiveInteger('outputs', outputs);
  if (!Array.isArray(config.hidden)) throw new RangeError('hidden must be an array of layer widths');
  for (const [i, width] of config.hidden.entries()) assertPositiveInteger(`hidden[${i}]`, width);
  if (activation !== 'relu' && activation !== 'tanh') {
    throw new RangeError(`activation must be 'relu' or 'tanh', got ${String(activation)}`);
  }
  const widths = [inputs, ...config.hidden, outputs];
  let total = 0;
  for (let l = 0; l + 1 < widths.length; l++) total += widths[l]! * widths[l + 1]! + widths[l + 1]!;
  const params = new Float64Array(total);
  const grads = new Float64Array(total);
  const layers: DenseLayer[] = [];
  const gaussian = createGaussian(createRng(seed));
  let offset = 0;
  for (let l = 0; l + 1 < widths.length; l++) {
    const fanIn = widths[l]!;
    const fanOut = widths[l + 1]!;
    const isOutput = l + 2 === widths.length;
    const std = !isOutput && activation === 'relu' ? Math.sqrt(2 / fanIn) : Math.sqrt(2 / (fanIn + fanOut));
    const weightEnd = offset + fanIn * fanOut;
    const layer: DenseLayer = {
      inputs: fanIn,
      outputs: fanOut,
      weights: params.subarray(offset, weightEnd),
      bias: params.subarray(weightEnd, weightEnd + fanOut),
      weightGrad: grads.subarray(offset, weightEnd),
      biasGrad: grads.subarray(weightEnd, weightEnd + fanOut),
    };
    for (let i = 0; i < layer.weights.length; i++) layer.weights[i] = std * gaussian();
    layers.push(Object.freeze(layer));
    offset = weightEnd + fanOut;
  }
  const frozenConfig = Object.freeze({ ...config, hidden: Object.freeze([...config.hidden]) });
  return Object.freeze({
    config: frozenConfig,
    inputs,
    outputs,
    layers: Object.freeze(layers),
    params,
    grads,
  });
}

/**
 * Builds an optimizer for `model`'s parameters, with zeroed state.
 *
 * - `sgd`: `v = momentum * v + g; w -= lr * v` (PyTorch's form; `momentum: 0` is plain SGD).
 * - `adam`: Adam with bias correction; weight decay is decoupled (AdamW).
 *
 * @param model The model to update.
 * @param config `name`, `lr` and the optional settings of {@link OptimizerConfig}.
 * @returns The optimizer; {@link trainStep} applies it.
 * @throws {RangeError} When a setting is out of range or `name` is unknown.
 *
 * @example
 * ```ts
 * const adam = createOptimizer(model, { name: 'adam', lr: 0.01 });
 * const sgd = createOptimizer(model, { name: 'sgd', lr: 0.1, momentum: 0.9, weightDecay: 1e-4 });
 * ```
 */
export function createOptimizer(model: Model, config: OptimizerConfig): Optimizer {
  const settings: Required<OptimizerConfig> = {
    name: config.name,
    lr: config.lr,
    momentum: config.momentum ?? 0.9,
    beta1: config.beta1 ?? 0.9,
    beta2: config.beta2 ?? 0.999,
    epsilon: config.epsilon ?? 1e-8,
    weightDecay: config.weightDecay ?? 0,
  };
  if (settings.name !== 'sgd' && settings.name !== 'adam') {
    throw new RangeError(`optimizer name must be 'sgd' or 'adam', got ${String(settings.name)}`);
  }
  if (!(Number.isFinite(settings.lr) && settings.lr > 0)) {
    throw new RangeError(`lr must be a finite number > 0, got ${settings.lr}`);
  }
  for (const key of ['momentum', 'beta1', 'beta2'] as const) {
    const value = settings[key];
    if (!(value >= 0 && value < 1)) throw new RangeError(`${key} must be in [0, 1), got ${value}`);
  }
  if (!(Number.isFinite(settings.epsilon) && settings.epsilon > 0)) {
    throw new RangeError(`epsilon must be a finite number > 0, got ${settings.epsilon}`);
  }
  if (!(Number.isFinite(settings.weightDecay) && settings.weightDecay >= 0)) {
    throw new RangeError(`weightDecay must be a finite number >= 0, got ${settings.weightDecay}`);
  }
  const size = model.params.length;
  const decayMask = new Uint8Array(size);
  let offset = 0;
  for (const layer of model.layers) {
    decayMask.fill(1, offset, offset + layer.weights.length);
    offset += layer.weights.length + layer.bias.length;
  }
  return {
    model,
    config: Object.freeze(settings),
    lr: settings.lr,
    steps: 0,
    moment1: new Float64Array(size),
    moment2: new Float64Array(settings.name === 'adam' ? size : 0),
    decayMask,
  };
}

/**
 * One training step on a mini-batch: forward pass, softmax cross-entropy, backward pass, update.
 *
 * To fingerprint its whole logic, pass {@link trainStepDeps} as the helpers it calls.
 *
 * @param model The model to train (its parameters change).
 * @param optimizer An optimizer created for this model.
 * @param batchX `batchSize * model.inputs` features, row-major.
 * @param batchY `batchSize` labels in `[0, model.outputs)`.
 * @param batchSize Rows in the batch.
 * @returns The batch's mean loss and accuracy, measured before the update.
 * @throws {RangeError} When the optimizer belongs to another model, or the batch is malformed.
 */
export function trainStep(
  model: Model,
  optimizer: Optimizer,
  batchX: Float32Array,
  batchY: Uint8Array,
  batchSize: number,
): BatchMetrics {
  if (optimizer.model !== model) throw new RangeError('the optimizer was created for another model');
  const logits = forward(model, batchX, batchSize);
  const outputGrad = new Float64Array(batchSize * model.outputs);
  const metrics = softmaxCrossEntropy(logits, batchY, batchSize, model.outputs, outputGrad);
  backward(model, outputGrad, batchSize);
  optimizerStep(optimizer);
  return metrics;
}

/**
 * Forward pass, loss and backward pass without an update: fills `model.grads` with the gradient of
 * the batch's mean loss (for gradient checks and inspection).
 *
 * @param model The model.
 * @param batchX `batchSize * model.inputs` features, row-major.
 * @param batchY `batchSize` labels.
 * @param batchSize Rows in the batch.
 * @returns The batch's mean loss and accuracy.
 */
export function computeGradients(
  model: Model,
  batchX: Float32Array,
  batchY: Uint8Array,
  batchSize: number,
): BatchMetrics {
  const logits = forward(model, batchX, batchSize);
  const outputGrad = new Float64Array(batchSize * model.outputs);
  const metrics = softmaxCrossEntropy(logits, batchY, batchSize, model.outputs, outputGrad);
  backward(model, outputGrad, batchSize);
  return metrics;
}

/**
 * The forward pass: the logits of `batchSize` rows. It keeps every layer's output in the model's
 * scratch space for the next {@link backward}.
 *
 * @param model The model.
 * @param x `batchSize * model.inputs` features, row-major.
 * @param batchSize Rows to run.
 * @returns `batchSize * model.outputs` logits, row-major: a view of scratch space that the next
 *   forward pass overwrites.
 * @throws {RangeError} When `batchSize` is not a positive integer or `x` is too short.
 */
export function forward(model: Model, x: Float32Array, batchSize: number): Float64Array {
  assertPositiveInteger('batchSize', batchSize);
  if (x.length < batchSize * model.inputs) {
    throw new RangeError(
      `x holds ${x.length} numbers, fewer than batchSize * inputs = ${batchSize * model.inputs}`,
    );
  }
  const work = workspace(model, batchSize);
  const input = work.input;
  for (let i = 0; i < batchSize * model.inputs; i++) input[i] = x[i]!;
  const relu = model.config.activation === 'relu';
  const last = model.layers.length - 1;
  let current = input;
  for (let l = 0; l <= last; l++) {
    const out = work.outputs[l]!;
    denseForward(model.layers[l]!, current, out, batchSize);
    if (l < last) {
      if (relu) reluForward(out, batchSize * model.layers[l]!.outputs);
      else tanhForward(out, batchSize * model.layers[l]!.outputs);
    }
    current = out;
  }
  return current.subarray(0, batchSize * model.outputs);
}

/**
 * Softmax cross-entropy over a batch of logits, computed stably (max-shifted log-sum-exp).
 *
 * @param logits `batchSize * classes` logits, row-major.
 * @param y `batchSize` labels in `[0, classes)`.
 * @param batchSize Rows.
 * @param classes Logits per row.
 * @param gradOut When given, receives the gradient of the mean loss with respect to the logits,
 *   `(softmax - onehot) / batchSize` (`batchSize * classes` numbers).
 * @returns The mean loss and the accuracy.
 * @throws {RangeError} When a label is out of range or `y` is too short.
 */
export function softmaxCrossEntropy(
  logits: Float64Array,
  y: Uint8Array,
  batchSize: number,
  classes: number,
  gradOut?: Float64Array,
): BatchMetrics {
  if (y.length < batchSize)
    throw new RangeError(`y holds ${y.length} labels, fewer than batchSize ${batchSize}`);
  let lossSum = 0;
  let correct = 0;
  const scale = 1 / batchSize;
  for (let s = 0; s < batchSize; s++) {
    const label = y[s]!;
    if (label >= classes) throw new RangeError(`label ${label} at row ${s} is not in [0, ${classes})`);
    const row = s * classes;
    let best = 0;
    let max = logits[row]!;
    for (let c = 1; c < classes; c++) {
      if (logits[row + c]! > max) {
        max = logits[row + c]!;
        best = c;
      }
    }
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(logits[row + c]! - max);
    lossSum += Math.log(sum) - (logits[row + label]! - max);
    if (best === label) correct++;
    if (gradOut !== undefined) {
      const inverse = 1 / sum;
      for (let c = 0; c < classes; c++) {
        const p = Math.exp(logits[row + c]! - max) * inverse;
        gradOut[row + c] = (c === label ? p - 1 : p) * scale;
      }
    }
  }
  return { loss: lossSum * scale, accuracy: correct * scale };
}

/**
 * The backward pass: overwrites `model.grads` with the gradient of the loss, given its gradient
 * with respect to the logits of the last {@link forward} pass (which must have run on the same
 * `batchSize` rows just before).
 *
 * @param model The model.
 * @param outputGrad `batchSize * model.outputs` gradients with respect to the logits (not modified).
 * @param batchSize Rows of the last forward pass.
 */
export function backward(model: Model, outputGrad: Float64Array, batchSize: number): void {
  const work = workspaces.get(model);
  if (work === undefined || work.capacity < batchSize) {
    throw new RangeError('backward needs a forward pass over the same batch first');
  }
  const relu = model.config.activation === 'relu';
  let delta = outputGrad;
  let spare = work.deltaA;
  for (let l = model.layers.length - 1; l >= 0; l--) {
    const layer = model.layers[l]!;
    const layerInput = l === 0 ? work.input : work.outputs[l - 1]!;
    denseWeightGradients(layer, layerInput, delta, batchSize);
    if (l === 0) break; // the input's gradient is not needed
    denseInputGradients(layer, delta, spare, batchSize);
    if (relu) reluBackward(spare, layerInput, batchSize * layer.inputs);
    else tanhBackward(spare, layerInput, batchSize * layer.inputs);
    delta = spare;
    spare = spare === work.deltaA ? work.deltaB : work.deltaA;
  }
}

/**
 * Applies one update to the optimizer's model from the gradient in `model.grads`, and counts the
 * step.
 *
 * @param optimizer The optimizer (its state and its model's parameters change).
 */
export function optimizerStep(optimizer: Optimizer): void {
  const { params, grads } = optimizer.model;
  const { momentum, beta1, beta2, epsilon, weightDecay } = optimizer.config;
  const { moment1, moment2, decayMask } = optimizer;
  const lr = optimizer.lr;
  optimizer.steps++;
  if (optimizer.config.name === 'sgd') {
    for (let i = 0; i < params.length; i++) {
      const g = grads[i]! + (decayMask[i] === 1 ? weightDecay * params[i]! : 0);
      const v = momentum * moment1[i]! + g;
      moment1[i] = v;
      params[i] = params[i]! - lr * v;
    }
    return;
  }
  const correction1 = 1 - beta1 ** optimizer.steps;
  const correction2 = 1 - beta2 ** optimizer.steps;
  const stepSize = lr / correction1;
  const rootCorrection2 = Math.sqrt(correction2);
  for (let i = 0; i < params.length; i++) {
    const g = grads[i]!;
    const m = beta1 * moment1[i]! + (1 - beta1) * g;
    const v = beta2 * moment2[i]! + (1 - beta2) * g * g;
    moment1[i] = m;
    moment2[i] = v;
    let w = params[i]!;
    if (decayMask[i] === 1) w -= lr * weightDecay * w;
    params[i] = w - (stepSize * m) / (Math.sqrt(v) / rootCorrection2 + epsilon);
  }
}

/**
 * The model's mean loss, accuracy and predicted class over `n` rows (run in chunks, no gradients).
 *
 * @param model The model.
 * @param x `n * model.inputs` features, row-major.
 * @param y `n` labels.
 * @param n Rows.
 * @returns Mean loss, accuracy and the predicted class of every row (ties go to the lowest class).
 *
 * @example
 * ```ts
 * const { loss, accuracy } = evaluate(model, validation.x, validation.y, validation.n);
 * ```
 */
export function evaluate(
  model: Model,
  x: Float32Array,
  y: Uint8Array,
  n: number,
): BatchMetrics & { predictions: Uint8Array } {
  assertPositiveInteger('n', n);
  const predictions = new Uint8Array(n);
  let lossSum = 0;
  let correctSum = 0;
  for (let start = 0; start < n; start += EVAL_CHUNK) {
    const size = Math.min(EVAL_CHUNK, n - start);
    const logits = forward(model, x.subarray(start * model.inputs, (start + size) * model.inputs), size);
    const metrics = softmaxCrossEntropy(logits, y.subarray(start, start + size), size, model.outputs);
    lossSum += metrics.loss * size;
    correctSum += Math.round(metrics.accuracy * size);
    argmaxRows(logits, size, model.outputs, predictions, start);
  }
  return { loss: lossSum / n, accuracy: correctSum / n, predictions };
}

/**
 * The predicted class of each of `n` rows (no labels needed: e.g. to draw decision regions).
 *
 * @param model The model.
 * @param x `n * model.inputs` features, row-major.
 * @param n Rows.
 * @returns `n` class indices (ties go to the lowest class).
 */
export function predict(model: Model, x: Float32Array, n: number): Uint8Array {
  assertPositiveInteger('n', n);
  const predictions = new Uint8Array(n);
  for (let start = 0; start < n; start += EVAL_CHUNK) {
    const size = Math.min(EVAL_CHUNK, n - start);
    const logits = forward(model, x.subarray(start * model.inputs, (start + size) * model.inputs), size);
    argmaxRows(logits, size, model.outputs, predictions, start);
  }
  return predictions;
}

/**
 * Shuffled mini-batches over one epoch: a fresh permutation from `rng` per call, then consecutive
 * slices of `batchSize` rows (the last one holds the remainder, so every row is seen once).
 *
 * @param dataset The rows.
 * @param batchSize Rows per batch (a positive integer).
 * @param rng The uniform source of the shuffle, e.g. `createRng(seed)`; reuse it across epochs to get
 *   a different order each epoch.
 * @returns A generator of {@link Batch}es: views into one shuffled copy made per epoch.
 * @throws {RangeError} When `batchSize` is not a positive integer (thrown on the first `next()`).
 *
 * @example
 * ```ts
 * const rng = createRng(7);
 * for (const batch of iterateBatches(train, 32, rng)) trainStep(model, optimizer, batch.x, batch.y, batch.size);
 * ```
 */
export function* iterateBatches(
  dataset: Dataset,
  batchSize: number,
  rng: Rng,
): Generator<Batch, void, undefined> {
  assertPositiveInteger('batchSize', batchSize);
  const { n, features } = dataset;
  const order = permutation(n, rng);
  const x = new Float32Array(n * features);
  const y = new Uint8Array(n);
  for (let r = 0; r < n; r++) {
    const source = order[r]!;
    for (let f = 0; f < features; f++) x[r * features + f] = dataset.x[source * features + f]!;
    y[r] = dataset.y[source]!;
  }
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    yield {
      x: x.subarray(start * features, (start + size) * features),
      y: y.subarray(start, start + size),
      size,
    };
  }
}

/**
 * How many trainable numbers the model has.
 *
 * @param model The model.
 * @returns `model.params.length`.
 */
export function parameterCount(model: Model): number {
  return model.params.length;
}

/** `out = bias + input · weights` for `batchSize` rows. */
function denseForward(layer: DenseLayer, input: Float64Array, out: Float64Array, batchSize: number): void {
  const { inputs, outputs, weights, bias } = layer;
  for (let s = 0; s < batchSize; s++) {
    const inRow = s * inputs;
    const outRow = s * outputs;
    for (let j = 0; j < outputs; j++) out[outRow + j] = bias[j]!;
    for (let i = 0; i < inputs; i++) {
      const value = input[inRow + i]!;
      if (value === 0) continue; // ReLU zeros: nothing to add
      const weightRow = i * outputs;
      for (let j = 0; j < outputs; j++) out[outRow + j] = out[outRow + j]! + value * weights[weightRow + j]!;
    }
  }
}

/** Accumulates a layer's weight and bias gradients from its input and output delta (overwrites them). */
function denseWeightGradients(
  layer: DenseLayer,
  input: Float64Array,
  delta: Float64Array,
  batchSize: number,
): void {
  const { inputs, outputs, weightGrad, biasGrad } = layer;
  weightGrad.fill(0);
  biasGrad.fill(0);
  for (let s = 0; s < batchSize; s++) {
    const inRow = s * inputs;
    const outRow = s * outputs;
    for (let j = 0; j < outputs; j++) biasGrad[j] = biasGrad[j]! + delta[outRow + j]!;
    for (let i = 0; i < inputs; i++) {
      const value = input[inRow + i]!;
      if (value === 0) continue;
      const weightRow = i * outputs;
      for (let j = 0; j < outputs; j++) {
        weightGrad[weightRow + j] = weightGrad[weightRow + j]! + value * delta[outRow + j]!;
      }
    }
  }
}

/** `inputDelta = delta · weightsᵀ`: the gradient with respect to the layer's input. */
function denseInputGradients(
  layer: DenseLayer,
  delta: Float64Array,
  inputDelta: Float64Array,
  batchSize: number,
): void {
  const { inputs, outputs, weights } = layer;
  for (let s = 0; s < batchSize; s++) {
    const inRow = s * inputs;
    const outRow = s * outputs;
    for (let i = 0; i < inputs; i++) {
      const weightRow = i * outputs;
      let sum = 0;
      for (let j = 0; j < outputs; j++) sum += weights[weightRow + j]! * delta[outRow + j]!;
      inputDelta[inRow + i] = sum;
    }
  }
}

/** In place: `v = max(v, 0)`. */
function reluForward(values: Float64Array, count: number): void {
  for (let i = 0; i < count; i++) if (values[i]! < 0) values[i] = 0;
}

/** In place: `v = tanh(v)`. */
function tanhForward(values: Float64Array, count: number): void {
  for (let i = 0; i < count; i++) values[i] = Math.tanh(values[i]!);
}

/** In place: zero the delta where the ReLU's output was 0 (its input was <= 0). */
function reluBackward(delta: Float64Array, output: Float64Array, count: number): void {
  for (let i = 0; i < count; i++) if (output[i]! <= 0) delta[i] = 0;
}

/** In place: `delta *= 1 - tanh²` (from the tanh's output). */
function tanhBackward(delta: Float64Array, output: Float64Array, count: number): void {
  for (let i = 0; i < count; i++) {
    const t = output[i]!;
    delta[i] = delta[i]! * (1 - t * t);
  }
}

/** Writes the index of the largest logit of each row (lowest on ties) at `target[offset + row]`. */
function argmaxRows(
  logits: Float64Array,
  rows: number,
  classes: number,
  target: Uint8Array,
  offset: number,
): void {
  for (let s = 0; s < rows; s++) {
    const row = s * classes;
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[row + c]! > logits[row + best]!) best = c;
    target[offset + s] = best;
  }
}

/** The model's scratch space, grown to hold `batchSize` rows. */
function workspace(model: Model, batchSize: number): Workspace {
  const existing = workspaces.get(model);
  if (existing !== undefined && existing.capacity >= batchSize) return existing;
  const capacity = Math.max(batchSize, existing?.capacity ?? 0);
  let widest = model.inputs;
  for (const layer of model.layers) widest = Math.max(widest, layer.outputs);
  const created: Workspace = {
    capacity,
    input: new Float64Array(capacity * model.inputs),
    outputs: model.layers.map((layer) => new Float64Array(capacity * layer.outputs)),
    deltaA: new Float64Array(capacity * widest),
    deltaB: new Float64Array(capacity * widest),
  };
  workspaces.set(model, created);
  return created;
}

function assertPositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
}

/**
 * Every function {@link trainStep} runs, for a complete static fingerprint:
 * `fingerprintFunction(trainStep, { deps: trainStepDeps })` (or `scope.trace(trainStep, { deps })`).
 */
export const trainStepDeps: readonly Function[] = [
  forward,
  softmaxCrossEntropy,
  backward,
  optimizerStep,
  denseForward,
  denseWeightGradients,
  denseInputGradients,
  reluForward,
  tanhForward,
  reluBackward,
  tanhBackward,
  workspace,
  assertPositiveInteger,
];

/**
 * Internal: the words ato's text grammars (XYZ and the command line) read as numbers, booleans and
 * null, so that both read `1e-3`, `True` and `None` alike, and both writers quote strings that would
 * otherwise read back as something else.
 */

/** Decimal numbers: `1`, `-2`, `+3`, `0.5`, `.5`, `1.`, `1e-3`. */
const NUMBER_RE = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/;

const WORDS: ReadonlyMap<string, unknown> = new Map<string, unknown>([
  ['true', true],
  ['false', false],
  ['True', true],
  ['False', false],
  ['null', null],
  ['None', null],
  ['NaN', Number.NaN],
  ['nan', Number.NaN],
  ['Infinity', Infinity],
  ['+Infinity', Infinity],
  ['-Infinity', -Infinity],
  ['inf', Infinity],
  ['+inf', Infinity],
  ['-inf', -Infinity],
]);

/** Marks a word that is not a number, boolean or null. */
export const NOT_A_SCALAR_WORD = Symbol('not a scalar word');

/** The number, boolean or null a word stands for, or {@link NOT_A_SCALAR_WORD}. */
export function readScalarWord(text: string): unknown {
  if (WORDS.has(text)) return WORDS.get(text);
  if (NUMBER_RE.test(text)) return Number(text);
  return NOT_A_SCALAR_WORD;
}

/** True when `text`, written bare, would read back as a number, boolean or null. */
export function isScalarWord(text: string): boolean {
  return WORDS.has(text) || NUMBER_RE.test(text);
}

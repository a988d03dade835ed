/** YAML config files (YAML 1.2 core schema, through the `yaml` package). */
import type * as Yaml from 'yaml';
import { lazyRequire } from '../../_lazy.js';
import { AtoError } from '../../errors.js';
import { assertRepresentable, assertTopLevelMapping } from './_check.js';

/** Parse a YAML config file: one document holding a mapping (an empty document is `{}`). */
export function parseYaml(text: string, file: string): Record<string, unknown> {
  const yaml = lazyRequire<typeof Yaml>('yaml');
  const doc = yaml.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const error = doc.errors[0];
  if (error) {
    const pos = error.linePos?.[0];
    throw new AtoError(
      'PARSE_ERROR',
      `invalid YAML: ${error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
      {
        location: { file, ...(pos ? { line: pos.line, column: pos.col } : {}) },
        hint: 'check the indentation and the brackets around this position',
        cause: error,
      },
    );
  }
  const value = doc.toJS({ maxAliasCount: 1000 }) as unknown;
  if (value === null || value === undefined) return {};
  assertTopLevelMapping(value, 'YAML', file);
  return value;
}

/** Write a config as YAML. Shared references are written out in full, never as anchors. */
export function stringifyYaml(data: Record<string, unknown>, file?: string): string {
  assertRepresentable(
    data,
    { format: 'YAML', null: true, nonFinite: true, date: false, bigint: false, undefined: false },
    file,
  );
  const yaml = lazyRequire<typeof Yaml>('yaml');
  return yaml.stringify(data, { aliasDuplicateObjects: false, lineWidth: 0 });
}

// The TypeScript definitions: a usage file type-checks with `tsc --noEmit` (strict), and the public surface
// of the generated .d.ts (the predictor class and exported functions) never falls back to `any`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './load.mjs';

test('usage.ts type-checks against the generated definitions', () => {
  const tsc = join(root, 'node_modules', '.bin', 'tsc');
  execFileSync(tsc, ['-p', join(root, 'tests', 'ts', 'tsconfig.json')], { encoding: 'utf8', stdio: 'pipe' });
});

test('the public surface has no any', () => {
  const dts = readFileSync(join(root, 'pkg', 'web', 'multimodel_perf.d.ts'), 'utf8');
  const cls = dts.slice(dts.indexOf('export class MultiModelPredictor'), dts.indexOf('}', dts.indexOf('export class MultiModelPredictor')));
  const fns = dts.split('\n').filter((l) => /^export function (listModels|listHardware|version)/.test(l));
  assert.ok(cls.includes('predictMultiModelPerformance') && fns.length === 3, 'exports missing from the .d.ts');
  for (const line of [...cls.split('\n'), ...fns]) assert.ok(!/\bany\b/.test(line), `any in: ${line.trim()}`);
});

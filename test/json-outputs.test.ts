/**
 * scenecrf's JSON outputs and their published JSON Schemas (schemas/, `npm run schemas`): the files
 * are what the zod schemas generate, the package ships and exports them, and a real output of every
 * command that writes JSON, made by the built package's CLI on a fixture, validates against the
 * shipped schema with ajv — and has no field the schema does not describe.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { JSON_OUTPUTS, JSON_SCHEMA_DRAFT, jsonSchemaText, SCHEMAS_DIR, schemaFile, schemaId } from '../src/cli/json-schemas.js';
import { parseReportInput } from '../src/report/schema.js';
import { hasNativeFfmpeg } from './helpers.js';
import { OutputValidator, type OutputKind } from './json-schema-check.js';

const ROOT = path.resolve(__dirname, '..');
const CUTS = path.join(ROOT, 'fixtures', 'cuts.mp4');
const REGENERATE = 'regenerate them with `npm run schemas`';

describe('the published JSON Schemas', () => {
  it('schemas/ holds exactly what `npm run schemas` generates from the zod schemas', () => {
    expect(readdirSync(SCHEMAS_DIR).sort(), REGENERATE).toEqual(JSON_OUTPUTS.map((o) => `${o.kind}.schema.json`).sort());
    for (const o of JSON_OUTPUTS) expect(readFileSync(schemaFile(o), 'utf8') === jsonSchemaText(o), `${path.relative(ROOT, schemaFile(o))} differs from its zod schema; ${REGENERATE}`).toBe(true);
  });

  it('each names its draft, its $id, and the format and version every output carries', () => {
    const validator = new OutputValidator(SCHEMAS_DIR);
    for (const o of JSON_OUTPUTS) {
      const s = validator.schema(o.kind as OutputKind) as { $schema: string; $id: string; properties: Record<string, { const?: unknown }>; required: string[] };
      expect(s.$schema).toBe(JSON_SCHEMA_DRAFT);
      expect(s.$id).toBe(schemaId(o));
      expect(s.properties.format?.const).toBe(o.format);
      expect(s.properties.version?.const).toBe(o.version);
      expect(s.required).toEqual(expect.arrayContaining(['format', 'version']));
      expect(o.format).toMatch(/^scenecrf-[a-z]+$/);
      // ajv in strict mode compiles it (no unknown keyword or malformed schema), open and closed.
      expect(validator.problems(o.kind as OutputKind, {}).join('\n')).toMatch(/must have required property 'format'/);
    }
  });

  it('the package ships them and exports them as scenecrf/schemas/<kind>.schema.json', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { files: string[]; exports: Record<string, unknown> };
    expect(pkg.files).toContain('schemas');
    expect(pkg.exports['./schemas/*.json']).toBe('./schemas/*.json');
  });
});

describe.skipIf(!hasNativeFfmpeg)('every JSON output of the CLI validates against its shipped schema', () => {
  let tmp: string;
  let validator: OutputValidator;
  const outputs = {} as Record<'analyze' | 'quality' | 'plan' | 'zones' | 'optimize', unknown>;
  const kindOf = { analyze: 'analysis', quality: 'quality', plan: 'plan', zones: 'plan', optimize: 'optimize' } as const;

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'scenecrf-json-outputs-'));
    const pkg = inject('packageDir');
    validator = new OutputValidator(path.join(pkg, 'schemas'));
    const cli = (...args: string[]) => execa(process.execPath, [path.join(pkg, 'bin', 'scenecrf.cjs'), ...args], { cwd: tmp, stdin: 'ignore', timeout: 300_000 });
    await cli('analyze', CUTS, '--frames', '--json', 'analyze.json', '--quiet');
    // Identical inputs: PSNR of identical planes is infinite, which JSON writes as null.
    await cli('quality', CUTS, CUTS, '--metric', 'psnr', '--analyze', '--json', 'quality.json', '--quiet');
    await cli('plan', CUTS, '--encoder', 'vp9', '--target-vmaf', '93', '--json', 'plan.json', '--quiet');
    await cli('zones', 'plan.json', '--format', 'json', '-o', 'zones.json');
    await cli('optimize', CUTS, '-o', 'out.webm', '--encoder', 'vp9', '--target-vmaf', '93', '--fast', '--validate-subsample', '2', '--json', 'optimize.json', '--quiet');
    for (const k of Object.keys(kindOf) as Array<keyof typeof kindOf>) outputs[k] = JSON.parse(await readFile(path.join(tmp, `${k}.json`), 'utf8'));
  }, 600_000);

  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it.each(Object.keys(kindOf) as Array<keyof typeof kindOf>)('scenecrf %s --json', (command) => {
    const kind = kindOf[command];
    const json = outputs[command] as { format: string; version: number };
    const o = JSON_OUTPUTS.find((x) => x.kind === kind)!;
    expect({ format: json.format, version: json.version }).toEqual({ format: o.format, version: o.version });
    expect(validator.problems(kind, json)).toEqual([]);
  });

  it('the outputs hold what the edge cases put there (frames, null plane PSNR, scenes, validation)', () => {
    expect((outputs.analyze as { frames: unknown[] }).frames.length).toBeGreaterThan(0);
    const quality = outputs.quality as { scenes: unknown[]; frames: Array<{ features: Record<string, number | null> }> };
    expect(quality.scenes.length).toBe(4);
    expect(Object.values(quality.frames[0]!.features)).toContain(null);
    expect((outputs.optimize as { validation: { scenes: unknown[] } }).validation.scenes.length).toBe(4);
  });

  it('a field of the wrong type, a missing one, and one the schema does not describe are each refused', () => {
    const analysis = outputs.analyze as { video: Record<string, unknown>; scenes: Array<Record<string, unknown>> };
    expect(validator.problems('analysis', { ...analysis, video: { ...analysis.video, width: '64' } }).join('\n')).toMatch(/\/video\/width must be integer/);
    const { format: _f, ...noFormat } = analysis as Record<string, unknown>;
    expect(validator.problems('analysis', noFormat).join('\n')).toMatch(/must have required property 'format'/);
    expect(validator.problems('analysis', { ...analysis, video: { ...analysis.video, colourSpace: 'bt709' } }).join('\n')).toMatch(/\(field not in the schema\) \/video must NOT have additional properties: colourSpace/);
    const plan = outputs.plan as { scenes: Array<Record<string, unknown>> };
    expect(validator.problems('plan', { ...plan, scenes: [{ ...plan.scenes[0], crf: 'low' }] }).join('\n')).toMatch(/crf must be number/);
  });

  it('results written before format and version existed still open in the report', () => {
    for (const command of ['analyze', 'quality', 'optimize'] as const) {
      const { format: _f, version: _v, ...older } = outputs[command] as Record<string, unknown>;
      expect(parseReportInput(older).kind).toBe(command);
    }
  });
});

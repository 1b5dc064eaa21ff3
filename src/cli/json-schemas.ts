/**
 * The published JSON Schemas of scenecrf's JSON outputs (schemas/*.schema.json, shipped in the
 * package as `scenecrf/schemas/<kind>.schema.json`), generated from the zod schemas that describe
 * them. Regenerate with `npm run schemas`; test/json-outputs.test.ts fails when the files and the
 * zod schemas disagree, and validates real outputs of every command against them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { zodToJsonSchema } from 'zod-to-json-schema';
import { ANALYSIS_FORMAT, ANALYSIS_VERSION, analysisOutputSchema } from '../analysis/result-schema.js';
import { planSchema } from '../core/plan-file.js';
import { OPTIMIZE_FORMAT, OPTIMIZE_VERSION, optimizeOutputSchema } from '../optimize/output.js';
import { QUALITY_FORMAT, QUALITY_VERSION, qualityOutputSchema } from '../quality/report-schema.js';

export interface JsonOutput {
  /** File name stem: schemas/<kind>.schema.json. */
  kind: string;
  format: string;
  version: number;
  /** The commands that write it. */
  writtenBy: string;
  schema: z.ZodTypeAny;
}

export const JSON_OUTPUTS: readonly JsonOutput[] = [
  { kind: 'analysis', format: ANALYSIS_FORMAT, version: ANALYSIS_VERSION, writtenBy: 'scenecrf analyze --json; analyzeVideo()', schema: analysisOutputSchema },
  { kind: 'quality', format: QUALITY_FORMAT, version: QUALITY_VERSION, writtenBy: 'scenecrf quality --json; measureQuality()', schema: qualityOutputSchema },
  { kind: 'plan', format: 'scenecrf-plan', version: 1, writtenBy: 'scenecrf plan --json, scenecrf zones --format json; read by encode and zones', schema: planSchema },
  { kind: 'optimize', format: OPTIMIZE_FORMAT, version: OPTIMIZE_VERSION, writtenBy: 'scenecrf optimize --json', schema: optimizeOutputSchema },
];

export const SCHEMAS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../schemas');

/** The draft the schemas follow (zod-to-json-schema's default target); ajv's default class validates it. */
export const JSON_SCHEMA_DRAFT = 'http://json-schema.org/draft-07/schema#';

/** `$id` of an output's schema: names the format and its version. */
export const schemaId = (o: JsonOutput) => `urn:scenecrf:${o.kind}:${o.version}`;

/** One output's JSON Schema. */
export function jsonSchema(o: JsonOutput): Record<string, unknown> {
  const generated = zodToJsonSchema(o.schema, {
    target: 'jsonSchema7',
    // Plan files are inputs too: fields with a default may be left out, as scenecrf reads them.
    effectStrategy: 'input',
    pipeStrategy: 'input',
    // Objects that scenecrf reads strictly (the plan) refuse other fields; every other object
    // allows fields a later release may add (readers ignore what they do not know).
    removeAdditionalStrategy: 'strict',
  }) as Record<string, unknown>;
  const { $schema: _draft, ...body } = generated;
  return { $schema: JSON_SCHEMA_DRAFT, $id: schemaId(o), title: `${o.format} version ${o.version}`, ...body };
}

/** The text of schemas/<kind>.schema.json. */
export const jsonSchemaText = (o: JsonOutput) => `${JSON.stringify(jsonSchema(o), null, 2)}\n`;

export const schemaFile = (o: JsonOutput) => path.join(SCHEMAS_DIR, `${o.kind}.schema.json`);

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  mkdirSync(SCHEMAS_DIR, { recursive: true });
  for (const o of JSON_OUTPUTS) {
    writeFileSync(schemaFile(o), jsonSchemaText(o));
    process.stdout.write(`wrote ${path.relative(process.cwd(), schemaFile(o))}\n`);
  }
}

/**
 * Validation of scenecrf's JSON outputs against their published JSON Schemas (schemas/, as the
 * package ships them) with ajv, a validator independent of the zod schemas they are generated from.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';

export type OutputKind = 'analysis' | 'quality' | 'plan' | 'optimize';

/**
 * The schema with every object closed (`additionalProperties: false` where it lists properties and
 * allows others): the published schemas let later releases add fields, but every field scenecrf
 * writes today must be described, so a field added without its schema fails here.
 */
function closed(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(closed);
  if (typeof node !== 'object' || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k] = closed(v);
  if (out.type === 'object' && out.properties && (out.additionalProperties === undefined || out.additionalProperties === true)) out.additionalProperties = false;
  return out;
}

export class OutputValidator {
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });

  /** `schemasDir`: the folder of <kind>.schema.json files (the built package's, or the checkout's). */
  constructor(private readonly schemasDir: string) {}

  schema(kind: OutputKind): Record<string, unknown> {
    return JSON.parse(readFileSync(path.join(this.schemasDir, `${kind}.schema.json`), 'utf8')) as Record<string, unknown>;
  }

  private validator(kind: OutputKind, complete: boolean): ValidateFunction {
    const key = `${kind}:${complete}`;
    let v = this.validators.get(key);
    if (!v) {
      const schema = this.schema(kind);
      v = this.ajv.compile(complete ? { ...(closed(schema) as object), $id: `${schema.$id as string}:closed` } : schema);
      this.validators.set(key, v);
    }
    return v;
  }

  /**
   * The problems of `json` as an output of `kind`: against the published schema, then against its
   * closed form (undescribed fields). Empty when it validates.
   */
  problems(kind: OutputKind, json: unknown): string[] {
    const out: string[] = [];
    for (const complete of [false, true]) {
      const v = this.validator(kind, complete);
      if (!v(json)) out.push(...(v.errors ?? []).map((e) => `${complete ? '(field not in the schema) ' : ''}${e.instancePath || '/'} ${e.message ?? ''}${e.params && 'additionalProperty' in e.params ? `: ${String(e.params.additionalProperty)}` : ''}`));
      if (out.length) break;
    }
    return out;
  }
}

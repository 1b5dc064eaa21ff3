/**
 * The layer rule of docs/architecture.md, checked on the real source: every relative import in
 * src/ (static, `export … from` and dynamic `import()`) goes to the same folder or to a lower layer,
 * and the import graph has no cycle. The table in the doc is the rule; this test only reads it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '..');
const SRC = path.join(ROOT, 'src');
// AssemblyScript sources compile to the VMAF kernels' .wasm; they are not part of the TypeScript graph.
const EXCLUDED = [path.join(SRC, 'quality', 'wasm', 'assembly')];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (EXCLUDED.includes(p)) return [];
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

/** Relative specifiers a file imports: `import … from`, `export … from`, `import '…'` and `import('…')`. */
export function importSpecifiers(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const specs: string[] = [];
  const patterns = [/\b(?:import|export)\s[^;'"`]*?\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const re of patterns) for (const m of code.matchAll(re)) specs.push(m[1]!);
  return specs.filter((s) => s.startsWith('.'));
}

function resolveImport(from: string, spec: string): string {
  const base = path.resolve(path.dirname(from), spec);
  const candidates = [base.replace(/\.js$/, '.ts'), `${base}.ts`, path.join(base, 'index.ts'), base];
  const hit = candidates.find((c) => {
    try {
      return statSync(c).isFile();
    } catch {
      return false;
    }
  });
  if (!hit) throw new Error(`${path.relative(ROOT, from)} imports ${spec}, which does not exist`);
  return hit;
}

/** Layer of each folder or top-level file, from the table in docs/architecture.md. */
function documentedLayers(): Map<string, number> {
  const doc = readFileSync(path.join(ROOT, 'docs', 'architecture.md'), 'utf8');
  const layers = new Map<string, number>();
  for (const line of doc.split('\n')) {
    const row = /^\|\s*(\d+)\s*\|([^|]*)\|/.exec(line);
    if (!row) continue;
    for (const m of row[2]!.matchAll(/`([^`]+)`/g)) layers.set(m[1]!.replace(/\/$/, ''), Number(row[1]));
  }
  return layers;
}

/** The folder (or top-level file) a source file belongs to: the unit the layer table names. */
function unitOf(file: string): string {
  return path.relative(SRC, file).split(path.sep)[0]!;
}

const files = sourceFiles(SRC);
const graph = new Map(files.map((f) => [f, importSpecifiers(readFileSync(f, 'utf8')).map((s) => resolveImport(f, s))]));

/** Strongly connected components with more than one file, or a file importing itself (Tarjan). */
export function cycles(g: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of g.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || (g.get(v) ?? []).includes(v)) out.push(comp);
    }
  };
  for (const v of g.keys()) if (!idx.has(v)) visit(v);
  return out;
}

describe('architecture', () => {
  it('the checker sees every kind of import and finds a cycle when there is one', () => {
    const src = `import { a } from './a.js';\nexport { b } from "../b.js";\nimport './side.js';\nconst w = await import('./wasm.js');\n// import { no } from './comment.js';\nimport { execa } from 'execa';`;
    expect(importSpecifiers(src)).toEqual(['./a.js', '../b.js', './side.js', './wasm.js']);
    expect(cycles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]))).toHaveLength(1);
    expect(cycles(new Map([['a', ['b']], ['b', []]]))).toHaveLength(0);
  });

  it('every folder and top-level file of src/ has a documented layer', () => {
    const layers = documentedLayers();
    const units = [...new Set(files.map(unitOf))].sort();
    expect(units.filter((u) => !layers.has(u))).toEqual([]);
  });

  it('imports go to the same folder or to a lower layer only', () => {
    const layers = documentedLayers();
    const violations: string[] = [];
    for (const [from, targets] of graph) {
      const fromUnit = unitOf(from);
      for (const to of targets) {
        const toUnit = unitOf(to);
        if (toUnit === fromUnit) continue;
        const a = layers.get(fromUnit)!;
        const b = layers.get(toUnit)!;
        if (!(b < a)) violations.push(`${path.relative(SRC, from)} (layer ${a}) imports ${path.relative(SRC, to)} (layer ${b})`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('the import graph of src/ has no cycle', () => {
    expect(cycles(graph).map((c) => c.map((f) => path.relative(SRC, f)).sort())).toEqual([]);
  });
});

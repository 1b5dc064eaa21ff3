import type { ReportAnalysis, ReportInput, ReportKind, ReportOptimize, ReportPlanJson, ReportPlanned, ReportQuality } from './schema.js';
import { fmt, fmtBytes, fmtTime } from './svg.js';

/**
 * The report's view of a result: whatever kind it came from, the same shape (facts, scenes with
 * the values the charts draw, per-frame series), so the HTML side draws one way for all four.
 */

/** An optimize report's budget verdict in words. */
const BUDGET_VERDICT_TEXT = { met: 'met', over: 'missed (over)', under: 'met, under by more than the tolerance' } as const;

export type Verdict = 'hit' | 'below' | 'above' | 'capped';

export type Cell = number | string | boolean;

export interface SceneView {
  index: number;
  startFrame: number;
  endFrame: number;
  startKind?: string;
  transition?: { startFrame: number; endFrame: number };
  /** 0..1. */
  complexity?: number;
  crf?: number;
  /** Optimize: the CRF first planned, when the re-encode rounds moved it. */
  plannedCrf?: number;
  predictedVmaf?: number;
  measuredVmafMean?: number;
  measuredVmafP5?: number;
  /** Bytes: encoded (measured) or predicted. */
  kbps?: number;
  predictedKbps?: number;
  verdict?: Verdict;
  /** Every value of the scene in the result, flattened to dotted names. */
  columns: Array<[string, Cell]>;
}

export interface ReportView {
  kind: ReportKind;
  heading: string;
  /** The file the report is about. */
  subject: string;
  fps: number;
  frameCount: number;
  facts: Array<[string, string]>;
  summary: Array<{ label: string; value: string; note?: string; tone?: 'good' | 'bad' }>;
  scenes: SceneView[];
  colourBy: { key: 'complexity' | 'crf' | 'vmaf'; label: string; lo: number; hi: number; invert?: boolean } | undefined;
  frames?: { index: number[]; si: number[]; ti: number[]; motion: number[] };
  vmaf?: { index: number[]; score: number[]; metric: string };
  stat?: 'mean' | 'p5';
  target?: number;
  tolerance?: number;
  budgetKbps?: number;
  rounds?: { count: number; moved: Array<{ index: number; from: number; to: number; verdict?: Verdict }> };
  timings?: Array<[string, number]>;
  warnings: string[];
  boundaryCounts?: Record<string, number>;
}

const isPlain = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Flattens an object's scalar values to dotted names; short number arrays are joined, long ones and other arrays skipped. */
export function flatten(obj: Record<string, unknown>, skip: ReadonlySet<string> = new Set(), prefix = '', out: Array<[string, Cell]> = []): Array<[string, Cell]> {
  for (const [k, v] of Object.entries(obj)) {
    const name = prefix ? `${prefix}.${k}` : k;
    if (skip.has(name)) continue;
    if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') out.push([name, v]);
    else if (Array.isArray(v)) {
      if (v.length === 0) out.push([name, '']);
      else if (v.length <= 8 && v.every((x) => typeof x === 'number')) out.push([name, v.map((x) => fmt(x as number)).join(', ')]);
      else if (v.every(isPlain)) out.push([`${name} (count)`, v.length]);
    } else if (isPlain(v)) flatten(v, skip, name, out);
  }
  return out;
}

const kbpsOf = (bytes: number, frames: number, fps: number) => (bytes * 8 * fps) / frames / 1000;

function ffmpegFacts(b: { source: string; kind?: string; path: string; version: string }): Array<[string, string]> {
  return [
    ['ffmpeg', `${b.kind ? `${b.kind}, ` : ''}found via ${b.source}: ${b.path}`],
    ['ffmpeg version', b.version.replace(/\s*Copyright.*$/, '')],
  ];
}

function videoFacts(v: ReportAnalysis['video']): Array<[string, string]> {
  return [
    ['Video', `${v.width}×${v.height} ${v.pixFmt} (${v.bitDepth}-bit) ${v.codec} in ${v.container.split(',')[0]}`],
    ['Frames', `${v.frameCount} at ${fmt(Math.round(v.fps * 1000) / 1000)} fps (${v.frameRate.num}/${v.frameRate.den}${v.variableFrameRate ? ', variable frame rate' : ''}), ${fmtTime(v.durationSeconds)}`],
  ];
}

function analysisScenes(a: ReportAnalysis): SceneView[] {
  return a.scenes.map((s, i) => ({
    index: i,
    startFrame: s.startFrame,
    endFrame: s.endFrame,
    startKind: s.startKind,
    transition: s.transition,
    complexity: s.complexity.score,
    columns: flatten(s, new Set(['index'])).map(([k, v]) => [k.replace(/^complexity\./, ''), v] as [string, Cell]),
  }));
}

function frameSeries(a: ReportAnalysis | undefined): ReportView['frames'] {
  if (!a?.frames?.length) return undefined;
  return { index: a.frames.map((f) => f.index), si: a.frames.map((f) => f.si), ti: a.frames.map((f) => f.ti), motion: a.frames.map((f) => f.motion) };
}

function boundaryCounts(a: ReportAnalysis): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of a.scenes) if (s.startKind !== 'start') counts[s.startKind] = (counts[s.startKind] ?? 0) + 1;
  return counts;
}

/** Scene starts and complexity from an analysis of the same scenes, when one is given. */
function mergeAnalysis(scenes: SceneView[], a: ReportAnalysis | undefined): void {
  if (!a || a.scenes.length !== scenes.length) return;
  if (!a.scenes.every((s, i) => s.startFrame === scenes[i].startFrame && s.endFrame === scenes[i].endFrame)) return;
  a.scenes.forEach((s, i) => {
    scenes[i].startKind ??= s.startKind;
    scenes[i].transition ??= s.transition;
    scenes[i].complexity ??= s.complexity.score;
  });
}

function colourRange(scenes: SceneView[]): ReportView['colourBy'] {
  if (scenes.every((s) => s.complexity !== undefined)) return { key: 'complexity', label: 'complexity (0 flat, still … 1 detailed, fast)', lo: 0, hi: 1 };
  if (scenes.every((s) => s.crf !== undefined)) {
    const crfs = scenes.map((s) => s.crf!);
    return { key: 'crf', label: 'CRF (bright: low CRF, more bits)', lo: Math.min(...crfs), hi: Math.max(...crfs), invert: true };
  }
  if (scenes.every((s) => s.measuredVmafMean !== undefined)) {
    const v = scenes.map((s) => s.measuredVmafMean!);
    return { key: 'vmaf', label: 'measured score (bright: high)', lo: Math.min(...v), hi: Math.max(...v) };
  }
  return undefined;
}

function fromAnalysis(a: ReportAnalysis): ReportView {
  const scenes = analysisScenes(a);
  const counts = boundaryCounts(a);
  const meanComplexity = scenes.reduce((t, s) => t + s.complexity! * (s.endFrame - s.startFrame), 0) / a.video.frameCount;
  return {
    kind: 'analyze',
    heading: 'Analysis',
    subject: a.video.path,
    fps: a.video.fps,
    frameCount: Math.max(a.video.frameCount, scenes[scenes.length - 1].endFrame),
    facts: [
      ['Source', a.video.path],
      ...videoFacts(a.video),
      ['Analysis', `${a.analysis.width}×${a.analysis.height}, ${a.analysis.bitDepth}-bit, ${a.analysis.framesAnalyzed} frames in ${fmt(a.analysis.elapsedSeconds, 1)} s (${fmt(a.analysis.fps, 0)} frames/s)`],
      ['Shot boundaries', `${a.shotBoundaries.length} detected; scenes start at ${Object.entries(counts).map(([k, n]) => `${n} ${k}${n === 1 ? '' : 's'}`).join(', ') || 'no boundary'}`],
      ...ffmpegFacts(a.backend),
    ],
    summary: [
      { label: 'duration', value: fmtTime(a.video.durationSeconds) },
      { label: 'scenes', value: String(scenes.length) },
      { label: 'mean complexity', value: fmt(meanComplexity, 2), note: 'frame-weighted, 0–1' },
      { label: 'analysis speed', value: `${fmt(a.analysis.fps, 0)} fps` },
    ],
    scenes,
    colourBy: colourRange(scenes),
    frames: frameSeries(a),
    warnings: a.warnings,
    boundaryCounts: counts,
  };
}

function fromQuality(q: ReportQuality, a: ReportAnalysis | undefined): ReportView {
  const fps = a?.video.fps ?? 0;
  const spans = q.scenes ?? [{ startFrame: 0, endFrame: q.frameCount, score: q.pooled }];
  const scenes: SceneView[] = spans.map((s, i) => ({
    index: i,
    startFrame: s.startFrame,
    endFrame: s.endFrame,
    measuredVmafMean: s.score.mean,
    measuredVmafP5: s.score.p5,
    columns: flatten(s).map(([k, v]) => [k.replace(/^score\./, ''), v] as [string, Cell]),
  }));
  mergeAnalysis(scenes, a);
  const metric = q.metric === 'vmaf' ? 'VMAF' : q.metric.toUpperCase();
  return {
    kind: 'quality',
    heading: `Quality (${metric})`,
    subject: q.distorted,
    fps,
    frameCount: q.frameCount,
    facts: [
      ['Reference', q.reference],
      ['Distorted', q.distorted],
      ['Metric', `${metric}${q.model ? `, model ${q.model}` : ''}, by ${q.backend}${q.backendNote ? ` (${q.backendNote})` : ''}`],
      ['Frames', `${q.frameCount} at ${q.width}×${q.height}${q.subsample > 1 ? `, every ${q.subsample}th scored` : ''}${fps ? `, ${fmt(Math.round(fps * 1000) / 1000)} fps` : ''}`],
      ['Measured in', `${fmt(q.elapsedSeconds, 1)} s`],
      ...ffmpegFacts(q.ffmpeg),
    ],
    summary: [
      { label: `${metric} mean`, value: fmt(q.pooled.mean, 2) },
      { label: `${metric} 5th percentile`, value: fmt(q.pooled.p5, 2) },
      { label: `${metric} min`, value: fmt(q.pooled.min, 2) },
      { label: 'scenes', value: String(scenes.length) },
    ],
    scenes,
    colourBy: colourRange(scenes),
    frames: frameSeries(a),
    vmaf: { index: q.frames.map((f) => f.index), score: q.frames.map((f) => f.score), metric },
    warnings: [],
  };
}

function planFacts(p: ReportPlanJson): Array<[string, string]> {
  const opts = Object.entries(p.options ?? {});
  return [
    ['Source', p.input.path],
    ['Video', `${p.input.width}×${p.input.height}${p.input.bitDepth ? ` (${p.input.bitDepth}-bit)` : ''}, ${p.input.frameCount} frames at ${p.input.frameRate.num}/${p.input.frameRate.den} fps`],
    ['Encoder', `${p.encoder}, preset ${p.preset}${p.bitDepth ? `, ${p.bitDepth}-bit output` : ''}${opts.length ? `; options ${opts.map(([k, v]) => `${k}=${String(v)}`).join(' ')}` : ''}`],
  ];
}

function plannedFacts(r: ReportPlanned): Array<[string, string]> {
  return [
    ['Mode', r.mode === 'target' ? `VMAF target ${fmt(r.target)} (scene ${r.stat})` : `bitrate budget ${fmt(r.bitrateKbps)} kbit/s (maximising scene ${r.stat})`],
    ['CRF model', `${r.model.path} (${r.model.encoder} preset ${r.model.preset}${r.model.proxy ? ', proxy curves' : ''})`],
    ...(r.probeTrust !== undefined ? [['Probe trust', `±${r.probeTrust} CRF`] as [string, string]] : []),
    ['Predicted', `${fmtBytes(r.predicted.bytes)}, ${fmt(r.predicted.bitrateKbps, 1)} kbit/s, VMAF mean ${fmt(r.predicted.vmafMean, 2)}, lowest scene p5 ${fmt(r.predicted.vmafP5Min, 2)}${r.predicted.budgetMet === undefined ? '' : r.predicted.budgetMet ? ' (budget met)' : ' (budget not met)'}`],
  ];
}

const PHASES: Record<string, string> = { analysisSeconds: 'analysis', proxySeconds: 'proxy curves', planSeconds: 'planning', probeSeconds: 'probes' };

function plannedScenes(r: ReportPlanned, fps: number): SceneView[] {
  return r.scenes.map((s, i) => ({
    index: i,
    startFrame: s.startFrame,
    endFrame: s.endFrame,
    complexity: s.complexity,
    crf: s.crf,
    predictedVmaf: r.stat === 'p5' ? s.predictedVmafP5 : s.predictedVmafMean,
    predictedKbps: fps ? kbpsOf(s.predictedBytes, s.endFrame - s.startFrame, fps) : undefined,
    columns: flatten(s, new Set(['index', 'predictedCurve', 'curve'])),
  }));
}

function fromPlan(p: ReportPlanJson, planned: ReportPlanned | undefined, a: ReportAnalysis | undefined): ReportView {
  const fps = p.input.frameRate.num / p.input.frameRate.den;
  const scenes: SceneView[] = planned
    ? plannedScenes(planned, fps)
    : p.scenes.map((s, i) => ({ index: i, startFrame: s.startFrame, endFrame: s.endFrame, crf: s.crf, columns: flatten(s) }));
  const analysis = planned?.analysis ?? a;
  mergeAnalysis(scenes, analysis);
  const crfs = scenes.map((s) => s.crf!);
  return {
    kind: 'plan',
    heading: 'Encode plan',
    subject: p.input.path,
    fps,
    frameCount: p.input.frameCount,
    facts: [...planFacts(p), ...(planned ? plannedFacts(planned) : []), ...(analysis ? ffmpegFacts(analysis.backend) : [])],
    summary: [
      { label: 'scenes', value: String(scenes.length) },
      { label: 'CRF range', value: `${fmt(Math.min(...crfs))}–${fmt(Math.max(...crfs))}` },
      ...(planned
        ? [
            { label: 'predicted bitrate', value: `${fmt(planned.predicted.bitrateKbps, 0)} kbit/s` },
            { label: 'predicted VMAF', value: fmt(planned.predicted.vmafMean, 2), note: `lowest scene p5 ${fmt(planned.predicted.vmafP5Min, 1)}` },
          ]
        : [{ label: 'encoder', value: `${p.encoder} p${p.preset}` }]),
    ],
    scenes,
    colourBy: colourRange(scenes),
    frames: frameSeries(analysis),
    stat: planned?.stat,
    target: planned?.target,
    budgetKbps: planned?.mode === 'budget' ? planned.bitrateKbps : undefined,
    timings: planned?.timings ? Object.entries(planned.timings).map(([k, v]) => [PHASES[k] ?? k, v]) : undefined,
    warnings: planned?.warnings ?? [],
    boundaryCounts: analysis ? boundaryCounts(analysis) : undefined,
  };
}

function fromOptimize(o: ReportOptimize, a: ReportAnalysis | undefined): ReportView {
  const r = o.planned;
  const p = o.plan;
  const fps = p.input.frameRate.num / p.input.frameRate.den;
  const scenes = plannedScenes(r, fps);
  const validation = o.validation?.scenes;
  const chunkBySpan = new Map(o.encode.chunks.map((c) => [`${c.startFrame}:${c.endFrame}`, c]));
  const moved: NonNullable<ReportView['rounds']>['moved'] = [];
  scenes.forEach((s, i) => {
    const finalScene = p.scenes[i];
    const v = validation?.[i];
    const chunk = chunkBySpan.get(`${s.startFrame}:${s.endFrame}`);
    const plannedColumns = s.columns.map(([k, x]) => [`planned.${k}`, x] as [string, Cell]).filter(([k]) => !/^planned\.(startFrame|endFrame)$/.test(k));
    const base: Array<[string, Cell]> = [
      ['startFrame', s.startFrame],
      ['endFrame', s.endFrame],
    ];
    if (finalScene && finalScene.startFrame === s.startFrame && finalScene.endFrame === s.endFrame) {
      if (finalScene.crf !== s.crf) {
        s.plannedCrf = s.crf;
        moved.push({ index: i, from: s.crf!, to: finalScene.crf, verdict: v?.verdict });
      }
      s.crf = finalScene.crf;
      base.push(['crf', finalScene.crf]);
    }
    if (v) {
      s.measuredVmafMean = v.measuredVmafMean;
      s.measuredVmafP5 = v.measuredVmafP5;
      s.predictedVmaf = v.predictedVmaf;
      s.verdict = v.verdict;
      s.kbps = kbpsOf(v.bytes, v.endFrame - v.startFrame, fps);
      base.push(...flatten(v, new Set(['index', 'startFrame', 'endFrame', 'crf'])).map(([k, x]) => [`validation.${k}`, x] as [string, Cell]));
    } else if (chunk) s.kbps = kbpsOf(chunk.bytes, chunk.endFrame - chunk.startFrame, fps);
    if (chunk) base.push(...flatten(chunk, new Set(['index', 'startFrame', 'endFrame', 'crf', 'file'])).map(([k, x]) => [`chunk.${k}`, x] as [string, Cell]));
    s.columns = [...base, ...plannedColumns];
  });
  const analysis = r.analysis ?? a;
  mergeAnalysis(scenes, analysis);
  const val = o.validation;
  const encoderVersions = [...new Set(o.encode.chunks.map((c) => (typeof c.encoderVersion === 'string' ? c.encoderVersion : undefined)).filter((x): x is string => !!x))];
  const summary: ReportView['summary'] = [];
  if (val?.hitRate !== undefined)
    summary.push({ label: 'scenes on target', value: `${Math.round(val.hitRate * 100)}%`, note: `±${fmt(val.tolerance)} of ${fmt(r.target)}${val.capped ? `, ${val.capped} capped` : ''}`, tone: val.hitRate >= 0.8 ? 'good' : 'bad' });
  if (val) summary.push({ label: 'measured VMAF', value: fmt(val.vmafMean, 2), note: `lowest scene p5 ${fmt(val.vmafP5Min, 1)}` });
  summary.push({
    label: 'bitrate',
    value: `${fmt(o.encode.bitrateKbps, 0)} kbit/s`,
    note:
      r.mode !== 'budget'
        ? `predicted ${fmt(r.predicted.bitrateKbps, 0)}`
        : o.budget
          ? `budget ${fmt(r.bitrateKbps)}: ${BUDGET_VERDICT_TEXT[o.budget.verdict]} (${o.budget.ratio >= 1 ? '+' : ''}${fmt((o.budget.ratio - 1) * 100, 1)}%, ±${fmt(o.budget.tolerance * 100)}%)`
          : `budget ${fmt(r.bitrateKbps)}`,
    // Reports written before the verdict existed: the same 5% rule.
    tone: r.mode === 'budget' ? ((o.budget ? o.budget.met : o.encode.bitrateKbps <= r.bitrateKbps! * 1.05) ? 'good' : 'bad') : undefined,
  });
  summary.push({ label: 'size', value: fmtBytes(o.encode.bytes), note: `${scenes.length} scenes` });
  if (val) summary.push({ label: 're-encode rounds', value: String(val.rounds), note: `${moved.length} scene${moved.length === 1 ? '' : 's'} moved` });
  return {
    kind: 'optimize',
    heading: 'Optimized encode',
    subject: p.input.path,
    fps,
    frameCount: p.input.frameCount,
    facts: [
      ...planFacts(p),
      ...plannedFacts(r),
      ['Output', `${o.encode.output}: ${fmtBytes(o.encode.bytes)}, ${fmt(o.encode.bitrateKbps, 1)} kbit/s, ${o.encode.frames} frames`],
      ['Chunks', `${o.encode.chunks.length}${o.encode.encodedChunks !== undefined ? `: ${o.encode.encodedChunks} encoded, ${o.encode.reusedChunks ?? 0} reused` : ''}; encode ${fmt(o.encode.elapsedSeconds, 1)} s`],
      ...(encoderVersions.length ? [['Encoder version', encoderVersions.join(', ')] as [string, string]] : []),
      ...(o.encode.ffmpeg ? [['ffmpeg version', o.encode.ffmpeg.version.replace(/\s*Copyright.*$/, '')] as [string, string]] : []),
      ...(val ? [['Validation', `per-scene VMAF, ${val.rounds} re-encode round${val.rounds === 1 ? '' : 's'}${r.mode === 'target' ? `, tolerance ±${fmt(val.tolerance)}` : ''}`] as [string, string]] : []),
    ],
    summary,
    scenes,
    colourBy: colourRange(scenes),
    frames: frameSeries(analysis),
    stat: r.stat,
    target: r.target,
    tolerance: val?.tolerance,
    budgetKbps: r.mode === 'budget' ? r.bitrateKbps : undefined,
    rounds: val ? { count: val.rounds, moved } : undefined,
    timings: [
      ...(r.timings ? Object.entries(r.timings).map(([k, v]) => [PHASES[k] ?? k, v] as [string, number]) : []),
      ['encode', o.encode.elapsedSeconds],
    ],
    warnings: r.warnings,
    boundaryCounts: analysis ? boundaryCounts(analysis) : undefined,
  };
}

/** The report view of a validated result; `analysis` adds per-frame features and complexity to the other kinds. */
export function buildView(input: ReportInput, analysis?: ReportAnalysis): ReportView {
  switch (input.kind) {
    case 'analyze':
      return fromAnalysis(input.data);
    case 'quality':
      return fromQuality(input.data, analysis);
    case 'plan':
      return fromPlan(input.data, input.planned, analysis);
    case 'optimize':
      return fromOptimize(input.data, analysis);
  }
}

import { InvalidOptionsError } from '../errors.js';
import { buildView, type Cell, type ReportView, type SceneView, type Verdict } from './model.js';
import { analysisResultSchema, parseReportInput, type ReportAnalysis } from './schema.js';
import { REPORT_CSS, REPORT_JS } from './assets.js';
import { bandPath, bucketSeries, c1, esc, fmt, fmtTime, linePath, niceDomain, niceTicks, OKABE, timeStep, viridis, viridisDarkText } from './svg.js';
import { describeIssues } from '../errors.js';

export interface ReportOptions {
  /** Page title (default "scenecrf <kind> report — <file>"). */
  title?: string;
  /** When the run happened, shown as given (the results carry no date; a report never reads the clock). */
  date?: string;
  /** The command line that produced the result. */
  commandLine?: string;
  /** Versions to show, e.g. `{ scenecrf: '0.1.0', node: 'v20.20.2' }` (ffmpeg's comes from the result). */
  versions?: Record<string, string>;
  /** One data URI (data:image/jpeg|png|webp) per scene, or undefined for a scene without one (see `sceneThumbnails`). */
  thumbnails?: ReadonlyArray<string | undefined>;
  /** A note on the thumbnails, e.g. why there are none. */
  thumbnailNote?: string;
  /**
   * An analysis result (with `--frames` for the per-frame lines) of the same video: adds SI/TI
   * lines and scene complexity to quality, plan and optimize reports, whose results lack them.
   */
  analysis?: unknown;
  /** Most points a per-frame line keeps; longer series are drawn as min/max envelope + mean per bucket (default 1000). */
  maxPoints?: number;
}

const VERDICT_TEXT: Record<Verdict, string> = { hit: '✓ hit', below: '✗ below', above: '↑ above', capped: '⚠ capped' };
const VERDICT_COLOUR: Record<Verdict, string> = { hit: OKABE.blue, below: OKABE.vermillion, above: OKABE.sky, capped: OKABE.orange };
const KIND_LABEL: Record<string, string> = { analyze: 'analysis', quality: 'quality', plan: 'plan', optimize: 'optimize' };

// Chart geometry (SVG user units; the SVG scales to the page width).
const W = 1000;
const ML = 58;
const MR = 14;
const PW = W - ML - MR;

interface Ctx {
  view: ReportView;
  xOf: (frame: number) => number;
  /** Frames → label for tables and titles. */
  timeLabel: (frame: number) => string;
  /** Frames → label for axis ticks (whole seconds when the ticks are). */
  tickLabel: (frame: number) => string;
}

function axisX(ctx: Ctx, top: number, bottom: number): string {
  const { view } = ctx;
  const n = view.frameCount;
  let ticks: number[];
  if (view.fps > 0) {
    const step = timeStep(n / view.fps);
    ticks = [];
    for (let t = 0; t * view.fps <= n + 1e-9; t += step) ticks.push(t * view.fps);
  } else ticks = niceTicks(0, n, 8);
  let s = `<g class="ax">`;
  for (const f of ticks) {
    const x = c1(ctx.xOf(f));
    s += `<line x1="${x}" x2="${x}" y1="${top}" y2="${bottom}" class="grid"/><text x="${x}" y="${bottom + 14}" text-anchor="middle">${esc(ctx.tickLabel(f))}</text>`;
  }
  return `${s}</g>`;
}

function axisY(ticks: number[], yOf: (v: number) => number, label: string, top: number, bottom: number): string {
  let s = `<g class="ax">`;
  const step = ticks.length > 1 ? ticks[1] - ticks[0] : 1;
  const decimals = Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9)));
  for (const t of ticks) {
    const y = c1(yOf(t));
    s += `<line x1="${ML}" x2="${W - MR}" y1="${y}" y2="${y}" class="grid"/><text x="${ML - 6}" y="${y}" dy="0.32em" text-anchor="end">${t.toFixed(decimals)}</text>`;
  }
  s += `<text class="ylab" transform="translate(12 ${c1((top + bottom) / 2)}) rotate(-90)" text-anchor="middle">${esc(label)}</text>`;
  return `${s}</g>`;
}

function svgOpen(id: string, height: number, title: string, desc: string, cls = 'chart'): string {
  return `<svg class="${cls}" id="${id}" viewBox="0 0 ${W} ${height}" role="img" aria-labelledby="${id}-t ${id}-d" preserveAspectRatio="xMidYMid meet"><title id="${id}-t">${esc(title)}</title><desc id="${id}-d">${esc(desc)}</desc>`;
}

function legend(items: Array<{ colour: string; label: string; kind?: 'line' | 'dash' | 'box' | 'band' }>): string {
  return `<ul class="legend">${items
    .map(
      (i) =>
        `<li><svg width="22" height="12" aria-hidden="true">${
          i.kind === 'box' || i.kind === undefined
            ? `<rect x="3" y="1" width="16" height="10" rx="2" fill="${i.colour}"/>`
            : i.kind === 'band'
              ? `<rect x="1" y="1" width="20" height="10" fill="${i.colour}" opacity="0.25"/><line x1="1" x2="21" y1="6" y2="6" stroke="${i.colour}" stroke-width="2"/>`
              : `<line x1="1" x2="21" y1="6" y2="6" stroke="${i.colour}" stroke-width="2.5"${i.kind === 'dash' ? ' stroke-dasharray="5 3"' : ''}/>`
        }</svg>${esc(i.label)}</li>`,
    )
    .join('')}</ul>`;
}

/** Scene boundaries as faint vertical lines behind per-frame charts. */
function sceneRules(ctx: Ctx, top: number, bottom: number): string {
  if (ctx.view.scenes.length > 400) return '';
  let s = '<g class="rules">';
  for (const sc of ctx.view.scenes.slice(1)) {
    const x = c1(ctx.xOf(sc.startFrame));
    s += `<line x1="${x}" x2="${x}" y1="${top}" y2="${bottom}"/>`;
  }
  return `${s}</g>`;
}

function colourOf(view: ReportView, s: SceneView): { fill: string; t: number } {
  const cb = view.colourBy;
  if (!cb) return { fill: '#9aa5b1', t: 0.5 };
  const v = cb.key === 'complexity' ? s.complexity! : cb.key === 'crf' ? s.crf! : s.measuredVmafMean!;
  let t = cb.hi > cb.lo ? (v - cb.lo) / (cb.hi - cb.lo) : 0.5;
  if (cb.invert) t = 1 - t;
  return { fill: viridis(t), t };
}

function boundaryMark(kind: string, x: number, y: number): string {
  const X = c1(x);
  switch (kind) {
    case 'cut':
      return `<path class="mk" d="M${c1(x - 5)} ${y - 9}L${c1(x + 5)} ${y - 9}L${X} ${y - 1}Z"/>`;
    case 'fade':
      return `<circle class="mk" cx="${X}" cy="${y - 5}" r="4.2"/>`;
    case 'dissolve':
      return `<path class="mk" d="M${X} ${y - 10}L${c1(x + 5)} ${y - 5}L${X} ${y}L${c1(x - 5)} ${y - 5}Z"/>`;
    case 'wipe':
      return `<path class="mk" d="M${c1(x - 5)} ${y - 1}L${c1(x + 5)} ${y - 9}L${c1(x + 5)} ${y - 1}Z"/>`;
    case 'split':
      return `<rect class="mk hollow" x="${c1(x - 3.8)}" y="${y - 8.8}" width="7.6" height="7.6"/>`;
    default:
      return `<rect class="mk" x="${c1(x - 3.5)}" y="${y - 8.5}" width="7" height="7"/>`;
  }
}

/** Scene table rows per chunk table (see sceneTable). */
const ROW_CHUNK = 200;

const KIND_NAMES = ['cut', 'fade', 'dissolve', 'wipe', 'split'];

function timeline(ctx: Ctx): string {
  const { view } = ctx;
  const top = 16;
  const bandH = 54;
  const height = top + bandH + 30;
  const many = view.scenes.length > 300;
  let s = svgOpen(
    'timeline',
    height,
    `Scene timeline: ${view.scenes.length} scenes`,
    `One band per scene, width proportional to its length${view.colourBy ? `, colour by ${view.colourBy.label}` : ''}; marks above the bands show how each scene begins (${Object.entries(view.boundaryCounts ?? {})
      .map(([k, n]) => `${n} ${k}`)
      .join(', ') || 'kinds not known'}). Select a band to jump to its table row.`,
    'chart timeline',
  );
  s += `<g class="bands">`;
  for (const sc of view.scenes) {
    const x0 = ctx.xOf(sc.startFrame);
    const x1 = ctx.xOf(sc.endFrame);
    const { fill, t } = colourOf(view, sc);
    const label = `Scene ${sc.index}: ${ctx.timeLabel(sc.startFrame)}–${ctx.timeLabel(sc.endFrame)}, ${sc.endFrame - sc.startFrame} frames${sc.startKind ? `, begins with ${sc.startKind}` : ''}${sc.complexity !== undefined ? `, complexity ${fmt(sc.complexity, 2)}` : ''}${sc.crf !== undefined ? `, CRF ${fmt(sc.crf)}` : ''}${sc.verdict ? `, ${sc.verdict}` : ''}`;
    const w = Math.max(0.4, x1 - x0);
    const inner = `<rect class="band" data-scene="${sc.index}" x="${c1(x0)}" y="${top}" width="${c1(w)}" height="${bandH}" fill="${fill}"><title>${esc(label)}</title></rect>`;
    // Numbers inside bands wide enough for them.
    const text = !many && w > 26 ? `<text x="${c1(x0 + w / 2)}" y="${top + bandH / 2}" dy="0.35em" text-anchor="middle" class="${viridisDarkText(t) ? 'dk' : 'lt'}">${sc.index}</text>` : '';
    s += many ? inner : `<a href="#scene-${sc.index}" aria-label="${esc(label)}">${inner}${text}</a>`;
  }
  s += `</g>`;
  // Gradual transitions: hatched over their frames.
  s += `<g class="trans">`;
  for (const sc of view.scenes)
    if (sc.transition && sc.transition.endFrame > sc.transition.startFrame) {
      const x0 = ctx.xOf(sc.transition.startFrame);
      const x1 = ctx.xOf(sc.transition.endFrame + 1);
      s += `<rect x="${c1(x0)}" y="${top + bandH - 8}" width="${c1(Math.max(1, x1 - x0))}" height="8" fill="url(#hatch)"/>`;
    }
  s += `</g><g class="marks">`;
  for (const sc of view.scenes) if (sc.index > 0 && sc.startKind && sc.startKind !== 'start') s += boundaryMark(sc.startKind, ctx.xOf(sc.startFrame), top - 2);
  s += `</g>${axisX(ctx, top + bandH, top + bandH + 4)}`;
  s += `<defs><pattern id="hatch" width="4" height="4" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="4" height="4" fill="#fff" opacity="0.35"/><line x1="0" y1="0" x2="0" y2="4" stroke="#111" stroke-width="1.6"/></pattern></defs></svg>`;
  const kinds = KIND_NAMES.filter((k) => (view.boundaryCounts?.[k] ?? 0) > 0);
  let key = '';
  if (view.colourBy) {
    const stops = [0, 0.25, 0.5, 0.75, 1].map((t) => `${viridis(t)} ${t * 100}%`).join(', ');
    const lo = view.colourBy.invert ? view.colourBy.hi : view.colourBy.lo;
    const hi = view.colourBy.invert ? view.colourBy.lo : view.colourBy.hi;
    key += `<div class="ramp"><span>${fmt(lo, view.colourBy.key === 'complexity' ? 1 : undefined)}</span><i style="background:linear-gradient(90deg, ${stops})"></i><span>${fmt(hi, view.colourBy.key === 'complexity' ? 1 : undefined)}</span><em>${esc(view.colourBy.label)}</em></div>`;
  }
  if (kinds.length)
    key += `<ul class="legend kinds">${kinds.map((k) => `<li><svg width="14" height="14" viewBox="-7 -12 14 14" aria-hidden="true">${boundaryMark(k, 0, 0)}</svg>${k} (${view.boundaryCounts![k]})</li>`).join('')}${view.scenes.some((s) => s.transition && s.transition.endFrame > s.transition.startFrame) ? `<li><svg width="16" height="10" aria-hidden="true"><rect width="16" height="10" fill="url(#hatch)"/></svg>transition frames</li>` : ''}</ul>`;
  return `${s}<div class="key">${key}</div>`;
}

function filmstrip(ctx: Ctx, thumbs: ReadonlyArray<string | undefined> | undefined): string {
  if (!thumbs || ctx.view.scenes.length > 48 || !thumbs.some(Boolean)) return '';
  return `<ol class="film">${ctx.view.scenes
    .map((sc) => {
      const t = thumbs[sc.index];
      const { fill } = colourOf(ctx.view, sc);
      return `<li style="--c:${fill}"><a href="#scene-${sc.index}">${t ? `<img src="${t}" alt="Scene ${sc.index}, middle frame" loading="lazy" decoding="async">` : `<span class="noimg">no frame</span>`}<span class="cap"><b>${sc.index}</b> ${esc(ctx.timeLabel(sc.startFrame))}${sc.startKind && sc.startKind !== 'start' ? ` · ${esc(sc.startKind)}` : ''}</span></a></li>`;
    })
    .join('')}</ol>`;
}

interface Line {
  name: string;
  colour: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
}

function lineChart(
  ctx: Ctx,
  id: string,
  title: string,
  yLabel: string,
  lines: Line[],
  opts: { maxPoints: number; lo?: number; hi?: number; hlines?: Array<{ y: number; colour: string; label: string }>; segments?: Array<{ x0: number; x1: number; y: number; colour: string }>; segmentLabel?: string; extraDesc?: string },
): string {
  const top = 10;
  const bottom = 200;
  const height = bottom + 24;
  const bucketed = lines.map((l) => bucketSeries(l.x, l.y, 0, ctx.view.frameCount, opts.maxPoints));
  let lo = Infinity;
  let hi = -Infinity;
  for (const b of bucketed)
    for (let i = 0; i < b.x.length; i++) {
      lo = Math.min(lo, b.min?.[i] ?? b.mean[i]);
      hi = Math.max(hi, b.max?.[i] ?? b.mean[i]);
    }
  for (const h of opts.hlines ?? []) (lo = Math.min(lo, h.y)), (hi = Math.max(hi, h.y));
  for (const sg of opts.segments ?? []) (lo = Math.min(lo, sg.y)), (hi = Math.max(hi, sg.y));
  if (!Number.isFinite(lo)) (lo = 0), (hi = 1);
  const [dlo, dhi] = niceDomain(opts.lo ?? lo, opts.hi ?? hi);
  const yOf = (v: number) => bottom - ((v - dlo) / (dhi - dlo || 1)) * (bottom - top);
  const desc = lines
    .map((l, k) => {
      const m = bucketed[k].mean;
      const all = Array.from(l.y).filter(Number.isFinite);
      const mean = all.reduce((a, b) => a + b, 0) / (all.length || 1);
      return `${l.name}: ${all.length} values from ${fmt(Math.min(...(m.length ? bucketed[k].min ?? m : [0])))} to ${fmt(Math.max(...(m.length ? bucketed[k].max ?? m : [0])))}, mean ${fmt(mean)}`;
    })
    .join('; ');
  const downsampled = bucketed.some((b) => b.min);
  let s = svgOpen(id, height, title, `${desc}.${downsampled ? ` Drawn as the mean per ${fmt(ctx.view.frameCount / opts.maxPoints, 1)}-frame bucket with its min–max envelope.` : ''}${opts.extraDesc ? ` ${opts.extraDesc}` : ''}`);
  s += axisY(niceTicks(dlo, dhi, 5), yOf, yLabel, top, bottom) + sceneRules(ctx, top, bottom) + axisX(ctx, bottom, bottom + 4);
  bucketed.forEach((b, k) => {
    const xs = b.x.map(ctx.xOf);
    if (b.min && b.max) s += `<path class="env" d="${bandPath(xs, b.max.map(yOf), b.min.map(yOf))}" fill="${lines[k].colour}"/>`;
    s += `<path class="ln" d="${linePath(xs, b.mean.map(yOf))}" stroke="${lines[k].colour}"/>`;
  });
  for (const sg of opts.segments ?? []) s += `<line class="seg" x1="${c1(ctx.xOf(sg.x0))}" x2="${c1(ctx.xOf(sg.x1))}" y1="${c1(yOf(sg.y))}" y2="${c1(yOf(sg.y))}" stroke="${sg.colour}"/>`;
  for (const h of opts.hlines ?? [])
    s += `<line class="hl" x1="${ML}" x2="${W - MR}" y1="${c1(yOf(h.y))}" y2="${c1(yOf(h.y))}" stroke="${h.colour}"/>`;
  s += `</svg>`;
  const items: Parameters<typeof legend>[0] = lines.map((l) => ({ colour: l.colour, label: l.name, kind: downsampled ? 'band' : 'line' }));
  for (const h of opts.hlines ?? []) items.push({ colour: h.colour, label: h.label, kind: 'dash' });
  if (opts.segments?.length && opts.segmentLabel) items.push({ colour: opts.segments[0].colour, label: opts.segmentLabel, kind: 'line' });
  return `<figure>${s}${legend(items)}</figure>`;
}

interface BarSpec {
  id: string;
  title: string;
  yLabel: string;
  value: (s: SceneView) => number | undefined;
  fill: (s: SceneView) => string;
  /** A second value drawn as a tick over the bar (e.g. predicted). */
  marker?: (s: SceneView) => number | undefined;
  markerLabel?: string;
  barLabel: string;
  hline?: { y: number; colour: string; label: string };
  band?: { lo: number; hi: number; label: string };
  zero?: boolean;
  lo?: number;
  /** Value the bars grow from (default the axis' zero or bottom): e.g. the target, so a bar shows the miss. */
  baseline?: number;
  legendExtra?: Parameters<typeof legend>[0];
}

function barChart(ctx: Ctx, spec: BarSpec): string {
  const top = 10;
  const bottom = 170;
  const height = bottom + 24;
  const vals = ctx.view.scenes.map(spec.value);
  const marks = ctx.view.scenes.map((s) => spec.marker?.(s));
  const all = [...vals, ...marks].filter((v): v is number => v !== undefined && Number.isFinite(v));
  if (spec.hline) all.push(spec.hline.y);
  if (spec.band) all.push(spec.band.lo, spec.band.hi);
  if (all.length === 0) return '';
  const lo0 = spec.zero ? 0 : spec.lo !== undefined ? Math.min(spec.lo, ...all) : Math.min(...all);
  const [dlo, dhi] = niceDomain(lo0, Math.max(...all));
  const yOf = (v: number) => bottom - ((v - dlo) / (dhi - dlo || 1)) * (bottom - top);
  const present = vals.filter((v): v is number => v !== undefined);
  const desc = `${spec.barLabel} per scene, ${present.length} scenes, from ${fmt(Math.min(...present))} to ${fmt(Math.max(...present))}${spec.marker && marks.some((m) => m !== undefined) ? `; ${spec.markerLabel} as ticks` : ''}${spec.hline ? `; ${spec.hline.label}` : ''}. Bars are as wide as their scenes are long${spec.baseline !== undefined ? ` and grow from ${fmt(spec.baseline)}, up for above, down for below` : ''}.`;
  let s = svgOpen(spec.id, height, spec.title, desc);
  s += axisY(niceTicks(dlo, dhi, 4), yOf, spec.yLabel, top, bottom) + axisX(ctx, bottom, bottom + 4);
  if (spec.band) s += `<rect class="tol" x="${ML}" width="${PW}" y="${c1(yOf(spec.band.hi))}" height="${c1(yOf(spec.band.lo) - yOf(spec.band.hi))}"/>`;
  s += `<g class="bars">`;
  const gap = ctx.view.scenes.length > 200 ? 0 : 0.6;
  ctx.view.scenes.forEach((sc, i) => {
    const v = vals[i];
    if (v === undefined || !Number.isFinite(v)) return;
    const x0 = ctx.xOf(sc.startFrame) + gap;
    const w = Math.max(0.3, ctx.xOf(sc.endFrame) - ctx.xOf(sc.startFrame) - 2 * gap);
    const y = yOf(v);
    const base = yOf(spec.baseline ?? Math.max(dlo, 0 >= dlo && 0 <= dhi ? 0 : dlo));
    s += `<rect class="bar" data-scene="${sc.index}" x="${c1(x0)}" y="${c1(Math.min(y, base))}" width="${c1(w)}" height="${c1(Math.max(0.5, Math.abs(base - y)))}" fill="${spec.fill(sc)}"><title>${esc(`Scene ${sc.index}: ${spec.barLabel} ${fmt(v)}${marks[i] !== undefined ? `, ${spec.markerLabel} ${fmt(marks[i])}` : ''}`)}</title></rect>`;
  });
  s += `</g><g class="ticks">`;
  ctx.view.scenes.forEach((sc, i) => {
    const m = marks[i];
    if (m === undefined || !Number.isFinite(m)) return;
    const x0 = ctx.xOf(sc.startFrame) + gap;
    const x1 = Math.max(x0 + 0.3, ctx.xOf(sc.endFrame) - gap);
    s += `<line x1="${c1(x0)}" x2="${c1(x1)}" y1="${c1(yOf(m))}" y2="${c1(yOf(m))}"/>`;
  });
  s += `</g>`;
  if (spec.hline)
    s += `<line class="hl" x1="${ML}" x2="${W - MR}" y1="${c1(yOf(spec.hline.y))}" y2="${c1(yOf(spec.hline.y))}" stroke="${spec.hline.colour}"/>`;
  s += `</svg>`;
  const items: Parameters<typeof legend>[0] = [...(spec.legendExtra ?? [])];
  if (spec.marker && marks.some((m) => m !== undefined)) items.push({ colour: '#1f2937', label: spec.markerLabel!, kind: 'line' });
  if (spec.hline) items.push({ colour: spec.hline.colour, label: spec.hline.label, kind: 'dash' });
  if (spec.band) items.push({ colour: '#9ca3af', label: spec.band.label, kind: 'box' });
  return `<figure>${s}${items.length ? legend(items) : ''}</figure>`;
}

function sceneCharts(ctx: Ctx): string {
  const { view } = ctx;
  let out = '';
  if (view.kind === 'analyze' && view.scenes.every((s) => s.complexity !== undefined)) {
    out += barChart(ctx, {
      id: 'complexity',
      title: 'Complexity per scene',
      yLabel: 'complexity',
      barLabel: 'complexity',
      value: (s) => s.complexity,
      fill: (s) => viridis(s.complexity!),
      zero: true,
    });
  }
  if (view.scenes.some((s) => s.crf !== undefined)) {
    const moved = view.scenes.some((s) => s.plannedCrf !== undefined);
    out += barChart(ctx, {
      id: 'crf',
      title: 'CRF per scene',
      yLabel: 'CRF',
      barLabel: 'CRF',
      value: (s) => s.crf,
      fill: (s) => (s.plannedCrf !== undefined ? OKABE.purple : '#5b6b86'),
      marker: moved ? (s) => s.plannedCrf : undefined,
      markerLabel: 'first planned CRF',
      zero: true,
      legendExtra: moved
        ? [
            { colour: '#5b6b86', label: 'CRF kept from the plan', kind: 'box' },
            { colour: OKABE.purple, label: 'CRF moved by a re-encode round', kind: 'box' },
          ]
        : [{ colour: '#5b6b86', label: 'CRF', kind: 'box' }],
    });
  }
  const measured = view.scenes.some((s) => s.measuredVmafMean !== undefined);
  const predicted = view.scenes.some((s) => s.predictedVmaf !== undefined);
  if (measured || predicted) {
    const stat = view.stat ?? 'mean';
    const metric = view.vmaf?.metric ?? 'VMAF';
    const measuredOf = (s: SceneView) => (stat === 'p5' ? s.measuredVmafP5 : s.measuredVmafMean);
    const verdicts = [...new Set(view.scenes.map((s) => s.verdict).filter((v): v is Verdict => !!v))];
    out += barChart(ctx, {
      id: 'scene-vmaf',
      title: measured ? `${metric} per scene (${stat}): measured${predicted ? ' against predicted' : ''}` : `Predicted VMAF per scene (${stat})`,
      yLabel: `${metric} (${stat})`,
      barLabel: measured ? `measured ${metric} ${stat}` : `predicted VMAF ${stat}`,
      value: measured ? measuredOf : (s) => s.predictedVmaf,
      fill: (s) => (s.verdict ? VERDICT_COLOUR[s.verdict] : measured ? OKABE.blue : OKABE.sky),
      marker: measured && predicted ? (s) => s.predictedVmaf : measured && stat === 'mean' ? (s) => s.measuredVmafP5 : undefined,
      markerLabel: measured && predicted ? 'predicted' : '5th percentile',
      hline: view.target !== undefined ? { y: view.target, colour: OKABE.vermillion, label: `target ${fmt(view.target)}` } : undefined,
      baseline: measured ? view.target : undefined,
      band: view.target !== undefined && view.tolerance !== undefined ? { lo: view.target - view.tolerance, hi: view.target + view.tolerance, label: `hit: within ±${fmt(view.tolerance)}` } : undefined,
      lo: undefined,
      legendExtra: verdicts.length
        ? verdicts.map((v) => ({ colour: VERDICT_COLOUR[v], label: VERDICT_TEXT[v], kind: 'box' as const }))
        : [{ colour: measured ? OKABE.blue : OKABE.sky, label: measured ? `measured ${stat}` : `predicted ${stat}`, kind: 'box' as const }],
    });
  }
  if (view.scenes.some((s) => s.kbps !== undefined || s.predictedKbps !== undefined)) {
    const enc = view.scenes.some((s) => s.kbps !== undefined);
    out += barChart(ctx, {
      id: 'bitrate',
      title: enc ? 'Bitrate per scene' : 'Predicted bitrate per scene',
      yLabel: 'kbit/s',
      barLabel: enc ? 'encoded kbit/s' : 'predicted kbit/s',
      value: (s) => (enc ? s.kbps : s.predictedKbps),
      fill: () => OKABE.green,
      marker: enc ? (s) => s.predictedKbps : undefined,
      markerLabel: 'predicted kbit/s',
      hline: view.budgetKbps !== undefined ? { y: view.budgetKbps, colour: OKABE.vermillion, label: `budget ${fmt(view.budgetKbps)} kbit/s (whole video)` } : undefined,
      zero: true,
      legendExtra: [{ colour: OKABE.green, label: enc ? 'encoded' : 'predicted', kind: 'box' }],
    });
  }
  return out;
}

function frameCharts(ctx: Ctx, maxPoints: number): string {
  const { view } = ctx;
  let out = '';
  if (view.vmaf) {
    const stat = view.scenes.some((s) => s.measuredVmafP5 !== undefined) && view.scenes.length > 1;
    out += lineChart(ctx, 'frame-vmaf', `${view.vmaf.metric} per frame`, view.vmaf.metric, [{ name: `${view.vmaf.metric} per frame`, colour: OKABE.blue, x: view.vmaf.index, y: view.vmaf.score }], {
      maxPoints,
      hi: view.vmaf.metric === 'VMAF' ? 100 : undefined,
      hlines: view.target !== undefined ? [{ y: view.target, colour: OKABE.vermillion, label: `target ${fmt(view.target)}` }] : undefined,
      segments: stat ? view.scenes.filter((s) => s.measuredVmafP5 !== undefined).map((s) => ({ x0: s.startFrame, x1: s.endFrame, y: s.measuredVmafP5!, colour: OKABE.purple })) : undefined,
      segmentLabel: 'scene 5th percentile',
    });
  }
  if (view.frames) {
    const f = view.frames;
    out += lineChart(ctx, 'frame-si', 'Spatial information (SI) per frame', 'SI', [{ name: 'SI (P.910)', colour: OKABE.blue, x: f.index, y: f.si }], { maxPoints });
    out += lineChart(
      ctx,
      'frame-ti',
      'Temporal information (TI) and motion per frame',
      'TI / motion',
      [
        { name: 'TI (P.910)', colour: OKABE.orange, x: f.index, y: f.ti },
        { name: 'motion (smoothed luma change)', colour: OKABE.green, x: f.index, y: f.motion },
      ],
      { maxPoints, lo: 0 },
    );
  }
  return out;
}

function cellHtml(v: Cell): string {
  // Scene-table cells are right-aligned numbers unless marked as text (fewer attributes in a 2000-row table).
  if (typeof v === 'number') return `<td>${fmt(v)}</td>`;
  if (typeof v === 'boolean') return `<td class="s">${v ? 'yes' : 'no'}</td>`;
  return `<td class="s">${esc(v)}</td>`;
}

function sceneTable(ctx: Ctx, thumbs: ReadonlyArray<string | undefined> | undefined): string {
  const { view } = ctx;
  const names: string[] = [];
  const seen = new Set<string>();
  for (const s of view.scenes)
    for (const [k] of s.columns)
      if (!seen.has(k)) {
        seen.add(k);
        names.push(k);
      }
  const hasThumbs = !!thumbs?.some(Boolean);
  const hasVerdict = view.scenes.some((s) => s.verdict);
  // Column widths from the longest text of each column, for a fixed table layout: the browser
  // then need not measure every cell of a 2000-row table to size the columns.
  const textOf = (v: Cell) => (typeof v === 'number' ? fmt(v) : typeof v === 'boolean' ? (v ? 'yes' : 'no') : v);
  const px = (chars: number) => Math.min(280, Math.max(52, Math.ceil(chars * 7.4 + 24)));
  const headChars = (n: string) => Math.max(...n.split('.').map((seg, i, all) => seg.length + (i < all.length - 1 ? 1 : 0)));
  const widths: number[] = [52, ...(hasThumbs ? [84] : []), px(Math.max(4, ...view.scenes.map((s) => `${ctx.timeLabel(s.startFrame)}–${ctx.timeLabel(s.endFrame)}`.length))), ...(hasVerdict ? [96] : [])];
  // Header text is bold: a wider character than the cells' tabular figures.
  const longest = new Map(names.map((n) => [n, Math.ceil(headChars(n) * 1.12)]));
  for (const s of view.scenes) for (const [k, v] of s.columns) longest.set(k, Math.max(longest.get(k)!, textOf(v).length));
  for (const n of names) widths.push(px(longest.get(n)!));
  const tableWidth = widths.reduce((a, b) => a + b, 0);
  const head = [
    `<th scope="col" aria-sort="ascending"><button type="button">#</button></th>`,
    ...(hasThumbs ? ['<th scope="col">frame</th>'] : []),
    `<th scope="col"><button type="button">${view.fps > 0 ? 'time' : 'frames'}</button></th>`,
    ...(hasVerdict ? ['<th scope="col"><button type="button">verdict</button></th>'] : []),
    ...names.map((n) => `<th scope="col"><button type="button">${esc(n).replace(/\./g, '.<wbr>')}</button></th>`),
  ].join('');
  // One table per chunk of ROW_CHUNK rows, all with the same fixed column widths and header: the
  // chunks off screen skip layout and paint (content-visibility), so a two-hour film's 2000-row
  // table does not hold up the page. Sorting sorts all rows and deals them back to the chunks.
  const rowHeight = hasThumbs ? 41 : 25;
  const colgroup = `<colgroup>${widths.map((w) => `<col style="width:${w}px">`).join('')}</colgroup>`;
  let tables = '';
  for (let c = 0; c * ROW_CHUNK < view.scenes.length; c++) {
    const chunk = view.scenes.slice(c * ROW_CHUNK, (c + 1) * ROW_CHUNK);
    let rows = '';
    for (const s of chunk) {
      const map = new Map(s.columns);
      rows += `<tr id="scene-${s.index}" data-scene="${s.index}"${s.verdict ? ` class="v-${s.verdict}"` : ''}><th scope="row">${s.index}</th>`;
      if (hasThumbs) rows += `<td class="s th">${thumbs![s.index] ? `<img src="${thumbs![s.index]}" alt="" loading="lazy" decoding="async">` : ''}</td>`;
      rows += `<td class="s" data-v="${s.startFrame}">${esc(ctx.timeLabel(s.startFrame))}–${esc(ctx.timeLabel(s.endFrame))}</td>`;
      if (hasVerdict) rows += `<td class="s vd">${s.verdict ? VERDICT_TEXT[s.verdict] : ''}</td>`;
      for (const n of names) rows += map.has(n) ? cellHtml(map.get(n)!) : '<td></td>';
      rows += '</tr>';
    }
    const first = c === 0;
    const caption = first
      ? `<caption>Every value of each scene in the result; sort by a column with its header button (Enter or Space).${view.scenes.length > ROW_CHUNK ? ` Rows ${1}–${chunk.length} of ${view.scenes.length}; the table continues below with the same columns.` : ''}</caption>`
      : `<caption class="sr">Scene table, continued: rows ${c * ROW_CHUNK + 1}–${c * ROW_CHUNK + chunk.length} of ${view.scenes.length}</caption>`;
    const style = first ? `width:${tableWidth}px` : `width:${tableWidth}px;contain-intrinsic-size:auto ${tableWidth}px auto ${chunk.length * rowHeight + 60}px`;
    tables += `<table class="scenes sortable${first ? '' : ' more'}" style="${style}">${caption}${colgroup}<thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table>`;
  }
  return `<div class="table-wrap" tabindex="0" role="region" aria-label="Scene table, ${view.scenes.length} rows">${tables}</div>`;
}

function roundsSection(ctx: Ctx): string {
  const r = ctx.view.rounds;
  // Re-encode rounds correct misses of a VMAF target; a budget run has none to show.
  if (!r || (ctx.view.budgetKbps !== undefined && r.count === 0 && r.moved.length === 0)) return '';
  const body = r.moved.length
    ? `<table class="small"><thead><tr><th scope="col">scene</th><th scope="col">time</th><th scope="col">planned CRF</th><th scope="col">final CRF</th><th scope="col">move</th><th scope="col">verdict</th></tr></thead><tbody>${r.moved
        .map((m) => {
          const s = ctx.view.scenes[m.index];
          const d = m.to - m.from;
          return `<tr${m.verdict ? ` class="v-${m.verdict}"` : ''}><th scope="row"><a href="#scene-${m.index}">${m.index}</a></th><td>${esc(ctx.timeLabel(s.startFrame))}</td><td class="n">${fmt(m.from)}</td><td class="n">${fmt(m.to)}</td><td class="n">${d > 0 ? '+' : '−'}${fmt(Math.abs(d))} <span class="arrow">${d > 0 ? '▲ fewer bits' : '▼ more bits'}</span></td><td class="vd">${m.verdict ? VERDICT_TEXT[m.verdict] : ''}</td></tr>`;
        })
        .join('')}</tbody></table>`
    : `<p>No scene's CRF moved from the plan.</p>`;
  return `<section id="rounds"><h2>Re-encode rounds</h2><p>${r.count} round${r.count === 1 ? '' : 's'} of re-encoding scenes that missed; ${r.moved.length} of ${ctx.view.scenes.length} scenes end at another CRF than first planned (the result keeps the first plan and the final one, not each round).</p>${body}</section>`;
}

function timingsSection(ctx: Ctx): string {
  const t = ctx.view.timings?.filter(([, v]) => v > 0);
  if (!t?.length) return '';
  const total = t.reduce((a, [, v]) => a + v, 0);
  const colours = [OKABE.blue, OKABE.orange, OKABE.green, OKABE.purple, OKABE.sky, OKABE.vermillion];
  let x = 0;
  let bar = '';
  t.forEach(([k, v], i) => {
    const w = (v / total) * 100;
    bar += `<rect x="${c1(x * 10)}" y="0" width="${c1(w * 10)}" height="28" fill="${colours[i % colours.length]}"><title>${esc(`${k}: ${fmt(v, 1)} s`)}</title></rect>`;
    x += w;
  });
  return `<section id="time"><h2>Time per phase</h2><svg class="chart phases" viewBox="0 0 1000 28" role="img" aria-labelledby="phases-t phases-d" preserveAspectRatio="none"><title id="phases-t">Wall-clock time per phase</title><desc id="phases-d">${esc(t.map(([k, v]) => `${k} ${fmt(v, 1)} s`).join(', '))}; ${fmt(total, 1)} s in all.</desc>${bar}</svg>${legend(t.map(([k, v], i) => ({ colour: colours[i % colours.length], label: `${k} ${fmt(v, 1)} s (${Math.round((v / total) * 100)}%)`, kind: 'box' })))}<p class="muted">Wall-clock seconds as the result records them (per-phase CPU time is not recorded); validation time is not included.</p></section>`;
}

function parseAnalysisOption(a: unknown): ReportAnalysis | undefined {
  if (a === undefined) return undefined;
  const r = analysisResultSchema.safeParse(a);
  if (!r.success) throw new InvalidOptionsError('report option analysis', describeIssues(r.error.issues, 'analysis', 8));
  return r.data;
}

function checkThumbnails(t: ReportOptions['thumbnails']): void {
  t?.forEach((u, i) => {
    if (u !== undefined && !/^data:image\/(jpeg|png|webp);base64,[A-Za-z0-9+/=]+$/.test(u))
      throw new InvalidOptionsError('report option thumbnails', `thumbnail ${i} is not a base64 data:image/jpeg|png|webp URI (a report loads nothing from elsewhere)`);
  });
}

/**
 * Renders a scenecrf result (the JSON of analyze, quality, plan or optimize, or the API's
 * AnalysisResult / QualityReport / EncodePlan / PlanEncodeResult / OptimizeResult) as one
 * self-contained HTML page: inline CSS, a few lines of inline script for table sorting, SVG charts
 * and optional data-URI thumbnails; nothing is loaded from elsewhere. Synchronous and
 * deterministic: the same result and options give the same string. Throws InvalidOptionsError for
 * a value that is not such a result (the message lists the problems).
 */
export function renderReport(result: unknown, options: ReportOptions = {}): string {
  const input = parseReportInput(result);
  const analysis = parseAnalysisOption(options.analysis);
  checkThumbnails(options.thumbnails);
  const maxPoints = options.maxPoints ?? 1000;
  if (!Number.isInteger(maxPoints) || maxPoints < 10) throw new InvalidOptionsError('report option maxPoints', `expected a whole number ≥ 10, got ${maxPoints}`);
  const view = buildView(input, analysis);
  const n = Math.max(1, view.frameCount, view.scenes[view.scenes.length - 1].endFrame);
  view.frameCount = n;
  const ctx: Ctx = {
    view,
    xOf: (f) => ML + (f / n) * PW,
    timeLabel: view.fps > 0 ? (f) => fmtTime(f / view.fps, n / view.fps < 600) : (f) => String(Math.round(f)),
    tickLabel: view.fps > 0 ? (f) => fmtTime(f / view.fps, timeStep(n / view.fps) < 1) : (f) => String(Math.round(f)),
  };
  const thumbs = options.thumbnails;
  const title = options.title ?? `scenecrf ${KIND_LABEL[view.kind]} report — ${view.subject.split(/[\\/]/).pop()}`;
  const facts: Array<[string, string]> = [...view.facts];
  if (options.commandLine) facts.push(['Command', options.commandLine]);
  if (options.versions) for (const [k, v] of Object.entries(options.versions)) facts.push([`${k} version`, v]);
  if (options.date) facts.push(['Date', options.date]);
  const verdictCounts = (['hit', 'below', 'above', 'capped'] as const).map((v) => [v, view.scenes.filter((s) => s.verdict === v).length] as const).filter(([, c]) => c > 0);

  const parts: string[] = [];
  parts.push(
    `<header><div class="kicker">scenecrf · ${esc(KIND_LABEL[view.kind])} report${options.date ? ` · ${esc(options.date)}` : ''}</div><h1>${esc(view.heading)}: <span class="file">${esc(view.subject.split(/[\\/]/).pop()!)}</span></h1>`,
    `<ul class="cards">${view.summary.map((c) => `<li${c.tone ? ` class="${c.tone}"` : ''}><span class="v">${esc(c.value)}</span><span class="l">${esc(c.label)}</span>${c.note ? `<span class="nt">${esc(c.note)}</span>` : ''}</li>`).join('')}</ul></header>`,
  );
  parts.push(`<main>`);
  if (view.warnings.length) parts.push(`<section class="warn" role="note"><h2>Warnings</h2><ul>${view.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul></section>`);
  parts.push(
    `<section id="timeline-s"><h2>Scenes <span class="count">${view.scenes.length}</span>${verdictCounts.length ? ` <span class="verdicts">${verdictCounts.map(([v, c]) => `<span class="pill v-${v}">${VERDICT_TEXT[v]} ${c}</span>`).join(' ')}</span>` : ''}</h2>${timeline(ctx)}${filmstrip(ctx, thumbs)}${options.thumbnailNote ? `<p class="muted note">${esc(options.thumbnailNote)}</p>` : ''}</section>`,
  );
  const sc = sceneCharts(ctx);
  if (sc) parts.push(`<section id="per-scene"><h2>Per scene</h2>${sc}</section>`);
  const fc = frameCharts(ctx, maxPoints);
  if (fc) parts.push(`<section id="per-frame"><h2>Per frame</h2>${fc}</section>`);
  else if (view.kind !== 'quality') parts.push(`<section id="per-frame"><h2>Per frame</h2><p class="muted">No per-frame values in this result${view.kind === 'analyze' ? ' (run analyze with --frames to keep them)' : ' (pass an analysis made with --frames to add SI and TI lines)'}.</p></section>`);
  parts.push(roundsSection(ctx), timingsSection(ctx));
  parts.push(`<section id="table"><h2>Scene table</h2>${sceneTable(ctx, thumbs)}</section>`);
  parts.push(`<section id="facts"><h2>Run</h2><dl class="facts">${facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl></section>`);
  parts.push(`</main><footer>Made by scenecrf from ${/^[aeiou]/.test(KIND_LABEL[view.kind]) ? 'an' : 'a'} ${esc(KIND_LABEL[view.kind])} result. Self-contained: this page loads nothing from the network. Charts are plain SVG; colours are viridis and Okabe–Ito, readable with colour-blindness.</footer>`);

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<meta name="generator" content="scenecrf">
<title>${esc(title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body class="k-${view.kind}">
${parts.join('\n')}
<script>${REPORT_JS}</script>
</body>
</html>
`;
}

import cliProgress from 'cli-progress';

/** What one progress line shows: a phase, how far it is, and how fast it goes. */
export interface ProgressState {
  /** The phase: "vmaf", "encode", "analyze". */
  label: string;
  /** Where this phase sits among the command's phases (optimize): "step 2 of 5: probes". */
  step?: { index: number; count: number };
  done: number;
  /** Units in the phase; 0 or less when unknown (then no bar and no percentage). */
  total: number;
  /** What is counted, after the count: "frames". Omitted for plain steps (probe encodes). */
  unit?: string;
  /** Units per second ("fps" with frames); 0 or undefined when not measured. */
  rate?: number;
  /** Seconds left; undefined when the phase cannot tell (the renderer then uses the bar's own estimate). */
  etaSeconds?: number;
}

/** "12s", "3m05s", "1h02m". */
function formatEta(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Cuts `text` to `width` characters, marking the cut. */
function cut(text: string, width: number): string {
  if (text.length <= width) return text;
  return width <= 1 ? text.slice(0, Math.max(0, width)) : `${text.slice(0, width - 1)}…`;
}

const BAR_MIN = 8;
const BAR_MAX = 40;

/**
 * One progress line, at most `width - 1` characters (the last column is left free: a line that
 * fills it makes some terminals wrap) and never a newline. On narrow terminals the parts go in
 * this order: the rate, the unit, the ETA, the bar, the count; the step shortens to "2/5"; what
 * remains is cut to fit.
 */
export function renderProgressLine(state: ProgressState, width: number): string {
  const room = Math.max(0, Math.floor(width) - 1);
  const known = state.total > 0;
  const frac = known ? Math.min(1, Math.max(0, state.done / state.total)) : 0;
  // Numbers padded to their widest, so the bar keeps its length while they change.
  const pct = `${Math.floor(frac * 100)}%`.padStart(4);
  const count = known ? `${String(state.done).padStart(String(state.total).length)}/${state.total}` : String(state.done);
  const unit = state.unit ?? '';
  const rate = state.rate && state.rate > 0 ? `${state.rate.toFixed(state.rate < 10 ? 1 : 0).padStart(4)} ${unit === 'frames' ? 'fps' : '/s'}` : '';
  const eta = state.etaSeconds !== undefined && Number.isFinite(state.etaSeconds) && known ? `ETA ${formatEta(state.etaSeconds)}`.padEnd(9) : '';
  const longLabel = state.step ? `step ${state.step.index} of ${state.step.count}: ${state.label}` : state.label;
  const shortLabel = state.step ? `${state.step.index}/${state.step.count} ${state.label}` : state.label;

  // Richest first; the first that fits wins. `bar` marks where the bar goes.
  type Part = string | { bar: true };
  const BAR = { bar: true } as const;
  const layouts: Part[][] = [
    [longLabel, BAR, pct, unit ? `${count} ${unit}` : count, rate, eta],
    [longLabel, BAR, pct, count, eta],
    [shortLabel, BAR, pct, count, eta],
    [shortLabel, BAR, pct, count],
    [shortLabel, BAR, pct],
    [shortLabel, pct, count],
    [shortLabel, pct],
  ].map((parts) => parts.filter((p) => p !== '' && (known || (p !== BAR && p !== pct))));
  for (const parts of layouts) {
    const text = parts.filter((p): p is string => typeof p === 'string');
    const fixed = text.reduce((a, p) => a + p.length, 0) + parts.length - 1;
    const hasBar = parts.includes(BAR);
    const barWidth = hasBar ? Math.min(BAR_MAX, room - fixed - 2) : 0;
    if (hasBar ? barWidth < BAR_MIN : fixed > room) continue;
    const fill = Math.round(frac * barWidth);
    return parts.map((p) => (typeof p === 'string' ? p : `[${'#'.repeat(fill)}${'.'.repeat(barWidth - fill)}]`)).join(' ');
  }
  return cut(`${shortLabel} ${known ? pct : count}`, room);
}

/** A terminal-ish stream: stderr, or a test's fake TTY. */
export type ProgressStream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

export interface ProgressBar {
  update(state: ProgressState): void;
  /** Writes a line of text (a --verbose command line) above the bar, which is redrawn below it. */
  log(line: string): void;
  /** Clears the line (call it when the work ends, however it ends). */
  done(): void;
}

// Written if the process exits while a bar is drawn (a second Ctrl-C exits at once): show the
// cursor, which the bar hides.
const RESTORE_TERMINAL = '\x1b[?25h';

/**
 * A progress line on a TTY (drawn with cli-progress: redraws at most 10 times a second, in place,
 * cursor hidden, the line fitted to the terminal's width at every redraw); silent elsewhere, so
 * logs in CI and pipes stay clean. A change of phase (label or step) starts the line afresh.
 */
export function progressBar(stream: ProgressStream, enabled: boolean): ProgressBar {
  if (!enabled || stream.isTTY !== true) return { update() {}, log: (line) => void stream.write(`${line}\n`), done() {} };
  let current: ProgressState | undefined;
  const bar = new cliProgress.SingleBar({
    stream: stream as NodeJS.WriteStream,
    hideCursor: true,
    clearOnComplete: true,
    etaBuffer: 50,
    // Terminal line wrapping stays on (the line is fitted by the renderer; cli-progress also cuts
    // it at the width): turned off, the terminal would clip long --verbose lines printed above.
    linewrap: true,
    // Redrawn on every tick even when unchanged, so a line logged over it is drawn over in turn.
    forceRedraw: true,
    format: (_options, params, payload: { state?: ProgressState }) => {
      const state = payload.state;
      if (!state) return '';
      const estimate = typeof params.eta === 'number' && params.value > 0 ? params.eta : undefined;
      return renderProgressLine({ ...state, etaSeconds: state.etaSeconds ?? estimate }, stream.columns || 80);
    },
  });
  const restore = () => stream.write(RESTORE_TERMINAL);
  return {
    update(state) {
      const total = Math.max(state.total, 0);
      const phase = (s: ProgressState | undefined) => s && `${s.step?.index}/${s.step?.count} ${s.label}`;
      if (phase(current) !== phase(state)) {
        if (current === undefined) process.once('exit', restore);
        bar.start(total, state.done, { state });
      } else {
        bar.setTotal(total);
        bar.update(state.done, { state });
      }
      current = state;
    },
    log(line) {
      // Over the bar's line when one is drawn; the next tick draws the bar again below.
      stream.write(current === undefined ? `${line}\n` : `\x1b[1G\x1b[2K${line}\n`);
    },
    done() {
      if (current === undefined) return;
      bar.stop();
      process.off('exit', restore);
      current = undefined;
    },
  };
}

/** Renders rows as an aligned text table. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

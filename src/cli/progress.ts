/** A one-line progress bar on a TTY; silent elsewhere (logs stay clean in CI and pipes). */
export function progressBar(stream: NodeJS.WriteStream, enabled: boolean) {
  const active = enabled && stream.isTTY === true;
  let drawn = false;
  return {
    update(done: number, total: number, rate: number, eta: number | undefined, label: string) {
      if (!active) return;
      const width = 28;
      const frac = total > 0 ? Math.min(1, done / total) : 0;
      const fill = Math.round(frac * width);
      const etaText = eta === undefined ? '--' : `${Math.ceil(eta)}s`;
      stream.write(`\r${label} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${(frac * 100).toFixed(0).padStart(3)}% ${done}/${total} frames ${rate.toFixed(0)} fps ETA ${etaText}  `);
      drawn = true;
    },
    done() {
      if (active && drawn) stream.write('\r\x1b[K');
      drawn = false;
    },
  };
}

/** Renders rows as an aligned text table. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

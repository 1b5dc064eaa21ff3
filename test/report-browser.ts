/**
 * A minimal headless-Chromium driver for the report tests and bench: the DevTools protocol over
 * `--remote-debugging-pipe` (NUL-separated JSON on file descriptors 3 and 4), so no npm package
 * and no port. It records console errors, uncaught exceptions, log errors and every network
 * request the page makes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { inflateSync } from 'node:zlib';
import type { Readable, Writable } from 'node:stream';

/** Debian's chromium (CHROMIUM_PATH overrides), or undefined when there is none. */
export function findChromium(): string | undefined {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
  return candidates.find((p): p is string => !!p && existsSync(p));
}

interface Pending {
  resolve: (v: any) => void;
  reject: (e: Error) => void;
  method: string;
}

export interface PageReport {
  consoleErrors: string[];
  /** Every URL the page requested (the report file itself included). */
  requests: string[];
}

export class Browser {
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private listeners: Array<(method: string, params: any, sessionId?: string) => void> = [];
  private buffer = '';
  private exited: Promise<void>;

  private constructor(private proc: ChildProcess, private userDataDir: string) {
    const out = proc.stdio[4] as Readable;
    out.setEncoding('utf8');
    out.on('data', (chunk: string) => {
      this.buffer += chunk;
      let end: number;
      while ((end = this.buffer.indexOf('\0')) >= 0) {
        const msg = JSON.parse(this.buffer.slice(0, end));
        this.buffer = this.buffer.slice(end + 1);
        if (msg.id !== undefined) {
          const p = this.pending.get(msg.id);
          this.pending.delete(msg.id);
          if (!p) continue;
          if (msg.error) p.reject(new Error(`${p.method}: ${msg.error.message}`));
          else p.resolve(msg.result);
        } else {
          for (const l of this.listeners) l(msg.method, msg.params, msg.sessionId);
        }
      }
    });
    this.exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    proc.once('exit', () => {
      for (const p of this.pending.values()) p.reject(new Error(`chromium exited during ${p.method}`));
      this.pending.clear();
    });
  }

  static async launch(executable = findChromium()): Promise<Browser> {
    if (!executable) throw new Error('no chromium found (apt-get install chromium, or set CHROMIUM_PATH)');
    const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'scenecrf-chromium-'));
    const args = [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-extensions',
      '--hide-scrollbars',
      '--mute-audio',
      '--remote-debugging-pipe',
      `--user-data-dir=${userDataDir}`,
      'about:blank',
    ];
    const proc = spawn(executable, args, { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] });
    const b = new Browser(proc, userDataDir);
    await b.send('Browser.getVersion');
    return b;
  }

  /** One DevTools command; rejects after `timeoutMs` (default 60 s) so a stuck page fails instead of hanging. */
  send(method: string, params: Record<string, unknown> = {}, sessionId?: string, timeoutMs = 60_000): Promise<any> {
    const id = this.nextId++;
    const msg = JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method}: no answer from chromium in ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => (clearTimeout(timer), resolve(v)),
        reject: (e) => (clearTimeout(timer), reject(e)),
        method,
      });
      (this.proc.stdio[3] as Writable).write(`${msg}\0`);
    });
  }

  private waitFor(method: string, sessionId: string, timeoutMs: number): Promise<any> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners = this.listeners.filter((l) => l !== listener);
        reject(new Error(`timed out waiting for ${method}`));
      }, timeoutMs);
      const listener = (m: string, params: any, s?: string) => {
        if (m === method && s === sessionId) {
          clearTimeout(timer);
          this.listeners = this.listeners.filter((l) => l !== listener);
          resolve(params);
        }
      };
      this.listeners.push(listener);
    });
  }

  /** Opens `file` in a new tab of the given viewport; returns the tab. */
  async open(file: string, viewport = { width: 1280, height: 900 }, timeoutMs = 30_000): Promise<Page> {
    const { targetId } = await this.send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await this.send('Target.attachToTarget', { targetId, flatten: true });
    const report: PageReport = { consoleErrors: [], requests: [] };
    this.listeners.push((method, params, s) => {
      if (s !== sessionId) return;
      if (method === 'Runtime.consoleAPICalled' && (params.type === 'error' || params.type === 'assert'))
        report.consoleErrors.push(params.args.map((a: any) => a.value ?? a.description ?? '').join(' '));
      else if (method === 'Runtime.exceptionThrown') report.consoleErrors.push(params.exceptionDetails.exception?.description ?? params.exceptionDetails.text);
      else if (method === 'Log.entryAdded' && params.entry.level === 'error') report.consoleErrors.push(`${params.entry.source}: ${params.entry.text}`);
      else if (method === 'Network.requestWillBeSent') report.requests.push(params.request.url);
    });
    for (const domain of ['Runtime', 'Log', 'Network', 'Page', 'Performance']) await this.send(`${domain}.enable`, {}, sessionId);
    await this.send('Emulation.setDeviceMetricsOverride', { width: viewport.width, height: viewport.height, deviceScaleFactor: 1, mobile: false }, sessionId);
    const loaded = this.waitFor('Page.loadEventFired', sessionId, timeoutMs);
    const nav = await this.send('Page.navigate', { url: pathToFileURL(path.resolve(file)).href }, sessionId);
    if (nav.errorText) throw new Error(`navigation failed: ${nav.errorText}`);
    await loaded;
    return new Page(this, sessionId, targetId, report);
  }

  async close(): Promise<void> {
    try {
      await Promise.race([this.send('Browser.close'), new Promise((r) => setTimeout(r, 3000))]);
    } catch {
      /* already gone */
    }
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
    await this.exited;
    // Chromium's helper processes may still be writing the profile for a moment after the browser exits.
    try {
      rmSync(this.userDataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    } catch {
      /* a leftover temporary profile is not worth failing a run for */
    }
  }
}

export class Page {
  constructor(
    private browser: Browser,
    private sessionId: string,
    readonly targetId: string,
    readonly report: PageReport,
  ) {}

  /** Evaluates `expression` in the page (awaiting a promise) and returns its JSON value. */
  async evaluate<T = unknown>(expression: string): Promise<T> {
    const r = await this.browser.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true }, this.sessionId);
    if (r.exceptionDetails) throw new Error(`evaluate failed: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    return r.result.value as T;
  }

  /** Chromium's page metrics (Performance.getMetrics): e.g. TaskDuration, LayoutDuration, ScriptDuration in seconds, Nodes. */
  async metrics(): Promise<Record<string, number>> {
    const r = await this.browser.send('Performance.getMetrics', {}, this.sessionId);
    return Object.fromEntries((r.metrics as Array<{ name: string; value: number }>).map((m) => [m.name, m.value]));
  }

  /** Key press on the focused element (e.g. 'Enter', ' '). */
  async press(key: 'Enter' | ' ' | 'Tab'): Promise<void> {
    const code = key === ' ' ? 'Space' : key;
    const keyCode = key === 'Enter' ? 13 : key === ' ' ? 32 : 9;
    const text = key === 'Enter' ? '\r' : key === ' ' ? ' ' : undefined;
    await this.browser.send('Input.dispatchKeyEvent', { type: 'keyDown', key, code, windowsVirtualKeyCode: keyCode, ...(text ? { text } : {}) }, this.sessionId);
    await this.browser.send('Input.dispatchKeyEvent', { type: 'keyUp', key, code, windowsVirtualKeyCode: keyCode }, this.sessionId);
  }

  /** PNG screenshot of the viewport, or of the whole page with `fullPage`. */
  async screenshot(options: { fullPage?: boolean; maxHeight?: number } = {}): Promise<Buffer> {
    let clip: Record<string, number> | undefined;
    if (options.fullPage) {
      const size = await this.evaluate<{ w: number; h: number }>('({ w: document.documentElement.scrollWidth, h: document.documentElement.scrollHeight })');
      clip = { x: 0, y: 0, width: size.w, height: Math.min(size.h, options.maxHeight ?? size.h), scale: 1 };
    }
    const r = await this.browser.send('Page.captureScreenshot', { format: 'png', ...(clip ? { clip, captureBeyondViewport: true } : {}) }, this.sessionId);
    return Buffer.from(r.data, 'base64');
  }

  async close(): Promise<void> {
    await this.browser.send('Target.closeTarget', { targetId: this.targetId });
  }
}

/** Decodes an 8-bit RGB/RGBA PNG (what Chromium writes) to its pixel rows. */
export function decodePng(png: Buffer): { width: number; height: number; channels: number; pixels: Uint8Array } {
  if (png.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG');
  let pos = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (pos < png.length) {
    const len = png.readUInt32BE(pos);
    const type = png.toString('latin1', pos + 4, pos + 8);
    const data = png.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const depth = data[8];
      const colorType = data[9];
      if (depth !== 8 || (colorType !== 2 && colorType !== 6) || data[12] !== 0) throw new Error(`unsupported PNG (depth ${depth}, colour type ${colorType})`);
      channels = colorType === 6 ? 4 : 3;
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    pos += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = pixels.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? pixels.subarray((y - 1) * stride, y * stride) : new Uint8Array(stride);
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? row[x - channels] : 0;
      const b = prev[x];
      const c = x >= channels ? prev[x - channels] : 0;
      let v = src[x];
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else if (filter !== 0) throw new Error(`bad PNG filter ${filter}`);
      row[x] = v & 255;
    }
  }
  return { width, height, channels, pixels };
}

/** Distinct RGB colours of a decoded PNG, counting up to `cap`. */
export function distinctColours(img: ReturnType<typeof decodePng>, cap = 10_000): number {
  const seen = new Set<number>();
  for (let i = 0; i < img.pixels.length && seen.size < cap; i += img.channels) seen.add((img.pixels[i] << 16) | (img.pixels[i + 1] << 8) | img.pixels[i + 2]);
  return seen.size;
}

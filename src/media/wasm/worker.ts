/**
 * The wasm ffmpeg's worker thread: the messages it exchanges with media/wasm/core.ts, and its
 * source, run with `eval: true` so there is no separate file for tsup to bundle or the package to
 * ship.
 */

export interface WorkerInput {
  hostPath: string;
  dir: string;
  name: string;
}

export interface WorkerCommand {
  args: string[];
  /** MEMFS file to hand back after the run (then deleted). */
  readOutput?: string;
  /** Device path whose writes are posted as frame-aligned 'chunk' messages of `batchBytes`. */
  streamOutput?: { path: string; batchBytes: number };
}

export interface WorkerJob {
  corePath: string;
  coreUrl: string;
  module: object;
  input?: WorkerInput;
  commands: WorkerCommand[];
  /** Int32 counter of posted-but-unconsumed chunks (backpressure), when streaming. */
  control?: SharedArrayBuffer;
  maxInFlight: number;
  logLimit: number;
}

export type WorkerMessage =
  | { type: 'result'; index: number; exitCode: number; stdout: string; stderr: string; output?: Uint8Array }
  | { type: 'chunk'; data: Uint8Array }
  | { type: 'fatal'; message: string; log: string };

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  output?: Uint8Array;
}

/**
 * Runs inside the worker (CommonJS, `eval: true`, so there is no separate file for tsup to bundle
 * or for the package to ship). Plain JavaScript; keep it free of backticks and `${`.
 */
export const WORKER_SOURCE = String.raw`
'use strict';
const { parentPort, workerData: job } = require('node:worker_threads');
const fs = require('node:fs');

function fatal(err, logTail) {
  parentPort.postMessage({ type: 'fatal', message: String((err && err.message) || err), log: logTail || '' });
  process.exit(1);
}

function makeLog(limit) {
  const head = [];
  let tail = [];
  let dropped = 0;
  return {
    push(line) {
      if (head.length < limit) { head.push(line); return; }
      tail.push(line);
      if (tail.length > 2 * limit) { dropped += tail.length - limit; tail = tail.slice(tail.length - limit); }
    },
    text() {
      if (tail.length > limit) { dropped += tail.length - limit; tail = tail.slice(tail.length - limit); }
      const mid = dropped > 0 ? ['[... ' + dropped + ' log lines omitted ...]'] : [];
      return head.concat(mid, tail).join('\n');
    },
  };
}

function mountInput(FS, input) {
  const fd = fs.openSync(input.hostPath, 'r');
  const size = fs.fstatSync(fd).size;
  const WORKERFS = FS.filesystems.WORKERFS;
  // WORKERFS.mount() would construct a FileReaderSync (browser-only) unless a reader exists; it is
  // never used because the node's read() below reads the host file directly into the wasm heap.
  if (!WORKERFS.reader) WORKERFS.reader = {};
  FS.mkdir(input.dir);
  FS.mount(WORKERFS, { blobs: [{ name: input.name, data: { size: size } }] }, input.dir);
  const node = FS.lookupPath(input.dir + '/' + input.name).node;
  node.stream_ops = Object.assign({}, node.stream_ops, {
    read(stream, buffer, offset, length, position) {
      if (position >= size) return 0;
      return fs.readSync(fd, buffer, offset, Math.min(length, size - position), position);
    },
  });
  return function close() {
    try { FS.unmount(input.dir); } catch (e) { /* already gone */ }
    fs.closeSync(fd);
  };
}

function createStreamSink(FS, spec, devMinor) {
  const ctl = job.control ? new Int32Array(job.control) : null;
  let batch = null;
  let fill = 0;
  function flush() {
    if (fill === 0) return;
    const data = fill === batch.length ? batch : batch.slice(0, fill);
    batch = null;
    fill = 0;
    parentPort.postMessage({ type: 'chunk', data: data }, [data.buffer]);
    if (ctl) {
      Atomics.add(ctl, 0, 1);
      let n;
      while ((n = Atomics.load(ctl, 0)) >= job.maxInFlight) Atomics.wait(ctl, 0, n, 1000);
    }
  }
  const dev = FS.makedev(250, devMinor);
  FS.registerDevice(dev, {
    open() {},
    close() {},
    read() { return 0; },
    write(stream, buffer, offset, length) {
      let src = new Uint8Array(buffer.buffer, buffer.byteOffset + offset, length);
      while (src.length > 0) {
        if (batch === null) batch = new Uint8Array(spec.batchBytes);
        const n = Math.min(src.length, batch.length - fill);
        batch.set(src.subarray(0, n), fill);
        fill += n;
        src = src.subarray(n);
        if (fill === batch.length) flush();
      }
      return length;
    },
  });
  FS.mkdev(spec.path, 438, dev);
  return {
    finish() {
      flush();
      try { FS.unlink(spec.path); } catch (e) { /* ignore */ }
    },
  };
}

function takeFile(FS, path) {
  let node;
  try { node = FS.lookupPath(path).node; } catch (e) { return undefined; }
  const used = node.usedBytes || 0;
  const contents = node.contents instanceof Uint8Array ? node.contents : Uint8Array.from(node.contents || []);
  try { FS.unlink(path); } catch (e) { /* ignore */ }
  return contents.subarray(0, used);
}

async function main() {
  // The Emscripten glue is built for web workers and reads self.location.href while initialising.
  // This global only exists inside this worker.
  globalThis.self = { location: { href: job.coreUrl } };
  const createCore = require(job.corePath);
  const core = await createCore({
    instantiateWasm(imports, receive) {
      WebAssembly.instantiate(job.module, imports).then(function (instance) { receive(instance); }, fatal);
      return {};
    },
  });
  const FS = core.FS;
  let log = null;
  core.setLogger(function (entry) {
    if (log === null) return;
    if (entry.type === 'stdout') log.out.push(entry.message);
    else if (entry.message !== 'Aborted()') log.err.push(entry.message); // printed at every normal exit
  });
  const closeInput = job.input ? mountInput(FS, job.input) : function () {};
  for (let i = 0; i < job.commands.length; i++) {
    const cmd = job.commands[i];
    log = { out: makeLog(job.logLimit), err: makeLog(job.logLimit) };
    const sink = cmd.streamOutput ? createStreamSink(FS, cmd.streamOutput, i) : null;
    core.reset();
    let exitCode;
    try {
      exitCode = core.exec.apply(null, cmd.args);
    } catch (err) {
      // A trap such as "memory access out of bounds" leaves the instance unusable: report and stop.
      fatal(err, log.err.text().split('\n').slice(-8).join('\n'));
      return;
    }
    if (sink) sink.finish();
    const output = cmd.readOutput ? takeFile(FS, cmd.readOutput) : undefined;
    parentPort.postMessage(
      { type: 'result', index: i, exitCode: exitCode, stdout: log.out.text(), stderr: log.err.text(), output: output },
      output ? [output.buffer] : [],
    );
  }
  log = null;
  closeInput();
}

main().catch(fatal);
`;

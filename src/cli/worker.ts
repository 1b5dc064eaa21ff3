import { startWorker, workerOptionsSchema, type WorkerEvent, type WorkerOptions } from '../distributed/worker.js';
import { ScenecrfError } from '../errors.js';
import { defineCommand, optionGroup, parseCommand, renderHelp, resolveOptions } from './options.js';
import { cliSignal } from './signal.js';

export const WORKER = defineCommand({
  name: 'worker',
  head: `Usage: scenecrf worker --redis <url> [--concurrency N] [--queue name] [--root dir]

Takes per-scene jobs (chunk encodes; probe encodes with their VMAF) of "encode", "plan" and
"optimize" run with --redis from the queue in Redis until stopped. Inputs and work directories
must be on storage every machine sees at the same path (under --root). SIGTERM or Ctrl-C:
finishes the jobs it is running, then exits; a second signal quits at once (the queue gives
those jobs to another worker). See docs/deployment.md.`,
  column: 27,
  groups: [
    optionGroup<WorkerOptions>()(
      [
        { flag: 'redis', placeholder: '<url>', kind: 'string', key: 'redis', help: 'the Redis of the queue: redis://… or rediss://… (TLS)' },
        { flag: 'queue', placeholder: '<name>', kind: 'string', key: 'queue', default: 'scenecrf', help: 'queue name' },
        { flag: 'concurrency', placeholder: '<n>', kind: 'int', key: 'concurrency', default: 1, help: 'jobs run at once' },
        { flag: 'root', placeholder: '<dir>', kind: 'string', key: 'root', default: 'the current directory', help: 'shared storage: jobs may only name files under it' },
        { flag: 'ffmpeg', placeholder: '<path>', kind: 'string', key: 'ffmpegPath', help: 'ffmpeg executable to use (must be the coordinator\'s version)' },
        { flag: 'tool-path', placeholder: '<path>', kind: 'string', key: 'toolPath', help: 'the standalone encoder for jobs encoded --via tool' },
        { flag: 'lock-duration', placeholder: '<ms>', kind: 'int', key: 'lockDurationMs', help: 'job lock; a dead worker\'s job moves on after this (default 30000)' },
        { flag: 'stalled-interval', placeholder: '<ms>', kind: 'int', key: 'stalledIntervalMs', help: 'how often dead workers\' jobs are looked for (default 30000)' },
      ],
      workerOptionsSchema,
    ),
  ],
});

function describe(e: WorkerEvent): string {
  const what = e.chunk ? ` chunk ${e.chunk.index} frames ${e.chunk.startFrame}-${e.chunk.endFrame - 1} crf ${e.chunk.crf}` : '';
  if (e.type === 'failed') return `scenecrf worker: failed ${e.jobId}${e.final ? '' : ' (will be retried)'}: ${e.reason}`;
  return `scenecrf worker: ${e.type} ${e.jobId}${what}`;
}

export async function runWorker(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, WORKER);
  if (!parsed) return 0;
  if (parsed.positionals.length !== 0 || !parsed.raw.redis) {
    process.stderr.write(`scenecrf worker: expected --redis and no file arguments\n\n${renderHelp(WORKER)}\n`);
    return 2;
  }
  const { options } = resolveOptions(WORKER, parsed);
  const worker = startWorker(options as WorkerOptions, { onEvent: (e) => process.stderr.write(`${describe(e)}\n`) });
  try {
    await worker.ready;
  } catch (e) {
    // A worker that could not start still has BullMQ's blocking loop scheduled; exit here, as the
    // command line does for any failed start, instead of lingering.
    process.stderr.write(`scenecrf: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(e instanceof ScenecrfError && e.code === 'INVALID_OPTIONS' ? 2 : 1);
  }
  process.stderr.write('scenecrf worker: ready\n');
  await new Promise<void>((resolve) => {
    if (cliSignal.aborted) resolve();
    cliSignal.addEventListener('abort', () => resolve(), { once: true });
  });
  process.stderr.write('scenecrf worker: stopping after the running jobs\n');
  await worker.close();
  return 0;
}

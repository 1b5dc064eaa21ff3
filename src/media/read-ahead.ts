import type { Readable } from 'node:stream';

/**
 * Iterates a stream's chunks while reading up to `maxBytes` ahead of the consumer. A plain
 * `for await` over a child's stdout keeps only ~64 KiB in flight (about one analysis frame), so
 * ffmpeg stalls whenever JavaScript is busy and JavaScript idles whenever ffmpeg is: the two never
 * overlap well. A bounded read-ahead lets both run; past `maxBytes` the stream is paused, so the
 * pipe still applies backpressure and memory stays bounded.
 */
export async function* readAhead(stream: Readable, maxBytes: number): AsyncGenerator<Buffer> {
  const queue: Buffer[] = [];
  let queued = 0;
  let ended = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const onData = (chunk: Buffer) => {
    queue.push(chunk);
    queued += chunk.length;
    if (queued >= maxBytes) stream.pause();
    notify();
  };
  const onEnd = () => {
    ended = true;
    notify();
  };
  const onError = (e: unknown) => {
    failure = e;
    ended = true;
    notify();
  };
  stream.on('data', onData);
  stream.once('end', onEnd);
  stream.once('close', onEnd);
  stream.once('error', onError);
  try {
    for (;;) {
      const chunk = queue.shift();
      if (chunk) {
        queued -= chunk.length;
        if (queued < maxBytes / 2 && stream.isPaused()) stream.resume();
        yield chunk;
        continue;
      }
      if (ended) break;
      await new Promise<void>((resolve) => (wake = resolve));
    }
    if (failure) throw failure;
  } finally {
    stream.off('data', onData);
    stream.off('end', onEnd);
    stream.off('close', onEnd);
    stream.off('error', onError);
  }
}

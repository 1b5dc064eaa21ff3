/**
 * Joining IVF chunks into one IVF stream with the source's own frame timestamps. Chunks are
 * encoded with regenerated constant-rate timestamps (the encoders need a rate); for an input
 * whose frames are not evenly spaced (variable frame rate, dropped frames) those timestamps would
 * lay the frames out at the nominal rate and shorten or stretch the video. IVF stores a time base
 * in its header and a 64-bit timestamp in each frame header, so the join rewrites them: frame i of
 * the output gets the source's i-th presentation timestamp (minus the first, so it starts at 0;
 * the final mux adds the first back). AV1 and VP9 have no frame reordering, so one IVF frame is
 * one shown frame, in presentation order.
 *
 * IVF layout: a 32-byte header ("DKIF", version, header size, fourcc, width, height, time base
 * denominator and numerator, frame count / length, unused), then per frame a 12-byte header
 * (size, timestamp) and the frame.
 */
import { open, rename, rm } from 'node:fs/promises';
import { CorruptInputError } from '../errors.js';
import type { VideoTimestamps } from '../media/native/stream-facts.js';
import { tempPathFor } from '../util/atomic.js';

const FILE_HEADER = 32;
const FRAME_HEADER = 12;

/**
 * Writes the frames of `files` (IVF, in order) into `output` (through a temporary name), frame i
 * with timestamp `ts.pts[i] - ts.pts[0]` in `ts.timeBase`. The frame count must equal the
 * timestamp count. Returns the number of frames written.
 */
export async function joinIvfWithTimestamps(files: readonly string[], output: string, ts: VideoTimestamps): Promise<number> {
  const tmp = tempPathFor(output);
  const out = await open(tmp, 'w');
  let frames = 0;
  let position = FILE_HEADER;
  let header: Buffer | undefined;
  try {
    for (const file of files) {
      const f = await open(file, 'r');
      try {
        const head = Buffer.alloc(FILE_HEADER);
        if ((await f.read(head, 0, FILE_HEADER, 0)).bytesRead !== FILE_HEADER || head.toString('latin1', 0, 4) !== 'DKIF')
          throw new CorruptInputError(file, 'not an IVF file');
        header ??= Buffer.from(head);
        let at = head.readUInt16LE(6);
        const frameHead = Buffer.alloc(FRAME_HEADER);
        for (;;) {
          const got = (await f.read(frameHead, 0, FRAME_HEADER, at)).bytesRead;
          if (got === 0) break;
          if (got !== FRAME_HEADER) throw new CorruptInputError(file, 'truncated IVF frame header');
          const size = frameHead.readUInt32LE(0);
          const data = Buffer.alloc(size);
          if ((await f.read(data, 0, size, at + FRAME_HEADER)).bytesRead !== size) throw new CorruptInputError(file, 'truncated IVF frame');
          at += FRAME_HEADER + size;
          const pts = ts.pts[frames];
          frames++;
          if (pts === undefined) continue; // counted below: more frames than timestamps
          frameHead.writeBigUInt64LE(BigInt(pts - ts.pts[0]!), 4);
          await out.write(frameHead, 0, FRAME_HEADER, position);
          await out.write(data, 0, size, position + FRAME_HEADER);
          position += FRAME_HEADER + size;
        }
      } finally {
        await f.close();
      }
    }
    if (frames !== ts.pts.length) throw new CorruptInputError(files[0] ?? output, `the chunks hold ${frames} frames but the input has ${ts.pts.length} timestamps`);
    if (!header) throw new CorruptInputError(output, 'no chunks to join');
    header.writeUInt16LE(FILE_HEADER, 6);
    header.writeUInt32LE(ts.timeBase.den, 16);
    header.writeUInt32LE(ts.timeBase.num, 20);
    // ffmpeg reads this field as the stream's duration in the time base.
    const span = ts.pts[ts.pts.length - 1]! - ts.pts[0]!;
    header.writeUInt32LE(Math.min(0xffffffff, span), 24);
    header.writeUInt32LE(0, 28);
    await out.write(header, 0, FILE_HEADER, 0);
    await out.close();
    await rename(tmp, output);
    return frames;
  } catch (e) {
    await out.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw e;
  }
}

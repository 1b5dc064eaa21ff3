import { execFileSync } from 'node:child_process';

/** Whether a native ffmpeg runs here; tests that need it skip loudly when it does not. */
function probe(): boolean {
  try {
    execFileSync(process.env.FFMPEG_PATH ?? 'ffmpeg', ['-version'], { stdio: 'ignore' });
    return true;
  } catch {
    console.warn('\n*** SKIPPING native-ffmpeg tests: no ffmpeg on PATH or FFMPEG_PATH (CI installs it with apt-get) ***\n');
    return false;
  }
}

export const hasNativeFfmpeg = probe();

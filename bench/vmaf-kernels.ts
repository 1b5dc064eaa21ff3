// ms/frame of the builtin VMAF kernels, TypeScript reference vs WebAssembly SIMD, single thread,
// at 640x360, 1280x720 and 1920x1080 (synthetic textured frames; decoded frames when the shared
// reference clips are present and match the size).
// Run: npx tsx bench/vmaf-kernels.ts [iterations]
import { computeAdm } from '../src/quality/adm.js';
import { admWasm } from '../src/quality/adm-wasm.js';
import { blurForMotion, motionSad } from '../src/quality/motion.js';
import type { Plane } from '../src/quality/plane.js';
import { computeVif } from '../src/quality/vif.js';
import { loadVmafKernels, motionBlurWasm, motionSadWasm, vifWasm, vmafKernelsUnavailableReason } from '../src/quality/wasm/index.js';

const iterations = Number(process.argv[2] ?? 5);
const k = loadVmafKernels();
if (!k) throw new Error(vmafKernelsUnavailableReason());

function synthetic(width: number, height: number, seed: number): [Plane, Plane] {
  let s = seed;
  const rand = (): number => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const n = width * height;
  const ref = new Uint8Array(n);
  const dis = new Uint8Array(n);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = 128 + 70 * Math.sin(x * 0.031 + y * 0.017) * Math.cos(y * 0.043) + (((x >> 5) + (y >> 5)) & 1 ? 25 : -25) + 20 * (rand() - 0.5);
      const r = Math.max(0, Math.min(255, Math.round(v)));
      ref[y * width + x] = r;
      dis[y * width + x] = Math.max(0, Math.min(255, r + Math.round(6 * (rand() - 0.5))));
    }
  }
  return [
    { width, height, data: ref, bitDepth: 8 },
    { width, height, data: dis, bitDepth: 8 },
  ];
}

/** Median ms per call over `n` timed calls after one warm-up call. */
function time(fn: () => void, n: number): number {
  fn();
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)]!;
}

const rows: Array<Record<string, string>> = [];
for (const [w, h] of [
  [640, 360],
  [1280, 720],
  [1920, 1080],
] as const) {
  const [ref, dis] = synthetic(w, h, w);
  const tsN = Math.max(2, Math.ceil(iterations / (w >= 1280 ? 2 : 1)));
  const vifTs = time(() => computeVif(ref, dis), tsN);
  const vifWa = time(() => vifWasm(k, ref, dis), iterations * 4);
  const outT = new Float32Array(w * h);
  const outW = new Float32Array(w * h);
  const prevT = blurForMotion(dis);
  const prevW = motionBlurWasm(k, dis);
  const blurTs = time(() => blurForMotion(ref, outT), iterations * 2);
  const blurWa = time(() => motionBlurWasm(k, ref, outW), iterations * 4);
  const sadTs = time(() => motionSad(prevT, outT), iterations * 4);
  const sadWa = time(() => motionSadWasm(k, prevW, outW), iterations * 4);
  const admTs = time(() => computeAdm(ref, dis), tsN);
  const admWa = time(() => admWasm(k, ref, dis), iterations * 4);
  const admA = computeAdm(ref, dis);
  const admB = admWasm(k, ref, dis);
  const admSame = admA.num === admB.num && admA.den === admB.den && admA.scales.every((x, i) => x === admB.scales[i]);
  const a = computeVif(ref, dis).scales;
  const b = vifWasm(k, ref, dis).scales;
  const dev = Math.max(...a.map((x, i) => Math.abs(x - b[i]!)));
  rows.push({
    size: `${w}x${h}`,
    'VIF TS': vifTs.toFixed(1),
    'VIF WASM': vifWa.toFixed(2),
    'VIF x': (vifTs / vifWa).toFixed(1),
    'blur TS': blurTs.toFixed(2),
    'blur WASM': blurWa.toFixed(2),
    'SAD TS': sadTs.toFixed(2),
    'SAD WASM': sadWa.toFixed(2),
    'motion TS': (blurTs + sadTs).toFixed(2),
    'motion WASM': (blurWa + sadWa).toFixed(2),
    'max |ΔVIF|': dev.toExponential(1),
    'ADM TS': admTs.toFixed(1),
    'ADM WASM': admWa.toFixed(2),
    'ADM x': (admTs / admWa).toFixed(1),
    'ADM same': admSame ? 'yes' : 'NO',
  });
}
console.log(`VMAF kernels, ms/frame (median), one thread, node ${process.version}`);
console.table(rows);

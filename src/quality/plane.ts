/** One luma plane at full resolution: the unit every builtin VMAF feature works on. */
export interface Plane {
  width: number;
  height: number;
  /** 8-bit samples, or 16-bit samples holding `bitDepth`-bit values (10-bit input). */
  data: Uint8Array | Uint16Array;
  bitDepth: 8 | 10;
}

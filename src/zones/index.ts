export {
  ZONE_FORMATS,
  AV1AN_ENCODER,
  formatZones,
  writeAv1anZones,
  x265Zones,
  x265Zonefile,
  x264Zones,
  planJson,
  medianCrf,
  type ZoneFormat,
  type Av1anZonesOptions,
  type X26xZonesOptions,
  type FormatZonesOptions,
} from './zones.js';
export { ffmpegScript, ffmpegEncoderArgs, shellQuote, type FfmpegScriptOptions } from './ffmpeg-script.js';
export { sceneOptions } from './options.js';

/**
 * scenecrf's HTML report: `renderReport` (pure, synchronous) turns the JSON result of analyze,
 * quality, plan or optimize into one self-contained page; `sceneThumbnails` (async, runs ffmpeg)
 * takes a middle-frame thumbnail of each scene for it; `readReportInput` reads a result file.
 */
export { renderReport, type ReportOptions } from './render.js';
export { detectReportKind, parseReportInput, type ReportInput, type ReportKind } from './schema.js';
export { DEFAULT_THUMBNAIL_BUDGET, readReportInput, reportSource, sceneThumbnails, type ReportSource, type SceneThumbnails, type SceneThumbnailOptions, thumbnailDefaults } from './thumbnails.js';

// Child process of bench/speed.ts: analyses one file and prints how many frames it saw.
import { analyzeVideo } from '../src/index.js';

const r = await analyzeVideo(process.argv[2]!, { backend: 'native' });
process.stdout.write(JSON.stringify({ frames: r.analysis.framesAnalyzed, scenes: r.scenes.length }));

/**
 * docs/cli.md, the command-line reference, generated from the commands' option tables: each
 * command's synopsis is its `--help` text. Regenerate with `npx tsx src/cli/docs.ts`;
 * test/cli-docs.test.ts fails when the file and `--help` disagree.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ANALYZE } from './analyze.js';
import { ENCODE } from './encode.js';
import { type CommandSpec, renderHelp } from './options.js';
import { OPTIMIZE, PLAN } from './plan.js';
import { QUALITY } from './quality.js';
import { USAGE } from './usage.js';
import { REPORT } from './report.js';
import { WORKER } from './worker.js';
import { ZONES } from './zones.js';

/** Every command, in the order of `scenecrf --help`. */
export const COMMANDS: readonly CommandSpec[] = [ANALYZE, QUALITY, ENCODE, ZONES, PLAN, OPTIMIZE, REPORT, WORKER];

const block = (text: string) => `\`\`\`text\n${text}\n\`\`\``;

/** The text of docs/cli.md. */
export function cliReference(): string {
  const sections = COMMANDS.map((c) => `## scenecrf ${c.name}\n\n${block(renderHelp(c))}\n`);
  return `# scenecrf command line

<!-- Generated from the option tables in src/cli/ by \`npx tsx src/cli/docs.ts\`; do not edit by hand.
     test/cli-docs.test.ts checks that every option of each command's --help is listed here and back. -->

Each command's synopsis below is exactly what \`scenecrf <command> --help\` prints. Bad options
stop a command before any work starts, with exit code 2 and a message naming the option
(\`scenecrf: Invalid --crf-max: must be at most 63\`). A misspelt command or option gets the closest
real one (\`unknown option --target-vmf; did you mean --target-vmaf?\`).

Exit codes: 0 success; 1 the work failed (missing or unreadable input, ffmpeg error); 2 bad
usage or options; 130 interrupted (Ctrl-C).

${block(USAGE)}

${sections.join('\n')}`;
}

const DOCS_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../docs/cli.md');

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  writeFileSync(DOCS_FILE, cliReference());
  process.stdout.write(`wrote ${path.relative(process.cwd(), DOCS_FILE)}\n`);
}

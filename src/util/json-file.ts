import { readFile } from 'node:fs/promises';

/**
 * Reads and parses a JSON file. Each problem is handed to `fail` as a short reason ("cannot read:
 * ENOENT", "not valid JSON: …") with its cause, so the caller throws its own typed error naming
 * the file (model files: ModelInvalidError).
 */
export async function readJsonFile(file: string, fail: (why: string, cause: unknown) => Error): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw fail(`cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, e);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw fail(`not valid JSON: ${(e as Error).message}`, e);
  }
}

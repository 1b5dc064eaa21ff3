import { readFile } from 'node:fs/promises';
import { InvalidOptionsError } from '../errors.js';

/**
 * Reads a JSON file the user named as an input (a plan, a result to report on). A file that cannot
 * be read or is not JSON is the user's option gone wrong: an InvalidOptionsError naming `what` and
 * the file. Validating the content is the caller's.
 */
export async function readJsonInput(file: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new InvalidOptionsError(what, `cannot read ${JSON.stringify(file)}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InvalidOptionsError(what, `${JSON.stringify(file)} is not JSON: ${(e as Error).message}`);
  }
}

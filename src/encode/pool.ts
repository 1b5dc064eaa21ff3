/**
 * Runs `work` over `items` with at most `concurrency` in flight. The first failure aborts
 * `controller` (so running work can stop early), no new item starts, and — once everything in
 * flight has settled — that first failure is thrown. Nothing is left running on return.
 */
export async function runPool<T>(
  items: readonly T[],
  concurrency: number,
  controller: AbortController,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  let firstError: unknown;
  const worker = async () => {
    while (!failed && !controller.signal.aborted && next < items.length) {
      const item = items[next++]!;
      try {
        await work(item);
      } catch (e) {
        if (!failed) {
          failed = true;
          firstError = e;
          controller.abort(e);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  if (failed) throw firstError;
}

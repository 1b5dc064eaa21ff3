/**
 * `load` run at most once at a time per process: later calls share its promise. A failure is not
 * kept, so the next call tries again (a missing optional dependency can be installed meanwhile).
 */
export function onceUntilFailure<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () =>
    (pending ??= load().catch((err: unknown) => {
      pending = undefined;
      throw err;
    }));
}

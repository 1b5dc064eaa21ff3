/**
 * One AbortController for the CLI process: Ctrl-C (or SIGTERM) cancels the running job cleanly —
 * ffmpeg children are killed, partial files removed, locks released — and the command exits 130.
 * The listeners stay registered (`on`, not `once`): execa's exit cleanup re-raises a signal when it
 * sees no other listener, which would kill the process before the abort path has run. A second
 * signal quits at once.
 */
const controller = new AbortController();
let interrupts = 0;
const onSignal = (name: string) => () => {
  if (++interrupts > 1) process.exit(130);
  controller.abort(new Error(`interrupted (${name})`));
};
process.on('SIGINT', onSignal('SIGINT'));
process.on('SIGTERM', onSignal('SIGTERM'));
export const cliSignal: AbortSignal = controller.signal;

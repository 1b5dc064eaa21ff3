/** One AbortController for the CLI process: Ctrl-C cancels the running job cleanly. */
const controller = new AbortController();
process.once('SIGINT', () => controller.abort(new Error('interrupted (SIGINT)')));
process.once('SIGTERM', () => controller.abort(new Error('terminated (SIGTERM)')));
export const cliSignal: AbortSignal = controller.signal;

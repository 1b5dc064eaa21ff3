import { queueExecutor, type QueueExecutor } from '../distributed/coordinator.js';
import { optionGroup } from './options.js';

/**
 * `--redis` and `--queue` of the commands that can hand their per-scene work to queue workers
 * (encode, plan, optimize): without `--redis` the work runs in this process as before.
 */
export const COORDINATOR_OPTIONS = optionGroup()([
  {
    flag: 'redis',
    placeholder: '<url>',
    kind: 'string',
    help: 'hand per-scene encodes and probes to "scenecrf worker" processes\nthrough this Redis: redis://… or rediss://… (TLS; docs/deployment.md)',
  },
  { flag: 'queue', placeholder: '<name>', kind: 'string', help: 'queue name with --redis (default scenecrf)' },
]);

/** The queue executor for `--redis`, or undefined for a local run; close it when done. */
export async function coordinatorFor(values: { redis?: string; queue?: string }): Promise<QueueExecutor | undefined> {
  return values.redis ? queueExecutor({ redis: values.redis, queue: values.queue }) : undefined;
}

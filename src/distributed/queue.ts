import type { ConnectionOptions, DefaultJobOptions } from 'bullmq';
import { z } from 'zod';
import { describeIssues, InvalidOptionsError } from '../errors.js';

/**
 * The queue both sides agree on: a BullMQ queue (default name "scenecrf") in the Redis at a URL.
 * `redis://[user:password@]host:port[/db]`, or `rediss://` for TLS (docs/deployment.md: never
 * expose a Redis without a password and TLS).
 */

export const DEFAULT_QUEUE = 'scenecrf';

export const redisUrlSchema = z
  .string()
  .min(1)
  .refine((u) => /^rediss?:\/\/[^/]/i.test(u), { message: 'expected a redis://host:port or rediss://host:port URL' })
  .refine((u) => {
    try {
      new URL(u);
      return true;
    } catch {
      return false;
    }
  }, { message: 'not a valid URL' });

export const queueNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,64}$/, { message: 'letters, digits, ".", "_" and "-" only (1–64)' })
  .default(DEFAULT_QUEUE);

export function parseWith<T extends z.ZodTypeAny>(schema: T, value: unknown, what: string): z.output<T> {
  const r = schema.safeParse(value);
  if (!r.success) throw new InvalidOptionsError(what, describeIssues(r.error.issues, what));
  return r.data;
}

/**
 * BullMQ connection options for a URL. `maxRetriesPerRequest: null` keeps commands waiting
 * through a Redis restart instead of failing them (BullMQ requires it for workers); ioredis
 * reconnects on its own.
 */
export function connectionFor(url: string, giveUp?: { now: boolean }): ConnectionOptions {
  // ioredis's default reconnect delays, until `giveUp.now` (a start that failed): then it stops,
  // so that a failed connection does not keep the process alive.
  return { url, maxRetriesPerRequest: null, enableOfflineQueue: true, retryStrategy: (times: number) => (giveUp?.now ? null : Math.min(times * 50, 2000)) };
}

/** How long finished jobs stay in Redis: a restarted coordinator finds them there (no work redone). */
export const KEEP_FINISHED_SECONDS = 7 * 24 * 3600;

/**
 * Per-job options: `attempts` only matter for worker faults (a crash, a full disk, a lost
 * connection); a failure caused by the job itself (its input, its settings) is final on the first
 * attempt (the worker throws BullMQ's UnrecoverableError). A worker that dies mid-job loses its
 * lock, and BullMQ's stall check gives the job to another worker.
 */
export function jobOptions(attempts: number): DefaultJobOptions {
  return {
    attempts,
    backoff: { type: 'exponential', delay: 1000 },
    removeOnComplete: { age: KEEP_FINISHED_SECONDS },
    removeOnFail: { age: KEEP_FINISHED_SECONDS },
  };
}

/** How long a coordinator or worker waits for Redis at start before giving up. */
export const CONNECT_TIMEOUT_MS = 15_000;

const AUTH_ERROR = /WRONGPASS|NOAUTH|invalid (username-)?password|AUTH failed/i;

/**
 * Waits for BullMQ's connections to be ready, failing with INVALID_OPTIONS (naming the Redis, not
 * its password) when Redis refuses the credentials or cannot be reached within
 * CONNECT_TIMEOUT_MS: ioredis itself would retry forever, and a command would hang. Once
 * connected, a lost connection is retried without limit (a Redis restart mid-run).
 */
export async function connected(url: string, ready: Promise<unknown>, emitters: ReadonlyArray<{ on(event: 'error', f: (e: Error) => void): unknown; off(event: 'error', f: (e: Error) => void): unknown }>): Promise<void> {
  let where = url;
  try {
    const u = new URL(url);
    where = `${u.protocol}//${u.host}`;
  } catch {
    // redisUrlSchema has checked it
  }
  let onError: (e: Error) => void = () => undefined;
  let timer: NodeJS.Timeout | undefined;
  let lastError = '';
  const failed = new Promise<never>((_, reject) => {
    onError = (e) => {
      lastError = e.message;
      if (AUTH_ERROR.test(e.message)) reject(new InvalidOptionsError('redis', `${where} refused the credentials: ${e.message}`));
    };
    timer = setTimeout(() => reject(new InvalidOptionsError('redis', `cannot connect to ${where} within ${CONNECT_TIMEOUT_MS / 1000} s${lastError ? ` (${lastError})` : ''}`)), CONNECT_TIMEOUT_MS);
  });
  for (const e of emitters) e.on('error', onError);
  try {
    await Promise.race([ready, failed]);
  } finally {
    clearTimeout(timer);
    for (const e of emitters) e.off('error', onError);
  }
}

/**
 * BullMQ's connections re-emit a failed start as an 'error' event after close() has removed every
 * listener, which would crash the process: after a failed start their errors are dropped.
 */
export function silenceConnections(owner: object): void {
  for (const field of ['connection', 'blockingConnection']) {
    const conn = (owner as Record<string, { emit?: (ev: string | symbol, ...args: unknown[]) => boolean } | undefined>)[field];
    if (!conn?.emit) continue;
    const emit = conn.emit.bind(conn);
    conn.emit = (ev, ...args) => (ev === 'error' ? false : emit(ev, ...args));
  }
}

/**
 * Worker side of the worker-thread workload: one process runs `threads` worker threads, each
 * a counter worker with its own handle (its own lock owner) on the same lock; the main thread
 * relays each `run` command to every thread and answers with all their results
 * (`{ threads: [...] }`, in thread order). CPU time is the process's, shared by the threads.
 *
 * @packageDocumentation
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { WorkerConfig } from '../harness/protocol';
import { serve } from './io';

/** Messages a thread posts: `ready`, a `result`, or an `error`. */
export type ThreadMessage =
  { readonly type: 'ready' } | { readonly type: 'result'; readonly result: Record<string, unknown> } | { readonly type: 'error'; readonly message: string };

/** Serves `run` commands by running them on every thread at once. */
export async function threadsRole(cfg: Extract<WorkerConfig, { role: 'threads' }>): Promise<void> {
  const pending: Array<Array<(m: ThreadMessage) => void>> = [];
  const threads = Array.from({ length: cfg.threads }, (_, t) => {
    const w = new Worker(path.join(__dirname, '..', 'thread-child.js'), { workerData: { ...cfg, role: 'counter', worker: t, workers: cfg.threads } });
    pending.push([]);
    w.on('message', (m: ThreadMessage) => pending[t].shift()?.(m));
    w.on('error', (e) => pending[t].shift()?.({ type: 'error', message: e.message }));
    return w;
  });
  const next = (t: number): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      pending[t].push((m) => (m.type === 'error' ? reject(new Error(`thread ${t}: ${m.message}`)) : resolve(m.type === 'result' ? m.result : {})));
    });
  await Promise.all(threads.map((_, t) => next(t)));
  await serve(async (c) => {
    const results = threads.map((_, t) => next(t));
    for (const w of threads) w.postMessage(c);
    return { threads: await Promise.all(results) };
  });
  await Promise.all(threads.map((w) => w.terminate()));
}

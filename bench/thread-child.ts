/**
 * Entry point of a worker thread of the worker-thread workload: a counter worker that takes
 * its `run` commands from the parent thread and posts back its results.
 *
 * @packageDocumentation
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { WorkerConfig } from './harness/protocol';
import { counterRun, openCounterWorker } from './roles/counter';
import type { Command } from './roles/io';
import type { ThreadMessage } from './roles/threads';

async function main(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('thread-child.js runs only as a worker thread');
  const cfg = workerData as Extract<WorkerConfig, { role: 'counter' }>;
  const k = await openCounterWorker(cfg, cfg.worker);
  const post = (m: ThreadMessage): void => port.postMessage(m);
  port.on('message', (c: Command) => {
    counterRun(k, c).then(
      (result) => post({ type: 'result', result }),
      (e: unknown) => post({ type: 'error', message: e instanceof Error ? e.message : String(e) }),
    );
  });
  post({ type: 'ready' });
}

main().catch((e: unknown) => {
  parentPort?.postMessage({ type: 'error', message: e instanceof Error ? e.message : String(e) } satisfies ThreadMessage);
});

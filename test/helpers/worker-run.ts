/**
 * Running a worker thread to its end without missing its 'exit' event.
 *
 * Node delivers a worker's last messages and its 'exit' in one turn when the thread has ended
 * before the parent reads its port (`Worker[kOnExit]` drains the port, then emits 'exit'
 * synchronously). A test that awaits a 'message' and only then calls `once('exit')` therefore
 * registers too late whenever the machine is loaded, and waits forever for an exit that
 * already happened. Here every listener is in place before the worker starts, and an exit
 * that does not come in time is a failure, not a hang.
 */
import { Worker } from 'node:worker_threads';

/** How a worker ended: what it posted, in order, and its exit code. */
export interface WorkerRun {
  readonly messages: readonly unknown[];
  readonly code: number;
}

/**
 * Runs `code` (CommonJS, `eval: true`) in a worker thread with `workerData`, and resolves when
 * it exits. Rejects with the worker's error, or, when it has not exited within `deadlineMs`,
 * terminates it and rejects with an error naming what it had posted.
 */
export function runWorker(code: string, workerData: unknown, deadlineMs: number): Promise<WorkerRun> {
  return new Promise<WorkerRun>((resolve, reject) => {
    const messages: unknown[] = [];
    const worker = new Worker(code, { eval: true, workerData });
    const timer = setTimeout(() => {
      reject(new Error(`worker did not exit within ${deadlineMs} ms; it had posted ${JSON.stringify(messages)}`));
      void worker.terminate();
    }, deadlineMs);
    worker.on('message', (message: unknown) => messages.push(message));
    worker.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    worker.once('exit', (exitCode) => {
      clearTimeout(timer);
      resolve({ messages, code: exitCode });
    });
  });
}

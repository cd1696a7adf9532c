/**
 * Entry point of a waiter thread (a `worker_threads` Worker started by `pool.ts`).
 *
 * It blocks in `F_SETLKW` for one request at a time, so that neither the event loop nor the
 * libuv pool ever waits for a lock. Between requests it sleeps in `Atomics.wait`; after
 * `idleMs` without work it exits by itself. While blocked in the kernel it is interrupted by
 * a cancel signal or by its own safety tick, so `worker.terminate()` and `process.exit()`
 * always get the thread back.
 *
 * @packageDocumentation
 */
import { workerData } from 'node:worker_threads';
import { currentThreadId, interruptSignal, releaseThreadTimer, waitUntil } from '../sys/interrupt';
import { errnoOfError } from '../sys/fcntl';
import { get64, Result, Slot, State } from './protocol';

const { control, idleMs } = workerData as { control: SharedArrayBuffer; idleMs: number };
const ctrl = new Int32Array(control);

interruptSignal();
Atomics.store(ctrl, Slot.Tid, currentThreadId());

const cancelled = (): boolean => Atomics.load(ctrl, Slot.Cancel) !== 0;

function serve(): void {
  const fd = Atomics.load(ctrl, Slot.Fd);
  let result: Result;
  let errno = 0;
  try {
    const outcome = waitUntil(
      fd,
      Atomics.load(ctrl, Slot.Posix) === 1 ? 'posix' : 'ofd',
      Atomics.load(ctrl, Slot.Write) === 1 ? 'write' : 'read',
      get64(ctrl, Slot.StartLow),
      get64(ctrl, Slot.CountLow),
      undefined,
      cancelled,
    );
    result = outcome === 'granted' ? Result.Granted : Result.Stopped;
  } catch (err) {
    result = Result.Failed;
    errno = errnoOfError(err);
  }
  Atomics.store(ctrl, Slot.Errno, errno);
  Atomics.store(ctrl, Slot.Result, result);
  Atomics.store(ctrl, Slot.State, State.Done);
  Atomics.notify(ctrl, Slot.State);
}

for (;;) {
  const state = Atomics.load(ctrl, Slot.State);
  if (state === State.Requested) {
    serve();
    continue;
  }
  if (state === State.Exited) break;
  if (Atomics.wait(ctrl, Slot.State, state, idleMs) === 'timed-out' && Atomics.compareExchange(ctrl, Slot.State, State.Idle, State.Exited) === State.Idle) {
    break;
  }
}
releaseThreadTimer();

/**
 * Entry point of a waiter thread (a `worker_threads` Worker started by `pool.ts`).
 *
 * It blocks in `F_SETLKW` for one request at a time, so that neither the event loop nor the
 * libuv pool ever waits for a lock. Between requests it sleeps in `Atomics.wait` until the
 * pool hands it the next request or tells it to exit (the pool owns the idle policy). While
 * blocked in the kernel it is interrupted by a cancel signal or by its own safety tick, so
 * `worker.terminate()` and `process.exit()` always get the thread back. A failed system call
 * is reported as its name and errno; the pool builds the public error.
 *
 * @packageDocumentation
 */
import { workerData } from 'node:worker_threads';
import { currentThreadId, InterruptSignal, type WaitFailure } from '../sys/interrupt';
import { get64, Result, Slot, State, SYSCALLS } from './protocol';

const ctrl = new Int32Array((workerData as { control: SharedArrayBuffer }).control);
/** This thread's interrupt signal: the one its pool sends it and its own timer fires. */
const signal = new InterruptSignal();

const cancelled = (): boolean => Atomics.load(ctrl, Slot.Cancel) !== 0;

/** Publishes the end of the current request (or of the thread, for `State.Exited`). */
function report(result: Result, failure: WaitFailure | undefined, state: State): void {
  Atomics.store(ctrl, Slot.Errno, failure?.errno ?? 0);
  Atomics.store(ctrl, Slot.Syscall, failure === undefined ? 0 : SYSCALLS.indexOf(failure.syscall));
  Atomics.store(ctrl, Slot.Result, result);
  Atomics.store(ctrl, Slot.State, state);
  Atomics.notify(ctrl, Slot.State);
}

function serve(): void {
  const outcome = signal.waitFor(
    Atomics.load(ctrl, Slot.Fd),
    Atomics.load(ctrl, Slot.Posix) === 1 ? 'posix' : 'ofd',
    Atomics.load(ctrl, Slot.Write) === 1 ? 'write' : 'read',
    get64(ctrl, Slot.StartLow),
    get64(ctrl, Slot.CountLow),
    undefined,
    cancelled,
  );
  if (typeof outcome !== 'string') report(Result.Failed, outcome, State.Done);
  else report(outcome === 'granted' ? Result.Granted : Result.Stopped, undefined, State.Done);
}

const claimed = signal.claim();
// Started (koffi loaded): from now on the thread can be interrupted and terminated safely.
Atomics.store(ctrl, Slot.Tid, typeof claimed === 'number' ? currentThreadId() : -1);
Atomics.notify(ctrl, Slot.Tid);
if (typeof claimed === 'number') {
  for (;;) {
    const state = Atomics.load(ctrl, Slot.State);
    if (state === State.Requested) {
      if (Atomics.compareExchange(ctrl, Slot.State, State.Requested, State.Serving) === State.Requested) serve();
    } else if (state === State.Exited) break;
    else Atomics.wait(ctrl, Slot.State, state);
  }
} else {
  report(Result.Failed, claimed, State.Exited);
}

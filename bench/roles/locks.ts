/**
 * n distinct locks of one implementation, for the workloads that need many: index i of one
 * file through one handle (indexed implementations), or file i through its own handle
 * (whole-file ones).
 *
 * @packageDocumentation
 */
import { implInfo } from '../adapters/catalog';
import { loadAdapter } from '../adapters/registry';
import { awaitable, type AwaitableLock, type LockHandle } from '../adapters/types';

/** n locks: `at(i)` is the lock and the index to pass it. */
export interface Locks {
  readonly at: (i: number) => { readonly lock: AwaitableLock; readonly index: number };
  close(): Promise<void>;
}

/** Opens `n` locks of `impl` at `path` (files `<path>.<i>` for whole-file implementations). */
export async function openLocks(impl: string, path: string, n: number): Promise<Locks> {
  const adapter = await loadAdapter(impl);
  const handles: LockHandle[] = [];
  if (implInfo(impl).indexed) {
    handles.push(adapter.open(path));
    const lock = awaitable(handles[0], impl);
    return { at: (i) => ({ lock, index: i }), close: async () => void (await handles[0].close()) };
  }
  const locks: AwaitableLock[] = [];
  for (let i = 0; i < n; i++) {
    handles.push(adapter.open(`${path}.${i}`));
    locks.push(awaitable(handles[i], impl));
  }
  return { at: (i) => ({ lock: locks[i], index: 0 }), close: async () => void (await Promise.all(handles.map(async (h) => h.close()))) };
}

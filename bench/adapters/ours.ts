/**
 * Adapters for this project's own library, loaded as the package itself (`locksfile`, i.e.
 * the `dist/` build that `npm run bench` makes first), so the benchmark measures exactly
 * what users install. The exports are checked at compile time against the API contract
 * below (`OursModule`).
 *
 * @packageDocumentation
 */
import type * as Lib from 'locksfile';
import { shmNameFor } from '../harness/paths';
import { notAcquired, type LockAdapter, type LockHandle } from './types';

/** Lock spec: an index or `[start, count]`. */
export type OursSpec = number | readonly [number, number];

/** The LocksFile API the benchmark drives. */
export interface OursLocksFile {
  acquireSync(spec: OursSpec, options: { readonly write: boolean }): boolean;
  acquire(spec: OursSpec, options: { readonly write: boolean }): Promise<boolean>;
  release(spec: OursSpec): void;
  close(): void;
}

/** The ShmLock API the benchmark drives. */
export interface OursShmLock {
  acquire(): Promise<unknown>;
  acquireSync(): unknown;
  release(): unknown;
  close?(): unknown;
}

/** What the library module must export. */
export interface OursModule {
  readonly LocksFile: new (path: string, options?: { readonly fair?: boolean }) => OursLocksFile;
  readonly ShmLock: new (name: string, options?: { readonly dir?: string }) => OursShmLock;
}

/** Result of loading the library. */
export type OursLoad = { readonly ok: true; readonly from: string; readonly module: Partial<OursModule> } | { readonly ok: false; readonly reason: string };

let loaded: OursLoad | undefined;

/** Loads the package once (`dist/` through the package's own `exports`). */
export function loadOurs(): OursLoad {
  if (loaded !== undefined) return loaded;
  try {
    // Compile-time check: the real exports must satisfy the contract.
    const module: Partial<OursModule> = require('locksfile') as typeof Lib;
    loaded = { ok: true, from: 'dist/ (package locksfile)', module };
  } catch (e) {
    loaded = { ok: false, reason: `locksfile fails to load (run npm run build): ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}` };
  }
  return loaded;
}

function hasMethod(ctor: unknown, name: string): boolean {
  if (typeof ctor !== 'function') return false;
  const proto: unknown = (ctor as { prototype?: unknown }).prototype;
  return typeof proto === 'object' && proto !== null && typeof (proto as Record<string, unknown>)[name] === 'function';
}

/** `null` when implementation `id` of ours can run, else the reason it cannot. */
export function oursUnavailable(id: string): string | null {
  const l = loadOurs();
  if (!l.ok) return l.reason;
  const m = l.module;
  switch (id) {
    case 'ours-sync':
    case 'ours-sync-barging':
    case 'ours-sync-per-use':
      return hasMethod(m.LocksFile, 'acquireSync') ? null : 'the library exports no LocksFile with acquireSync yet';
    case 'ours-async':
    case 'ours-async-barging':
    case 'ours-async-per-use':
      return hasMethod(m.LocksFile, 'acquire') ? null : 'the library exports no LocksFile with async acquire yet';
    case 'ours-shm-sync':
      return hasMethod(m.ShmLock, 'acquireSync') ? null : 'the library exports no ShmLock with acquireSync yet';
    case 'ours-shm-async':
      return hasMethod(m.ShmLock, 'acquire') ? null : 'the library exports no ShmLock with async acquire yet';
    default:
      return `unknown implementation ${id}`;
  }
}

function required<K extends keyof OursModule>(key: K): OursModule[K] {
  const l = loadOurs();
  if (!l.ok) throw new Error(l.reason);
  const v = l.module[key];
  if (v === undefined) throw new Error(`the library does not export ${key}`);
  return v;
}

const WRITE = { write: true } as const;
const READ = { write: false } as const;

/** Our spec for `[index, index + len)`: the bare index for one byte. */
function specOf(index: number, len = 1): OursSpec {
  return len === 1 ? index : [index, len];
}

/** The handle the workloads drive: `acquire` through `instance()` (sync or async as `mode`), then `release` and `close` as given. */
function lockHandle(mode: 'sync' | 'async', instance: () => OursLocksFile, release: (index: number, len?: number) => void, close: () => void): LockHandle {
  return mode === 'sync'
    ? { mode, acquire: (index, write, len) => instance().acquireSync(specOf(index, len), write ? WRITE : READ), release, close }
    : { mode, acquire: (index, write, len) => instance().acquire(specOf(index, len), write ? WRITE : READ), release, close };
}

/**
 * Path-based use of ours: a new LocksFile per use, closed after the release (opens and
 * closes the file every time).
 */
function perUse(p: string, mode: 'sync' | 'async'): LockHandle {
  const Ctor = required('LocksFile');
  let lf: OursLocksFile | undefined;
  const fresh = (): OursLocksFile => (lf = new Ctor(p));
  const release = (index: number, len?: number): void => {
    lf?.release(specOf(index, len));
    lf?.close();
    lf = undefined;
  };
  return lockHandle(mode, fresh, release, () => lf?.close());
}

/** One LocksFile kept open for the whole run, `fair` as given (the default is true). */
function held(p: string, mode: 'sync' | 'async', fair: boolean): LockHandle {
  const lf = new (required('LocksFile'))(p, { fair });
  return lockHandle(
    mode,
    () => lf,
    (index, len) => lf.release(specOf(index, len)),
    () => lf.close(),
  );
}

/** Our adapters. */
export const oursAdapters: readonly LockAdapter[] = [
  { id: 'ours-sync', open: (p) => held(p, 'sync', true) },
  { id: 'ours-async', open: (p) => held(p, 'async', true) },
  { id: 'ours-sync-barging', open: (p) => held(p, 'sync', false) },
  { id: 'ours-async-barging', open: (p) => held(p, 'async', false) },
  { id: 'ours-sync-per-use', open: (p) => perUse(p, 'sync') },
  { id: 'ours-async-per-use', open: (p) => perUse(p, 'async') },
  {
    id: 'ours-shm-sync',
    open(p) {
      const shm = new (required('ShmLock'))(shmNameFor(p));
      return {
        mode: 'sync',
        acquire: (index) => {
          if (index !== 0) throw new Error('ShmLock is a single named lock');
          if (shm.acquireSync() === false) throw notAcquired('ours-shm-sync', index);
        },
        release: () => {
          shm.release();
        },
        close: () => {
          shm.close?.();
        },
      };
    },
  },
  {
    id: 'ours-shm-async',
    open(p) {
      const shm = new (required('ShmLock'))(shmNameFor(p));
      return {
        mode: 'async',
        acquire: async (index) => {
          if (index !== 0) throw new Error('ShmLock is a single named lock');
          if ((await shm.acquire()) === false) throw notAcquired('ours-shm-async', index);
        },
        release: () => {
          const r = shm.release();
          return r instanceof Promise ? r.then(() => undefined) : undefined;
        },
        close: async () => {
          await shm.close?.();
        },
      };
    },
  },
];

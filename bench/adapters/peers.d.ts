// Ambient types for the peer libraries that ship without TypeScript declarations. Only the
// calls the benchmark makes are declared. (os-lock and koffi ship their own.)

declare module 'fs-ext' {
  /** flock(2) operations: shared, exclusive, non-blocking variants, unlock. */
  export type FlockFlag = 'sh' | 'ex' | 'shnb' | 'exnb' | 'un';
  export function flock(fd: number, flags: FlockFlag, callback: (err: NodeJS.ErrnoException | null) => void): void;
  export function flockSync(fd: number, flags: FlockFlag): void;
}

declare module 'lockfile' {
  export interface Options {
    wait?: number;
    pollPeriod?: number;
    stale?: number;
    retries?: number;
    retryWait?: number;
  }
  export function lock(path: string, opts: Options, cb: (err: Error | null) => void): void;
  export function lockSync(path: string, opts?: Options): void;
  export function unlock(path: string, cb: (err: Error | null) => void): void;
  export function unlockSync(path: string): void;
}

declare module 'proper-lockfile' {
  export interface RetryOptions {
    retries?: number;
    forever?: boolean;
    factor?: number;
    minTimeout?: number;
    maxTimeout?: number;
    randomize?: boolean;
  }
  export interface LockOptions {
    stale?: number;
    update?: number;
    realpath?: boolean;
    retries?: number | RetryOptions;
    lockfilePath?: string;
    onCompromised?: (err: Error) => void;
  }
  export function lock(file: string, options?: LockOptions): Promise<() => Promise<void>>;
  export function lockSync(file: string, options?: LockOptions): () => void;
  export function unlock(file: string, options?: LockOptions): Promise<void>;
  export function unlockSync(file: string, options?: LockOptions): void;
}

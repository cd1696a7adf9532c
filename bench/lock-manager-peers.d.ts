// Ambient types for the Web Locks peer of bench/lock-manager.ts (it ships without
// declarations). Only the call the benchmark makes is declared.

declare module 'web-locks' {
  /** metarhia's `navigator.locks` for the threads of one process. */
  export const locks: {
    request(name: string, callback: (lock: unknown) => Promise<unknown>): Promise<unknown>;
  };
}

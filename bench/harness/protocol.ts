/**
 * The line protocol between the runner and its worker processes (Node or Python): one JSON
 * object per line. Workers send `{ type: 'ready' | 'result' | 'holding' | 'error', ... }`;
 * the runner sends `{ cmd: 'run' | 'hold' | 'exit', ... }`. Also typed readers for the
 * untrusted JSON that comes back.
 *
 * @packageDocumentation
 */
import type { BenchConfig } from './config';
import type { HistogramData } from './histogram';

/** One parsed protocol message. */
export interface Message {
  readonly type: string;
  readonly [key: string]: unknown;
}

/** Parses one line; `null` when it is not a protocol message (stray output). */
export function parseMessage(line: string): Message | null {
  const t = line.trim();
  if (!t.startsWith('{')) return null;
  try {
    const v: unknown = JSON.parse(t);
    if (typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string') return v as Message;
  } catch {
    return null;
  }
  return null;
}

/** Reads a finite number field; throws naming the field when absent or invalid. */
export function num(obj: unknown, key: string): number {
  const v = typeof obj === 'object' && obj !== null ? (obj as Record<string, unknown>)[key] : undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`worker result: field ${key} is not a number`);
  return v;
}

/** Reads a string field. */
export function str(obj: unknown, key: string): string {
  const v = typeof obj === 'object' && obj !== null ? (obj as Record<string, unknown>)[key] : undefined;
  if (typeof v !== 'string') throw new Error(`worker result: field ${key} is not a string`);
  return v;
}

/** Reads a nanosecond timestamp sent as a decimal string. */
export function ns(obj: unknown, key: string): bigint {
  return BigInt(str(obj, key));
}

/** Reads an array of numbers. */
export function numbers(obj: unknown, key: string): number[] {
  const v = typeof obj === 'object' && obj !== null ? (obj as Record<string, unknown>)[key] : undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'number')) throw new Error(`worker result: field ${key} is not a number list`);
  return v;
}

/** Reads a histogram field. */
export function histogram(obj: unknown, key: string): HistogramData {
  const v = typeof obj === 'object' && obj !== null ? (obj as Record<string, unknown>)[key] : undefined;
  if (typeof v !== 'object' || v === null) throw new Error(`worker result: field ${key} is not a histogram`);
  const buckets = (v as { buckets?: unknown }).buckets;
  if (!Array.isArray(buckets) || !buckets.every((b) => Array.isArray(b) && b.length === 2 && typeof b[0] === 'number' && typeof b[1] === 'number')) {
    throw new Error(`worker result: field ${key}.buckets is malformed`);
  }
  return { buckets: buckets as Array<[number, number]>, count: num(v, 'count'), sumUs: num(v, 'sumUs'), maxUs: num(v, 'maxUs') };
}

/** Reads an optional object field. */
export function optionalObject(obj: unknown, key: string): Record<string, unknown> | null {
  const v = typeof obj === 'object' && obj !== null ? (obj as Record<string, unknown>)[key] : undefined;
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : null;
}

/** Settings every worker gets. */
export interface WorkerBase {
  /** Catalog id of the implementation. */
  readonly impl: string;
  /** Worker number, 0-based. */
  readonly worker: number;
  /** Number of workers in the case. */
  readonly workers: number;
  /** Lock path (a file path; named locks derive their name from it). */
  readonly lockPath: string;
  /** Shared state file (counter, logs, timestamps). */
  readonly statePath: string;
  /** /dev/shm name for named-lock implementations. */
  readonly shmName: string;
}

/** The configuration a worker process receives as its single argument (JSON). */
export type WorkerConfig =
  | (WorkerBase & { readonly role: 'uncontended'; readonly reps: number; readonly repMs: number; readonly warmupMs: number })
  | (WorkerBase & { readonly role: 'counter'; readonly holdUs: number; readonly yieldEachOp: boolean; readonly monitor: boolean; readonly pollS: number })
  | (WorkerBase & { readonly role: 'race'; readonly tracks: number; readonly laps: number })
  | (WorkerBase & { readonly role: 'handover'; readonly parkUs: number })
  | (WorkerBase & { readonly role: 'readers' })
  | (WorkerBase & { readonly role: 'wide-writer'; readonly width: number; readonly readUs: number })
  | (WorkerBase & { readonly role: 'sporadic' })
  | (WorkerBase & { readonly role: 'many-waiters' })
  | (WorkerBase & { readonly role: 'many-locks'; readonly locks: number })
  | (WorkerBase & {
      readonly role: 'threads';
      readonly threads: number;
      readonly holdUs: number;
      readonly yieldEachOp: boolean;
      readonly monitor: boolean;
      readonly pollS: number;
    })
  | (WorkerBase & BenchConfig['scale'] & { readonly role: 'scale'; readonly reps: number; readonly measureOther: boolean });

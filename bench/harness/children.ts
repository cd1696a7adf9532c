/**
 * Worker processes driven over the line protocol, with a hard timeout per case so that a hang
 * is reported as a failure instead of being waited for.
 *
 * @packageDocumentation
 */
import * as path from 'node:path';
import { LineChild } from '../../test/helpers/children';
import { implInfo } from '../adapters/catalog';
import { repoRoot } from './paths';
import { parseMessage, type Message, type WorkerConfig } from './protocol';

/** Thrown when a case exceeds its hard timeout. */
export class HangError extends Error {}

/** A running worker process: JSON messages over the line protocol of {@link LineChild}. */
export class Child {
  /** Label used in error messages. */
  readonly label: string;
  readonly #child: LineChild;
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;

  constructor(label: string, command: string, args: readonly string[]) {
    this.label = label;
    this.#child = new LineChild(command, args);
    this.exited = this.#child.exited.then(() => undefined);
  }

  /** Sends one command. */
  send(msg: Readonly<Record<string, unknown>>): void {
    this.#child.send(JSON.stringify(msg));
  }

  /** The next message (other output is skipped); rejects when the process dies first. */
  async next(): Promise<Message> {
    try {
      return parseMessage(await this.#child.takeLine((l) => parseMessage(l) !== null, Infinity, 'a message')) as Message;
    } catch (e) {
      throw new Error(`${this.label}: ${(e as Error).message}`);
    }
  }

  /** The next message, which must be of `type` (an `error` message is thrown). */
  async expect(type: string): Promise<Message> {
    const m = await this.next();
    if (m.type === 'error') throw new Error(`${this.label}: ${String(m.message)}`);
    if (m.type !== type) throw new Error(`${this.label}: expected ${type}, got ${m.type}`);
    return m;
  }

  /** Asks the worker to exit and waits (killing it after 3 s). */
  async stop(): Promise<void> {
    this.send({ cmd: 'exit' });
    const t = setTimeout(() => this.kill(), 3000);
    await this.exited;
    clearTimeout(t);
  }

  /** Kills the process if it still runs. */
  kill(): void {
    this.#child.kill('SIGKILL');
  }
}

/** Starts the worker process for `config`: Node for Node implementations, python3 for Python ones. */
export function startWorker(config: WorkerConfig): Child {
  const label = `${config.impl}#${config.worker}`;
  const arg = JSON.stringify(config);
  if (implInfo(config.impl).runtime === 'python') {
    return new Child(label, 'python3', [path.join(repoRoot(), 'bench', 'python', 'worker.py'), arg]);
  }
  // --expose-gc: the many-waiters workload collects garbage before reading RSS.
  return new Child(label, process.execPath, ['--expose-gc', path.join(__dirname, '..', 'child.js'), arg]);
}

/**
 * Starts workers, runs `body` with them, and always ends them. Rejects with {@link HangError}
 * when `body` takes longer than `timeoutMs` (the workers are killed).
 */
export async function withWorkers<T>(configs: readonly WorkerConfig[], timeoutMs: number, body: (workers: Child[]) => Promise<T>): Promise<T> {
  const workers = configs.map(startWorker);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HangError(`hung: no result within the hard timeout of ${(timeoutMs / 1000).toFixed(0)} s`)), timeoutMs);
  });
  try {
    return await Promise.race([body(workers), timeout]);
  } finally {
    clearTimeout(timer);
    for (const w of workers) w.kill();
    await Promise.all(workers.map((w) => w.exited));
  }
}

/** `p`, or a {@link HangError} when it takes longer than `timeoutMs`. */
export async function withTimeout<T>(p: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HangError(`hung: ${what} took longer than the hard timeout of ${(timeoutMs / 1000).toFixed(0)} s`)), timeoutMs);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Workers that live across the interleaved repetitions of a case: started together, each has
 * said `ready`. `stop()` asks them to exit; `kill()` ends them at once.
 */
export class WorkerGroup {
  private constructor(readonly workers: Child[]) {}

  /** Starts one worker per config and waits for every `ready` (killing all on failure). */
  static async start(configs: readonly WorkerConfig[], timeoutMs = 30_000): Promise<WorkerGroup> {
    const g = new WorkerGroup(configs.map(startWorker));
    try {
      await withTimeout(Promise.all(g.workers.map((w) => w.expect('ready'))), timeoutMs, 'starting the workers');
    } catch (e) {
      await g.kill();
      throw e;
    }
    return g;
  }

  /** Sends `cmd` to every worker and returns their `result` messages, in worker order. */
  async all(cmd: Readonly<Record<string, unknown>>): Promise<Message[]> {
    for (const w of this.workers) w.send(cmd);
    return Promise.all(this.workers.map((w) => w.expect('result')));
  }

  /** Asks every worker to exit and waits. */
  async stop(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.stop()));
  }

  /** Kills every worker that still runs and waits for the exits. */
  async kill(): Promise<void> {
    for (const w of this.workers) w.kill();
    await Promise.all(this.workers.map((w) => w.exited));
  }
}

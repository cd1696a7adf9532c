/**
 * Worker processes driven over the line protocol, with a hard timeout per case so that a hang
 * is reported as a failure instead of being waited for.
 *
 * @packageDocumentation
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { implInfo } from '../adapters/catalog';
import { repoRoot } from './paths';
import { parseMessage, type Message, type WorkerConfig } from './protocol';

/** Thrown when a case exceeds its hard timeout. */
export class HangError extends Error {}

/** A running worker process. */
export class Child {
  /** Label used in error messages. */
  readonly label: string;
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly queue: Message[] = [];
  private readonly waiters: Array<{ resolve: (m: Message) => void; reject: (e: Error) => void }> = [];
  private stderrTail = '';
  private dead: Error | null = null;
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;

  constructor(label: string, command: string, args: readonly string[]) {
    this.label = label;
    this.proc = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stdin.on('error', () => {
      /* the exit handler reports the death */
    });
    this.proc.stderr.setEncoding('utf8');
    this.proc.stderr.on('data', (d: string) => {
      this.stderrTail = (this.stderrTail + d).slice(-2000);
    });
    readline.createInterface({ input: this.proc.stdout }).on('line', (line) => {
      const m = parseMessage(line);
      if (m === null) return;
      const w = this.waiters.shift();
      if (w !== undefined) w.resolve(m);
      else this.queue.push(m);
    });
    this.exited = new Promise((resolve) => {
      this.proc.on('error', (e) => {
        this.die(new Error(`${label}: cannot start: ${e.message}`));
        resolve();
      });
      this.proc.on('exit', (code, signal) => {
        const tail = this.stderrTail.trim().split('\n').slice(-6).join(' | ');
        this.die(new Error(`${label}: exited (code ${code}, signal ${signal})${tail ? `: ${tail}` : ''}`));
        resolve();
      });
    });
  }

  private die(e: Error): void {
    if (this.dead === null) this.dead = e;
    for (const w of this.waiters.splice(0)) w.reject(this.dead);
  }

  /** Sends one command. */
  send(msg: Readonly<Record<string, unknown>>): void {
    if (this.dead === null) this.proc.stdin.write(`${JSON.stringify(msg)}\n`);
  }

  /** The next message; rejects when the process dies first. */
  next(): Promise<Message> {
    const m = this.queue.shift();
    if (m !== undefined) return Promise.resolve(m);
    if (this.dead !== null) return Promise.reject(this.dead);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
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
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
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

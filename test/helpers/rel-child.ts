/**
 * Child processes for the reliability tests: line-based stdout, every wait bounded (a hang
 * becomes a test failure naming what was awaited, never a stuck test run), and a registry so
 * `killAllChildren()` in `afterEach` leaves nothing running.
 */
import { spawn, type SpawnOptions } from 'node:child_process';

/** A hang guard, not a timing claim. */
export const WAIT_MS = 15_000;

export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

const live = new Set<Child>();

export class Child {
  readonly pid: number;
  readonly exited: Promise<ChildExit>;
  #exit: ChildExit | undefined;
  #lines: string[] = [];
  #partial = '';
  #stderr = '';
  #wake: Array<() => void> = [];
  readonly #kill: (signal: NodeJS.Signals) => void;
  readonly #write: (line: string) => void;

  constructor(command: string, args: readonly string[], options: SpawnOptions = {}) {
    const proc = spawn(command, [...args], { ...options, stdio: ['pipe', 'pipe', 'pipe'] });
    if (proc.pid === undefined) throw new Error(`could not spawn ${command}`);
    this.pid = proc.pid;
    live.add(this);
    this.#kill = (signal) => proc.kill(signal);
    this.#write = (line) => proc.stdin?.write(`${line}\n`);
    proc.stdin?.on('error', () => undefined);
    proc.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (this.#partial + chunk).split('\n');
      this.#partial = parts.pop() ?? '';
      this.#lines.push(...parts);
      this.#notify();
    });
    proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-8000);
    });
    this.exited = new Promise((resolve) => {
      proc.on('close', (code, signal) => {
        this.#exit = { code, signal };
        live.delete(this);
        this.#notify();
        resolve(this.#exit);
      });
    });
  }

  get stderr(): string {
    return this.#stderr;
  }

  get exit(): ChildExit | undefined {
    return this.#exit;
  }

  #notify(): void {
    for (const w of this.#wake.splice(0)) w();
  }

  /** The next unconsumed line matching `match`; rejects on exit or after `ms`. */
  async line(match: (line: string) => boolean = () => true, ms = WAIT_MS, what = 'a line'): Promise<string> {
    const deadline = Date.now() + ms;
    for (;;) {
      const at = this.#lines.findIndex(match);
      if (at >= 0) return this.#lines.splice(at, 1)[0];
      if (this.#exit !== undefined) throw new Error(`child ${this.pid} exited ${JSON.stringify(this.#exit)} before ${what}; stderr: ${this.#stderr}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`child ${this.pid}: no ${what} within ${ms} ms; stderr: ${this.#stderr}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#wake.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Whether a line matching `match` arrived and was not consumed. */
  has(match: (line: string) => boolean): boolean {
    return this.#lines.some(match);
  }

  send(line: string): void {
    this.#write(line);
  }

  /** Sends `line` and returns the next line (any). */
  async ask(line: string, ms = WAIT_MS): Promise<string> {
    this.send(line);
    return this.line(() => true, ms, `the reply to "${line}"`);
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.#exit === undefined) this.#kill(signal);
  }

  /** The exit, or null (after SIGKILLing it) when it did not exit within `ms`. */
  async waitExit(ms = WAIT_MS): Promise<ChildExit | null> {
    let t: NodeJS.Timeout | undefined;
    await Promise.race([this.exited, new Promise<void>((resolve) => (t = setTimeout(resolve, ms)))]);
    clearTimeout(t);
    if (this.#exit !== undefined) return this.#exit;
    this.kill('SIGKILL');
    await this.exited;
    return null;
  }
}

/** Runs `node <script> ...args`. */
export function nodeChild(script: string, args: readonly string[] = [], options: SpawnOptions = {}): Child {
  return new Child(process.execPath, [script, ...args], options);
}

/** SIGKILLs every child still running and waits for them. */
export async function killAllChildren(): Promise<void> {
  const all = [...live];
  for (const c of all) c.kill('SIGKILL');
  await Promise.all(all.map((c) => c.exited));
}

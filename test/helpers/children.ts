/**
 * Child processes for the process and interop tests: spawn a compiled fixture (`node`) or a
 * `python3` script, talk to it in lines on stdin/stdout, and make sure none outlives its test.
 *
 * - {@link LineChild}: the raw line protocol (ordered queue of stdout lines, waits with a
 *   loose timeout that reports the child's stderr when it fires or the child dies).
 * - {@link RpcChild}: JSON lines: requests `{ id, op, ... }`, replies `{ id, ... }` and
 *   unsolicited events `{ event, ... }` (the protocol of `test/fixtures/lf-agent.ts` and of
 *   the Python agent of the interop test).
 * - {@link killAll}: SIGKILLs every child still running; call it in `afterEach`/`afterAll`.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

/** Default bound for waiting on a child's line: a hang guard, not a timing claim. */
export const LINE_TIMEOUT_MS = 10_000;

/** How a child ended. */
export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

const live = new Set<LineChild>();

/** A child process whose stdout is consumed line by line. */
export class LineChild {
  readonly proc: ChildProcess;
  readonly pid: number;
  /** Settles when the process has exited (never rejects). */
  readonly exited: Promise<Exit>;
  #exit: Exit | undefined;
  #lines: string[] = [];
  #waiters: Array<() => void> = [];
  #partial = '';
  #stderr = '';

  constructor(command: string, args: readonly string[], options: SpawnOptions = {}) {
    this.proc = spawn(command, [...args], { ...options, stdio: ['pipe', 'pipe', 'pipe'] });
    if (this.proc.pid === undefined) throw new Error(`could not spawn ${command}`);
    this.pid = this.proc.pid;
    live.add(this);
    this.proc.stdout?.setEncoding('utf8');
    this.proc.stderr?.setEncoding('utf8');
    this.proc.stdout?.on('data', (chunk: string) => {
      const parts = (this.#partial + chunk).split('\n');
      this.#partial = parts.pop() ?? '';
      this.#lines.push(...parts);
      this.#wake();
    });
    this.proc.stderr?.on('data', (chunk: string) => {
      this.#stderr += chunk;
    });
    // A child that died must not make writes to its stdin throw EPIPE into the test.
    this.proc.stdin?.on('error', () => undefined);
    this.exited = new Promise<Exit>((resolve) => {
      this.proc.on('close', (code, signal) => {
        this.#exit = { code, signal };
        live.delete(this);
        this.#wake();
        resolve(this.#exit);
      });
    });
  }

  /** Everything the child wrote to stderr so far. */
  get stderr(): string {
    return this.#stderr;
  }

  /** True once the child has exited and its output is drained. */
  get done(): boolean {
    return this.#exit !== undefined;
  }

  /** Lines received and not consumed yet (a copy). */
  get pending(): readonly string[] {
    return [...this.#lines];
  }

  /** Whether a line matching `match` arrived and was not consumed. */
  has(match: (line: string) => boolean): boolean {
    return this.#lines.some(match);
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  /**
   * Removes and returns the first unconsumed line that satisfies `match` (earlier lines stay
   * queued). Rejects when the child exits or `timeoutMs` passes first (`Infinity`: only on
   * exit, for callers that bound the wait themselves).
   */
  async takeLine(match: (line: string) => boolean = () => true, timeoutMs = LINE_TIMEOUT_MS, what = 'a line'): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = this.#lines.findIndex(match);
      if (at >= 0) return this.#lines.splice(at, 1)[0];
      if (this.#exit !== undefined) {
        throw new Error(`child ${this.pid} exited (${JSON.stringify(this.#exit)}) before ${what}; stderr:\n${this.#stderr}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`child ${this.pid}: no ${what} within ${timeoutMs} ms; stderr:\n${this.#stderr}`);
      await new Promise<void>((resolve) => {
        const timer = Number.isFinite(left) ? setTimeout(resolve, left) : undefined;
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Writes one line to the child's stdin. */
  send(line: string): void {
    this.proc.stdin?.write(`${line}\n`);
  }

  /** Sends one command line and returns the child's next line (its reply). */
  ask(line: string, timeoutMs = LINE_TIMEOUT_MS): Promise<string> {
    this.send(line);
    return this.takeLine(() => true, timeoutMs, `the reply to "${line}"`);
  }

  /** Closes the child's stdin (fixtures treat EOF as "exit"). */
  endInput(): void {
    this.proc.stdin?.end();
  }

  /** Sends `signal` unless the child already exited. */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.#exit === undefined) this.proc.kill(signal);
  }

  /** Waits for the exit, SIGKILLing the child if it takes longer than `timeoutMs`. */
  async waitExit(timeoutMs = LINE_TIMEOUT_MS): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const guard = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([this.exited, guard]);
    clearTimeout(timer);
    if (this.#exit === undefined) {
      this.kill('SIGKILL');
      await this.exited;
      throw new Error(`child ${this.pid} did not exit within ${timeoutMs} ms (killed); stderr:\n${this.#stderr}`);
    }
    return this.#exit;
  }
}

/** A JSON value as parsed from a child's line. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A JSON object line. */
export type JsonObject = { [key: string]: Json };

function parseObject(line: string): JsonObject | undefined {
  try {
    const value = JSON.parse(line) as Json;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** A child speaking JSON lines: requests with an `id`, replies with the same `id`, events with `event`. */
export class RpcChild {
  #nextId = 1;

  constructor(readonly child: LineChild) {}

  get pid(): number {
    return this.child.pid;
  }

  /** Sends a request without waiting; returns its id. */
  post(op: string, params: JsonObject = {}): number {
    const id = this.#nextId++;
    this.child.send(JSON.stringify({ ...params, id, op }));
    return id;
  }

  /** The reply to request `id`. */
  async reply(id: number, timeoutMs = LINE_TIMEOUT_MS): Promise<JsonObject> {
    const line = await this.child.takeLine((l) => parseObject(l)?.reply === id, timeoutMs, `the reply to request ${id}`);
    return parseObject(line) as JsonObject;
  }

  /** Sends a request and waits for its reply. */
  async call(op: string, params: JsonObject = {}, timeoutMs = LINE_TIMEOUT_MS): Promise<JsonObject> {
    return this.reply(this.post(op, params), timeoutMs);
  }

  /** Consumes the first event named `name` (and, if given, about request `id`). */
  async event(name: string, id?: number, timeoutMs = LINE_TIMEOUT_MS): Promise<JsonObject> {
    const matches = (l: string): boolean => {
      const o = parseObject(l);
      return o !== undefined && o.event === name && (id === undefined || o.id === id);
    };
    return parseObject(await this.child.takeLine(matches, timeoutMs, `event ${name}${id === undefined ? '' : ` of request ${id}`}`)) as JsonObject;
  }

  /** Whether an event named `name` (about request `id`) has arrived and not been consumed. */
  hasEvent(name: string, id?: number): boolean {
    return this.child.pending.some((l) => {
      const o = parseObject(l);
      return o !== undefined && o.event === name && (id === undefined || o.id === id);
    });
  }
}

/** Runs a compiled fixture (see `fixture()` in paths.ts) with `node`. */
export function spawnNode(script: string, args: readonly string[] = [], options: SpawnOptions = {}): LineChild {
  return new LineChild(process.execPath, [script, ...args], options);
}

/** Runs Python source `code` with `python3 -u` (unbuffered), `args` in `sys.argv[1:]`. */
export function spawnPython(code: string, args: readonly string[] = [], options: SpawnOptions = {}): LineChild {
  return new LineChild('python3', ['-u', '-c', code, ...args], options);
}

/** SIGKILLs every child still running and waits until they are gone. */
export async function killAll(): Promise<void> {
  const children = [...live];
  for (const c of children) c.kill('SIGKILL');
  await Promise.all(children.map((c) => c.exited));
}

/** Count of children spawned through this module that are still running. */
export function liveChildren(): number {
  return live.size;
}

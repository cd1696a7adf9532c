/**
 * Worker-side half of the line protocol: send messages on stdout, receive commands on stdin.
 *
 * @packageDocumentation
 */
import * as readline from 'node:readline';

/** A command from the runner. */
export interface Command {
  readonly cmd: string;
  readonly [key: string]: unknown;
}

/** Sends one message to the runner (stdout is a pipe, written synchronously on Linux). */
export function send(type: string, fields: Readonly<Record<string, unknown>> = {}): void {
  process.stdout.write(`${JSON.stringify({ type, ...fields })}\n`);
}

/** Receives commands in order. */
export class Commands {
  private readonly queue: Command[] = [];
  private readonly waiters: Array<(c: Command) => void> = [];

  constructor() {
    const rl = readline.createInterface({ input: process.stdin });
    rl.on('line', (line) => this.push(JSON.parse(line) as Command));
    rl.on('close', () => this.push({ cmd: 'exit' }));
  }

  private push(c: Command): void {
    const w = this.waiters.shift();
    if (w !== undefined) w(c);
    else this.queue.push(c);
  }

  /** The next command (`exit` once stdin closes). */
  next(): Promise<Command> {
    const c = this.queue.shift();
    if (c !== undefined) return Promise.resolve(c);
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

/** Reads a field of a command as a number. */
export function cmdNumber(c: Command, key: string): number {
  const v = c[key];
  if (typeof v !== 'number') throw new Error(`command ${c.cmd}: ${key} is not a number`);
  return v;
}

/** Reads a nanosecond timestamp (decimal string) of a command. */
export function cmdNs(c: Command, key: string): bigint {
  const v = c[key];
  if (typeof v !== 'string') throw new Error(`command ${c.cmd}: ${key} is not a timestamp string`);
  return BigInt(v);
}

/**
 * Runs `onRun` for every `run` command until `exit`, reporting its value as a `result` message.
 * Any error becomes an `error` message and ends the process with code 1.
 */
export async function serve(
  onRun: (c: Command) => Promise<Readonly<Record<string, unknown>>> | Readonly<Record<string, unknown>>,
  commands = new Commands(),
): Promise<void> {
  send('ready');
  for (;;) {
    const c = await commands.next();
    if (c.cmd === 'exit') return;
    send('result', await onRun(c));
  }
}

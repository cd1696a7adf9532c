/**
 * A child process driven by lines: send a command, await its one-line reply. Used to play
 * "another owner" (a node fixture or a python3 script) in cross-process tests.
 */
import { type ChildProcess, spawn, type SpawnOptions } from 'node:child_process';
import * as readline from 'node:readline';

/** A running child that answers one line per command. */
export interface LineChild {
  readonly process: ChildProcess;
  /** Sends `line` and resolves with the next line the child prints. */
  ask(line: string): Promise<string>;
  /** Resolves with the next line the child prints (without sending anything). */
  next(): Promise<string>;
  /** Resolves with the exit code (or signal name) once the child has exited. */
  readonly exited: Promise<number | string>;
  /** SIGKILLs the child if it still runs and waits for it. */
  kill(): Promise<void>;
}

/** Starts `command args` and wires its stdout lines to {@link LineChild.ask}. */
export function startLineChild(command: string, args: readonly string[], options: SpawnOptions = {}): LineChild {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'], ...options });
  const lines: string[] = [];
  const waiting: Array<(line: string) => void> = [];
  let ended = false;
  readline.createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    const resolve = waiting.shift();
    if (resolve !== undefined) resolve(line);
    else lines.push(line);
  });
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => {
      ended = true;
      for (const w of waiting.splice(0)) w(`<exited ${code ?? signal}>`);
      resolve(code ?? signal ?? -1);
    });
  });
  const next = (): Promise<string> => {
    const line = lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (ended) return Promise.resolve('<exited>');
    return new Promise((resolve) => waiting.push(resolve));
  };
  return {
    process: child,
    next,
    ask(line: string) {
      child.stdin?.write(`${line}\n`);
      return next();
    },
    exited,
    async kill() {
      if (!ended) child.kill('SIGKILL');
      await exited;
    },
  };
}

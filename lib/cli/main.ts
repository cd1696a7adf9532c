/**
 * The `locksfile` command: parses the command line, takes the lock (waiting, with progress
 * and cancellation by signals), runs the command while holding it, gives the lock back when
 * the command ends, and returns the exit status (see `exit-codes.ts`).
 *
 * @packageDocumentation
 */
import { LockManager } from '../lock-manager/lock-manager';
import { parseArgs, type LockOptions, type StatusOf, type Target } from './args';
import type { HeldLock, LockEngine } from './engine';
import { CliExit, errorStatus, EX, signalStatus } from './exit-codes';
import { openFileEngine } from './file-engine';
import { Progress } from './progress';
import { runCommand } from './run-command';
import { ShmEngine } from './shm-engine';
import { SignalRouter } from './signals';
import { type ClosableLockManager, NameEngine } from './name-engine';
import { connectPgManager, connectPgName, connectPgSpace, describePgNamespace } from './pg-engines';
import { collectNames, formatNames } from './names-status';
import { collectStatus, formatStatus } from './status';

/** The clientId a `locksfile` command shows in `query()`: its pid and its command. */
function clientId(argv: readonly string[]): string {
  return `locksfile[${process.pid}] ${argv.join(' ')}`;
}

async function createEngine(target: Target, argv: readonly string[]): Promise<LockEngine> {
  switch (target.kind) {
    case 'file':
      return openFileEngine(target.path, target.range);
    case 'pg-space':
      return connectPgSpace(target.url, target.space, target.range, clientId(argv));
    case 'pg-name':
      return connectPgName(target.url, target.namespace, target.name, clientId(argv));
    case 'shm':
      return new ShmEngine(target.name, target.dir);
    case 'name': {
      const manager = new LockManager({ path: target.registry, clientId: clientId(argv) });
      return new NameEngine(manager, target.name, manager.path);
    }
  }
}

/** The lock manager `status --names` queries, and how to name its namespace. */
async function namesManager(of: Exclude<StatusOf, { kind: 'file' }>): Promise<{ manager: ClosableLockManager; namespace: string }> {
  if (of.kind === 'names') {
    const manager = new LockManager({ path: of.registry });
    return { manager, namespace: manager.path };
  }
  return { manager: await connectPgManager(of.url, of.namespace), namespace: describePgNamespace(of.url, of.namespace) };
}

/** Prints the status report on stdout; resolves the exit status (0). */
async function printStatus(of: StatusOf, json: boolean): Promise<number> {
  let text: string;
  if (of.kind === 'file') {
    const report = collectStatus(of.path);
    text = json ? JSON.stringify(report, null, 2) + '\n' : formatStatus(report);
  } else {
    const { manager, namespace } = await namesManager(of);
    try {
      const report = await collectNames(manager, namespace);
      text = json ? JSON.stringify(report, null, 2) + '\n' : formatNames(report);
    } finally {
      await manager.close();
    }
  }
  process.stdout.write(text);
  return 0;
}

/** Tries once; when busy and allowed to wait, waits with progress. Null when not acquired. */
async function acquire(engine: LockEngine, lock: LockOptions, router: SignalRouter): Promise<HeldLock | null> {
  const progress = new Progress(engine, lock.mode, lock.verbose);
  const first = await engine.acquire({ mode: lock.mode, timeoutMs: 0 }, router.signal);
  if (first !== null || lock.timeoutMs === 0 || router.signal.aborted) {
    await progress.firstTry(first !== null);
    return first;
  }
  const since = performance.now();
  const wait = engine.acquire({ mode: lock.mode, timeoutMs: lock.timeoutMs }, router.signal);
  await progress.waiting(since);
  try {
    const held = await wait;
    const received = router.received;
    progress.done(held !== null ? 'got the lock' : received !== undefined ? `wait cancelled by ${received}` : 'timed out');
    return held;
  } catch (err) {
    progress.done('failed');
    throw err;
  }
}

async function runLocked(target: Target, lock: LockOptions, argv: readonly string[]): Promise<number> {
  const router = new SignalRouter();
  let engine: LockEngine | undefined;
  let held: HeldLock | null = null;
  try {
    engine = await createEngine(target, argv);
    held = await acquire(engine, lock, router);
    const received = router.received;
    if (received !== undefined) return signalStatus(received);
    if (held === null) return lock.conflictExitCode;
    if (lock.verbose) process.stderr.write(`locksfile: executing ${argv.join(' ')}\n`);
    return await runCommand(argv, router);
  } finally {
    router.dispose();
    await held?.release();
    await engine?.close();
  }
}

/** Runs the tool with `args` (without `node` and the script) and resolves its exit status. */
export async function main(args: readonly string[]): Promise<number> {
  try {
    const invocation = parseArgs(args);
    switch (invocation.kind) {
      case 'done':
        return invocation.status;
      case 'status':
        return await printStatus(invocation.of, invocation.json);
      case 'run':
        return await runLocked(invocation.target, invocation.lock, invocation.argv);
    }
  } catch (err) {
    const status = errorStatus(err);
    const message = err instanceof Error ? err.message : String(err);
    if (message !== '') process.stderr.write(`locksfile: ${message}\n`);
    if (status === EX.SOFTWARE && !(err instanceof CliExit) && err instanceof Error) process.stderr.write(`${err.stack ?? ''}\n`);
    return status;
  }
}

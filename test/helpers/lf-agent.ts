/**
 * Typed client of `test/fixtures/lf-agent.ts`: a LocksFile owner in a child process, driven
 * request by request so tests can interleave two processes exactly.
 */
import type { SpawnOptions } from 'node:child_process';
import { type JsonObject, LINE_TIMEOUT_MS, RpcChild, spawnNode } from './children';
import { fixture } from './paths';

/** A held range as the agent reports it (same shape as `HeldRange`). */
export interface AgentRange {
  readonly start: number;
  readonly count: number;
  readonly write: boolean;
}

/** A blocking holder as the agent reports it (`count` is the string `'Infinity'` for "to EOF"). */
export interface AgentHolder {
  readonly start: number;
  readonly count: number | 'Infinity';
  readonly write: boolean;
  readonly pid: number;
}

/** An error as the agent reports it. */
export interface AgentError {
  readonly name: string;
  readonly code: string | null;
  readonly errno: string | null;
  readonly message: string;
}

/** Reply to `acquire`: what blocked it at first (probe), whether it was granted at once. */
export interface AcquireReply {
  readonly id: number;
  readonly probe: AgentHolder | null;
  readonly granted: boolean;
  readonly held: AgentRange[];
}

/** Thrown when the agent answered a request with an error. */
export class AgentCallError extends Error {
  constructor(readonly error: AgentError) {
    super(`agent: ${error.name} ${error.code ?? ''}: ${error.message}`);
  }
}

function check(reply: JsonObject): JsonObject {
  if (reply.error !== undefined) throw new AgentCallError(reply.error as unknown as AgentError);
  return reply;
}

/** Range shorthand: `[start, count]`. */
export type Span = readonly [start: number, count: number];

export class Agent extends RpcChild {
  /** Probe, non-blocking try and (when blocking and busy) a wait that reports through {@link granted}. */
  async acquire(span: Span, write: boolean, opts: { blocking?: boolean; timeout?: number } = {}): Promise<AcquireReply> {
    const params: JsonObject = { start: span[0], count: span[1], write };
    if (opts.blocking !== undefined) params.blocking = opts.blocking;
    if (opts.timeout !== undefined) params.timeout = opts.timeout;
    const id = this.post('acquire', params);
    const reply = check(await this.reply(id));
    return { id, probe: reply.probe as unknown as AgentHolder | null, granted: reply.granted as boolean, held: reply.held as unknown as AgentRange[] };
  }

  /** Waits for the grant of a blocking acquire that was not granted at once; returns held(). */
  async granted(id: number, timeoutMs = LINE_TIMEOUT_MS): Promise<AgentRange[]> {
    const ev = await this.event('granted', id, timeoutMs);
    if (ev.ok !== true) throw new Error(`acquire ${id} ended without the lock: ${JSON.stringify(ev)}`);
    return ev.held as unknown as AgentRange[];
  }

  /** Whether the grant of request `id` has been reported (and not consumed yet). */
  isGranted(id: number): boolean {
    return this.hasEvent('granted', id);
  }

  async try(span: Span, write: boolean): Promise<boolean> {
    return check(await this.call('try', { start: span[0], count: span[1], write })).granted as boolean;
  }

  async release(span?: Span): Promise<AgentRange[]> {
    const params: JsonObject = span === undefined ? {} : { start: span[0], count: span[1] };
    return check(await this.call('release', params)).held as unknown as AgentRange[];
  }

  async held(): Promise<AgentRange[]> {
    return check(await this.call('held')).held as unknown as AgentRange[];
  }

  async probe(span: Span, write: boolean): Promise<AgentHolder | null> {
    return check(await this.call('probe', { start: span[0], count: span[1], write })).holder as unknown as AgentHolder | null;
  }

  async close(): Promise<void> {
    check(await this.call('close'));
  }

  /** Asks the agent to SIGKILL itself `afterMs` from now (replies first). */
  async dieIn(afterMs: number): Promise<void> {
    check(await this.call('die', { timeout: afterMs }));
  }

  /** Asks the agent to `process.exit()` without closing, and waits until it is gone. */
  async exit(): Promise<void> {
    this.post('exit');
    await this.child.waitExit();
  }
}

/** What the agent said on start-up. */
export interface AgentStart {
  readonly agent: Agent;
  readonly ready: JsonObject | undefined;
  readonly openError: AgentError | undefined;
}

/** Starts an agent on `lockPath` without failing when the constructor throws. */
export async function spawnAgent(lockPath: string, mode: 'sync' | 'async' = 'async', options: SpawnOptions = {}): Promise<AgentStart> {
  const agent = new Agent(spawnNode(fixture('lf-agent'), [lockPath, mode], options));
  const first = await agent.child.takeLine(() => true, LINE_TIMEOUT_MS, 'the start-up line');
  const parsed = JSON.parse(first) as JsonObject;
  if (parsed.event === 'ready') return { agent, ready: parsed, openError: undefined };
  if (parsed.event === 'open-error') return { agent, ready: undefined, openError: parsed.error as unknown as AgentError };
  throw new Error(`unexpected start-up line from lf-agent: ${first}`);
}

/** Starts an agent on `lockPath` and waits until its LocksFile is open. */
export async function startAgent(lockPath: string, mode: 'sync' | 'async' = 'async', options: SpawnOptions = {}): Promise<Agent> {
  const { agent, openError } = await spawnAgent(lockPath, mode, options);
  if (openError !== undefined) throw new AgentCallError(openError);
  return agent;
}

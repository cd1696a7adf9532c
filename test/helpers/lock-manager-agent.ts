/**
 * Typed client of `test/fixtures/lock-manager-agent.ts`: a LockManager user in a child
 * process (or in a worker thread of one), driven request by request.
 */
import { type JsonObject, RpcChild, spawnNode } from './children';
import { fixture } from './paths';

/** Options of one request, as the agent forwards them to `request()`. */
export interface AgentRequest {
  readonly mode?: 'exclusive' | 'shared';
  readonly ifAvailable?: boolean;
  readonly steal?: boolean;
  /** Give the request an AbortSignal the test can fire with {@link LockManagerAgent.abort}. */
  readonly abortable?: boolean;
}

/** One entry of a `query()` snapshot. */
export interface Entry {
  readonly name: string;
  readonly mode: string;
  readonly clientId: string;
}

/** A `query()` snapshot. */
export interface Snapshot {
  readonly held: Entry[];
  readonly pending: Entry[];
}

/** A LockManager in another process or thread. */
export class LockManagerAgent {
  private constructor(
    readonly rpc: RpcChild,
    readonly clientId: string,
  ) {}

  /** Starts an agent on `registry`; `thread` puts its manager in a worker thread. */
  static async start(registry: string, clientId: string, where: 'process' | 'thread' = 'process'): Promise<LockManagerAgent> {
    const rpc = new RpcChild(spawnNode(fixture('lock-manager-agent'), [registry, clientId, where]));
    await rpc.event('ready');
    return new LockManagerAgent(rpc, clientId);
  }

  /** Calls `request(name, options, callback)`; resolves with the request id once it is in the registry. */
  async request(name: string, options: AgentRequest = {}): Promise<number> {
    const id = this.rpc.post('request', { name, ...options });
    await this.rpc.reply(id);
    return id;
  }

  /** Waits for the callback of request `id` to run; returns the lock it got (null: unavailable). */
  async granted(id: number): Promise<JsonObject | null> {
    return (await this.grantedAt(id)).lock;
  }

  /** {@link granted}, with the time the callback started (`process.hrtime.bigint()` in the agent). */
  async grantedAt(id: number): Promise<{ lock: JsonObject | null; at: bigint }> {
    const event = await this.rpc.event('granted', id);
    return { lock: event.lock as JsonObject | null, at: BigInt(event.at as string) };
  }

  /** Whether the callback of request `id` has run (and the event is not consumed yet). */
  hasGranted(id: number): boolean {
    return this.rpc.hasEvent('granted', id);
  }

  /** Waits for `request()` of request `id` to settle. */
  async settled(id: number): Promise<JsonObject> {
    return this.rpc.event('settled', id);
  }

  /** Whether `request()` of request `id` has settled (and the event is not consumed yet). */
  hasSettled(id: number): boolean {
    return this.rpc.hasEvent('settled', id);
  }

  /** Resolves the callback of request `id` with `value`. */
  async release(id: number, value = 'done'): Promise<void> {
    const reply = await this.rpc.call('release', { target: id, value });
    if (reply.found !== true) throw new Error(`request ${id} of ${this.clientId} does not hold`);
  }

  /** Aborts the signal of request `id`. */
  async abort(id: number): Promise<void> {
    await this.rpc.call('abort', { target: id });
  }

  /** `query()` as this agent sees it. */
  async query(): Promise<Snapshot> {
    return (await this.rpc.call('query')).snapshot as unknown as Snapshot;
  }

  /** SIGKILLs the agent and waits for it to be gone. */
  async kill(): Promise<void> {
    this.rpc.child.kill('SIGKILL');
    await this.rpc.child.exited;
  }
}

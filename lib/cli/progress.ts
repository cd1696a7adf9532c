/**
 * `--verbose` output on stderr: while the tool waits, one line that is rewritten in place on
 * a terminal (elapsed time and holder), or plain lines when stderr is a file or a pipe (one
 * when the wait starts and one whenever the holder changes, looked up once a second); then how long the wait took.
 *
 * @packageDocumentation
 */
import type { CliMode, LockEngine } from './engine';

/** Writes to stderr; `isTTY` chooses the in-place line. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  /** Terminal width: the in-place line is cut to fit, or it would wrap and not be erased. */
  readonly columns?: number;
  write(text: string): unknown;
}

/** How often the terminal line is redrawn, and how often the holder is looked up again. */
const REDRAW_MS = 200;
const LOOKUP_MS = 1000;

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(3)} s`;
}

/** Progress of one wait. Every method is a no-op when `enabled` is false. */
export class Progress {
  #started = 0;
  #holder = '';
  #timer: NodeJS.Timeout | undefined;
  #lastLookup = 0;
  #lookingUp = false;

  constructor(
    private readonly engine: LockEngine,
    private readonly mode: CliMode,
    private readonly enabled: boolean,
    private readonly out: ProgressStream = process.stderr,
  ) {}

  /** Prints a plain line (not part of the wait display). */
  line(text: string): void {
    if (this.enabled) this.out.write(`locksfile: ${text}\n`);
  }

  /** The first try got the lock (`got`), or found it busy and no wait follows. */
  async firstTry(got: boolean): Promise<void> {
    if (!this.enabled) return;
    this.line(got ? `got ${this.engine.target} (${this.mode}) at once` : `${this.engine.target} is busy, held by ${await this.#lookup()}`);
  }

  /** The lock was busy at the first try: the wait started at `since` (`performance.now()`). */
  async waiting(since: number): Promise<void> {
    if (!this.enabled) return;
    this.#started = since;
    this.#holder = await this.#lookup();
    this.#lastLookup = performance.now();
    if (this.#tty) {
      this.#draw();
    } else {
      this.line(`waiting for ${this.engine.target} (${this.mode}), held by ${this.#holder}`);
    }
    this.#timer = setInterval(() => this.#tick(), this.#tty ? REDRAW_MS : LOOKUP_MS);
    this.#timer.unref();
  }

  get #tty(): boolean {
    return this.out.isTTY === true;
  }

  #tick(): void {
    if (this.#tty) this.#draw();
    if (this.#lookingUp || performance.now() - this.#lastLookup < LOOKUP_MS) return;
    this.#lookingUp = true;
    void this.#lookup()
      .then((holder) => {
        if (holder !== this.#holder && !this.#tty && this.#timer !== undefined) {
          this.line(`still waiting after ${seconds(performance.now() - this.#started)}, now held by ${holder}`);
        }
        this.#holder = holder;
      })
      .finally(() => {
        this.#lookingUp = false;
        this.#lastLookup = performance.now();
      });
  }

  /** The holders as text; a failed look-up is shown, never thrown (progress must not end the wait). */
  async #lookup(): Promise<string> {
    try {
      return await this.engine.blockers(this.mode);
    } catch (err) {
      return `unknown (${err instanceof Error ? err.message : String(err)})`;
    }
  }

  #draw(): void {
    const elapsed = ((performance.now() - this.#started) / 1000).toFixed(1);
    const text = `locksfile: waiting ${elapsed} s for ${this.engine.target} (${this.mode}), held by ${this.#holder}`;
    const width = this.out.columns ?? 0;
    this.out.write(`\r\x1b[K${width > 1 && text.length >= width ? text.slice(0, width - 1) : text}`);
  }

  /** The wait ended: `outcome` says how (`got the lock`, `timed out`, ...). */
  done(outcome: string): void {
    if (!this.enabled) return;
    if (this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
      if (this.#tty) this.out.write('\r\x1b[K');
    }
    const waited = this.#started === 0 ? 0 : performance.now() - this.#started;
    this.line(`${outcome} after ${seconds(waited)}`);
  }
}

/**
 * The steal bell of a namespace: a small file beside the registry (`<path>.steal`) that a
 * stealer writes to after marking holders stolen, and that every manager with a held lock
 * watches (inotify through `fs.watch`). Kernel locks cannot tell a holder that someone else
 * decided something, so this is the one notification that is not a lock release.
 *
 * Only steals write the bell, so holders see no events from ordinary traffic. An event only
 * means "look again": the holder re-reads the state of its own slots, so coalesced or spurious
 * events are harmless.
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import { pathError } from '../errors/path-error';

/** One manager's end of the bell: rings it, and calls `onRing` when anyone rings it. */
export class StealBell {
  readonly #fd: number;
  readonly #watcher: fs.FSWatcher;
  readonly #byte = Buffer.alloc(1);

  constructor(path: string, onRing: () => void) {
    try {
      this.#fd = fs.openSync(path, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK, 0o600);
    } catch (err) {
      throw pathError(path, err);
    }
    try {
      // Not persistent: a manager waiting for nothing must not keep the process alive.
      this.#watcher = fs.watch(path, { persistent: false }, onRing);
    } catch (err) {
      fs.closeSync(this.#fd);
      throw pathError(path, err);
    }
  }

  /** Wakes every watcher (including this one). */
  ring(): void {
    this.#byte[0] = (this.#byte[0] as number) + 1;
    fs.writeSync(this.#fd, this.#byte, 0, 1, 0);
  }

  close(): void {
    this.#watcher.close();
    fs.closeSync(this.#fd);
  }
}

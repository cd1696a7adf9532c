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
import { openNamespaceFile } from './namespace-file';

/** One manager's end of the bell: rings it, and calls `onRing` when anyone rings it. */
export class StealBell {
  readonly #fd: number;
  readonly #watcher: fs.FSWatcher;
  readonly #byte = Buffer.alloc(1);

  /** Opens (see {@link openNamespaceFile}) and watches the bell at `path`. */
  constructor(path: string, ownerOnly: boolean, onRing: () => void) {
    this.#fd = openNamespaceFile(path, ownerOnly);
    try {
      // Not persistent: a manager waiting for nothing must not keep the process alive.
      this.#watcher = fs.watch(path, { persistent: false }, onRing);
      // A watch that fails (the bell file deleted under us) must not crash the process; the
      // stolen holders are then freed only when their callbacks end.
      this.#watcher.on('error', () => this.#watcher.close());
    } catch (err) {
      fs.closeSync(this.#fd);
      throw pathError(path, err);
    }
  }

  /** Wakes every watcher (including this one). */
  ring(): void {
    this.#byte[0] = this.#byte[0] + 1;
    fs.writeSync(this.#fd, this.#byte, 0, 1, 0);
  }

  close(): void {
    this.#watcher.close();
    fs.closeSync(this.#fd);
  }
}

/**
 * Closing lock-file descriptors without dropping someone else's locks.
 *
 * The POSIX pitfall (fcntl(2), "the locks are released when ... any file descriptor
 * referring to the file is closed"): classic record locks belong to the process, so closing
 * *any* descriptor of a file drops *all* of the process's locks on it, including those taken
 * through another instance's descriptor. As SQLite's unix VFS does, a POSIX-backend
 * descriptor is therefore not closed while another descriptor of the same file is still in
 * use by this thread: it is parked and closed together with the last one. OFD locks belong
 * to their open file description and need none of this.
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import type { Backend } from './fcntl';
import { type FileId, fileKey } from './identity';

/**
 * One JS thread's POSIX-backend descriptors, per file (`fileKey`): those adopted and still
 * open, and those waiting to be closed. The thread's table is in its `ThreadState`
 * (`process-hooks/thread-state.ts`).
 */
export class DescriptorTable {
  readonly #posixFiles = new Map<string, { open: number; parked: number[] }>();

  /** Registers a descriptor that now carries locks for the file `id`. */
  adopt(backend: Backend, id: FileId): void {
    if (backend !== 'posix') return;
    const key = fileKey(id);
    const entry = this.#posixFiles.get(key) ?? { open: 0, parked: [] };
    entry.open++;
    this.#posixFiles.set(key, entry);
  }

  /** Closes an adopted descriptor now (OFD), or once no other adopted one of the file is open (POSIX). */
  close(fd: number, backend: Backend, id: FileId): void {
    const key = fileKey(id);
    const entry = backend === 'posix' ? this.#posixFiles.get(key) : undefined;
    if (entry === undefined) {
      fs.closeSync(fd);
      return;
    }
    entry.open--;
    entry.parked.push(fd);
    if (entry.open > 0) return;
    this.#posixFiles.delete(key);
    for (const parked of entry.parked) fs.closeSync(parked);
  }
}

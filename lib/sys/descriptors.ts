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

/** Per file (`fileKey`): adopted descriptors still open, and those waiting to be closed. */
const posixFiles = new Map<string, { open: number; parked: number[] }>();

/** Registers a descriptor that now carries locks for the file `id`. */
export function adoptDescriptor(backend: Backend, id: FileId): void {
  if (backend !== 'posix') return;
  const key = fileKey(id);
  const entry = posixFiles.get(key) ?? { open: 0, parked: [] };
  entry.open++;
  posixFiles.set(key, entry);
}

/** Closes an adopted descriptor now (OFD), or once no other adopted one of the file is open (POSIX). */
export function closeDescriptor(fd: number, backend: Backend, id: FileId): void {
  const key = fileKey(id);
  const entry = backend === 'posix' ? posixFiles.get(key) : undefined;
  if (entry === undefined) {
    fs.closeSync(fd);
    return;
  }
  entry.open--;
  entry.parked.push(fd);
  if (entry.open > 0) return;
  posixFiles.delete(key);
  for (const parked of entry.parked) fs.closeSync(parked);
}

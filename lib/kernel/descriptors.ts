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
import type { Identity } from './identity';

const posixFiles = new Map<Identity, { open: number; parked: number[] }>();

/** Registers a descriptor that now carries locks for `identity`. */
export function adoptDescriptor(backend: Backend, identity: Identity): void {
  if (backend !== 'posix') return;
  const entry = posixFiles.get(identity) ?? { open: 0, parked: [] };
  entry.open++;
  posixFiles.set(identity, entry);
}

/** Closes an adopted descriptor now (OFD), or once no other adopted one of the file is open (POSIX). */
export function closeDescriptor(fd: number, backend: Backend, identity: Identity): void {
  const entry = backend === 'posix' ? posixFiles.get(identity) : undefined;
  if (entry === undefined) {
    fs.closeSync(fd);
    return;
  }
  entry.open--;
  entry.parked.push(fd);
  if (entry.open > 0) return;
  posixFiles.delete(identity);
  for (const parked of entry.parked) fs.closeSync(parked);
}

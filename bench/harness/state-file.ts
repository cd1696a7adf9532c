/**
 * Positioned reads and writes of small integers in a shared state file (counters, logs,
 * timestamps exchanged between processes). Every call is one pread/pwrite syscall.
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';

/** A shared state file opened read-write. */
export class StateFile {
  /** The descriptor. */
  readonly fd: number;
  private readonly b8 = Buffer.alloc(8);

  constructor(path: string) {
    this.fd = fs.openSync(path, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
  }

  /** Reads an unsigned 32-bit little-endian integer at `pos` (0 past the end of the file). */
  readU32(pos: number): number {
    const n = fs.readSync(this.fd, this.b8, 0, 4, pos);
    return n === 4 ? this.b8.readUInt32LE(0) : 0;
  }

  /** Writes an unsigned 32-bit little-endian integer at `pos`. */
  writeU32(pos: number, value: number): void {
    this.b8.writeUInt32LE(value, 0);
    fs.writeSync(this.fd, this.b8, 0, 4, pos);
  }

  /** Reads a signed 64-bit integer at `pos`. */
  readI64(pos: number): bigint {
    const n = fs.readSync(this.fd, this.b8, 0, 8, pos);
    return n === 8 ? this.b8.readBigInt64LE(0) : 0n;
  }

  /** Writes a signed 64-bit integer at `pos`. */
  writeI64(pos: number, value: bigint): void {
    this.b8.writeBigInt64LE(value, 0);
    fs.writeSync(this.fd, this.b8, 0, 8, pos);
  }

  /** Writes one byte at `pos`. */
  writeU8(pos: number, value: number): void {
    this.b8[0] = value;
    fs.writeSync(this.fd, this.b8, 0, 1, pos);
  }

  /** Reads `buf.length` bytes at `pos` into `buf` (zeros past the end of the file). */
  readInto(buf: Buffer, pos: number): void {
    buf.fill(0);
    fs.readSync(this.fd, buf, 0, buf.length, pos);
  }

  /** Closes the descriptor. */
  close(): void {
    fs.closeSync(this.fd);
  }
}

/** Truncates `path` to zero length (creating it), so every counter and flag reads 0. */
export function resetStateFile(path: string): void {
  fs.writeFileSync(path, Buffer.alloc(0));
}

/** The whole file. */
export function readStateFile(path: string): Buffer {
  return fs.readFileSync(path);
}

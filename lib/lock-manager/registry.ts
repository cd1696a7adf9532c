/**
 * The registry file of a Web Locks namespace: every request of every process and thread
 * that uses the namespace, in fixed-size units of one file, with kernel locks as the only
 * source of truth for liveness.
 *
 * Layout (all integers little-endian):
 * - Unit 0 is the header: byte 0 is the *meta byte* (an exclusive OFD lock on it guards every
 *   scan, enqueue, grant and steal for a few microseconds), bytes 8..15 the magic
 *   {@link MAGIC}.
 * - Units 1.. hold *slots*. A slot is one request and spans `units` consecutive units:
 *   | offset | size | field |
 *   |---|---|---|
 *   | 0 | 1 | state ({@link SlotState}); also the *liveness byte* L |
 *   | 1 | 1 | mode (0 exclusive, 1 shared); also the *watch byte* W |
 *   | 4 | 4 | units spanned |
 *   | 8 | 8 | ticket (float64) |
 *   | 16 | 4 | name length in bytes |
 *   | 20 | 4 | clientId length in bytes |
 *   | 24 | 4 | FNV-1a hash of the name bytes |
 *   | 28 | 4 | owner pid (informational) |
 *   | 32 | … | name, then clientId, both UTF-16LE (lone surrogates survive) |
 *
 * Rules:
 * - A slot is *live* only while its owner holds an OFD write lock on L. The kernel drops that
 *   lock when the owner's process dies, so a crashed holder or waiter vanishes by itself; a
 *   scan that finds a non-free state without the lock rewrites it as free.
 * - A slot is written (allocated, granted, stolen) only under the meta lock; its owner frees
 *   it without the meta lock by writing {@link SlotState.Free} and only then unlocking L.
 * - A waiter that blocks on an earlier slot's L first takes a read lock on its W byte (under
 *   the meta lock), and allocation needs a write lock on both L and W: a slot somebody is
 *   waiting for can therefore not be reused by a later request before the waiter has seen it
 *   go (which would make the waiter wait for its own successor).
 * - Tickets: a new request gets one more than the largest ticket of any live slot, so live
 *   requests are totally ordered by arrival (FIFO) and nothing has to be stored beside them.
 * - Space is reused first-fit, and a scan cuts off a free tail longer than {@link TRIM_SLACK}
 *   units: the file stays about as long as the requests alive now need.
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import { LockPathError, LockSystemError } from '../errors/errors';
import { getConflict, setLock } from '../sys/fcntl';
import { waitUntil } from '../process-hooks/thread-state';
import { withoutSignalHooks } from '../process-hooks/exit-hooks';
import { openNamespaceFile, sameFile } from './namespace-file';
import type { LockMode } from './types';

/** Bytes per unit. */
export const UNIT = 128;
/** Offset of the name inside a slot. */
const NAME_AT = 32;
/** Marks a file as a registry of this format, version 1. */
export const MAGIC = Buffer.from('LKMGRv1\n', 'latin1');
const META_BYTE = 0;
/** How long a meta-lock wait may last before it is reported as a stall, in ms (it normally lasts microseconds). */
const META_STALL_MS = 10_000;
/**
 * Free units tolerated at the end of the file before a scan cuts them off. Safe under the
 * meta lock: every write without it (a release marking its slot free) lands inside a live
 * slot, and no live slot lies past the last one the scan found.
 */
const TRIM_SLACK = 32;

/** What a slot is. */
export const enum SlotState {
  Free = 0,
  /** Queued, not granted yet. */
  Pending = 1,
  /** Granted. */
  Held = 2,
  /** Was granted, then stolen: no longer held, waiting for its owner to notice and free it. */
  Stolen = 3,
}

/** A live slot as a scan found it. */
export interface Slot {
  /** Index of its first unit. */
  readonly unit: number;
  readonly units: number;
  readonly state: SlotState;
  readonly mode: LockMode;
  readonly ticket: number;
  readonly hash: number;
  /** Offset and length of the name bytes in the scan buffer. */
  readonly nameAt: number;
  readonly nameLength: number;
  readonly clientAt: number;
  readonly clientLength: number;
}

/** The name of a request as it is stored: UTF-16LE bytes and their hash. */
export interface EncodedName {
  readonly bytes: Buffer;
  readonly hash: number;
}

/** Encodes a lock name (or clientId) the way slots store it. */
export function encodeName(name: string): EncodedName {
  const bytes = Buffer.from(name, 'utf16le');
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ bytes[i], 0x01000193);
  return { bytes, hash: hash >>> 0 };
}

/** Byte offset of unit `unit`: its liveness byte L. */
export function livenessByte(unit: number): number {
  return unit * UNIT;
}

/** Byte offset of the watch byte W of the slot starting at `unit`. */
export function watchByte(unit: number): number {
  return unit * UNIT + 1;
}

/**
 * One manager's view of the registry: two open file descriptions of the file. `holdFd`
 * carries this manager's own locks (the meta lock and the L bytes of its slots); `watchFd`
 * never holds a write lock, so `F_OFD_GETLK` through it sees every owner's slots, this
 * manager's included, and the W read locks and L waits of this manager go through it.
 */
export class Registry {
  readonly path: string;
  readonly holdFd: number;
  readonly watchFd: number;
  #buf = Buffer.alloc(UNIT * 16);
  /** Scratch space for the slot {@link allocate} writes. */
  #record = Buffer.alloc(UNIT * 2);

  constructor(path: string, options: { readonly ownerOnly: boolean }) {
    this.path = path;
    this.holdFd = openNamespaceFile(path, options.ownerOnly);
    try {
      this.watchFd = openNamespaceFile(path, options.ownerOnly);
    } catch (err) {
      fs.closeSync(this.holdFd);
      throw err;
    }
    if (!sameFile(this.holdFd, this.watchFd)) {
      this.close();
      throw new LockPathError(path, `${path} was replaced while it was being opened`, 'EAGAIN');
    }
  }

  /** Closes both descriptions (dropping every lock of this manager). */
  close(): void {
    fs.closeSync(this.holdFd);
    fs.closeSync(this.watchFd);
  }

  /**
   * Runs `fn` under the meta lock, blocking this thread briefly while another manager's scan
   * runs. Throws {@link LockSystemError} (`ETIMEDOUT`) instead of hanging when the meta lock
   * stays held for {@link META_STALL_MS}: only a process stopped inside a scan does that.
   */
  locked<T>(fn: () => T): T {
    if (!setLock(this.holdFd, 'ofd', 'write', META_BYTE, 1)) {
      const deadline = performance.now() + META_STALL_MS;
      if (withoutSignalHooks(() => waitUntil(this.holdFd, 'ofd', 'write', META_BYTE, 1, deadline, () => false)) !== 'granted') {
        throw new LockSystemError(
          'fcntl(F_OFD_SETLKW)',
          'ETIMEDOUT',
          `${this.path}: the registry meta lock stayed held for ${META_STALL_MS} ms (is a process stopped inside a scan?)`,
        );
      }
    }
    try {
      return fn();
    } finally {
      setLock(this.holdFd, 'ofd', 'unlock', META_BYTE, 1);
    }
  }

  /**
   * Reads the file and returns its live slots in file order; frees slots whose owner is
   * gone. `own` are the slots this manager holds (known live: no kernel probe). Call under
   * {@link locked}. The returned slots refer to the bytes of this scan until the next one.
   */
  scan(own: ReadonlySet<number>): Slot[] {
    let read = fs.readSync(this.holdFd, this.#buf, 0, this.#buf.length, 0);
    while (read === this.#buf.length) {
      this.#buf = Buffer.alloc(this.#buf.length * 2);
      read = fs.readSync(this.holdFd, this.#buf, 0, this.#buf.length, 0);
    }
    const buf = this.#buf;
    if (read === 0) {
      fs.writeSync(this.holdFd, headerBytes(), 0, UNIT, 0);
      return [];
    }
    if (read < UNIT || buf.compare(MAGIC, 0, MAGIC.length, 8, 16) !== 0) {
      throw new LockPathError(this.path, `${this.path} is not a LockManager registry (bad magic)`, 'EINVAL');
    }
    const units = Math.floor(read / UNIT);
    const slots: Slot[] = [];
    let unit = 1;
    while (unit < units) {
      const at = unit * UNIT;
      const state = buf[at] as SlotState;
      if (state === SlotState.Free) {
        unit++;
        continue;
      }
      const span = buf.readUInt32LE(at + 4);
      const live = own.has(unit) || getConflict(this.watchFd, 'ofd', false, at, 1) !== null;
      if (!live || span < 1 || unit + span > units) {
        if (live) throw new LockPathError(this.path, `${this.path}: corrupt slot at unit ${unit}`, 'EINVAL');
        buf[at] = SlotState.Free;
        fs.writeSync(this.holdFd, buf, at, 1, at);
        unit++;
        continue;
      }
      const nameLength = buf.readUInt32LE(at + 16);
      const clientLength = buf.readUInt32LE(at + 20);
      slots.push({
        unit,
        units: span,
        state,
        mode: buf[at + 1] === 1 ? 'shared' : 'exclusive',
        ticket: buf.readDoubleLE(at + 8),
        hash: buf.readUInt32LE(at + 24),
        nameAt: at + NAME_AT,
        nameLength,
        clientAt: at + NAME_AT + nameLength,
        clientLength,
      });
      unit += span;
    }
    const end = slots.reduce((last, slot) => Math.max(last, slot.unit + slot.units), 1);
    if (units - end > TRIM_SLACK) fs.ftruncateSync(this.holdFd, end * UNIT);
    return slots;
  }

  /** Whether `slot` (from the last scan) is a request for `name`. */
  isNamed(slot: Slot, name: EncodedName): boolean {
    return (
      slot.hash === name.hash &&
      slot.nameLength === name.bytes.length &&
      this.#buf.compare(name.bytes, 0, name.bytes.length, slot.nameAt, slot.nameAt + slot.nameLength) === 0
    );
  }

  /** The name of `slot` (from the last scan). */
  nameOf(slot: Slot): string {
    return this.#buf.toString('utf16le', slot.nameAt, slot.nameAt + slot.nameLength);
  }

  /** The clientId of `slot` (from the last scan). */
  clientOf(slot: Slot): string {
    return this.#buf.toString('utf16le', slot.clientAt, slot.clientAt + slot.clientLength);
  }

  /**
   * Allocates a slot for a new request (call under {@link locked}, right after {@link scan}
   * returned `slots`): first fit among the free units, else at the end of the file. The slot
   * is live (L write-locked through `holdFd`) when this returns; returns its first unit.
   */
  allocate(slots: readonly Slot[], state: SlotState, mode: LockMode, ticket: number, name: EncodedName, clientId: EncodedName): number {
    const length = NAME_AT + name.bytes.length + clientId.bytes.length;
    const span = Math.ceil(length / UNIT);
    if (this.#record.length < span * UNIT) this.#record = Buffer.alloc(span * UNIT);
    const record = this.#record;
    record.fill(0, 0, span * UNIT);
    record[0] = state;
    record[1] = mode === 'shared' ? 1 : 0;
    record.writeUInt32LE(span, 4);
    record.writeDoubleLE(ticket, 8);
    record.writeUInt32LE(name.bytes.length, 16);
    record.writeUInt32LE(clientId.bytes.length, 20);
    record.writeUInt32LE(name.hash, 24);
    record.writeUInt32LE(process.pid, 28);
    name.bytes.copy(record, NAME_AT);
    clientId.bytes.copy(record, NAME_AT + name.bytes.length);
    const unit = this.#claim(slots, span);
    try {
      fs.writeSync(this.holdFd, record, 0, span * UNIT, unit * UNIT);
    } catch (err) {
      setLock(this.holdFd, 'ofd', 'unlock', livenessByte(unit), 2);
      throw err;
    }
    setLock(this.holdFd, 'ofd', 'unlock', watchByte(unit), 1);
    return unit;
  }

  /**
   * Locks L and W of the first start unit, in the gaps between live `slots` and then past
   * them, that leaves `span` units free. A start whose L or W another owner holds (a watcher
   * of a freed slot, or a waiter thread granted a moment ago) is skipped.
   */
  #claim(slots: readonly Slot[], span: number): number {
    let from = 1;
    for (const slot of slots) {
      for (let unit = from; unit + span <= slot.unit; unit++) if (this.#tryLock(unit)) return unit;
      from = slot.unit + slot.units;
    }
    for (let unit = from; ; unit++) if (this.#tryLock(unit)) return unit;
  }

  #tryLock(unit: number): boolean {
    return setLock(this.holdFd, 'ofd', 'write', livenessByte(unit), 2);
  }

  /** Rewrites the state of a live slot (call under {@link locked}). */
  setState(unit: number, state: SlotState): void {
    writeState(this.holdFd, unit, state);
  }

  /** The state byte of `unit` as it is in the file now (no lock needed: one byte). */
  stateOf(unit: number): SlotState {
    const one = Buffer.alloc(1);
    fs.readSync(this.watchFd, one, 0, 1, livenessByte(unit));
    return one[0];
  }

  /** Frees this manager's slot: marks it free, then drops its liveness lock. */
  free(unit: number): void {
    try {
      writeState(this.holdFd, unit, SlotState.Free);
    } finally {
      setLock(this.holdFd, 'ofd', 'unlock', livenessByte(unit), 1);
    }
  }
}

const stateByte = Buffer.alloc(1);

function writeState(fd: number, unit: number, state: SlotState): void {
  stateByte[0] = state;
  fs.writeSync(fd, stateByte, 0, 1, livenessByte(unit));
}

function headerBytes(): Buffer {
  const header = Buffer.alloc(UNIT);
  MAGIC.copy(header, 8);
  return header;
}

/**
 * The exact counter of the reliability workload: an append-only file of fixed-size records,
 * record `i` (from 0) holding the number `i + 1`. A participant holding the counter's write
 * lock reads the last record, holds a little, and appends the next number in one `write`
 * (which a SIGKILL cannot tear), so with exclusive grants the file is always `1, 2, 3, ...`; two holders at
 * once both append the same number, and the file shows it forever after (kills included).
 */
import * as fs from 'node:fs';

/** Lock index that guards the counter (inside the workload's index space, so its rounds also contend with the others). */
export const COUNTER_INDEX = 0;

const RECORD = 16;

function encode(n: number): Buffer {
  return Buffer.from(`${String(n).padStart(RECORD - 1, '0')}\n`, 'latin1');
}

/** One participant's handle on the counter file. */
export class CounterFile {
  readonly #fd: number;

  constructor(path: string) {
    this.#fd = fs.openSync(path, 'a+');
  }

  /**
   * Under the counter's write lock: how many records the file has, and what was wrong with
   * it (undefined: it is exact so far). The holder then appends `count + 1` with {@link append}.
   */
  read(): { count: number; wrong: string | undefined } {
    const size = fs.fstatSync(this.#fd).size;
    const count = Math.floor(size / RECORD);
    if (size % RECORD !== 0) return { count, wrong: `size ${size} is not a whole number of records` };
    if (count === 0) return { count, wrong: undefined };
    const last = Buffer.alloc(RECORD);
    fs.readSync(this.#fd, last, 0, RECORD, size - RECORD);
    const value = Number.parseInt(last.toString('latin1'), 10);
    return { count, wrong: value === count ? undefined : `record ${count} holds ${value}` };
  }

  /** Appends the record of `n` in one write. */
  append(n: number): void {
    fs.writeSync(this.#fd, encode(n));
  }

  close(): void {
    fs.closeSync(this.#fd);
  }
}

/** The counter file's increments and the positions where it is not exact (at most 10 listed). */
export function checkCounter(path: string): { increments: number; wrong: number; details: string[] } {
  const text = fs.existsSync(path) ? fs.readFileSync(path, 'latin1') : '';
  const records = text.length / RECORD;
  let wrong = text.length % RECORD === 0 ? 0 : 1;
  const details = wrong === 0 ? [] : [`counter file size ${text.length} is not a whole number of records`];
  for (let i = 0; i < Math.floor(records); i++) {
    const value = Number.parseInt(text.slice(i * RECORD, (i + 1) * RECORD), 10);
    if (value === i + 1) continue;
    wrong++;
    if (details.length < 10) details.push(`counter record ${i} holds ${value}, not ${i + 1}`);
  }
  return { increments: Math.floor(records), wrong, details };
}

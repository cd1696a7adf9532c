/**
 * A compact log-bucket latency histogram (about 2 % resolution) that worker processes fill and
 * the runner merges. The Python helpers use the same bucket formula (see `python/common.py`).
 *
 * @packageDocumentation
 */

/** Bucket growth factor: each bucket is 2 % wider than the previous one. */
const BASE = 1.02;
/** Smallest resolved value, in microseconds. */
const FLOOR_US = 0.01;
const LOG_BASE = Math.log(BASE);

/** Serializable form sent from a worker to the runner. */
export interface HistogramData {
  /** `[bucket, count]` pairs for non-empty buckets. */
  readonly buckets: ReadonlyArray<readonly [number, number]>;
  /** Number of samples. */
  readonly count: number;
  /** Sum of samples, in µs. */
  readonly sumUs: number;
  /** Largest sample, exact, in µs. */
  readonly maxUs: number;
}

/** Bucket index of a latency in µs. */
export function bucketOf(us: number): number {
  return us <= FLOOR_US ? 0 : Math.floor(Math.log(us / FLOOR_US) / LOG_BASE) + 1;
}

/** Representative value (geometric middle) of a bucket, in µs. */
export function bucketValue(bucket: number): number {
  return bucket === 0 ? FLOOR_US : FLOOR_US * BASE ** (bucket - 0.5);
}

/** Accumulates samples. */
export class Histogram {
  private readonly counts = new Map<number, number>();
  private n = 0;
  private sum = 0;
  private max = 0;

  /** Adds one sample in µs. */
  record(us: number): void {
    const b = bucketOf(us);
    this.counts.set(b, (this.counts.get(b) ?? 0) + 1);
    this.n++;
    this.sum += us;
    if (us > this.max) this.max = us;
  }

  /** Adds every sample of `data`. */
  merge(data: HistogramData): void {
    for (const [b, c] of data.buckets) this.counts.set(b, (this.counts.get(b) ?? 0) + c);
    this.n += data.count;
    this.sum += data.sumUs;
    if (data.maxUs > this.max) this.max = data.maxUs;
  }

  /** Number of samples. */
  get count(): number {
    return this.n;
  }

  /** Largest sample in µs (exact). */
  get maxUs(): number {
    return this.max;
  }

  /** Mean in µs. */
  get meanUs(): number {
    return this.n === 0 ? Number.NaN : this.sum / this.n;
  }

  /** Nearest-rank percentile in µs (`p` in 0..100), to bucket resolution; p100 is the exact max. */
  percentile(p: number): number {
    if (this.n === 0) return Number.NaN;
    if (p >= 100) return this.max;
    const rank = Math.max(1, Math.ceil((p / 100) * this.n));
    let seen = 0;
    for (const b of [...this.counts.keys()].sort((x, y) => x - y)) {
      seen += this.counts.get(b)!;
      if (seen >= rank) return Math.min(bucketValue(b), this.max);
    }
    return this.max;
  }

  /** Serializable snapshot. */
  toData(): HistogramData {
    return { buckets: [...this.counts.entries()], count: this.n, sumUs: this.sum, maxUs: this.max };
  }
}

// Large buffers reused across requests. The first write to fresh memory page-faults: copying a 40 MB body into a
// new buffer took ~30–150 ms here, as long as the transfer itself, and glibc hands every allocation above 32 MB back
// to the kernel when it is freed, so a new one is fresh again. A buffer that served an earlier request is mapped
// already. The server reads request bodies into them (serving/body.ts); clients encode requests into them.

export class BufferPool {
  private free: ArrayBuffer[] = [];

  /** Keeps at most `keep` idle buffers, none larger than `maxBytes`. */
  constructor(
    private readonly keep = 2,
    private readonly maxBytes = Number.POSITIVE_INFINITY,
  ) {}

  /**
   * A buffer for `length` bytes: the smallest idle one that fits and is at most twice as large (a view of its first
   * bytes), else a new one. A 40 MB buffer lent to a 1 MB body would move 40 MB of external memory between the
   * threads' heaps with every request, and each move prompts garbage collections (measured: +10 ms per request).
   */
  take(length: number): Uint8Array {
    let best = -1;
    this.free.forEach((b, i) => {
      if (b.byteLength >= length && b.byteLength <= 2 * length && (best < 0 || b.byteLength < this.free[best]!.byteLength)) best = i;
    });
    if (best < 0) return new Uint8Array(new ArrayBuffer(length));
    const [buf] = this.free.splice(best, 1);
    return new Uint8Array(buf!, 0, length);
  }

  /** Takes a buffer back (detached or oversized ones are dropped; beyond `keep`, the smallest goes). */
  give(buf: ArrayBuffer): void {
    if (buf.byteLength === 0 || buf.byteLength > this.maxBytes) return;
    this.free.push(buf);
    if (this.free.length > this.keep) {
      this.free.sort((a, b) => b.byteLength - a.byteLength);
      this.free.length = this.keep;
    }
  }

  get idleBytes(): number {
    return this.free.reduce((n, b) => n + b.byteLength, 0);
  }
}


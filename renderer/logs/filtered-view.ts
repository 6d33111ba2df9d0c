// The rows a filter lets through: a sorted list of absolute buffer indexes in a typed array.
// Appends and front evictions are O(1); membership changes of updated rows are a binary
// search and one block move. Never holds entries, only their indexes.

export class FilteredView {
  private indexes = new Float64Array(1024);
  private head = 0;
  private tail = 0;

  get length(): number {
    return this.tail - this.head;
  }

  /** Buffer index of the row at this position. */
  at(position: number): number {
    return this.indexes[this.head + position]!;
  }

  clear(): void {
    this.head = this.tail = 0;
  }

  push(index: number): void {
    if (this.tail === this.indexes.length) this.makeRoom();
    this.indexes[this.tail++] = index;
  }

  /** Drops rows whose buffer index fell out of the buffer; returns how many. */
  dropBefore(index: number): number {
    const from = this.head;
    while (this.head < this.tail && this.indexes[this.head]! < index) this.head++;
    return this.head - from;
  }

  /** Position of a buffer index, or -1. */
  positionOf(index: number): number {
    const p = this.lowerBound(index);
    return p < this.tail && this.indexes[p] === index ? p - this.head : -1;
  }

  /** Adds or removes a row whose filter result changed; returns whether anything moved. */
  set(index: number, member: boolean): boolean {
    const p = this.lowerBound(index);
    const present = p < this.tail && this.indexes[p] === index;
    if (present === member) return false;
    if (member) {
      if (this.tail === this.indexes.length) {
        const offset = this.head;
        this.makeRoom();
        return this.insertAt(p - offset + this.head, index);
      }
      return this.insertAt(p, index);
    }
    this.indexes.copyWithin(p, p + 1, this.tail);
    this.tail--;
    return true;
  }

  private insertAt(p: number, index: number): boolean {
    this.indexes.copyWithin(p + 1, p, this.tail);
    this.indexes[p] = index;
    this.tail++;
    return true;
  }

  private lowerBound(index: number): number {
    let lo = this.head;
    let hi = this.tail;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.indexes[mid]! < index) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Compacts to the front, growing only when the live rows fill more than half. */
  private makeRoom(): void {
    const live = this.length;
    if (live * 2 > this.indexes.length) {
      const grown = new Float64Array(this.indexes.length * 2);
      grown.set(this.indexes.subarray(this.head, this.tail));
      this.indexes = grown;
    } else {
      this.indexes.copyWithin(0, this.head, this.tail);
    }
    this.head = 0;
    this.tail = live;
  }
}

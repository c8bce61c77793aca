/** A binary min-heap of timed events for the release simulation. Pure. */

export interface SimEvent {
  /** Hours since the simulation started. */
  time: number;
  node: number;
  type: number;
}

export class EventQueue {
  private readonly heap: SimEvent[] = [];

  get size(): number {
    return this.heap.length;
  }

  push(event: SimEvent): void {
    const heap = this.heap;
    heap.push(event);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent].time <= event.time) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = event;
  }

  /** The earliest event's time; Infinity when empty. */
  peekTime(): number {
    return this.heap.length > 0 ? this.heap[0].time : Infinity;
  }

  pop(): SimEvent | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && heap[right].time < heap[left].time ? right : left;
      if (heap[child].time >= last.time) break;
      heap[i] = heap[child];
      i = child;
    }
    heap[i] = last;
    return top;
  }
}

/**
 * What this process is working on right now: datasets a restore receives into and object keys a
 * backup uploads to. Recovery skips these whatever their age, so a cleanup pass (at start-up or on
 * demand) never removes the work of a job that is running in this agent at the same moment.
 */
class InFlight {
  private readonly counts = new Map<string, number>();

  /** Marks `name` in use until the returned release function is called. */
  claim(kind: 'dataset' | 'key', name: string): () => void {
    const k = `${kind}\0${name}`;
    this.counts.set(k, (this.counts.get(k) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = (this.counts.get(k) ?? 1) - 1;
      if (n <= 0) this.counts.delete(k);
      else this.counts.set(k, n);
    };
  }

  has(kind: 'dataset' | 'key', name: string): boolean {
    return this.counts.has(`${kind}\0${name}`);
  }
}

export const inFlight = new InFlight();

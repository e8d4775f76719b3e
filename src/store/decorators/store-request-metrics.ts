import { Counter, Histogram, type Registry } from 'prom-client';
import type { CallKind } from './call-kind.js';
import type { StoreMetricsSink, StoreOutcome } from './metered-store.js';

/** The MeteredStore's sink as two Prometheus series on `registry`. */
export class StoreRequestMetrics implements StoreMetricsSink {
  readonly requests: Counter<'call' | 'outcome'>;
  readonly seconds: Histogram<'call'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.requests = new Counter({
      name: 'snapstream_store_requests_total',
      help: 'Object store requests by call (putPart, getRange, head, ...) and outcome (ok, not_found, retryable, failed); every retry attempt counts',
      labelNames: ['call', 'outcome'],
      registers,
    });
    this.seconds = new Histogram({
      name: 'snapstream_store_request_seconds',
      help: 'Object store request latency by call',
      labelNames: ['call'],
      buckets: [0.005, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120],
      registers,
    });
  }

  observe(kind: CallKind, outcome: StoreOutcome, seconds: number): void {
    this.requests.inc({ call: kind, outcome });
    this.seconds.observe({ call: kind }, seconds);
  }
}

// Prometheus metrics for /metrics. A registry per server, so several servers in one process stay separate.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { STAGE_NAMES, type StageTimings } from './op.ts';

const STAGES = [...STAGE_NAMES, 'total'] as const;

export class ServingMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'protocol' | 'op' | 'err_no'>;
  private readonly stages: Histogram<'stage' | 'protocol'>;
  readonly inFlight: Gauge;

  constructor(inFlight: () => number, queued: () => number) {
    collectDefaultMetrics({ register: this.registry, prefix: 'vidserve_' });
    this.requests = new Counter({
      name: 'vidserve_requests_total',
      help: 'Prediction requests answered, by protocol, op and err_no (0 = success)',
      labelNames: ['protocol', 'op', 'err_no'],
      registers: [this.registry],
    });
    this.stages = new Histogram({
      name: 'vidserve_stage_seconds',
      help: 'Time per request stage (receive, parse, base64, decode, preprocess, queue, infer, postprocess, total)',
      labelNames: ['stage', 'protocol'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers: [this.registry],
    });
    this.inFlight = new Gauge({
      name: 'vidserve_in_flight_requests',
      help: 'Requests inside the op (preparing, queued or running)',
      registers: [this.registry],
      collect() {
        this.set(inFlight());
      },
    });
    new Gauge({
      name: 'vidserve_queued_requests',
      help: 'Requests waiting for a worker',
      registers: [this.registry],
      collect() {
        this.set(queued());
      },
    });
  }

  observe(protocol: string, op: string, errNo: number, timings?: Partial<StageTimings>): void {
    this.requests.inc({ protocol, op, err_no: String(errNo) });
    if (!timings) return;
    for (const s of STAGES) {
      const v = timings[s];
      if (v !== undefined) this.stages.observe({ stage: s, protocol }, v / 1000);
    }
  }
}

/** A history built scan by scan from per-node specs, for the judge's unit tests. */
import {
  type Cohort,
  type NodeMode,
  type NodeObservation,
  silentObservation,
} from '../../../../src/gate/history/observation';
import { buildScan, NodeTable, type ScanRecord } from '../../../../src/gate/history/scanRecord';
import { PLATFORM_HEALTH } from '../../../../src/gate/sim/platform';

/** `os`: the platform the node's health word reports (ArcaneOS or not); absent: no health recorded. */
export type Answer = { v: string; m?: NodeMode; r?: string; k?: Cohort; c?: string; os?: 'arcane' | 'other' };
export type Spec = Answer | 'silent' | 'gone';

export const hour = (h: number) => new Date(Date.UTC(2026, 0, 1, 0, h * 60)).toISOString();
export const PRE: Answer = { v: '1.0', m: 'preprod', r: 'selected', k: 'selected', c: '1000000aaa' };
export const PROD: Answer = { v: '0.9', m: 'production', r: 'not-selected', k: 'not-selected', c: '0900000aaa' };
export const ON_RELEASE: Answer = { ...PRE, v: '2.0', c: 'abcdef0123' };
export const CRASHED: Answer = { v: '0.9', m: 'production', r: 'crash-loop', k: 'selected', c: '0900000aaa' };

function observation(node: string, spec: Exclude<Spec, 'gone'>): NodeObservation {
  if (spec === 'silent') return silentObservation(node, 'timeout');
  return {
    node,
    answered: true,
    failure: null,
    version: spec.v,
    commit: spec.c ?? null,
    mode: spec.m ?? 'production',
    reason: spec.r ?? null,
    cohort: spec.k ?? 'unknown',
    ...(spec.os === undefined ? {} : { health: PLATFORM_HEALTH[spec.os === 'arcane' ? 1 : 0] }),
  };
}

/** Nodes left out of a scan keep answering as before; 'gone' takes a node out of the targets. */
export class Bed {
  private readonly table = new NodeTable();
  readonly scans: ScanRecord[] = [];
  private readonly current = new Map<string, Spec>();
  private hours = 0;

  /** `after`: hours since the scan before (1 by default). */
  scan(changes: Record<string, Spec>, after = 1): this {
    for (const [node, spec] of Object.entries(changes)) this.current.set(node, spec);
    const observations: NodeObservation[] = [];
    for (const [node, spec] of this.current) if (spec !== 'gone') observations.push(observation(node, spec));
    if (this.scans.length > 0) this.hours += after;
    const record = buildScan(this.table, observations, hour(this.hours), this.scans.length + 1);
    this.table.apply(record);
    this.scans.push(record);
    return this;
  }

  /** Several scans, one per hour, with the same changes applied before the first. */
  hourly(count: number, changes: Record<string, Spec> = {}): this {
    this.scan(changes);
    for (let i = 1; i < count; i += 1) this.scan({});
    return this;
  }
}

/** `count` nodes named `prefix0`, `prefix1`, … all with `spec`. */
export function many(prefix: string, count: number, spec: Spec): Record<string, Spec> {
  const out: Record<string, Spec> = {};
  for (let i = 0; i < count; i += 1) out[`${prefix}${i}`] = spec;
  return out;
}

/**
 * Child process of the realistic fleet bench: a fake fleet on loopback that
 * behaves like the real one rather than like a local one. Honest nodes answer
 * after 50–300 ms; 5% never answer (black holes: the connection is accepted
 * and nothing comes back); 3% are hostile, in four equal parts: drip (a byte
 * a second, forever), huge (megabytes), deeply nested JSON, and
 * synchronised (each holds the last byte of an expensive reply until one
 * shared instant, so their parses all land at once). Hostile nodes never
 * give a usable answer, so the scan's `answered` count must equal the number
 * of honest nodes exactly.
 *
 * The plan is drawn from a seed. The parent sends `{type:'start'}` before
 * each scan; the synchronised nodes then release 2 s later. It exits when
 * the parent disconnects, and on its own after a deadline.
 *
 * Usage (from the bench): node build/bench/realisticFleetServer.js <nodes> <seed>
 */
import { seededRandom, type RandomSource } from '../src/cohort/random';
import type { Target } from '../src/fleet/targets';
import { type FakeNodeSpec, heavyBody, nestedBody, startFakeFleet } from '../test/support/fakeFleet';
import { openFilesLimits } from './fleetServer';

const KiB = 1024;
const BASE_PORT = 20000;
const PORTS_PER_HOST = 6000;
const SYNC_RELEASE_MS = 2000;
const DEADLINE_MS = 10 * 60_000;

export interface FleetPlan {
  nodes: number;
  honest: number;
  honestPreprod: number;
  blackHoles: number;
  hostile: { drip: number; huge: number; nested: number; sync: number };
}

export interface RealisticServerMessage {
  type: 'ready' | 'error';
  targets?: Target[];
  plan?: FleetPlan;
  message?: string;
}

type Role = 'honest' | 'black-hole' | 'drip' | 'huge' | 'nested' | 'sync';

/** Exact shares, then a seeded shuffle: every run of a seed scans the same fleet in the same order. */
function roles(nodes: number, random: RandomSource): Role[] {
  const blackHoles = Math.round(nodes * 0.05);
  const hostileEach = Math.round((nodes * 0.03) / 4);
  const list: Role[] = [
    ...Array.from({ length: blackHoles }, (): Role => 'black-hole'),
    ...(['drip', 'huge', 'nested', 'sync'] as const).flatMap((role) =>
      Array.from({ length: hostileEach }, (): Role => role),
    ),
  ];
  while (list.length < nodes) list.push('honest');
  for (let i = list.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [list[i], list[j]] = [list[j], list[i]];
  }
  return list;
}

/** A 60 KiB reply that costs a full parse and is still no FluxOS envelope. */
const SYNC_BODY = heavyBody(60 * KiB).replace('"status":"success"', '"status":"synchronised"');
const DEEP_SMALL = nestedBody(60 * KiB);
const DEEP_LARGE = nestedBody(960 * KiB);

function specFor(role: Role, index: number, random: RandomSource, preprod: boolean): FakeNodeSpec {
  switch (role) {
    case 'honest':
      return { kind: preprod ? 'preprod' : 'production', delayMs: 50 + Math.floor(random() * 251) };
    case 'black-hole':
      return { kind: 'hang' };
    case 'drip':
      return { kind: 'drip', dripIntervalMs: 1000 };
    case 'huge':
      return { kind: 'huge', hugeBytes: 50 * 1024 * KiB };
    case 'nested':
      return { kind: 'hostile', body: index % 2 === 0 ? DEEP_SMALL : DEEP_LARGE };
    case 'sync':
      return { kind: 'sync', body: SYNC_BODY, releaseAt: 0 };
  }
}

export function planFleet(nodes: number, seed: number): { specs: FakeNodeSpec[]; plan: FleetPlan } {
  const random = seededRandom(seed);
  const list = roles(nodes, random);
  const plan: FleetPlan = {
    nodes,
    honest: 0,
    honestPreprod: 0,
    blackHoles: 0,
    hostile: { drip: 0, huge: 0, nested: 0, sync: 0 },
  };
  const specs = list.map((role, index) => {
    const preprod = role === 'honest' && random() < 0.07;
    if (role === 'honest') {
      plan.honest += 1;
      if (preprod) plan.honestPreprod += 1;
    } else if (role === 'black-hole') plan.blackHoles += 1;
    else plan.hostile[role] += 1;
    return specFor(role, index, random, preprod);
  });
  return { specs, plan };
}

function send(message: RealisticServerMessage): void {
  process.send?.(message);
}

async function main(): Promise<void> {
  const nodes = Number(process.argv[2]);
  const seed = Number(process.argv[3] ?? 1);
  if (!Number.isInteger(nodes) || nodes < 1 || !Number.isInteger(seed)) {
    send({
      type: 'error',
      message: `Expected \`nodes\` and \`seed\` to be integers, got ${process.argv.slice(2).join(' ')}.`,
    });
    process.exit(2);
  }
  setTimeout(() => process.exit(0), DEADLINE_MS).unref();
  process.on('disconnect', () => process.exit(0));
  const soft = openFilesLimits()?.soft;
  if (soft !== undefined && soft < nodes + 2000) {
    send({ type: 'error', message: `Open-files soft limit ${soft} is too low for ${nodes} listening ports.` });
    process.exit(1);
  }
  const { specs, plan } = planFleet(nodes, seed);
  process.on('message', (message: { type?: string }) => {
    if (message?.type !== 'start') return;
    const releaseAt = Date.now() + SYNC_RELEASE_MS;
    for (const spec of specs) if (spec.kind === 'sync') spec.releaseAt = releaseAt;
  });
  // Fixed ports from 20000 on 127.0.0.2, 127.0.0.3, …: below the ephemeral range, off 127.0.0.1.
  const hostCount = Math.ceil(nodes / PORTS_PER_HOST);
  const hosts = Array.from({ length: hostCount }, (_, i) => `127.0.${Math.floor((i + 2) / 256)}.${(i + 2) % 256}`);
  const fleet = await startFakeFleet(specs, { hosts, basePort: BASE_PORT });
  send({ type: 'ready', targets: fleet.targets, plan });
}

if (require.main === module) {
  main().catch((error: unknown) => {
    send({ type: 'error', message: error instanceof Error ? error.message : String(error) });
    process.exit(1);
  });
}

import type { BootResult } from '../boot/service';
import type { SimulationReport } from '../cohort/simulate';

/** The human form of a boot or status result: a few aligned lines. */
export function formatBootResult(result: BootResult, command: 'boot' | 'status'): string {
  const lines: string[] = [];
  const node = result.preProdNode ? 'yes' : 'no';
  lines.push(`mode:        ${result.mode} (${result.reason})`);
  lines.push(`preprod:     ${node}${result.optedOut ? ', opted out by the operator' : ''}`);
  const { before, after, switched } = result.branch;
  if (switched) lines.push(`branch:      ${before ?? '(detached)'} → ${after} (switched)`);
  else if (command === 'status' && after !== null && after !== before)
    lines.push(`branch:      ${before ?? '(detached)'} (the next boot moves it to ${after})`);
  else lines.push(`branch:      ${before ?? after ?? '(unknown)'}`);
  if (result.commit) lines.push(`commit:      ${result.commit}`);
  if (result.cohort) lines.push(...cohortLines(result.cohort, command));
  if (command === 'boot' && switched) {
    lines.push(
      result.restart === 'none'
        ? 'restart:     required (restart FluxOS to run the new code)'
        : `restart:     ${result.restart}`,
    );
  }
  const pending = result.pendingSteps ?? (result.pending ? [result.pending] : []);
  if (command === 'status' && pending.length > 0)
    lines.push(
      `pending:     ${pending.join(', ')} (boot takes these steps; status may not, so its outcome may differ)`,
    );
  lines.push(`why:         ${result.message}`);
  return `${lines.join('\n')}\n`;
}

/** The cohort lines. A missing or unusable record has no draw yet (status never draws); a seed record has none. */
function cohortLines(c: NonNullable<BootResult['cohort']>, command: 'boot' | 'status'): string[] {
  const killed = c.probability === 0 ? ' (kill switch)' : '';
  if (c.draw === null && c.rolled) {
    return [`cohort:      no valid draw yet: the next boot draws, probability ${c.probability}${killed}`];
  }
  const draw =
    c.draw === null
      ? 'seed record (no draw)'
      : `draw ${c.draw.toFixed(4)} ${c.draw < c.probability ? '<' : '>='} ${c.probability}`;
  const drawn = c.rolled ? (command === 'boot' ? ' (drawn at this boot)' : '') : '';
  return [
    `cohort:      ${draw}${killed}`,
    `rolled:      ${c.rolledAt.slice(0, 10)}${drawn}; next roll ${c.nextRollAt.slice(0, 10)}`,
  ];
}

export function formatSimulation(report: SimulationReport): string {
  const p = report.parameters;
  const { expected } = report;
  const out = [
    `${p.nodes} nodes, ${p.months} months, probability ${p.probability}, seed ${p.seed}, ` +
      `restarts every ${p.meanRestartDays} days on average, ${(p.optOutShare * 100).toFixed(1)}% opted out`,
    `expected preprod: ${expected.preprod.toFixed(0)} (95% of the time ${expected.low}–${expected.high})`,
    '',
    'month  preprod  min    max    distinct-ever  boots    switches',
  ];
  for (const m of report.months) {
    out.push(
      [
        String(m.month).padEnd(6),
        String(m.preprod).padEnd(8),
        String(m.preprodMin).padEnd(6),
        String(m.preprodMax).padEnd(6),
        String(m.distinctEver).padEnd(14),
        String(m.boots).padEnd(8),
        String(m.switches),
      ].join(' '),
    );
  }
  return `${out.join('\n')}\n`;
}

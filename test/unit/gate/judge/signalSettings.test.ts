/**
 * The `gate.signals` settings (src/gate/judge/signalSettings.ts) and the gate's margins applied to a health
 * judgement (signalJudge.ts): defaults read from the signal rules, one-sentence errors, overrides from
 * `--config FILE`, and a history recorded before the signals judged without them, with a note.
 */
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { PreprodError } from '../../../../src/errors';
import { evaluateHistory } from '../../../../src/gate/judge/gate';
import { defaultGateSettings, readGateSettings } from '../../../../src/gate/judge/gateSettings';
import { judgeSignalsOfHistory, withMargins } from '../../../../src/gate/judge/signalJudge';
import { enabledSignals, validateSignalSettings } from '../../../../src/gate/judge/signalSettings';
import { SIGNAL_RULES } from '../../../../src/health/signalRules';
import { STRATA_DEFAULTS, type SignalJudgement } from '../../../../src/health/strata';
import { makeTempDir } from '../../../support/tmp';
import { Bed, many, ON_RELEASE, PRE, PROD } from './historyBed';

function errorOf(action: () => unknown): PreprodError {
  try {
    action();
  } catch (error) {
    expect(error).to.be.instanceOf(PreprodError);
    expect((error as PreprodError).kind).to.equal('config-invalid');
    return error as PreprodError;
  }
  throw new Error('expected a config-invalid error');
}

describe('gate.signals settings', () => {
  it('defaults to every signal on, with the margins of its rule and the statistics’ alpha', () => {
    const signals = defaultGateSettings().signals;
    expect(signals.alpha).to.equal(STRATA_DEFAULTS.alpha);
    for (const rule of SIGNAL_RULES) {
      expect(signals[rule.name]).to.deep.equal({ enabled: true, margin: rule.margin, haltMargin: rule.haltMargin });
    }
    expect(enabledSignals(signals)).to.deep.equal(SIGNAL_RULES.map((r) => r.name));
  });

  it('merges a --config block over the defaults, field by field', () => {
    const tmp = makeTempDir('signal-settings-');
    try {
      const file = path.join(tmp.dir, 'gate.json');
      const block = { alpha: 0.02, apps: { margin: 0.03 }, answer: { enabled: false } };
      writeFileSync(file, JSON.stringify({ gate: { signals: block } }));
      const signals = readGateSettings(file).signals;
      expect(signals.alpha).to.equal(0.02);
      expect(signals.apps).to.deep.equal({ enabled: true, margin: 0.03, haltMargin: 0 });
      expect(signals.answer.enabled).to.equal(false);
      const peers = SIGNAL_RULES.find((rule) => rule.name === 'peers');
      expect(signals.peers).to.deep.equal({ enabled: true, margin: peers?.margin, haltMargin: peers?.haltMargin });
      expect(enabledSignals(signals)).to.not.include('answer');
    } finally {
      tmp.remove();
    }
  });

  const bad: [string, unknown, string][] = [
    [
      'a negative margin',
      { apps: { margin: -0.01 } },
      'Expected `gate.signals.apps.margin` to be a number from 0 to below 1, got -0.01.',
    ],
    [
      'a margin as text',
      { sync: { haltMargin: '0' } },
      "Expected `gate.signals.sync.haltMargin` to be a number from 0 to below 1, got '0'.",
    ],
    [
      'enabled as text',
      { peers: { enabled: 'no' } },
      "Expected `gate.signals.peers.enabled` to be true or false, got 'no'.",
    ],
    ['an alpha of 0', { alpha: 0 }, 'Expected `gate.signals.alpha` to be a number above 0 and at most 0.5, got 0.'],
    ['an unknown signal', { appz: {} }, 'Unknown setting `gate.signals.appz`.'],
    ['an unknown field', { apps: { margn: 0.1 } }, 'Unknown setting `gate.signals.apps.margn`.'],
    [
      'a signal as a number',
      { apps: 1 },
      'Expected `gate.signals.apps` to be an object such as {"enabled": true, "margin": 0.01}, got 1.',
    ],
    ['a list', [], 'Expected `gate.signals` to be an object, got an empty array.'],
  ];
  for (const [name, raw, message] of bad) {
    it(`refuses ${name} with one sentence`, () => {
      expect(errorOf(() => validateSignalSettings(raw)).message).to.equal(message);
    });
  }
  it('names a hostile key escaped, never as markup or an escape code', () => {
    expect(errorOf(() => validateSignalSettings({ '\u001b[31mx': 1 })).message).to.equal(
      'Unknown setting `gate.signals.\\u001b[31mx`.',
    );
  });
});

describe('the gate’s margins on a health judgement', () => {
  const judgement: SignalJudgement = {
    alphaPerStratum: 0.001,
    halt: false,
    notWorse: true,
    strata: [
      { stratum: 'all', judged: true, bounds: { estimate: 0.004, low: -0.002, high: 0.009, nodes: 900 }, harm: false },
      {
        stratum: 'platform:arcane',
        judged: true,
        bounds: { estimate: 0.03, low: 0.004, high: 0.06, nodes: 90 },
        harm: false,
      },
      { stratum: 'provider:X', judged: false, bounds: { estimate: 0.2, low: 0.1, high: 0.3, nodes: 10 }, harm: false },
    ],
  };

  it('halts when a judged stratum’s lower bound passes the halt margin, never on an unjudged one', () => {
    const strict = withMargins(judgement, { enabled: true, margin: 0.01, haltMargin: 0 });
    expect([strict.halt, strict.notWorse]).to.deep.equal([true, true]);
    expect(strict.strata.map((s) => s.harm)).to.deep.equal([false, true, false]);
    const lenient = withMargins(judgement, { enabled: true, margin: 0.005, haltMargin: 0.01 });
    expect([lenient.halt, lenient.notWorse]).to.deep.equal([false, false]);
  });
});

describe('a history recorded before the health signals', () => {
  const bed = new Bed()
    .hourly(3, { ...many('p', 10, PRE), ...many('b', 10, PROD) })
    .hourly(6, many('p', 10, ON_RELEASE));

  it('gives no signal criteria and says why, and the other criteria judge as before', () => {
    const report = evaluateHistory(bed.scans, { settings: defaultGateSettings() });
    expect(report.reachedAt).to.not.equal(null);
    expect(report.criteria.filter((c) => c.name.startsWith('signal.'))).to.deep.equal([]);
    expect(report.signals?.note).to.match(/no health signals/);
    expect(report.signals?.signals).to.deep.equal([]);
    expect(report.criteria.map((c) => c.name)).to.include('health.dark.lower');
  });

  it('every signal turned off: no criteria, and the note says so', () => {
    const off = validateSignalSettings(Object.fromEntries(SIGNAL_RULES.map((r) => [r.name, { enabled: false }])));
    const judged = judgeSignalsOfHistory(bed.scans, ON_RELEASE.c as string, off);
    expect(judged.criteria).to.deep.equal([]);
    expect(judged.report.note).to.match(/turned off/);
  });
});

describe('the gate.signals table of docs/gate-operations.md', () => {
  // build/test/unit/gate/judge → the package root.
  const doc = readFileSync(path.resolve(__dirname, '../../../../../docs/gate-operations.md'), 'utf8');
  const cells = (key: string) =>
    doc
      .split('\n')
      .find((line) => line.startsWith(`| \`gate.signals.${key}\` |`))
      ?.split('|')
      .map((cell) => cell.trim());

  it('lists every signal with the defaults of its rule, and alpha', () => {
    const defaults = defaultGateSettings().signals;
    expect(cells('alpha')?.[3]).to.equal(String(defaults.alpha));
    for (const rule of SIGNAL_RULES) {
      const row = cells(rule.name);
      expect(row, `docs/gate-operations.md: add a row for gate.signals.${rule.name}`).to.not.equal(undefined);
      expect(row?.[3], `docs/gate-operations.md, gate.signals.${rule.name}`).to.equal(
        `${defaults[rule.name].margin}, ${defaults[rule.name].haltMargin}`,
      );
    }
  });
});

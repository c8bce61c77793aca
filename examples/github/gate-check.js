#!/usr/bin/env node
// The check step of the preprod → master pull request (examples/github/preprod-gate.yml).
// Asks a running `fluxos-preprod fleet watch` for the gate's current verdict and
//   - exits 0 only when the verdict is promote; 1 on halt, wait, inconclusive or anything else;
//     2 when the gate cannot be asked (unreachable, an error answer, not a verdict);
//   - appends the gate's Markdown report to $GITHUB_STEP_SUMMARY when that is set;
//   - with EXPECT_COMMIT (the pull request's head), fails unless the judged release is that commit.
// Environment: GATE_URL (required) the watch's base URL, e.g. https://gate.example.org:9464;
// GATE_TIMEOUT_MS (default 30000) per request. Node 20 or later, no dependencies.
// Strings from the gate (which come from nodes) are printed only as [0-9A-Za-z._+-]: a CI log
// must never get an escape code or a workflow command (`::…::`) from a node.
'use strict';

const fs = require('node:fs');

const VERDICTS = new Set(['promote', 'halt', 'wait', 'inconclusive']);
const MAX_BYTES = 8 * 1024 * 1024;
const EXIT = { promote: 0, notPromote: 1, cannotAsk: 2 };

function shown(value) {
  return String(value).replace(/[^0-9A-Za-z._+-]/g, '?').slice(0, 80);
}

function fail(code, sentence) {
  process.stdout.write(`preprod gate: ${sentence}\n`);
  process.exit(code);
}

function baseUrl(raw) {
  let url;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  url.pathname = url.pathname.replace(/\/(metrics|gate\.[a-z]+)?$/, '');
  url.search = '';
  url.hash = '';
  return url.href.replace(/\/$/, '');
}

async function fetchText(url, timeoutMs) {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
  const length = Number(response.headers.get('content-length') ?? 0);
  if (length > MAX_BYTES) throw new Error(`the answer is larger than ${MAX_BYTES} bytes`);
  const text = await response.text();
  if (text.length > MAX_BYTES) throw new Error(`the answer is larger than ${MAX_BYTES} bytes`);
  return { status: response.status, text };
}

function commitMatches(judged, expected) {
  if (typeof judged !== 'string' || !/^[0-9a-f]{7,40}$/.test(judged)) return false;
  const n = Math.min(judged.length, expected.length);
  return n >= 7 && judged.slice(0, n) === expected.slice(0, n);
}

async function main() {
  const base = baseUrl(process.env.GATE_URL ?? '');
  if (base === null) fail(EXIT.cannotAsk, 'Expected GATE_URL to be the http(s) URL of a fleet watch.');
  const timeoutMs = Number(process.env.GATE_TIMEOUT_MS ?? 30000);
  if (!(timeoutMs >= 1000 && timeoutMs <= 600000)) fail(EXIT.cannotAsk, 'Expected GATE_TIMEOUT_MS in 1000..600000.');
  let json;
  try {
    const answer = await fetchText(`${base}/gate.json`, timeoutMs);
    if (answer.status !== 200) fail(EXIT.cannotAsk, `the watch has no verdict (HTTP ${answer.status}).`);
    json = JSON.parse(answer.text);
  } catch (error) {
    fail(EXIT.cannotAsk, `cannot ask the watch: ${shown(error && error.name)}.`);
  }
  const verdict = json && typeof json.verdict === 'string' && VERDICTS.has(json.verdict) ? json.verdict : null;
  if (verdict === null) fail(EXIT.cannotAsk, 'the watch answered something that is not a verdict.');
  const summary = process.env.GITHUB_STEP_SUMMARY;
  if (summary) {
    try {
      const md = await fetchText(`${base}/gate.md`, timeoutMs);
      if (md.status === 200) fs.appendFileSync(summary, md.text);
    } catch {
      // The summary is a courtesy: the verdict decides the check.
    }
  }
  const release = json.release || {};
  const name = `${shown(release.version ?? 'none')} (${shown(release.commit ?? 'no commit')})`;
  const expected = (process.env.EXPECT_COMMIT ?? '').toLowerCase();
  if (expected !== '' && !commitMatches(release.commit, expected))
    fail(EXIT.notPromote, `${verdict} on ${name}, but the pull request's head is ${shown(expected.slice(0, 12))}.`);
  if (verdict === 'promote') fail(EXIT.promote, `promote: ${name} may go to master.`);
  fail(EXIT.notPromote, `${verdict}: ${name} may not go to master yet.`);
}

main();

/**
 * JUnit XML for CI systems (the de facto schema read by Jenkins, GitLab, GitHub test
 * reporters): one <testsuite> per check run, one <testcase> per baseline condition, a
 * <failure> inside each one that failed.
 */
import type { ConditionResult } from '../eval/baseline.js';

/** Escapes text for XML attributes and content, dropping characters XML 1.0 does not allow. */
export function xmlEscape(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

export function junitXml(args: { suite: string; results: ConditionResult[]; seconds: number; properties: Record<string, string> }): string {
  const failures = args.results.filter((r) => !r.passed).length;
  const tests = args.results.length;
  const time = args.seconds.toFixed(3);
  const a = xmlEscape;
  const cases = args.results.map((r) => {
    const open = `    <testcase classname="snnc.check" name="${a(r.name)}" time="0">`;
    if (r.passed) return `${open}</testcase>`;
    const message = `expected ${r.expected}, measured ${r.measured}`;
    return `${open}\n      <failure type="regression" message="${a(message)}">${a(`${r.name}\nexpected: ${r.expected}\nmeasured: ${r.measured}`)}</failure>\n    </testcase>`;
  });
  const props = Object.entries(args.properties).map(([k, v]) => `      <property name="${a(k)}" value="${a(v)}"/>`);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="snnc check" tests="${tests}" failures="${failures}" errors="0" time="${time}">`,
    `  <testsuite name="${a(args.suite)}" tests="${tests}" failures="${failures}" errors="0" skipped="0" time="${time}">`,
    '    <properties>',
    ...props,
    '    </properties>',
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

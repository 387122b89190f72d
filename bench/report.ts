import { approachLabels, type ApproachName } from './approaches.js';
import { MiB, type PhotoSet } from './photo-sets.js';
import type { WorkerAnswer } from './worker.js';

export const TARGET_RATIO = 0.9;
export const TARGET_RSS_GROWTH = 64 * MiB;

export interface ApproachSummary {
  readonly approach: ApproachName;
  readonly label: string;
  readonly runs: readonly WorkerAnswer[];
  readonly medianWallMs: number;
  readonly minWallMs: number;
  readonly maxWallMs: number;
  readonly medianCpuMs: number;
  /** Photo bytes per second of median wall time, in MiB/s. */
  readonly throughputMiBs: number;
  /** Throughput relative to the raw copy of the same bytes in the same run (raw time / this time). */
  readonly vsRawCopy: number;
  readonly medianPhasesMs: Record<string, number>;
  readonly maxRssGrowth: number;
  /** Highest RSS left after the work and a forced GC, over the baseline. */
  readonly maxRetained: number;
  /** Highest absolute RSS of any run: steadier than the growth, whose baseline moves by a few tens of MiB. */
  readonly maxPeakRss: number;
  readonly bytesOut: number;
  /** All runs verified, none did, or the approach does not verify. */
  readonly verified: boolean | null;
}

export interface SetSummary {
  readonly set: PhotoSet;
  readonly photoBytes: number;
  readonly approaches: readonly ApproachSummary[];
  /** Our packager's build alone against the raw copy (the read-back is the extra pass). */
  readonly packagerBuildOnlyVsRawCopy: number | null;
  /** 1-minute load average when the set started and ended: other work on the machine skews wall times. */
  readonly loadAverage: { readonly start: number; readonly end: number };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function summarizeSet(
  set: PhotoSet,
  photoBytes: number,
  answers: readonly WorkerAnswer[],
  loadAverage: SetSummary['loadAverage'],
): SetSummary {
  const byApproach = new Map<ApproachName, WorkerAnswer[]>();
  for (const answer of answers) byApproach.set(answer.approach, [...(byApproach.get(answer.approach) ?? []), answer]);
  const rawMs = median((byApproach.get('raw-copy') ?? []).map((answer) => answer.wallMs));
  const approaches = [...byApproach.entries()].map(([approach, runs]): ApproachSummary => {
    const walls = runs.map((run) => run.wallMs);
    const wall = median(walls);
    const phaseNames = Object.keys(runs[0]?.outcome.phases ?? {});
    const verifiedRuns = runs.map((run) => run.outcome.verified);
    return {
      approach,
      label: approachLabels[approach],
      runs,
      medianWallMs: wall,
      minWallMs: Math.min(...walls),
      maxWallMs: Math.max(...walls),
      medianCpuMs: median(runs.map((run) => run.cpuMs)),
      throughputMiBs: photoBytes / MiB / (wall / 1000),
      vsRawCopy: rawMs / wall,
      medianPhasesMs: Object.fromEntries(phaseNames.map((name) => [name, median(runs.map((run) => run.outcome.phases[name] ?? 0))])),
      maxRssGrowth: Math.max(...runs.map((run) => run.rss.growth)),
      maxRetained: Math.max(...runs.map((run) => run.rss.retained)),
      maxPeakRss: Math.max(...runs.map((run) => run.rss.peak)),
      bytesOut: runs[0]?.outcome.bytesOut ?? 0,
      verified: verifiedRuns.every((verified) => verified === null) ? null : verifiedRuns.every((verified) => verified?.ok === true),
    };
  });
  const packager = byApproach.get('s3-packager');
  const buildMs = packager ? median(packager.map((run) => run.outcome.phases['build'] ?? Number.NaN)) : null;
  return { set, photoBytes, approaches, packagerBuildOnlyVsRawCopy: buildMs === null ? null : rawMs / buildMs, loadAverage };
}

const seconds = (ms: number): string => (ms / 1000).toFixed(2);
const mib = (bytes: number): string => (bytes / MiB).toFixed(1);

function row(cells: readonly string[], widths: readonly number[]): string {
  return cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
}

export function renderSet(summary: SetSummary): string {
  const header = ['approach', 'wall s (median)', 'min-max s', 'MiB/s', 'vs raw', 'CPU s', 'RSS growth MiB', 'peak RSS MiB', 'after GC MiB', 'verified'];
  const rows = summary.approaches.map((entry) => [
    entry.label,
    seconds(entry.medianWallMs),
    `${seconds(entry.minWallMs)}-${seconds(entry.maxWallMs)}`,
    entry.throughputMiBs.toFixed(1),
    `${entry.vsRawCopy.toFixed(2)}x`,
    seconds(entry.medianCpuMs),
    mib(entry.maxRssGrowth),
    mib(entry.maxPeakRss),
    mib(entry.maxRetained),
    entry.verified === null ? '-' : entry.verified ? 'yes' : 'NO',
  ]);
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((cells) => cells[i]!.length)));
  const phases = summary.approaches
    .filter((entry) => Object.keys(entry.medianPhasesMs).length > 0)
    .map((entry) => `  ${entry.label}: ${Object.entries(entry.medianPhasesMs).map(([name, ms]) => `${name} ${seconds(ms)} s`).join(', ')}`);
  return [
    `${summary.set.label} (${mib(summary.photoBytes)} MiB of photos), ${summary.approaches[0]?.runs.length ?? 0} run(s) each, ` +
      `load average ${summary.loadAverage.start.toFixed(1)} -> ${summary.loadAverage.end.toFixed(1)}`,
    row(header, widths),
    row(widths.map((width) => '-'.repeat(width)), widths),
    ...rows.map((cells) => row(cells, widths)),
    'RSS growth per run (MiB, in run order):',
    ...summary.approaches.map((entry) => `  ${entry.label}: ${entry.runs.map((run) => mib(run.rss.growth)).join(', ')}`),
    'median phases:',
    ...phases,
    summary.packagerBuildOnlyVsRawCopy === null ? '' : `S3Packager build alone vs raw copy: ${summary.packagerBuildOnlyVsRawCopy.toFixed(2)}x`,
  ].join('\n');
}

export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
}

/** The issue's targets, judged on the largest set of the run. */
export function checkTargets(summary: SetSummary): TargetCheck[] {
  const ours = summary.approaches.find((entry) => entry.approach === 's3-packager');
  if (!ours) return [];
  return [
    {
      target: `S3Packager build + readBack >= ${TARGET_RATIO}x raw copy throughput (${summary.set.label})`,
      measured: `${ours.vsRawCopy.toFixed(2)}x`,
      met: ours.vsRawCopy >= TARGET_RATIO,
    },
    {
      target: `S3Packager RSS growth <= ${mib(TARGET_RSS_GROWTH)} MiB (${summary.set.label})`,
      measured: `${mib(ours.maxRssGrowth)} MiB`,
      met: ours.maxRssGrowth <= TARGET_RSS_GROWTH,
    },
    { target: 'S3Packager read-back matches every seeded photo', measured: String(ours.verified), met: ours.verified === true },
  ];
}

export function renderTargets(checks: readonly TargetCheck[]): string {
  return ['targets:', ...checks.map((check) => `  [${check.met ? 'met' : 'MISSED'}] ${check.target}: ${check.measured}`)].join('\n');
}

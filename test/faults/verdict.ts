import type { Figures } from './audit.js';

/** What makes a scenario fail: anything lost or duplicated, an unexpected failure, a mirror that disagrees. */
export function verdict(f: Figures): string[] {
  const problems: string[] = [];
  if (f.accepted === 0) problems.push('nothing was accepted: the scenario proved nothing');
  if (f.lost > 0) problems.push(`${f.lost} lost: ${f.lostIds.slice(0, 5).join('; ')}`);
  if (f.duplicated > 0) problems.push(`${f.duplicated} duplicated: ${f.duplicatedIds.slice(0, 5).join('; ')}`);
  if (f.failed > 0) problems.push(`${f.failed} failed: ${f.failedIds.slice(0, 5).join('; ')}`);
  if (f.mirrorDisagreements.length > 0) problems.push(`mirror disagrees with Temporal: ${f.mirrorDisagreements.slice(0, 5).join('; ')}`);
  problems.push(...f.problems);
  return problems;
}

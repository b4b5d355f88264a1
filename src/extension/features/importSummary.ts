import type { LabelImportSummary } from '../../protocol/featureIndex';

/** What the user is told after Import Feature Labels…: counts, where they went, the first reasons for skipped lines. Pure. */

const SHOWN_REASONS = 2;
const REASON_CHARS = 160;

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function shorten(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > REASON_CHARS ? `${line.slice(0, REASON_CHARS - 1)}…` : line;
}

export interface ImportMessage {
  /** 'warning' when lines were skipped or nothing was imported. */
  severity: 'info' | 'warning';
  message: string;
}

/** `where` names the SAE (its hook). */
export function importSummaryMessage(summary: LabelImportSummary, where: string): ImportMessage {
  let message = `MechLens: imported ${count(summary.imported, 'label', 'labels')} for ${where} into ${summary.file}`;
  if (summary.skipped > 0) {
    const reasons = summary.reasons.slice(0, SHOWN_REASONS).map(shorten);
    message += `; skipped ${count(summary.skipped, 'entry', 'entries')}`;
    if (reasons.length > 0) message += ` (${reasons.join('; ')}${summary.skipped > reasons.length ? '; more in the MechLens log' : ''})`;
  }
  return { severity: summary.skipped > 0 || summary.imported === 0 ? 'warning' : 'info', message: `${message}.` };
}

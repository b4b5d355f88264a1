/**
 * A context token's text with its whitespace made visible, as SAEDashboard shows it: a space is ·,
 * a line break ↵, a tab →, and an empty token ∅. Pure: it returns pieces the caller puts in as text,
 * each saying whether it is a whitespace mark (drawn muted).
 */

export interface TokenPiece {
  text: string;
  mark: boolean;
}

const MARKS: Record<string, string> = { ' ': '·', '\u00a0': '·', '\t': '→', '\n': '↵', '\r\n': '↵', '\r': '↵' };

export function tokenPieces(text: string): TokenPiece[] {
  if (text === '') return [{ text: '∅', mark: true }];
  const pieces: TokenPiece[] = [];
  for (const part of text.split(/(\r\n|[ \u00a0\t\n\r])/)) {
    if (part === '') continue;
    const mark = MARKS[part];
    const last = pieces.at(-1);
    const piece = mark === undefined ? { text: part, mark: false } : { text: mark, mark: true };
    if (last && last.mark === piece.mark) last.text += piece.text;
    else pieces.push(piece);
  }
  return pieces;
}

/** The shade of a token: its activation over the page's largest, in [0, 1]. */
export function intensity(activation: number, pageMax: number): number {
  if (!(pageMax > 0) || !(activation > 0)) return 0;
  return Math.min(1, activation / pageMax);
}

/**
 * The MechLens prompt-file language (`*.prompts`): named cases, each a prompt or a clean/corrupted
 * pair with optional answer and wrong-answer tokens.
 *
 *   # a comment (a line starting with #)
 *   [ioi-mary-john]                      a case starts with its name in brackets
 *   clean: When Mary and John went to the store, John gave a drink to
 *   corrupted: When Mary and John went to the store, Mary gave a drink to
 *   answer: " Mary"                      a value in double quotes is a JSON string (exact spaces)
 *   wrong: " John"
 *
 *   [story]
 *   prompt: """                          a multi-line value: the lines up to a line of """
 *   Once upon a time
 *   there was a cat.
 *   """
 *
 * Otherwise a value is the rest of the line after `key:` and one space, kept exactly
 * (trailing spaces included). The parser never throws: problems come back with their line.
 * Pure TypeScript: used by the extension (CodeLens, diagnostics) and the CLI.
 */

export type CaseField = 'prompt' | 'clean' | 'corrupted' | 'answer' | 'wrong';
const FIELDS: readonly CaseField[] = ['prompt', 'clean', 'corrupted', 'answer', 'wrong'];

export interface PromptCase {
  name: string;
  /** 0-based line of the `[name]` header, and the last line of the case. */
  line: number;
  endLine: number;
  prompt?: string;
  clean?: string;
  corrupted?: string;
  answer?: string;
  wrong?: string;
  /** The line each field's value starts on. */
  fieldLines: Partial<Record<CaseField, number>>;
  /** Where each value's text starts in the document, when its characters appear there one for one (not quoted). */
  valueStarts: Partial<Record<CaseField, { line: number; character: number }>>;
}

export interface PromptFileProblem {
  line: number;
  message: string;
}

export interface ParsedPromptFile {
  cases: PromptCase[];
  problems: PromptFileProblem[];
}

const HEADER = /^\[([^\]]*)\]\s*$/;
const FIELD = /^([A-Za-z_]+):(.*)$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export function parsePromptFile(text: string): ParsedPromptFile {
  const lines = text.split(/\r?\n/);
  const cases: PromptCase[] = [];
  const problems: PromptFileProblem[] = [];
  const names = new Map<string, number>();
  let current: PromptCase | undefined;

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '' || line.startsWith('#')) continue;
    const header = HEADER.exec(line);
    if (header) {
      const name = header[1].trim();
      if (!NAME.test(name)) problems.push({ line: i, message: `case name ${JSON.stringify(name)}: use letters, digits, '.', '_' and '-', starting with a letter or digit` });
      else if (names.has(name)) problems.push({ line: i, message: `case ${JSON.stringify(name)} is already defined on line ${names.get(name)! + 1}` });
      names.set(name, i);
      current = { name, line: i, endLine: i, fieldLines: {}, valueStarts: {} };
      cases.push(current);
      continue;
    }
    const field = FIELD.exec(line);
    if (!field) {
      problems.push({ line: i, message: 'expected a [case name], a `key: value` line or a # comment' });
      continue;
    }
    const key = field[1] as CaseField;
    if (!FIELDS.includes(key)) {
      problems.push({ line: i, message: `unknown field ${JSON.stringify(field[1])} (fields: ${FIELDS.join(', ')})` });
      continue;
    }
    const value = readValue(lines, i, field[2].startsWith(' ') ? field[2].slice(1) : field[2]);
    if ('problem' in value) problems.push({ line: i, message: `${key}: ${value.problem}` });
    if (!current) {
      problems.push({ line: i, message: `${key} outside a case: start one with a [name] line` });
    } else if (current[key] !== undefined) {
      problems.push({ line: i, message: `${key} is given twice in case ${JSON.stringify(current.name)}` });
    } else if ('value' in value) {
      current[key] = value.value;
      current.fieldLines[key] = i;
      if (value.start) current.valueStarts[key] = value.start;
    }
    if (current) current.endLine = value.lastLine;
    i = value.lastLine;
  }
  for (const c of cases) problems.push(...caseProblems(c));
  problems.sort((a, b) => a.line - b.line);
  return { cases, problems };
}

type Value = { value: string; lastLine: number; start?: { line: number; character: number } } | { problem: string; lastLine: number };

function readValue(lines: string[], line: number, raw: string): Value {
  if (raw.trim() === '"""') {
    for (let end = line + 1; end < lines.length; end++) {
      if (lines[end].trim() === '"""') return { value: lines.slice(line + 1, end).join('\n'), lastLine: end, start: { line: line + 1, character: 0 } };
    }
    return { problem: 'the """ block is never closed', lastLine: lines.length - 1 };
  }
  if (raw.trimStart().startsWith('"')) {
    try {
      const parsed: unknown = JSON.parse(raw.trim());
      if (typeof parsed === 'string') return { value: parsed, lastLine: line };
    } catch {
      // reported below
    }
    return { problem: `${raw.trim()} is not a valid quoted string (JSON escapes, e.g. "\\" Mary\\"")`, lastLine: line };
  }
  return { value: raw, lastLine: line, start: { line, character: lines[line].length - raw.length } };
}

/**
 * The offset in a case field's value of a document position, or undefined when the position is
 * outside the value or the value is quoted (its characters do not map one for one).
 */
export function valueOffsetAt(c: PromptCase, field: CaseField, line: number, character: number): number | undefined {
  const start = c.valueStarts[field];
  const value = c[field];
  if (!start || value === undefined) return undefined;
  const valueLines = value.split('\n');
  const index = line - start.line;
  if (index < 0 || index >= valueLines.length) return undefined;
  const column = index === 0 ? character - start.character : character;
  if (column < 0 || column > valueLines[index].length) return undefined;
  return valueLines.slice(0, index).reduce((sum, l) => sum + l.length + 1, 0) + column;
}

/** The document position of an offset in a field's value (the inverse of valueOffsetAt). */
export function positionOfValueOffset(c: PromptCase, field: CaseField, offset: number): { line: number; character: number } | undefined {
  const start = c.valueStarts[field];
  const value = c[field];
  if (!start || value === undefined || offset < 0 || offset > value.length) return undefined;
  const before = value.slice(0, offset).split('\n');
  const line = start.line + before.length - 1;
  return { line, character: (before.length === 1 ? start.character : 0) + before[before.length - 1].length };
}

/** The case whose lines hold a document line. */
export function caseAtLine(cases: readonly PromptCase[], line: number): PromptCase | undefined {
  return cases.find((c) => line >= c.line && line <= c.endLine);
}

function caseProblems(c: PromptCase): PromptFileProblem[] {
  const at = (field: CaseField) => c.fieldLines[field] ?? c.line;
  const problems: PromptFileProblem[] = [];
  if (c.prompt !== undefined && (c.clean !== undefined || c.corrupted !== undefined)) {
    problems.push({ line: at('clean'), message: `case ${JSON.stringify(c.name)}: give either prompt, or clean and corrupted, not both` });
  } else if (c.corrupted !== undefined && c.clean === undefined) {
    problems.push({ line: at('corrupted'), message: `case ${JSON.stringify(c.name)}: corrupted needs a clean prompt` });
  } else if (c.prompt === undefined && c.clean === undefined) {
    problems.push({ line: c.line, message: `case ${JSON.stringify(c.name)} has no prompt (give prompt, or clean and corrupted)` });
  }
  for (const field of ['prompt', 'clean', 'corrupted', 'answer', 'wrong'] as const) {
    if (c[field] === '') problems.push({ line: at(field), message: `case ${JSON.stringify(c.name)}: ${field} is empty` });
  }
  if (c.wrong !== undefined && c.answer === undefined) problems.push({ line: at('wrong'), message: `case ${JSON.stringify(c.name)}: wrong needs an answer` });
  return problems;
}

/** What a case can be used for: inspecting its text, and (with a pair and answers) patching. */
export function caseKind(c: PromptCase): { inspect: boolean; patching: boolean } {
  return { inspect: (c.prompt ?? c.clean) !== undefined, patching: c.clean !== undefined && c.corrupted !== undefined && c.answer !== undefined && c.wrong !== undefined };
}

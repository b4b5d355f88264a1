import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { main } from '../../src/cli/main';
import { caseKind, parsePromptFile } from '../../src/promptFile/promptFile';

describe('the prompt-file language', () => {
  test('cases with prompts, pairs, quoted answers, comments and multi-line blocks', () => {
    const text = [
      '# a comment',
      '[pair]',
      'clean: When Mary and John went, John gave it to',
      'corrupted: When Mary and John went, Mary gave it to',
      'answer: " Mary"',
      'wrong: " John"',
      '',
      '[block]',
      'prompt: """',
      'line one',
      '# not a comment inside a block',
      '',
      '  indented [not a header]',
      '"""',
      '[plain]',
      'prompt: trailing spaces kept  ',
    ].join('\n');
    const { cases, problems } = parsePromptFile(text);
    assert.deepEqual(problems, []);
    assert.deepEqual(cases.map((c) => c.name), ['pair', 'block', 'plain']);
    assert.equal(cases[0].clean, 'When Mary and John went, John gave it to');
    assert.equal(cases[0].answer, ' Mary');
    assert.deepEqual(caseKind(cases[0]), { inspect: true, patching: true });
    assert.equal(cases[1].prompt, 'line one\n# not a comment inside a block\n\n  indented [not a header]');
    assert.deepEqual(caseKind(cases[1]), { inspect: true, patching: false });
    assert.equal(cases[1].line, 7);
    assert.equal(cases[1].endLine, 13);
    assert.equal(cases[2].prompt, 'trailing spaces kept  ');
    assert.deepEqual(cases[0].fieldLines, { clean: 2, corrupted: 3, answer: 4, wrong: 5 });
  });

  test('Windows line endings parse the same', () => {
    const { cases, problems } = parsePromptFile('[a]\r\nprompt: hi there\r\nanswer: " x"\r\n');
    assert.deepEqual(problems, []);
    assert.equal(cases[0].prompt, 'hi there');
  });

  test('every problem is reported with its line, and parsing goes on', () => {
    const text = [
      'prompt: outside', // 0
      '[ok]', // 1
      'prompt: fine', // 2
      'colour: blue', // 3
      'what is this', // 4
      '[ok]', // 5
      'clean: a', // 6
      '[bad name!]', // 7
      'prompt: x', // 8
      '[both]', // 9
      'prompt: x', // 10
      'clean: y', // 11
      '[lonely]', // 12
      'corrupted: z', // 13
      '[twice]', // 14
      'prompt: a', // 15
      'prompt: b', // 16
      '[quote]', // 17
      'prompt: "unterminated', // 18
      '[wrongOnly]', // 19
      'prompt: p', // 20
      'wrong: " x"', // 21
      '[open]', // 22
      'prompt: """', // 23
      'never closed', // 24
    ].join('\n');
    const { cases, problems } = parsePromptFile(text);
    const at = (line: number) => problems.filter((p) => p.line === line).map((p) => p.message).join(' | ');
    assert.match(at(0), /prompt outside a case/);
    assert.match(at(3), /unknown field "colour"/);
    assert.match(at(4), /expected a \[case name\]/);
    assert.match(at(5), /case "ok" is already defined on line 2/);
    assert.match(at(7), /case name "bad name!"/);
    assert.match(at(11), /either prompt, or clean and corrupted/);
    assert.match(at(13), /corrupted needs a clean prompt/);
    assert.match(at(16), /prompt is given twice/);
    assert.match(at(18), /not a valid quoted string/);
    assert.match(at(21), /wrong needs an answer/);
    assert.match(at(23), /never closed/);
    assert.equal(cases.length, 9, "every [header] starts a case, even a duplicate or badly named one");
  });

  test('the shipped samples parse without problems, and the pairs can be patched', () => {
    const dir = join(__dirname, '..', '..', 'samples');
    const files = readdirSync(dir).filter((f) => f.endsWith('.prompts'));
    assert.ok(files.length >= 3);
    let pairs = 0;
    for (const file of files) {
      const { cases, problems } = parsePromptFile(readFileSync(join(dir, file), 'utf8'));
      assert.deepEqual(problems, [], file);
      assert.ok(cases.length > 0, file);
      pairs += cases.filter((c) => caseKind(c).patching).length;
    }
    assert.ok(pairs >= 3, 'the IOI samples are patching pairs');
  });

  test('the TextMate grammar is valid JSON whose patterns compile, and it marks what the parser reads', () => {
    const grammar = JSON.parse(readFileSync(join(__dirname, '..', '..', 'syntaxes', 'mechlens-prompts.tmLanguage.json'), 'utf8'));
    assert.equal(grammar.scopeName, 'source.mechlens-prompts');
    const rules = grammar.repository as Record<string, { match?: string; begin?: string; end?: string }>;
    for (const [name, rule] of Object.entries(rules)) for (const key of ['match', 'begin', 'end'] as const) if (rule[key]) assert.doesNotThrow(() => new RegExp(rule[key]!), `${name}.${key}`);
    assert.ok(new RegExp(rules.caseHeader.match!).test('[ioi-store]'));
    assert.ok(new RegExp(rules.comment.match!).test('# note'));
    assert.ok(new RegExp(rules.quotedField.match!).test('answer: " Mary"'));
    assert.ok(new RegExp(rules.blockField.begin!).test('prompt: """'));
    assert.ok(!new RegExp(rules.field.match!).test('colour: blue'));
    const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8'));
    assert.equal(manifest.contributes.grammars[0].scopeName, grammar.scopeName);
    assert.deepEqual(manifest.contributes.languages[0].extensions, ['.prompts']);
  });

  test('mechlens check-prompts lists cases, and exits 1 naming file and line for problems', async () => {
    const out: string[] = [];
    assert.equal(await main(['check-prompts', join(__dirname, '..', '..', 'samples', 'ioi.prompts')], (l) => out.push(l), (l) => out.push(l)), 0);
    assert.match(out.join('\n'), /3 cases/);
    assert.match(out.join('\n'), /ioi-store\s+inspect, patching/);
    const { dir, cleanup } = (await import('../fixtures/tempCheckpoint')).tempDir();
    try {
      const bad = join(dir, 'bad.prompts');
      (await import('node:fs')).writeFileSync(bad, '[a]\ncolour: x\n');
      const lines: string[] = [];
      assert.equal(await main(['check-prompts', bad], (l) => lines.push(l), (l) => lines.push(l)), 1);
      assert.ok(lines.some((l) => l.startsWith(`${bad}:2: unknown field "colour"`)), lines.join('\n'));
      assert.equal(await main(['check-prompts'], () => {}, () => {}), 2);
      assert.equal(await main(['check-prompts', join(dir, 'missing.prompts')], () => {}, () => {}), 1);
    } finally {
      cleanup();
    }
  });
});

describe('document positions in prompt values', () => {
  test('offsets map one for one for plain and block values, not for quoted ones', async () => {
    const { valueOffsetAt, caseAtLine } = await import('../../src/promptFile/promptFile');
    const text = ['[a]', 'prompt: Hello world', 'answer: " x"', '[b]', 'prompt: """', 'first line', 'second', '"""'].join('\n');
    const { cases } = parsePromptFile(text);
    const [a, b] = cases;
    assert.equal(caseAtLine(cases, 2), a);
    assert.equal(caseAtLine(cases, 6), b);
    assert.equal(valueOffsetAt(a, 'prompt', 1, 8), 0, 'the H of Hello');
    assert.equal(a.prompt![valueOffsetAt(a, 'prompt', 1, 14)!], 'w');
    assert.equal(valueOffsetAt(a, 'prompt', 1, 3), undefined, 'on the key');
    assert.equal(valueOffsetAt(a, 'answer', 2, 10), undefined, 'quoted values do not map');
    assert.equal(b.prompt![valueOffsetAt(b, 'prompt', 6, 2)!], 'c', 'the c of second');
    assert.equal(valueOffsetAt(b, 'prompt', 6, 2), 'first line\n'.length + 2);
    assert.equal(valueOffsetAt(b, 'prompt', 7, 0), undefined, 'the closing line');
  });
});

describe('document positions of value offsets', () => {
  test('positionOfValueOffset inverts valueOffsetAt on every character', async () => {
    const { valueOffsetAt, positionOfValueOffset } = await import('../../src/promptFile/promptFile');
    const blockMark = '"'.repeat(3);
    const { cases } = parsePromptFile(['[a]', 'prompt: Hello world', '[b]', `prompt: ${blockMark}`, 'first line', 'second', blockMark].join('\n'));
    assert.equal(cases.length, 2);
    for (const c of cases) {
      for (let offset = 0; offset <= c.prompt!.length; offset++) {
        const position = positionOfValueOffset(c, 'prompt', offset)!;
        assert.equal(valueOffsetAt(c, 'prompt', position.line, position.character), offset, `${c.name} offset ${offset}`);
      }
      assert.equal(positionOfValueOffset(c, 'prompt', c.prompt!.length + 1), undefined);
    }
  });
});

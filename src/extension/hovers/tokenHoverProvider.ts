import * as vscode from 'vscode';
import { caseAtLine, caseKind, parsePromptFile, positionOfValueOffset, valueOffsetAt, type CaseField, type ParsedPromptFile, type PromptCase } from '../../promptFile/promptFile';
import { featurePageLink, OPEN_FEATURE_PAGE_COMMAND } from '../features/featureLinks';
import { INSPECT_COMMAND } from '../inspect/inspectCommand';
import { RUN_SUBSPACE_COMMAND, subspaceCommandLink } from '../subspace/subspacePreset';
import { readSettings } from '../config';
import { describeError, type EngineHost } from '../engineHost';
import { tokenIndexAt } from './analysisCache';
import { escapeMarkdown, hoverMarkdown } from './hoverMarkdown';

const PROMPT_FIELDS: CaseField[] = ['prompt', 'clean', 'corrupted'];

/** Hovers on prompt text in .prompts files: the token, its top SAE features, and the next-token predictions. */
export class TokenHoverProvider implements vscode.HoverProvider {
  private parsed: { uri: string; version: number; file: ParsedPromptFile } | undefined;

  constructor(private readonly engine: EngineHost) {}

  async provideHover(document: vscode.TextDocument, position: vscode.Position, cancel: vscode.CancellationToken): Promise<vscode.Hover | undefined> {
    const file = this.parse(document);
    const promptCase = caseAtLine(file.cases, position.line);
    if (!promptCase) return undefined;
    const field = PROMPT_FIELDS.find((f) => valueOffsetAt(promptCase, f, position.line, position.character) !== undefined);
    if (!field) return undefined;
    const offset = valueOffsetAt(promptCase, field, position.line, position.character)!;
    let analysis;
    try {
      analysis = await this.engine.analyses.get(promptCase[field]!);
    } catch (error) {
      return new vscode.Hover(new vscode.MarkdownString(escapeMarkdown(`MechLens: ${describeError(error)}`))); // untrusted: no links
    }
    if (cancel.isCancellationRequested) return undefined;
    const index = tokenIndexAt(analysis.predictions.tokens, offset);
    if (index === undefined) return undefined;
    const token = analysis.predictions.tokens[index];
    const markdown = hoverMarkdown({
      token,
      position: index,
      featureSets: analysis.features.map((f) => ({ hookName: f.sae.hookName, saeId: f.sae.id, features: f.tokens[index].features })),
      predictions: analysis.predictions.predictions[index].slice(0, readSettings().hoverPredictions),
      featureLink: (saeId, feature) => inspectLink(document.uri, promptCase, field, saeId, feature),
      pageLink: featurePageLink,
      subspaceLink: (saeId, hookName, feature) => subspaceCommandLink(document.uri.toString(), caseKind(promptCase).patching ? promptCase.name : undefined, hookName, saeId, feature),
    });
    const start = positionOfValueOffset(promptCase, field, token.span[0]);
    const end = positionOfValueOffset(promptCase, field, token.span[1]);
    const range = start && end ? new vscode.Range(start.line, start.character, end.line, end.character) : undefined;
    void vscode.commands.executeCommand('setContext', 'mechlens.hoverShown', true); // completes the walkthrough's hover step
    return new vscode.Hover(plain(markdown), range);
  }

  private parse(document: vscode.TextDocument): ParsedPromptFile {
    const uri = document.uri.toString();
    if (this.parsed?.uri !== uri || this.parsed.version !== document.version) this.parsed = { uri, version: document.version, file: parsePromptFile(document.getText()) };
    return this.parsed.file;
  }
}

/**
 * A feature's link: Inspect Features on this prompt with the feature selected and highlighted.
 * The prompt is passed as its document range, so the highlight lands on its characters.
 */
function inspectLink(uri: vscode.Uri, promptCase: PromptCase, field: CaseField, saeId: string, feature: number): string {
  const text = promptCase[field]!;
  const start = positionOfValueOffset(promptCase, field, 0);
  const end = positionOfValueOffset(promptCase, field, text.length);
  const args = [uri.toString(), start && end ? { start, end } : undefined, { text, title: `${promptCase.name} · ${field}`, feature: { saeId, index: feature } }];
  return `command:${INSPECT_COMMAND}?${encodeURIComponent(JSON.stringify(args))}`;
}

/** Markdown with HTML off, trusting only the Inspect, feature page and subspace commands' links: all model and file text is already escaped. */
function plain(markdown: string): vscode.MarkdownString {
  const result = new vscode.MarkdownString(markdown);
  result.supportHtml = false;
  result.isTrusted = { enabledCommands: [INSPECT_COMMAND, OPEN_FEATURE_PAGE_COMMAND, RUN_SUBSPACE_COMMAND] };
  return result;
}


import type { PredictionSummary, TokenFeatureSummary } from '../../protocol/engineProtocol';

/**
 * The Markdown of a token hover: the token (text, id, span), its top SAE features with labels
 * and bars, and the model's next-token predictions. Everything that comes from the model or a
 * file (token texts, labels, paths) is escaped so it shows literally: never as HTML or Markdown.
 * Pure: the hover provider wraps the result in a MarkdownString (supportHtml off, untrusted
 * except for the command links it builds here).
 */

/** Escapes every character Markdown or HTML could read as syntax. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>&~"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A token as a quoted literal with whitespace made visible, escaped for Markdown. */
export function tokenLiteral(text: string): string {
  return escapeMarkdown(JSON.stringify(text));
}

export interface HoverFeatureSet {
  /** The SAE's hook, e.g. blocks.2.hook_resid_post. */
  hookName: string;
  saeId: string;
  features: TokenFeatureSummary['features'];
}

export interface HoverInput {
  token: TokenFeatureSummary['token'];
  position: number;
  featureSets: HoverFeatureSet[];
  predictions: PredictionSummary[];
  /** Builds a command link for opening a feature (the provider passes vscode's command URI scheme). */
  featureLink?: (saeId: string, feature: number) => string;
  /** Builds a command link that uses a feature's decoder direction as a subspace ("use as subspace"). */
  subspaceLink?: (saeId: string, hookName: string, feature: number) => string;
  /** Builds a command link that opens a feature's page (its top contexts across the workspace, histogram, label). */
  pageLink?: (saeId: string, feature: number) => string;
}

const BAR_WIDTH = 10;

function bar(value: number, max: number): string {
  const filled = max > 0 ? Math.max(1, Math.round((BAR_WIDTH * value) / max)) : 0;
  return '█'.repeat(filled) + '░'.repeat(BAR_WIDTH - filled);
}

export function hoverMarkdown(input: HoverInput): string {
  const { token } = input;
  const lines: string[] = [`**${tokenLiteral(token.text)}** · id ${token.id} · position ${input.position} · characters ${token.span[0]}–${token.span[1]}`, ''];
  for (const set of input.featureSets) {
    lines.push(`**Features** at ${escapeMarkdown(set.hookName)}`, '');
    if (set.features.length === 0) lines.push('_no feature fires here_', '');
    else {
      const max = Math.max(...set.features.map((f) => f.activation));
      const { pageLink, subspaceLink } = input;
      const links: ((index: number) => string)[] = [];
      if (pageLink) links.push((index) => `[feature page](${pageLink(set.saeId, index)} "Open this feature's page: its top contexts in the workspace, activations and label")`);
      if (subspaceLink) links.push((index) => `[use as subspace](${subspaceLink(set.saeId, set.hookName, index)} "Run a subspace intervention on this feature's decoder direction")`);
      lines.push(`| feature | activation | | label |${' |'.repeat(links.length)}`, `|---:|---:|---|---|${'---|'.repeat(links.length)}`);
      for (const f of set.features) {
        const name = input.featureLink ? `[#${f.index}](${input.featureLink(set.saeId, f.index)})` : `#${f.index}`;
        const extra = links.map((link) => ` ${link(f.index)} |`).join('');
        lines.push(`| ${name} | ${f.activation.toFixed(2)} | \`${bar(f.activation, max)}\` | ${f.label === undefined ? '' : escapeMarkdown(f.label)} |${extra}`);
      }
      lines.push('');
    }
  }
  if (input.predictions.length > 0) {
    lines.push('**Next token**', '', '| token | prob | logit |', '|---|---:|---:|');
    for (const p of input.predictions) lines.push(`| ${tokenLiteral(p.text)} | ${(100 * Math.exp(p.logProb)).toFixed(1)}% | ${p.logit.toFixed(2)} |`);
  }
  return lines.join('\n');
}

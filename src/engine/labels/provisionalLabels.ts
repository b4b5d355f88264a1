/**
 * Provisional labels: when no one has labelled a feature, MechLens names it by the tokens its
 * decoder direction most promotes through the unembedding, e.g. `↑ " Mary", " John", " Anna"`.
 * Each token is shown as a JSON string, so leading spaces, newlines and quotes stay visible.
 */
import { featureLogitEffects, type Decoder, type FeatureLogitEffects, type LogitEffectOptions, type Unembedding } from './logitEffects';

/** How many promoted tokens a provisional label lists by default. */
export const PROVISIONAL_TOKEN_COUNT = 3;

export interface ProvisionalLabel {
  feature: number;
  text: string;
  /** Always true: the label was made from top tokens, not written by a person or a labeller model. */
  provisional: true;
  source: 'top-promoted-tokens';
  /** The token ids the text lists, most promoted first. */
  tokens: number[];
}

/** `↑ "a", "b", "c"` from token strings (most promoted first); `↑ (none)` when there are none. */
export function provisionalLabelText(tokenStrings: readonly string[], count = PROVISIONAL_TOKEN_COUNT): string {
  const shown = tokenStrings.slice(0, count);
  return shown.length ? `↑ ${shown.map((s) => JSON.stringify(s)).join(', ')}` : '↑ (none)';
}

/**
 * A provisional label from a feature's logit effects: its top promoted tokens with a positive
 * effect (a feature whose direction promotes nothing gets `↑ (none)`). `decode` turns one token
 * id into its text (TextTokenizer.decode([id])).
 */
export function provisionalLabel(effects: FeatureLogitEffects, decode: (token: number) => string, count = PROVISIONAL_TOKEN_COUNT): ProvisionalLabel {
  const tokens = effects.promoted
    .filter((t) => t.effect > 0)
    .slice(0, count)
    .map((t) => t.token);
  return { feature: effects.feature, text: provisionalLabelText(tokens.map(decode), count), provisional: true, source: 'top-promoted-tokens', tokens };
}

/**
 * A function giving one feature's provisional label text on demand (for FeatureLabels), computed
 * in JS from the decoder row: d_vocab × d_model multiply-adds, tens of ms for GPT-2 small.
 */
export function provisionalLabeler(decoder: Decoder, unembedding: Unembedding, decode: (token: number) => string, options: Omit<LogitEffectOptions, 'k'> = {}): (feature: number) => string {
  return (feature) => provisionalLabel(featureLogitEffects(decoder, unembedding, feature, { ...options, k: PROVISIONAL_TOKEN_COUNT }), decode).text;
}

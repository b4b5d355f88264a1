/**
 * Checks on what the host posts to the Features view and the feature page (src/protocol/featureIndex
 * has validators only for the webviews' messages to the host). A message that fails is ignored, so
 * the pages draw only well-formed data. Pure.
 */
import type { HostToFeaturePage, HostToFeaturesView } from '../../src/protocol/featureIndex';

type Check = (value: unknown) => boolean;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isString: Check = (value) => typeof value === 'string';
const isNumber: Check = (value) => typeof value === 'number' && Number.isFinite(value);
const isIndex: Check = (value) => Number.isInteger(value) && (value as number) >= 0;
const isBoolean: Check = (value) => typeof value === 'boolean';
const optional = (check: Check): Check => (value) => value === undefined || check(value);
const arrayOf = (check: Check): Check => (value) => Array.isArray(value) && value.every(check);

/** A record whose listed fields pass their checks (other fields are allowed). */
function shape(fields: Record<string, Check>): Check {
  return (value) => isRecord(value) && Object.entries(fields).every(([name, check]) => check(value[name]));
}

const LABEL_KINDS = new Set(['user', 'imported', 'sae-file', 'provisional']);
const isLabel = shape({ text: isString, kind: (v) => LABEL_KINDS.has(v as string), source: optional(isString) });
const isSaeChoice = shape({ saeId: isString, hookName: isString, dSae: isIndex });
const isStatus = shape({
  state: (v) => ['empty', 'scanning', 'ready', 'cancelled', 'error'].includes(v as string),
  filesTotal: isIndex,
  filesDone: isIndex,
  failures: arrayOf(shape({ file: isString, message: isString })),
  tokens: isIndex,
  documents: isIndex,
  partialFeatures: isIndex,
  storagePath: isString,
  message: optional(isString),
});
const isListRow = shape({ index: isIndex, count: isIndex, density: isNumber, maxActivation: isNumber, label: optional(isLabel) });
const isList = shape({ saeId: isString, hookName: isString, dSae: isIndex, tokens: isIndex, rows: arrayOf(isListRow) });
const isTextResult = shape({
  saeId: isString,
  text: isString,
  tokens: arrayOf(isString),
  features: arrayOf(shape({ index: isIndex, maxActivation: isNumber, token: isIndex, label: optional(isLabel) })),
});

export function isHostToFeaturesView(value: unknown): value is HostToFeaturesView {
  if (!isRecord(value)) return false;
  switch (value.type) {
    case 'saes':
      return arrayOf(isSaeChoice)(value.saes) && optional(isString)(value.selected);
    case 'status':
      return isStatus(value.status);
    case 'list':
      return isList(value.list);
    case 'searchTextResult':
      return isTextResult(value.result);
    case 'error':
      return isString(value.message);
    default:
      return false;
  }
}

const isSource = shape({ file: isString, offset: optional(isIndex), line: optional(isIndex) });
const isContext = shape({ source: isSource, tokens: arrayOf(shape({ text: isString, activation: isNumber })), focus: isIndex, activation: isNumber });
const isEffect = shape({ text: isString, effect: isNumber });
const isPage = shape({
  feature: shape({ saeId: isString, index: isIndex }),
  hookName: isString,
  label: optional(isLabel),
  tokens: isIndex,
  count: isIndex,
  density: isNumber,
  maxActivation: isNumber,
  meanActivation: isNumber,
  histogram: (v) => isRecord(v) && arrayOf(isNumber)(v.edges) && arrayOf(isNumber)(v.counts) && (v.edges as number[]).length === (v.counts as number[]).length + 1,
  top: arrayOf(isContext),
  groups: arrayOf(shape({ title: isString, from: isNumber, to: isNumber, share: isNumber, contexts: arrayOf(isContext) })),
  partial: isBoolean,
  logitEffects: shape({ promoted: arrayOf(isEffect), suppressed: arrayOf(isEffect) }),
  neighbours: arrayOf(shape({ index: isIndex, cosine: isNumber, label: optional(isLabel) })),
});

export function isHostToFeaturePage(value: unknown): value is HostToFeaturePage {
  if (!isRecord(value)) return false;
  switch (value.type) {
    case 'loading':
      return shape({ saeId: isString, index: isIndex })(value.feature);
    case 'page':
      return isPage(value.page);
    case 'label':
      return optional(isLabel)(value.label);
    case 'error':
      return isString(value.message);
    default:
      return false;
  }
}

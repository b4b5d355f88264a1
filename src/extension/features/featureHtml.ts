import { type PageInput, webviewHtml } from '../webviewHtml';

/**
 * The feature browser's pages (see webviewHtml for their policy): the Features view in the side bar
 * (bundle 'features') and a feature's page (bundle 'featurePage'). Their scripts build everything
 * under #content with textContent. Pure (no vscode).
 */

export const FEATURES_ENTRY = 'features';
export const FEATURE_PAGE_ENTRY = 'featurePage';

export function featuresViewHtml(input: PageInput): string {
  return webviewHtml(input, { title: 'Features', loading: 'Waiting for the extension…', body: '' });
}

export function featurePageHtml(input: PageInput): string {
  return webviewHtml(input, { title: 'Feature', loading: 'Loading the feature…', body: '' });
}

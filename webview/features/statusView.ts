/**
 * The Features view's index status: its state, files done of total, tokens, failures (listed in a
 * disclosure) and partial features, the Scan button (Cancel while scanning) and, when there is no
 * index, what Scan does. Everything is textContent.
 */
import type { IndexStatus } from '../../src/protocol/featureIndex';
import { formatCount, plural } from '../shared/featureText';
import { button, text } from '../shared/page';

export interface StatusView {
  element: HTMLElement;
  show(status: IndexStatus): void;
}

const STATE_TEXT: Record<IndexStatus['state'], string> = { empty: 'No index yet', scanning: 'Scanning', ready: 'Index ready', cancelled: 'Scan cancelled', error: 'Index error' };

export function summary(status: IndexStatus): string {
  if (status.state === 'empty' && status.filesTotal === 0) return `${STATE_TEXT.empty}.`;
  const files = `${status.filesDone} of ${plural(status.filesTotal, 'file')}`;
  return `${STATE_TEXT[status.state]}: ${files} · ${formatCount(status.tokens)} tokens · ${plural(status.documents, 'document')}`;
}

export function createStatusView(scan: () => void, cancel: () => void): StatusView {
  const line = text('p', '', 'status-line');
  line.id = 'index-status';
  line.setAttribute('aria-live', 'polite');
  const progress = document.createElement('progress');
  progress.id = 'index-progress';
  progress.setAttribute('aria-label', 'Files indexed');
  const scanButton = button('Scan', 'scan', 'action', 'Build or update the feature index from the workspace files', scan);
  const cancelButton = button('Cancel', 'cancel-scan', 'action', 'Stop scanning (what is indexed so far is kept)', cancel);
  const message = text('p', '', 'status-message');
  message.id = 'index-message';
  const empty = text('p', 'Scan builds the index from the workspace files: it runs the model and this SAE over them and keeps, for every feature, how often it fires and its top contexts.', 'muted');
  empty.id = 'index-empty-note';
  const partial = text('p', '', 'status-warning');
  partial.id = 'index-partial';
  const failures = document.createElement('details');
  failures.id = 'index-failures';
  const failuresSummary = text('summary', '');
  const failureList = text('ul', '');
  failures.append(failuresSummary, failureList);
  const buttons = text('div', '', 'button-row');
  buttons.append(scanButton, cancelButton);
  const element = text('section', '', 'index-status');
  element.setAttribute('aria-label', 'Feature index');
  element.append(line, progress, message, empty, partial, failures, buttons);

  return {
    element,
    show(status) {
      const scanning = status.state === 'scanning';
      line.textContent = summary(status);
      line.classList.toggle('error', status.state === 'error');
      progress.hidden = !scanning;
      progress.max = Math.max(1, status.filesTotal);
      progress.value = status.filesDone;
      message.textContent = status.message ?? '';
      message.hidden = !status.message;
      empty.hidden = status.state !== 'empty';
      partial.textContent = `${plural(status.partialFeatures, 'feature has', 'features have')} lost top contexts to edited or deleted files: run MechLens: Rebuild Feature Index to restore them.`;
      partial.hidden = status.partialFeatures === 0;
      failuresSummary.textContent = `${plural(status.failures.length, 'file')} could not be indexed`;
      failureList.replaceChildren(...status.failures.map((f) => text('li', `${f.file}: ${f.message}`)));
      failures.hidden = status.failures.length === 0;
      const hadFocus = document.activeElement === scanButton || document.activeElement === cancelButton;
      scanButton.hidden = scanning;
      cancelButton.hidden = !scanning;
      if (hadFocus) (scanning ? cancelButton : scanButton).focus();
      element.title = status.storagePath ? `Stored in ${status.storagePath}` : '';
    },
  };
}

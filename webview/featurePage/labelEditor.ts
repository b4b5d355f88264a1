/**
 * The feature page's label: its text and kind (provisional ones marked), and in-place editing. Edit
 * turns it into a text box; Enter or Save hands the text on (empty text removes the user's label),
 * Escape or Cancel goes back unchanged. Until the host answers with the new label, "Saving…" shows.
 */
import type { FeatureLabel } from '../../src/protocol/featureIndex';
import { KIND_MARKER, kindDescription } from '../shared/featureText';
import { button, text } from '../shared/page';

export interface LabelEditor {
  element: HTMLElement;
  /** Shows a label (the page's, or the host's answer to a save). */
  show(label: FeatureLabel | undefined): void;
}

export function createLabelEditor(save: (text: string) => void): LabelEditor {
  let current: FeatureLabel | undefined;
  const view = text('span', '', 'label-view');
  view.id = 'label';
  const kind = text('span', '', 'label-kind muted');
  kind.id = 'label-kind';
  const saving = text('span', '', 'muted');
  saving.id = 'label-saving';
  const edit = button('Edit', 'edit-label', 'action secondary', 'Edit this feature’s label');
  const shown = text('div', '', 'label-row');
  shown.append(view, kind, saving, edit);

  const input = document.createElement('input');
  input.type = 'text';
  input.id = 'label-input';
  input.setAttribute('aria-label', 'Label');
  input.spellcheck = false;
  const saveButton = button('Save', 'save-label', 'action', undefined, commit);
  const cancel = button('Cancel', 'cancel-label', 'action secondary', undefined, close);
  const hint = text('span', 'Enter saves, Escape cancels; an empty label removes yours.', 'muted');
  const form = text('div', '', 'label-row');
  form.id = 'label-form';
  form.hidden = true;
  form.append(input, saveButton, cancel, hint);

  const element = text('div', '', 'label-editor');
  element.append(shown, form);

  function close(): void {
    form.hidden = true;
    shown.hidden = false;
    edit.focus();
  }
  function commit(): void {
    save(input.value.trim());
    saving.textContent = 'Saving…';
    close();
  }

  edit.addEventListener('click', () => {
    input.value = current?.text ?? '';
    shown.hidden = true;
    form.hidden = false;
    input.focus();
    input.select();
  });

  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') commit();
    else if (event.key === 'Escape') close();
    else return;
    event.preventDefault();
  });

  return {
    element,
    show(label) {
      current = label;
      saving.textContent = '';
      view.className = label ? `label-view kind-${label.kind}` : 'label-view';
      if (label && label.text !== '') {
        view.replaceChildren(text('span', KIND_MARKER[label.kind], 'kind-marker'), text('span', label.text, 'label-text'));
        kind.textContent = `(${kindDescription(label)})`;
      } else {
        view.replaceChildren(text('span', 'No label', 'muted'));
        kind.textContent = '';
      }
    },
  };
}

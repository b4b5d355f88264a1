/**
 * The page skeleton every panel shares (see src/extension/webviewHtml.ts): #status says what the
 * page is doing, #content holds what it shows, and body[data-state] is loading, ready or error, for
 * tests and styles. Text goes in as textContent only.
 */

export type PageState = 'loading' | 'ready' | 'error';

export function byId(id: string): HTMLElement {
  return document.getElementById(id)!;
}

/** An element holding `content` as text. */
export function text<K extends keyof HTMLElementTagNameMap>(tag: K, content: string, className?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.textContent = content;
  if (className) node.className = className;
  return node;
}

/** A button (type "button": it never submits a form) with its text, id and class, and an optional tooltip and click handler. */
export function button(label: string, id: string, className: string, title?: string, onClick?: () => void): HTMLButtonElement {
  const node = text('button', label, className);
  node.type = 'button';
  node.id = id;
  if (title) node.title = title;
  if (onClick) node.addEventListener('click', onClick);
  return node;
}

export function setState(state: PageState, status: string): void {
  document.body.dataset.state = state;
  byId('status').textContent = status;
  byId('status').classList.toggle('error', state === 'error');
  byId('content').hidden = state !== 'ready';
}

/** A catch handler that shows the error: "MechLens could not draw <what>: <message>". */
export function failure(what: string): (error: unknown) => void {
  return (error) => setState('error', `MechLens could not draw ${what}: ${error instanceof Error ? error.message : String(error)}`);
}

/**
 * A virtualised list box: rows of one fixed height, of which only those in view (and a small margin
 * above and below) exist in the DOM, placed inside a spacer as tall as the whole list. One element
 * takes the keyboard focus (role listbox, aria-activedescendant): up/down, page up/down, home/end
 * move the active row, Enter opens it. Positions are 0..count-1; the caller draws each row's content.
 */

export interface VirtualListOptions {
  /** Accessible name of the list box. */
  label: string;
  /** Prefix of the rows' ids (for aria-activedescendant). */
  idPrefix: string;
  /** Row height in pixels (features.css gives rows the same height). */
  rowHeight: number;
  /** Rows kept above and below the visible ones. */
  margin: number;
  /** Fills a fresh row element for a position. */
  render: (row: HTMLElement, position: number) => void;
  /** Enter or a click on a row. */
  open: (position: number) => void;
}

export class VirtualList {
  readonly element: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly rows = new Map<number, HTMLElement>();
  private count = 0;
  private active = -1;
  private frame = 0;

  constructor(private readonly options: VirtualListOptions) {
    this.element = document.createElement('div');
    this.element.className = 'virtual-list';
    this.element.tabIndex = 0;
    this.element.setAttribute('role', 'listbox');
    this.element.setAttribute('aria-label', options.label);
    this.spacer = document.createElement('div');
    this.spacer.className = 'virtual-spacer';
    this.spacer.setAttribute('role', 'presentation');
    this.element.append(this.spacer);
    this.element.addEventListener('scroll', () => this.schedule());
    this.element.addEventListener('keydown', (event) => this.onKey(event));
    this.element.addEventListener('click', (event) => {
      const row = (event.target as HTMLElement).closest<HTMLElement>('.virtual-row');
      if (!row) return;
      const position = Number(row.dataset.position);
      this.setActive(position, 'nearest');
      this.options.open(position);
    });
    new ResizeObserver(() => this.schedule()).observe(this.element);
  }

  /** New contents: `count` rows, redrawn from scratch; the active row is `active` (or none). */
  reset(count: number, active = -1): void {
    this.count = count;
    this.active = active < count ? active : -1;
    this.spacer.style.height = `${count * this.options.rowHeight}px`;
    for (const row of this.rows.values()) row.remove();
    this.rows.clear();
    this.updateActiveDescendant();
    this.draw();
  }

  get activePosition(): number {
    return this.active;
  }

  /** Opens the active row, if there is one. */
  openActive(): void {
    if (this.active >= 0) this.options.open(this.active);
  }

  /** Makes `position` the active row and scrolls it into view ('center' for jumps). */
  setActive(position: number, scroll: 'nearest' | 'center'): void {
    if (this.count === 0) return;
    const previous = this.rows.get(this.active);
    previous?.classList.remove('active');
    previous?.setAttribute('aria-selected', 'false');
    this.active = Math.max(0, Math.min(this.count - 1, position));
    this.scrollTo(this.active, scroll);
    this.draw();
    const row = this.rows.get(this.active);
    row?.classList.add('active');
    row?.setAttribute('aria-selected', 'true');
    this.updateActiveDescendant();
  }

  private scrollTo(position: number, mode: 'nearest' | 'center'): void {
    const h = this.options.rowHeight;
    const top = position * h;
    const view = this.element.clientHeight;
    if (mode === 'center') this.element.scrollTop = Math.max(0, top - (view - h) / 2);
    else if (top < this.element.scrollTop) this.element.scrollTop = top;
    else if (top + h > this.element.scrollTop + view) this.element.scrollTop = top + h - view;
  }

  private updateActiveDescendant(): void {
    if (this.active >= 0) this.element.setAttribute('aria-activedescendant', `${this.options.idPrefix}-${this.active}`);
    else this.element.removeAttribute('aria-activedescendant');
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  /** Adds the rows now in view (plus the margin) and removes the others. */
  private draw(): void {
    const { rowHeight: h, margin } = this.options;
    const first = Math.max(0, Math.floor(this.element.scrollTop / h) - margin);
    const last = Math.min(this.count - 1, Math.ceil((this.element.scrollTop + this.element.clientHeight) / h) + margin);
    for (const [position, row] of this.rows) {
      if (position < first || position > last) {
        row.remove();
        this.rows.delete(position);
      }
    }
    for (let position = first; position <= last; position++) {
      if (!this.rows.has(position)) this.rows.set(position, this.makeRow(position));
    }
  }

  private makeRow(position: number): HTMLElement {
    const row = document.createElement('div');
    row.className = 'virtual-row';
    row.id = `${this.options.idPrefix}-${position}`;
    row.dataset.position = String(position);
    row.setAttribute('role', 'option');
    row.setAttribute('aria-setsize', String(this.count));
    row.setAttribute('aria-posinset', String(position + 1));
    const active = position === this.active;
    row.setAttribute('aria-selected', String(active));
    if (active) row.classList.add('active');
    row.style.top = `${position * this.options.rowHeight}px`;
    this.options.render(row, position);
    this.spacer.append(row);
    return row;
  }

  private onKey(event: KeyboardEvent): void {
    const page = Math.max(1, Math.floor(this.element.clientHeight / this.options.rowHeight) - 1);
    const moves: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, PageDown: page, PageUp: -page };
    if (event.key in moves) this.setActive(this.active < 0 ? 0 : this.active + moves[event.key], 'nearest');
    else if (event.key === 'Home') this.setActive(0, 'nearest');
    else if (event.key === 'End') this.setActive(this.count - 1, 'nearest');
    else if (event.key === 'Enter') this.openActive();
    else return;
    event.preventDefault();
  }
}

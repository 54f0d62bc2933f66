// A list that renders only the rows in view (plus a few), so a channel with thousands of messages or
// a timeline of ten thousand events scrolls without stalls. Rows may differ in height: heights are
// measured once rendered and estimated before. Scrolling near the top asks the owner for older rows;
// when they arrive the view stays on the row the reader was looking at. A list that "sticks to the
// bottom" (chat) follows new rows while the reader is at the bottom, and otherwise offers a jump button.

import {h, setStyle} from './dom.js';

export class VirtualList {
  /**
   * @param {object} o
   * @param {(item) => HTMLElement} o.renderItem
   * @param {(item) => string|number} [o.keyOf]
   * @param {number} [o.estimate] estimated row height in px
   * @param {boolean} [o.stickToBottom]
   * @param {() => void} [o.onNearTop] called when the reader nears the top (load older rows)
   * @param {string} o.label accessible name
   * @param {string} [o.role] 'log' (new rows announced) or 'list'
   * @param {string} [o.emptyText]
   * @param {string} [o.className]
   */
  constructor({renderItem, keyOf = (item) => item.seq, estimate = 52, overscan = 6, stickToBottom = false,
               onNearTop = null, label, role = 'list', emptyText = 'Nothing yet.', className = ''}) {
    this.renderItem = renderItem;
    this.keyOf = keyOf;
    this.estimate = estimate;
    this.overscan = overscan;
    this.stickToBottom = stickToBottom;
    this.onNearTop = onNearTop;
    this.items = [];
    this.shownCount = 0;
    this.shownLastKey = null;
    this.heights = new Map();
    this.tops = new Float64Array(1);
    this.nodes = new Map();
    this.atBottom = true;
    this.unseen = 0;
    this.frame = 0;
    this.width = 0;

    this.top = h('div', {class: 'vlist-spacer', 'aria-hidden': 'true'});
    this.layer = h('div', {class: 'vlist-items', role: role === 'log' ? null : 'presentation'});
    this.bottom = h('div', {class: 'vlist-spacer', 'aria-hidden': 'true'});
    this.empty = h('p', {class: 'vlist-empty'}, emptyText);
    this.loadingRow = h('p', {class: 'vlist-loading', hidden: true}, 'Loading earlier entries…');
    this.scroller = h('div', {class: ['vlist', className], tabindex: '0', role, 'aria-label': label},
      this.loadingRow, this.top, this.layer, this.bottom, this.empty);
    this.jump = h('button', {type: 'button', class: 'vlist-jump', hidden: true,
                             on: {click: () => this.scrollToBottom()}}, 'New below ↓');
    this.el = h('div', {class: 'vlist-wrap'}, this.scroller, this.jump);

    this.scroller.addEventListener('scroll', () => this.onScroll(), {passive: true});
    this.resizeObserver = new ResizeObserver(() => {
      const width = this.scroller.clientWidth;
      if (width && width !== this.width) {
        if (this.width) this.heights.clear();  // rows wrap differently at another width
        this.width = width;
        this.layout();
      }
      if (this.stickToBottom && this.atBottom) this.pinBottom();
      this.render();
    });
    this.resizeObserver.observe(this.scroller);
  }

  destroy() {
    this.resizeObserver.disconnect();
    cancelAnimationFrame(this.frame);
  }

  setLoading(loading) {
    this.loadingRow.hidden = !loading;
  }

  /** Show `items` (sorted, oldest first). Keeps the reader's place across prepends and appends. */
  setItems(items) {
    // The owner may have pushed onto the same array: compare with what was shown last time.
    const shown = this.shownCount;
    const anchor = this.anchor();
    const appended = shown > 0 && items.length > shown && this.keyOf(items[items.length - 1]) !== this.shownLastKey;
    this.items = items;
    this.shownCount = items.length;
    this.shownLastKey = items.length ? this.keyOf(items[items.length - 1]) : null;
    this.empty.hidden = items.length > 0;
    this.layout();
    if (this.stickToBottom && this.atBottom) {
      this.pinBottom();
    } else {
      this.restore(anchor);
      if (appended && this.stickToBottom) {
        this.unseen += items.length - shown;
        this.jump.textContent = `${this.unseen} new below ↓`;
        this.jump.hidden = false;
      }
    }
    this.render();
  }

  /** Re-render rows in view (e.g. names changed). */
  refresh() {
    for (const node of this.nodes.values()) node.remove();
    this.nodes.clear();
    this.render();
  }

  scrollToBottom() {
    this.atBottom = true;
    this.pinBottom();
    this.render();
    this.scroller.scrollTop = this.scroller.scrollHeight;
  }

  // ---- internals ---------------------------------------------------------------------------------

  heightOf(item) {
    return this.heights.get(this.keyOf(item)) ?? this.estimate;
  }

  layout() {
    const n = this.items.length;
    const tops = new Float64Array(n + 1);
    for (let i = 0; i < n; i += 1) tops[i + 1] = tops[i] + this.heightOf(this.items[i]);
    this.tops = tops;
  }

  get total() {
    return this.tops[this.tops.length - 1];
  }

  indexAt(offset) {
    // last i with tops[i] <= offset
    let lo = 0;
    let hi = this.items.length - 1;
    if (hi < 0) return 0;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.tops[mid] <= offset) lo = mid; else hi = mid - 1;
    }
    return lo;
  }

  contentTop() {
    return this.loadingRow.hidden ? 0 : this.loadingRow.offsetHeight;
  }

  anchor() {
    if (!this.items.length) return null;
    const offset = this.scroller.scrollTop - this.contentTop();
    const i = this.indexAt(Math.max(0, offset));
    return {key: this.keyOf(this.items[i]), delta: offset - this.tops[i]};
  }

  /** Make the whole height scrollable with no rows in place (render() puts the right rows back). */
  collapse() {
    setStyle(this.top, 'height', `${this.total}px`);
    setStyle(this.bottom, 'height', '0px');
    this.layer.replaceChildren();
  }

  restore(anchor) {
    if (!anchor) return;
    const i = this.items.findIndex((item) => this.keyOf(item) === anchor.key);
    if (i < 0) return;
    this.collapse();
    this.scroller.scrollTop = this.tops[i] + anchor.delta + this.contentTop();
  }

  pinBottom() {
    this.collapse();
    this.scroller.scrollTop = this.scroller.scrollHeight;
    this.unseen = 0;
    this.jump.hidden = true;
  }

  applySpacers(start, end) {
    setStyle(this.top, 'height', `${this.tops[start] || 0}px`);
    setStyle(this.bottom, 'height', `${Math.max(0, this.total - (this.tops[end] || 0))}px`);
  }

  onScroll() {
    const s = this.scroller;
    this.atBottom = s.scrollTop + s.clientHeight >= s.scrollHeight - 40;
    if (this.atBottom) {
      this.unseen = 0;
      this.jump.hidden = true;
    }
    if (this.onNearTop && s.scrollTop < 400 && this.items.length) this.onNearTop();
    this.schedule();
  }

  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  render() {
    for (let pass = 0; pass < 3; pass += 1) {
      if (!this.renderPass()) break;
    }
    if (this.stickToBottom && this.atBottom) {
      this.scroller.scrollTop = this.scroller.scrollHeight;
    }
  }

  /** Render the rows in view; true if measured heights changed (so positions must be recomputed). */
  renderPass() {
    const n = this.items.length;
    const viewport = this.scroller.clientHeight || 600;
    const offset = Math.max(0, this.scroller.scrollTop - this.contentTop());
    let start = n ? this.indexAt(offset) : 0;
    let end = n ? this.indexAt(offset + viewport) + 1 : 0;
    start = Math.max(0, start - this.overscan);
    end = Math.min(n, end + this.overscan);

    const wanted = [];
    const keep = new Set();
    for (let i = start; i < end; i += 1) {
      const item = this.items[i];
      const key = this.keyOf(item);
      keep.add(key);
      let node = this.nodes.get(key);
      if (!node) {
        node = this.renderItem(item);
        node.classList.add('vlist-row');
        this.nodes.set(key, node);
      }
      wanted.push(node);
    }
    for (const [key, node] of this.nodes) {
      if (!keep.has(key)) {
        node.remove();
        this.nodes.delete(key);
      }
    }
    const current = this.layer.children;
    let same = current.length === wanted.length;
    for (let i = 0; same && i < wanted.length; i += 1) same = current[i] === wanted[i];
    if (!same) this.layer.replaceChildren(...wanted);
    this.applySpacers(start, end);

    if (!this.scroller.clientHeight) return false;  // hidden: measure when shown
    const anchor = this.stickToBottom && this.atBottom ? null : this.anchor();
    let changed = false;
    for (let i = start; i < end; i += 1) {
      const key = this.keyOf(this.items[i]);
      const height = this.nodes.get(key).offsetHeight;
      if (height && this.heights.get(key) !== height) {
        this.heights.set(key, height);
        changed = true;
      }
    }
    if (changed) {
      this.layout();
      this.applySpacers(start, end);
      if (anchor) {
        const i = this.items.findIndex((item) => this.keyOf(item) === anchor.key);
        if (i >= 0) this.scroller.scrollTop = this.tops[i] + anchor.delta + this.contentTop();
      }
    }
    return changed;
  }
}

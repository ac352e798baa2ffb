// A collapsible tree of any structured-clone value (observation, action, info), built from DOM
// nodes with textContent only. Bounded: depth, entries per node and string length are capped so
// a huge observation cannot freeze the panel.

import { h } from './dom';

const MAX_DEPTH = 12;
const MAX_ENTRIES = 200;
const MAX_STRING = 2000;
const OPEN_DEPTH = 2;

/** `toggled` remembers the paths the user opened or closed, across steps. */
export function jsonTree(value: unknown, toggled: Map<string, boolean>, path = '$'): HTMLElement {
  const root = h('div', 'json-tree');
  root.append(node(undefined, value, toggled, path, 0));
  return root;
}

function node(
  key: string | undefined,
  value: unknown,
  toggled: Map<string, boolean>,
  path: string,
  depth: number,
): HTMLElement {
  const entries = children(value);
  if (!entries) {
    const line = h('div', 'json-leaf');
    if (key !== undefined) line.append(h('span', 'json-key', key), h('span', 'json-punct', ': '));
    line.append(leaf(value));
    return line;
  }
  const d = h('details', 'json-node');
  d.open = toggled.get(path) ?? depth < OPEN_DEPTH;
  d.addEventListener('toggle', () => toggled.set(path, d.open));
  const summary = h('summary');
  if (key !== undefined) summary.append(h('span', 'json-key', key), h('span', 'json-punct', ': '));
  summary.append(h('span', 'json-summary', entries.summary));
  d.append(summary);
  const body = h('div', 'json-children');
  if (depth >= MAX_DEPTH) body.append(h('div', 'json-more', '… nested too deep to show'));
  else {
    const shown = entries.items.slice(0, MAX_ENTRIES);
    for (const [k, v] of shown) body.append(node(k, v, toggled, `${path}/${k}`, depth + 1));
    if (entries.total > shown.length) body.append(h('div', 'json-more', `… ${entries.total - shown.length} more`));
  }
  d.append(body);
  return d;
}

function children(value: unknown): { items: [string, unknown][]; total: number; summary: string } | null {
  if (Array.isArray(value)) {
    return {
      items: value.slice(0, MAX_ENTRIES).map((v, i) => [String(i), v]),
      total: value.length,
      summary: `Array(${value.length})`,
    };
  }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const arr = value as unknown as ArrayLike<number | bigint>;
    const items: [string, unknown][] = [];
    for (let i = 0; i < Math.min(arr.length, MAX_ENTRIES); i++) items.push([String(i), arr[i]]);
    return {
      items,
      total: arr.length,
      summary: `${Object.prototype.toString.call(value).slice(8, -1)}(${arr.length})`,
    };
  }
  if (value instanceof Map) {
    const items: [string, unknown][] = [];
    for (const [k, v] of value) {
      if (items.length >= MAX_ENTRIES) break;
      items.push([String(k), v]);
    }
    return { items, total: value.size, summary: `Map(${value.size})` };
  }
  if (typeof value === 'object' && value !== null && !(value instanceof Date)) {
    const keys = Object.keys(value);
    const items = keys
      .slice(0, MAX_ENTRIES)
      .map((k) => [k, (value as Record<string, unknown>)[k]] as [string, unknown]);
    return {
      items,
      total: keys.length,
      summary: keys.length ? `{${keys.length} ${keys.length === 1 ? 'key' : 'keys'}}` : '{}',
    };
  }
  return null;
}

function leaf(value: unknown): HTMLElement {
  switch (typeof value) {
    case 'string': {
      const s =
        value.length > MAX_STRING
          ? `${value.slice(0, MAX_STRING)}… (${value.length - MAX_STRING} more characters)`
          : value;
      return h('span', 'json-string', `"${s}"`);
    }
    case 'number':
      return h('span', 'json-number', Object.is(value, -0) ? '-0' : String(value));
    case 'bigint':
      return h('span', 'json-number', `${value}n`);
    case 'boolean':
      return h('span', 'json-bool', String(value));
    case 'undefined':
      return h('span', 'json-null', 'undefined');
    default:
      if (value === null) return h('span', 'json-null', 'null');
      if (value instanceof Date) return h('span', 'json-string', value.toISOString());
      return h('span', 'json-null', Object.prototype.toString.call(value));
  }
}

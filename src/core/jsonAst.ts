// A strict JSON parser that keeps each value's offset, so that a validator can say where in the
// file a value is wrong (file:line:col). Linear time; nesting is capped so that hostile input
// cannot overflow the stack. Scenario files are small; this is not on any per-step path.

export type JsonNode =
  | { type: 'object'; offset: number; props: JsonProp[] }
  | { type: 'array'; offset: number; items: JsonNode[] }
  | { type: 'string'; offset: number; value: string }
  | { type: 'number'; offset: number; value: number }
  | { type: 'boolean'; offset: number; value: boolean }
  | { type: 'null'; offset: number; value: null };

export interface JsonProp {
  key: string;
  keyOffset: number;
  value: JsonNode;
}

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'JsonSyntaxError';
  }
}

export const MAX_JSON_DEPTH = 256;

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

export function parseJsonAst(text: string): JsonNode {
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;

  const fail = (msg: string, at = pos): never => {
    throw new JsonSyntaxError(msg, at);
  };
  const ws = () => {
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === 32 || c === 9 || c === 10 || c === 13) pos++;
      else break;
    }
  };
  const what = () =>
    pos >= text.length
      ? 'the end of the file'
      : text[pos] === '/'
        ? "'/' (comments are not allowed in JSON)"
        : `'${text[pos]}'`;

  const str = (): string => {
    const start = pos;
    pos++; // opening quote
    let out = '';
    let run = pos;
    for (;;) {
      if (pos >= text.length) fail('unterminated string', start);
      const c = text.charCodeAt(pos);
      if (c === 34) {
        out += text.slice(run, pos);
        pos++;
        return out;
      }
      if (c < 0x20) fail('control character in a string (write it as an escape such as \\n)');
      if (c === 92) {
        out += text.slice(run, pos);
        const e = text[pos + 1];
        switch (e) {
          case '"':
            out += '"';
            break;
          case '\\':
            out += '\\';
            break;
          case '/':
            out += '/';
            break;
          case 'b':
            out += '\b';
            break;
          case 'f':
            out += '\f';
            break;
          case 'n':
            out += '\n';
            break;
          case 'r':
            out += '\r';
            break;
          case 't':
            out += '\t';
            break;
          case 'u': {
            const hex = text.slice(pos + 2, pos + 6);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('invalid \\u escape: expected 4 hex digits');
            out += String.fromCharCode(parseInt(hex, 16));
            pos += 4;
            break;
          }
          default:
            fail(`invalid escape '\\${e ?? ''}' in a string`);
        }
        pos += 2;
        run = pos;
        continue;
      }
      pos++;
    }
  };

  const value = (depth: number): JsonNode => {
    if (depth > MAX_JSON_DEPTH) fail(`nesting deeper than ${MAX_JSON_DEPTH} levels`);
    ws();
    const offset = pos;
    const c = text[pos];
    if (c === '{') {
      pos++;
      const props: JsonProp[] = [];
      const seen = new Set<string>();
      ws();
      if (text[pos] === '}') {
        pos++;
        return { type: 'object', offset, props };
      }
      for (;;) {
        ws();
        if (text[pos] !== '"') fail(`expected a property name in double quotes, found ${what()}`);
        const keyOffset = pos;
        const key = str();
        if (seen.has(key)) fail(`duplicate key "${key}"`, keyOffset);
        seen.add(key);
        ws();
        if (text[pos] !== ':') fail(`expected ':' after "${key}", found ${what()}`);
        pos++;
        props.push({ key, keyOffset, value: value(depth + 1) });
        ws();
        if (text[pos] === ',') {
          pos++;
          ws();
          if (text[pos] === '}') fail("trailing comma before '}' (JSON allows none)");
          continue;
        }
        if (text[pos] === '}') {
          pos++;
          return { type: 'object', offset, props };
        }
        fail(`expected ',' or '}' after a property value, found ${what()}`);
      }
    }
    if (c === '[') {
      pos++;
      const items: JsonNode[] = [];
      ws();
      if (text[pos] === ']') {
        pos++;
        return { type: 'array', offset, items };
      }
      for (;;) {
        items.push(value(depth + 1));
        ws();
        if (text[pos] === ',') {
          pos++;
          ws();
          if (text[pos] === ']') fail("trailing comma before ']' (JSON allows none)");
          continue;
        }
        if (text[pos] === ']') {
          pos++;
          return { type: 'array', offset, items };
        }
        fail(`expected ',' or ']' after an array item, found ${what()}`);
      }
    }
    if (c === '"') return { type: 'string', offset, value: str() };
    if (text.startsWith('true', pos)) {
      pos += 4;
      return { type: 'boolean', offset, value: true };
    }
    if (text.startsWith('false', pos)) {
      pos += 5;
      return { type: 'boolean', offset, value: false };
    }
    if (text.startsWith('null', pos)) {
      pos += 4;
      return { type: 'null', offset, value: null };
    }
    NUMBER.lastIndex = pos;
    const m = NUMBER.exec(text);
    if (m) {
      pos += m[0].length;
      return { type: 'number', offset, value: Number(m[0]) };
    }
    return fail(`expected a JSON value, found ${what()}`);
  };

  const root = value(0);
  ws();
  if (pos < text.length) fail(`unexpected ${what()} after the end of the JSON value`);
  return root;
}

/** The plain value of a node; keys such as "__proto__" become ordinary own properties. */
export function toValue(node: JsonNode): unknown {
  switch (node.type) {
    case 'object': {
      const o: Record<string, unknown> = {};
      for (const p of node.props)
        Object.defineProperty(o, p.key, {
          value: toValue(p.value),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      return o;
    }
    case 'array':
      return node.items.map(toValue);
    default:
      return node.value;
  }
}

/** 1-based line and column (UTF-16 units) of an offset. */
export function lineCol(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

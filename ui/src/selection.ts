// Asset selection strings, resolved in the browser against the loaded graph.
//   key:raw/orders  group:sales  kind:python  owner:team:x  tag:tier=gold  raw/*  orders
//   +orders (one layer up)  2+orders  *orders (all upstream)  orders+  orders*
//   a and b, a or b, not a, (a or b) and c; juxtaposed terms are a union ("a b" = "a or b").

export interface SelectableAsset {
  key: string;
  group: string | null;
  kinds: string[];
  owners: string[];
  deps: string[];
  tags?: Record<string, string>;
}

type Node =
  | { op: "atom"; text: string }
  | { op: "and" | "or"; a: Node; b: Node }
  | { op: "not"; a: Node };

function tokenize(input: string): string[] {
  const out: string[] = [];
  const re = /\s*(\(|\)|"(?:[^"\\]|\\.)*"|[^\s()"]+(?:"(?:[^"\\]|\\.)*"[^\s()]*)?)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(input))) if (m[1]) out.push(m[1]);
  return out;
}

function parse(tokens: string[]): Node | null {
  let i = 0;
  const peek = () => tokens[i]?.toLowerCase();
  const parseOr = (): Node | null => {
    let left = parseAnd();
    while (left && i < tokens.length && peek() !== ")") {
      if (peek() === "or" || peek() === ",") i++;
      const right = parseAnd();
      if (!right) break;
      left = { op: "or", a: left, b: right };
    }
    return left;
  };
  const parseAnd = (): Node | null => {
    let left = parseNot();
    while (left && peek() === "and") {
      i++;
      const right = parseNot();
      if (!right) throw new Error("'and' needs something on its right");
      left = { op: "and", a: left, b: right };
    }
    return left;
  };
  const parseNot = (): Node | null => {
    if (peek() === "not") {
      i++;
      const a = parseNot();
      if (!a) throw new Error("'not' needs something after it");
      return { op: "not", a };
    }
    return parsePrimary();
  };
  const parsePrimary = (): Node | null => {
    const t = tokens[i];
    if (t === undefined) return null;
    if (t === "(") {
      i++;
      const inner = parseOr();
      if (tokens[i] !== ")") throw new Error("missing ')'");
      i++;
      return inner;
    }
    if (t === ")") throw new Error("unexpected ')'");
    i++;
    return { op: "atom", text: t };
  };
  const tree = parseOr();
  if (i < tokens.length) throw new Error(`unexpected '${tokens[i]}'`);
  return tree;
}

function glob(pattern: string): RegExp {
  const esc = pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*");
  return new RegExp(`^${esc}$`, "i");
}

const unquote = (s: string) => (s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1) : s);

export class Selector {
  private byKey = new Map<string, SelectableAsset>();
  private children = new Map<string, string[]>();

  constructor(private assets: SelectableAsset[]) {
    for (const a of assets) this.byKey.set(a.key, a);
    for (const a of assets) {
      for (const d of a.deps) {
        const list = this.children.get(d);
        if (list) list.push(a.key);
        else this.children.set(d, [a.key]);
      }
    }
  }

  /** The keys the selection string picks; throws an Error saying what is wrong. */
  select(text: string): Set<string> {
    const tree = parse(tokenize(text.trim()));
    if (!tree) return new Set(this.byKey.keys());
    return this.evaluate(tree);
  }

  private evaluate(node: Node): Set<string> {
    if (node.op === "atom") return this.atom(node.text);
    if (node.op === "not") {
      const inner = this.evaluate(node.a);
      return new Set([...this.byKey.keys()].filter((k) => !inner.has(k)));
    }
    const a = this.evaluate(node.a);
    const b = this.evaluate(node.b);
    if (node.op === "or") return new Set([...a, ...b]);
    return new Set([...a].filter((k) => b.has(k)));
  }

  private atom(raw: string): Set<string> {
    if (raw === "*") return new Set(this.byKey.keys());
    const m = /^(\*|\d+\+|\++)?(.*?)(\+\d+|\++|\*)?$/.exec(raw) ?? ["", "", raw, ""];
    let body = m[2];
    let suffix = m[3] ?? "";
    if (suffix === "*" && (body.endsWith("/") || body.endsWith(":"))) {
      body += "*"; // `raw/*` is a key pattern, not "all downstream of raw/"
      suffix = "";
    }
    const up = depth(m[1] ?? "");
    const down = depthSuffix(suffix);
    if (!body) throw new Error(`'${raw}' selects nothing`);
    const base = this.match(body);
    let out = new Set(base);
    if (up !== 0) out = new Set([...out, ...this.walk(base, up, (k) => this.byKey.get(k)?.deps ?? [])]);
    if (down !== 0) out = new Set([...out, ...this.walk(base, down, (k) => this.children.get(k) ?? [])]);
    return out;
  }

  private match(body: string): Set<string> {
    const colon = body.indexOf(":");
    const attr = colon > 0 ? body.slice(0, colon).toLowerCase() : "key";
    const value = unquote(colon > 0 ? body.slice(colon + 1) : body);
    const re = glob(value);
    const test = (a: SelectableAsset): boolean => {
      switch (attr) {
        case "key": return re.test(a.key) || (!value.includes("/") && !value.includes("*") && a.key.split("/").pop()?.toLowerCase() === value.toLowerCase());
        case "group": return re.test(a.group ?? "");
        case "kind": return a.kinds.some((k) => re.test(k));
        case "owner": return a.owners.some((o) => re.test(o));
        case "tag": {
          const [k, v] = value.split("=");
          const tags = a.tags ?? {};
          return k in tags && (v === undefined || tags[k] === v);
        }
        default: throw new Error(`unknown attribute '${attr}:' (use key:, group:, kind:, owner: or tag:)`);
      }
    };
    const out = new Set<string>();
    for (const a of this.assets) if (test(a)) out.add(a.key);
    return out;
  }

  private walk(start: Set<string>, depth: number, next: (k: string) => string[]): Set<string> {
    const seen = new Set<string>();
    let frontier = [...start];
    for (let d = 0; frontier.length && (depth < 0 || d < depth); d++) {
      const nxt: string[] = [];
      for (const k of frontier) for (const n of next(k)) if (!seen.has(n) && !start.has(n)) {
        seen.add(n);
        nxt.push(n);
      }
      frontier = nxt;
    }
    return seen;
  }
}

/** `*` = all layers (-1); `+`, `++` = one per plus; `3+` = three layers. */
function depth(prefix: string): number {
  if (prefix === "*") return -1;
  if (!prefix) return 0;
  const n = /^(\d+)\+$/.exec(prefix);
  if (n) return Number(n[1]);
  return prefix.length;
}

function depthSuffix(suffix: string): number {
  if (suffix === "*") return -1;
  if (!suffix) return 0;
  const n = /^\+(\d+)$/.exec(suffix);
  if (n) return Number(n[1]);
  return suffix.length;
}

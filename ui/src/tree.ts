// The flame tree in flat pre-order form (as /api/v1/merge and /api/v1/diff send it) and
// what the views compute from it: layout, search, zoom paths, and sandwich trees.
//
//   index:  0      1       2      3      4          pre-order: a node's subtree is the
//   parent: -1     0       1      1      0          index range [i, end[i]); a child starts
//   name:   total  main    fib    sort   gc         where its previous sibling ended:
//                                                   x[child] = x[parent] + sum(prev totals)
//   |------------------ total ------------------|
//   |------------ main --------------|--- gc ---|
//   |------ fib -----|---- sort -----|

import type { DiffTree, FlatTree } from './api';

export interface DiffSides {
  leftSelf: Float64Array;
  leftTotal: Float64Array;
  rightSelf: Float64Array;
  rightTotal: Float64Array;
  leftSum: number;
  rightSum: number;
}

export class FlameTree {
  readonly n: number;
  readonly parent: Int32Array;
  readonly nameId: Int32Array;
  readonly names: string[];
  /** Layout widths: the value (or, for a diff, the mean of both sides' shares). */
  readonly self: Float64Array;
  readonly total: Float64Array;
  readonly x: Float64Array;
  readonly depth: Int32Array;
  readonly end: Int32Array;
  readonly maxDepth: number;
  readonly diff?: DiffSides;

  constructor(parent: ArrayLike<number>, nameId: ArrayLike<number>, names: string[],
              self: ArrayLike<number>, total: ArrayLike<number>, diff?: DiffSides) {
    const n = parent.length;
    this.n = n;
    this.parent = Int32Array.from(parent);
    this.nameId = Int32Array.from(nameId);
    this.names = names;
    this.self = Float64Array.from(self);
    this.total = Float64Array.from(total);
    this.diff = diff;
    this.x = new Float64Array(n);
    this.depth = new Int32Array(n);
    this.end = new Int32Array(n);
    const next = new Float64Array(n);  // where the next child of a node starts
    let maxDepth = 0;
    for (let i = 1; i < n; i++) {
      const p = this.parent[i];
      this.x[i] = next[p];
      next[p] += this.total[i];
      next[i] = this.x[i];
      const d = this.depth[p] + 1;
      this.depth[i] = d;
      if (d > maxDepth) maxDepth = d;
    }
    // Subtree ends: walk backwards, a node's end is the furthest end among its children.
    for (let i = n - 1; i >= 0; i--) if (this.end[i] === 0) this.end[i] = i + 1;
    for (let i = n - 1; i > 0; i--) {
      const p = this.parent[i];
      if (this.end[i] > this.end[p]) this.end[p] = this.end[i];
    }
    this.maxDepth = maxDepth;
  }

  static fromFlat(t: FlatTree): FlameTree {
    return new FlameTree(t.parent, t.name, t.names, t.self, t.total);
  }

  /** A diff tree: each node as wide as the mean of its shares of the two sides' totals. */
  static fromDiff(t: DiffTree, leftSum: number, rightSum: number): FlameTree {
    const n = t.parent.length;
    const self = new Float64Array(n);
    const total = new Float64Array(n);
    const l = leftSum > 0 ? 1 / leftSum : 0;
    const r = rightSum > 0 ? 1 / rightSum : 0;
    const k = l > 0 && r > 0 ? 0.5 : 1;
    for (let i = 0; i < n; i++) {
      self[i] = k * (t.left_self[i] * l + t.right_self[i] * r);
      total[i] = k * (t.left_total[i] * l + t.right_total[i] * r);
    }
    return new FlameTree(t.parent, t.name, t.names, self, total, {
      leftSelf: Float64Array.from(t.left_self),
      leftTotal: Float64Array.from(t.left_total),
      rightSelf: Float64Array.from(t.right_self),
      rightTotal: Float64Array.from(t.right_total),
      leftSum,
      rightSum,
    });
  }

  name(i: number): string {
    return this.names[this.nameId[i]];
  }

  /** Names from the root's child down to node i, joined by ';' (zoom state in the URL). */
  path(i: number): string {
    const parts: string[] = [];
    for (let j = i; j > 0; j = this.parent[j]) parts.push(this.name(j));
    return parts.reverse().join(';');
  }

  /** The node at a path, or 0 (the root) when it no longer exists. */
  findPath(path: string): number {
    if (!path) return 0;
    let node = 0;
    for (const part of path.split(';')) {
      let found = -1;
      for (let c = node + 1; c < this.end[node]; c = this.end[c]) {
        if (this.name(c) === part) {
          found = c;
          break;
        }
      }
      if (found < 0) return node;
      node = found;
    }
    return node;
  }

  /**
   * Marks the nodes whose name matches and returns their value without double counting
   * (a match inside a matching subtree is already counted by its ancestor).
   */
  search(match: (name: string) => boolean): { matched: Uint8Array; value: number } {
    const byName = this.names.map(match);
    const matched = new Uint8Array(this.n);
    let value = 0;
    let coveredUntil = 0;
    for (let i = 1; i < this.n; i++) {
      if (!byName[this.nameId[i]]) continue;
      matched[i] = 1;
      if (i >= coveredUntil) {
        value += this.total[i];
        coveredUntil = this.end[i];
      }
    }
    return { matched, value };
  }

  /** Occurrences of a function that have no ancestor of the same name. */
  outermost(fn: string): number[] {
    const out: number[] = [];
    for (let i = 1; i < this.n; ) {
      if (this.name(i) === fn) {
        out.push(i);
        i = this.end[i];
      } else {
        i++;
      }
    }
    return out;
  }

  /** The inverted (bottom-up) tree: leaf functions under the root, their callers below. */
  inverted(): FlameTree {
    const b = new TreeBuilder(this.name(0));
    const path: string[] = [];
    for (let i = 1; i < this.n; i++) {
      if (this.self[i] <= 0) continue;
      path.length = 0;
      for (let j = i; j > 0; j = this.parent[j]) path.push(this.name(j));
      b.add(path, this.self[i]);
    }
    return b.build();
  }

  /** Sandwich view: the callers of fn (fn at the root, its callers as children) ... */
  callers(fn: string): FlameTree {
    const b = new TreeBuilder(fn);
    for (const o of this.outermost(fn)) {
      const path: string[] = [];
      for (let p = this.parent[o]; p > 0; p = this.parent[p]) path.push(this.name(p));
      b.add(path, this.total[o]);
    }
    return b.build();
  }

  /** ... and its callees: the subtrees under every outermost fn merged. */
  callees(fn: string): FlameTree {
    const b = new TreeBuilder(fn);
    for (const o of this.outermost(fn)) {
      const nodeOf = new Map<number, BuilderNode>([[o, b.root]]);
      b.root.total += this.total[o];
      b.root.self += this.self[o];
      for (let i = o + 1; i < this.end[o]; i++) {
        const parent = nodeOf.get(this.parent[i])!;
        const node = b.child(parent, this.name(i));
        node.total += this.total[i];
        node.self += this.self[i];
        nodeOf.set(i, node);
      }
    }
    return b.build();
  }
}

interface BuilderNode {
  name: string;
  self: number;
  total: number;
  children: Map<string, BuilderNode>;
}

/** Builds a FlameTree from paths (children in name order, like the server's). */
export class TreeBuilder {
  readonly root: BuilderNode;

  constructor(rootName: string) {
    this.root = { name: rootName, self: 0, total: 0, children: new Map() };
  }

  child(parent: BuilderNode, name: string): BuilderNode {
    let c = parent.children.get(name);
    if (!c) {
      c = { name, self: 0, total: 0, children: new Map() };
      parent.children.set(name, c);
    }
    return c;
  }

  /** Adds `value` along path (root's child first); the last node gets it as self. */
  add(path: string[], value: number): void {
    let node = this.root;
    node.total += value;
    for (const name of path) {
      node = this.child(node, name);
      node.total += value;
    }
    node.self += value;
  }

  build(): FlameTree {
    const parent: number[] = [];
    const nameId: number[] = [];
    const self: number[] = [];
    const total: number[] = [];
    const names: string[] = [];
    const ids = new Map<string, number>();
    const stack: Array<[BuilderNode, number]> = [[this.root, -1]];
    while (stack.length > 0) {
      const [node, p] = stack.pop()!;
      const index = parent.length;
      parent.push(p);
      let id = ids.get(node.name);
      if (id === undefined) {
        id = names.length;
        ids.set(node.name, id);
        names.push(node.name);
      }
      nameId.push(id);
      self.push(node.self);
      total.push(node.total);
      const kids = [...node.children.values()].sort((a, b) => (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
      for (const k of kids) stack.push([k, index]);
    }
    return new FlameTree(parent, nameId, names, self, total);
  }
}

/** Search text: "=name" matches exactly, "/re/" a regular expression, else a substring. */
export function matcher(text: string): ((name: string) => boolean) | null {
  const t = text.trim();
  if (!t) return null;
  if (t.startsWith('=')) {
    const exact = t.slice(1);
    return (n) => n === exact;
  }
  if (t.length > 2 && t.startsWith('/') && t.endsWith('/')) {
    try {
      const re = new RegExp(t.slice(1, -1), 'i');
      return (n) => re.test(n);
    } catch {
      return () => false;
    }
  }
  const lower = t.toLowerCase();
  return (n) => n.toLowerCase().includes(lower);
}

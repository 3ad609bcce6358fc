/**
 * Retained messages by topic, as a tree of topic levels, so that the messages a new subscription receives are
 * found by walking the levels its filter names instead of testing every retained topic.
 */
interface Node<T> {
  children: Map<string, Node<T>>;
  value?: T;
}

export class RetainedTree<T> {
  private readonly root: Node<T> = { children: new Map() };
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(topic: string): T | undefined {
    let node: Node<T> | undefined = this.root;
    for (const level of topic.split('/')) {
      node = node.children.get(level);
      if (!node) return undefined;
    }
    return node.value;
  }

  set(topic: string, value: T): void {
    let node = this.root;
    for (const level of topic.split('/')) {
      let child = node.children.get(level);
      if (!child) {
        child = { children: new Map() };
        node.children.set(level, child);
      }
      node = child;
    }
    if (node.value === undefined) this.count++;
    node.value = value;
  }

  delete(topic: string): void {
    const path: Node<T>[] = [this.root];
    const levels = topic.split('/');
    for (const level of levels) {
      const next = path.at(-1)!.children.get(level);
      if (!next) return;
      path.push(next);
    }
    const node = path.at(-1)!;
    if (node.value === undefined) return;
    node.value = undefined;
    this.count--;
    // Prune the branch that held only this value.
    for (let i = levels.length; i > 0; i--) {
      const current = path[i]!;
      if (current.value !== undefined || current.children.size > 0) break;
      path[i - 1]!.children.delete(levels[i - 1]!);
    }
  }

  /**
   * Every value whose topic matches the MQTT filter: `+` one level, `#` any number of levels including none (so
   * `a/#` matches `a`), and wildcards at the first level never match topics starting with `$`.
   */
  match(filter: string): T[] {
    const out: T[] = [];
    const levels = filter.split('/');
    const walk = (node: Node<T>, index: number) => {
      if (index === levels.length) {
        if (node.value !== undefined) out.push(node.value);
        return;
      }
      const level = levels[index]!;
      if (level === '#') {
        this.collect(node, out, index === 0);
        return;
      }
      if (level === '+') {
        for (const [name, child] of node.children) {
          if (index === 0 && name.startsWith('$')) continue;
          walk(child, index + 1);
        }
        return;
      }
      const child = node.children.get(level);
      if (child) walk(child, index + 1);
    };
    walk(this.root, 0);
    return out;
  }

  /** Every value at or below `node` (for `#`); at the root, none under a `$` level. */
  private collect(node: Node<T>, out: T[], atRoot: boolean): void {
    if (node.value !== undefined && !atRoot) out.push(node.value);
    for (const [name, child] of node.children) {
      if (atRoot && name.startsWith('$')) continue;
      this.collect(child, out, false);
    }
  }

  /** Every value, in no particular order. */
  values(): T[] {
    const out: T[] = [];
    this.collect(this.root, out, false);
    return out;
  }
}

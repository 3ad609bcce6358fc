import { inspect } from 'node:util';

type Path = readonly string[];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function resolve(root: unknown, path: Path): unknown {
  let value = root;
  for (const key of path) {
    if (!isObject(value)) return undefined;
    value = value[key];
  }
  return value;
}

/**
 * A live, read-only view of the latest value of a feed (a reading, the energy counters). Every property access
 * reads the newest value, so a plugin that keeps `data` or `data.cts` sees each update without doing anything; any
 * write throws, because the value is the runner's and the same for every reader.
 */
export class LiveView<T extends object> {
  private current: T | undefined;
  private readonly views = new Map<string, object>();
  private accessed = false;
  /** The view handed to plugins. */
  readonly view: Readonly<T>;

  constructor(
    private readonly name: string,
    private readonly onFirstAccess?: () => void,
  ) {
    this.view = this.viewAt([]) as Readonly<T>;
  }

  update(value: T): void {
    this.current = value;
  }

  get value(): T | undefined {
    return this.current;
  }

  private touch(): void {
    if (this.accessed) return;
    this.accessed = true;
    this.onFirstAccess?.();
  }

  private viewAt(path: Path): object {
    const key = path.join('\u0000');
    const cached = this.views.get(key);
    if (cached) return cached;
    const live = this;
    const describe = (property: PropertyKey) =>
      [this.name, ...path, String(property)]
        .map((part, index) => (index === 0 ? part : `[${JSON.stringify(part)}]`))
        .join('');
    const readOnly = (property: PropertyKey): never => {
      throw new TypeError(
        `${describe(property)} is read-only: it is the runner's live copy of the latest value, shared with every reader`,
      );
    };
    const target: object = {};
    // util.inspect (console.log) formats a proxy's target, not the proxy: show the current value instead of {}.
    Object.defineProperty(target, inspect.custom, {
      value: (depth: number, options: object) => inspect(resolve(live.current, path), { ...options, depth }),
      configurable: true,
      enumerable: false,
    });
    const view = new Proxy(target, {
      get(_target, property) {
        if (property === inspect.custom) return Reflect.get(target, property);
        live.touch();
        if (typeof property === 'symbol') return undefined;
        const value = resolve(live.current, [...path, property]);
        if (property === 'toJSON' && value === undefined) return () => resolve(live.current, path);
        return isObject(value) ? live.viewAt([...path, property]) : value;
      },
      has(_target, property) {
        live.touch();
        const value = resolve(live.current, path);
        return typeof property === 'string' && isObject(value) && property in value;
      },
      ownKeys() {
        live.touch();
        const value = resolve(live.current, path);
        return isObject(value) ? Object.keys(value) : [];
      },
      getOwnPropertyDescriptor(_target, property) {
        const value = resolve(live.current, path);
        if (typeof property !== 'string' || !isObject(value) || !Object.hasOwn(value, property))
          return undefined;
        const inner = value[property];
        return {
          value: isObject(inner) ? live.viewAt([...path, property]) : inner,
          writable: false,
          enumerable: true,
          configurable: true,
        };
      },
      set: (_target, property) => readOnly(property),
      deleteProperty: (_target, property) => readOnly(property),
      defineProperty: (_target, property) => readOnly(property),
      setPrototypeOf: () => readOnly('prototype'),
    });
    this.views.set(key, view);
    return view;
  }
}

import { inspect } from 'node:util';

/**
 * A read-only dictionary view over a Map, so plugins index `devices['0001'].units[1]` as in Domoticz while only
 * the runner changes what is in it.
 */
export class Dictionary<K extends string | number, V> {
  readonly map = new Map<K, V>();
  readonly view: Readonly<Record<K, V>>;

  constructor(name: string, keyOf: (property: string) => K | undefined, howToChange: string) {
    const map = this.map;
    const readOnly = (): never => {
      throw new TypeError(`${name} is read-only: ${howToChange}`);
    };
    const target = {};
    Object.defineProperty(target, inspect.custom, {
      value: (depth: number, options: object) => inspect(Object.fromEntries(map), { ...options, depth }),
      configurable: true,
    });
    const lookup = (property: string | symbol): V | undefined => {
      if (typeof property !== 'string') return undefined;
      const key = keyOf(property);
      return key === undefined ? undefined : map.get(key);
    };
    this.view = new Proxy(target, {
      get: (_target, property) => lookup(property),
      has: (_target, property) => lookup(property) !== undefined,
      ownKeys: () => [...map.keys()].map(String),
      getOwnPropertyDescriptor: (_target, property) => {
        const value = lookup(property);
        return value === undefined
          ? undefined
          : { value, writable: false, enumerable: true, configurable: true };
      },
      set: readOnly,
      deleteProperty: readOnly,
      defineProperty: readOnly,
    }) as Readonly<Record<K, V>>;
  }
}

export function unitKey(property: string): number | undefined {
  return /^[1-9]\d{0,2}$/.test(property) ? Number(property) : undefined;
}

export function stringKey(property: string): string {
  return property;
}

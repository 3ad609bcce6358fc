// biome-ignore lint/complexity/noBannedTypes: any method of a persistence, whatever its signature
type Method = Function;

/**
 * Wrappers made once per method for a Proxy's get trap. aedes looks up persistence methods several times for every
 * message, and the store wrappers are Proxies: a new closure or bound function at each lookup was measurable garbage
 * under a stream of retained messages. A wrapper is remade only when the property holds another function.
 */
export function methodCache(): (property: PropertyKey, method: Method, wrap: () => Method) => Method {
  const cache = new Map<PropertyKey, { method: Method; wrapper: Method }>();
  return (property, method, wrap) => {
    const hit = cache.get(property);
    if (hit && hit.method === method) return hit.wrapper;
    const wrapper = wrap();
    cache.set(property, { method, wrapper });
    return wrapper;
  };
}

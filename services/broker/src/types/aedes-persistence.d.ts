declare module 'aedes-persistence-level' {
  /** Returns an aedes persistence backed by an open abstract-level database (aedes-persistence-level 9.x). */
  export default function persistence(db: object): unknown;
}

declare module 'aedes-persistence-redis' {
  /** Returns an aedes persistence backed by Redis; options are ioredis connection options (11.x). */
  export default function persistence(options: object): unknown;
}

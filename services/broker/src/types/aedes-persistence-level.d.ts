declare module 'aedes-persistence-level' {
  /** Returns an aedes persistence backed by an open abstract-level database (aedes-persistence-level 9.x). */
  export default function persistence(db: object): unknown;
}

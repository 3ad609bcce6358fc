import { filterCovers, filterProblem } from './topic-filter.js';

/** What a rule grants, as in Mosquitto's acl_file; `deny` takes precedence over every grant. */
export type Access = 'read' | 'write' | 'readwrite' | 'deny';

export interface AccessRule {
  access: Access;
  /** A topic filter; may contain `+` and `#`. */
  filter: string;
}

interface CompiledRule {
  filter: string;
  levels: string[];
  /** Wildcard at the first level: must not match `$` topics. */
  wildFirst: boolean;
}

function compile(rule: AccessRule): CompiledRule {
  const problem = filterProblem(rule.filter);
  if (problem) throw new Error(`access rule "${rule.filter}" ${problem}`);
  const levels = rule.filter.split('/');
  return { filter: rule.filter, levels, wildFirst: levels[0] === '+' || levels[0] === '#' };
}

/** filterMatches with the rule already split, and the topic split once for all rules: this runs on every publish. */
function matches(rule: CompiledRule, topic: string, topicLevels: string[]): boolean {
  if (rule.wildFirst && topic.charCodeAt(0) === 36 /* $ */) return false;
  const levels = rule.levels;
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i];
    if (level === '#') return true;
    if (i >= topicLevels.length) return false;
    if (level !== '+' && level !== topicLevels[i]) return false;
  }
  return levels.length === topicLevels.length;
}

/**
 * The compiled access rules of one connected client. Publishing to any `$` topic is refused whatever the rules say:
 * those topics belong to the broker.
 */
export class AccessRules {
  private readonly read: CompiledRule[] = [];
  private readonly write: CompiledRule[] = [];
  private readonly deny: CompiledRule[] = [];
  /** A `#` write rule and no deny rule: every publish outside `$` is allowed, without matching (the hot path). */
  private readonly writeAll: boolean;

  constructor(
    readonly rules: readonly AccessRule[],
    /** A short description for logs: `role plugin (example)`, `acl_file`, `anonymous`. */
    readonly source: string,
  ) {
    for (const rule of rules) {
      const compiled = compile(rule);
      if (rule.access === 'deny') this.deny.push(compiled);
      if (rule.access === 'read' || rule.access === 'readwrite') this.read.push(compiled);
      if (rule.access === 'write' || rule.access === 'readwrite') this.write.push(compiled);
    }
    this.writeAll = this.deny.length === 0 && this.write.some((rule) => rule.filter === '#');
  }

  /** Only clients with deny rules need a check per delivered message; see canReceive. */
  get hasDenyRules(): boolean {
    return this.deny.length > 0;
  }

  canPublish(topic: string): boolean {
    if (topic.charCodeAt(0) === 36 /* $ */) return false;
    if (this.writeAll) return true;
    const levels = topic.split('/');
    if (this.deny.some((rule) => matches(rule, topic, levels))) return false;
    return this.write.some((rule) => matches(rule, topic, levels));
  }

  /** A subscription is allowed when one read rule covers all it can match and no deny rule covers it entirely. */
  canSubscribe(filter: string): boolean {
    if (filterProblem(filter)) return false;
    if (this.deny.some((rule) => filterCovers(rule.filter, filter))) return false;
    return this.read.some((rule) => filterCovers(rule.filter, filter));
  }

  /**
   * Whether a message on `topic` may be delivered through a subscription that was allowed. Only deny rules can say
   * no here: a deny rule inside an allowed subscription (`deny wattbus/secret` under `read wattbus/#`).
   */
  canReceive(topic: string): boolean {
    if (this.deny.length === 0) return true;
    const levels = topic.split('/');
    return !this.deny.some((rule) => matches(rule, topic, levels));
  }
}

/** Everything except publishing to `$` topics: anonymous clients on the loopback demo and users without an acl_file. */
export const FULL_ACCESS: readonly AccessRule[] = [
  { access: 'readwrite', filter: '#' },
  { access: 'read', filter: '$SYS/#' },
];

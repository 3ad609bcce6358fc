import { filterMatches } from '@wattbus/shared/contract/topics.js';

export { filterMatches };

/**
 * Why a topic filter is not valid for SUBSCRIBE or for an access rule (MQTT 5 section 4.7.1), or undefined when it
 * is valid. `#` must be a whole last level and `+` a whole level.
 */
export function filterProblem(filter: string): string | undefined {
  if (filter.length === 0) return 'is empty';
  if (filter.includes('\u0000')) return 'contains NUL';
  const levels = filter.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!;
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) {
      return '"#" must be a whole level at the end';
    }
    if (level.includes('+') && level !== '+') return '"+" must be a whole level';
  }
  return undefined;
}

/**
 * True when every topic that `requested` can match is also matched by `allowed`. This is how a SUBSCRIBE is checked
 * against an access rule (as Mosquitto does): `wattbus/#` may not be subscribed with a rule for `wattbus/readings`
 * only, because it would also receive everything else under `wattbus/`.
 */
export function filterCovers(allowed: string, requested: string): boolean {
  const allowedLevels = allowed.split('/');
  const requestedLevels = requested.split('/');
  // Wildcards never match a `$` topic at the first level (MQTT 4.7.2), so `#` does not cover `$SYS/#`.
  if (requested.startsWith('$') && (allowedLevels[0] === '+' || allowedLevels[0] === '#')) return false;
  for (let i = 0; i < allowedLevels.length; i++) {
    const level = allowedLevels[i];
    if (level === '#') return true;
    if (i >= requestedLevels.length) return false;
    const wanted = requestedLevels[i];
    if (wanted === '#') return false;
    if (level === '+') continue;
    if (wanted !== level) return false;
  }
  return allowedLevels.length === requestedLevels.length;
}

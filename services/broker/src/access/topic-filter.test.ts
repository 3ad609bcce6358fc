import { describe, expect, it } from 'vitest';
import { filterCovers, filterProblem } from './topic-filter.js';

describe('filterCovers', () => {
  it.each([
    ['wattbus/#', 'wattbus/#', true],
    ['wattbus/#', 'wattbus/readings', true],
    ['wattbus/#', 'wattbus', true],
    ['wattbus/#', 'wattbus/+/state', true],
    ['wattbus/+', 'wattbus/+', true],
    ['wattbus/+', 'wattbus/readings', true],
    ['wattbus/+', 'wattbus/#', false],
    ['wattbus/+', 'wattbus/readings/ct', false],
    ['wattbus/readings', 'wattbus/+', false],
    ['wattbus/readings', 'wattbus/#', false],
    ['wattbus/readings', 'wattbus/readings', true],
    ['wattbus/readings', 'wattbus/readings/#', false],
    ['wattbus/plugins/a/#', 'wattbus/plugins/+/#', false],
    ['wattbus/plugins/a/#', 'wattbus/plugins/b/response/x', false],
    ['#', 'anything/at/all', true],
    ['#', '$SYS/#', false],
    ['+/broker', '$SYS/broker', false],
    ['$SYS/#', '$SYS/broker/clients', true],
  ])('%s covers %s: %s', (allowed, requested, expected) => {
    expect(filterCovers(allowed, requested)).toBe(expected);
  });
});

describe('filterProblem', () => {
  it.each(['a/b', 'a/+/c', '#', 'a/#', '+', '$SYS/#'])('accepts %s', (filter) => {
    expect(filterProblem(filter)).toBeUndefined();
  });
  it.each([
    ['', 'is empty'],
    ['a/#/b', '"#" must be a whole level at the end'],
    ['a/b#', '"#" must be a whole level at the end'],
    ['a/b+/c', '"+" must be a whole level'],
    ['a/\u0000', 'contains NUL'],
  ])('refuses %j: %s', (filter, problem) => {
    expect(filterProblem(filter)).toBe(problem);
  });
});

import { filterMatches } from '@wattbus/shared/contract/topics.js';
import { describe, expect, it } from 'vitest';
import { RetainedTree } from './retained-tree.js';

const TOPICS = [
  'a',
  'a/b',
  'a/b/c',
  'a/c',
  '/leading',
  'x//y',
  '$SYS/broker/uptime',
  'wattbus/devices/p1/meter/1',
  'wattbus/devices/p2/meter/1',
  'homeassistant/sensor/x/config',
];
const FILTERS = [
  '#',
  '+',
  'a',
  'a/#',
  'a/+',
  '+/b',
  '+/+/c',
  'a/b/#',
  'x/+/y',
  '+/leading',
  '$SYS/#',
  '+/broker/#',
];

function treeOf(topics: string[]): RetainedTree<string> {
  const tree = new RetainedTree<string>();
  for (const topic of topics) tree.set(topic, topic);
  return tree;
}

describe('RetainedTree', () => {
  it.each(FILTERS)('matches %s exactly as the contract does topic by topic', (filter) => {
    const tree = treeOf(TOPICS);
    const expected = TOPICS.filter((topic) => filterMatches(filter, topic)).sort();
    expect(tree.match(filter).sort()).toEqual(expected);
  });

  it('keeps one value per topic, and counts them', () => {
    const tree = treeOf(TOPICS);
    tree.set('a/b', 'newer');
    expect(tree.get('a/b')).toBe('newer');
    expect(tree.size).toBe(TOPICS.length);
    expect(tree.values()).toHaveLength(TOPICS.length);
  });

  it('deletes a topic, prunes empty branches, and keeps the rest', () => {
    const tree = treeOf(['a/b/c', 'a', 'q/r/s']);
    tree.delete('a/b/c');
    tree.delete('q/r/s');
    tree.delete('never/there');
    expect(tree.size).toBe(1);
    expect(tree.match('#')).toEqual(['a']);
    expect(tree.get('a/b/c')).toBeUndefined();
    // The pruned branch no longer exists, so it can hold a new value again.
    tree.set('a/b', 'ab');
    expect(tree.match('a/+')).toEqual(['ab']);
  });
});

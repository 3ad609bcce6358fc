import { ConfigError } from '@wattbus/shared';
import { describe, expect, it } from 'vitest';
import { parseAclFile, substitutePatterns } from './acl-file.js';

describe('parseAclFile', () => {
  it('reads anonymous, per-user and pattern rules in Mosquitto format', () => {
    const acl = parseAclFile(
      [
        '# comment',
        'topic read wattbus/readings',
        '',
        'user alice',
        'topic readwrite wattbus/devices/#',
        'topic deny wattbus/bridge/#',
        'topic dashboards/with space/#',
        'pattern write dashboards/%u/%c/#',
        'user bob',
        '  topic   read   wattbus/#  ',
      ].join('\n'),
      'acl',
    );
    expect(acl.anonymous).toEqual([{ access: 'read', filter: 'wattbus/readings' }]);
    expect(acl.users.get('alice')).toEqual([
      { access: 'readwrite', filter: 'wattbus/devices/#' },
      { access: 'deny', filter: 'wattbus/bridge/#' },
      { access: 'readwrite', filter: 'dashboards/with space/#' },
    ]);
    expect(acl.users.get('bob')).toEqual([{ access: 'read', filter: 'wattbus/#' }]);
    expect(acl.patterns).toEqual([{ access: 'write', filter: 'dashboards/%u/%c/#' }]);
  });

  it('lists every bad line with its number', () => {
    const parse = () =>
      parseAclFile(['user', 'topic read a/#/b', 'group admins', 'topic read'].join('\n'), 'acl');
    expect(parse).toThrow(ConfigError);
    try {
      parse();
    } catch (error) {
      expect((error as ConfigError).problems).toEqual([
        'acl:1: "user" needs a username',
        'acl:2: the topic "a/#/b" "#" must be a whole level at the end',
        'acl:3: unknown keyword "group" (expected user, topic or pattern)',
      ]);
    }
  });
});

describe('substitutePatterns', () => {
  const patterns = [
    { access: 'readwrite' as const, filter: 'users/%u/#' },
    { access: 'write' as const, filter: 'clients/%c/state' },
    { access: 'deny' as const, filter: 'secret/%c' },
  ];

  it('fills in the username and client id', () => {
    expect(substitutePatterns(patterns, 'alice', 'phone')).toEqual([
      { access: 'readwrite', filter: 'users/alice/#' },
      { access: 'write', filter: 'clients/phone/state' },
      { access: 'deny', filter: 'secret/phone' },
    ]);
  });

  it('skips %u patterns for anonymous clients', () => {
    expect(substitutePatterns(patterns, undefined, 'phone')).toEqual([
      { access: 'write', filter: 'clients/phone/state' },
      { access: 'deny', filter: 'secret/phone' },
    ]);
  });

  it('does not let a client id with wildcards widen a grant', () => {
    expect(substitutePatterns(patterns, 'alice', '#')).toEqual([
      { access: 'readwrite', filter: 'users/alice/#' },
      { access: 'deny', filter: 'secret/#' },
    ]);
    expect(substitutePatterns(patterns, 'alice', 'a/b')).toEqual([
      { access: 'readwrite', filter: 'users/alice/#' },
      { access: 'deny', filter: 'secret/a/b' },
    ]);
  });
});

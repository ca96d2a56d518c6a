import { describe, expect, it } from 'vitest';
import { mayUse, ownerOf } from './stored-objects.js';

const alice = { keyId: 'k-alice', team: 'platform' };
const carol = { keyId: 'k-carol', team: 'platform' };
const bob = { keyId: 'k-bob', team: 'data' };
const loner = { keyId: 'k-loner', team: null };
const other = { keyId: 'k-other', team: null };

describe('who may use a stored object', () => {
  it('under team: the creating key and the keys of its team, no other team', () => {
    expect(mayUse('team', alice, alice)).toBe(true);
    expect(mayUse('team', alice, carol)).toBe(true);
    expect(mayUse('team', alice, bob)).toBe(false);
  });

  it('under team: a key without a team shares with no other key without one', () => {
    expect(mayUse('team', loner, loner)).toBe(true);
    expect(mayUse('team', loner, other)).toBe(false);
    expect(mayUse('team', alice, loner)).toBe(false);
  });

  it('under key: the creating key alone, not its team', () => {
    expect(mayUse('key', alice, alice)).toBe(true);
    expect(mayUse('key', alice, carol)).toBe(false);
  });

  it('refuses an object with no recorded owner under team and key; shared lets every key use every object', () => {
    expect(mayUse('team', undefined, alice)).toBe(false);
    expect(mayUse('key', undefined, alice)).toBe(false);
    expect(mayUse('shared', undefined, alice)).toBe(true);
    expect(mayUse('shared', alice, bob)).toBe(true);
  });

  it('lets every key of a team an admin gave an object use it, under team and key, and no key of another team nor an anonymous caller', () => {
    const platform = { keyId: null, team: 'platform' };
    const anonymous = { keyId: null, team: null };
    for (const mode of ['team', 'key'] as const) {
      expect(mayUse(mode, platform, alice)).toBe(true);
      expect(mayUse(mode, platform, carol)).toBe(true);
      expect(mayUse(mode, platform, bob)).toBe(false);
      expect(mayUse(mode, platform, loner)).toBe(false);
      expect(mayUse(mode, platform, anonymous)).toBe(false);
    }
    // What an anonymous caller made stays every anonymous caller's, as before.
    expect(mayUse('key', anonymous, anonymous)).toBe(true);
    expect(mayUse('team', anonymous, alice)).toBe(false);
  });

  it('takes a caller team from its key, never a header; a passed-through provider key owns nothing here', () => {
    expect(ownerOf({ keyId: 'k1', keyTeam: 'platform', upstreamKey: { kind: 'configured' } })).toEqual({ keyId: 'k1', team: 'platform' });
    expect(ownerOf({ keyId: 'fp', keyTeam: null, upstreamKey: { kind: 'passthrough', key: 'sk-own' } })).toBeUndefined();
  });
});

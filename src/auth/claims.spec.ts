import { describe, expect, it } from '@jest/globals';
import { claimAt, describePath, namesIn } from './claims.js';

describe('reading roles and profession where a partner IdP puts them', () => {
  const keycloak = {
    sub: 'u',
    realm_access: { roles: ['default-roles-woonhaven', 'offline_access', 'aanmelder'] },
    groups: ['/dpo', '/staff/housing'],
    'extn.profession': 'woonconsulent',
  };

  it('walks a path of own properties, so a dotted claim name is one segment and the prototype is never reached', () => {
    expect(claimAt(keycloak, ['realm_access', 'roles'])).toEqual(keycloak.realm_access.roles);
    expect(claimAt(keycloak, ['extn.profession'])).toBe('woonconsulent');
    expect(claimAt(keycloak, ['extn', 'profession'])).toBeUndefined();
    expect(claimAt(keycloak, ['__proto__'])).toBeUndefined();
    expect(claimAt(keycloak, ['constructor', 'name'])).toBeUndefined();
    expect(claimAt(keycloak, ['groups', '0'])).toBeUndefined();
    expect(describePath(['realm_access', 'roles'])).toBe('realm_access.roles');
    expect(describePath(['extn.profession'])).toBe('"extn.profession"');
  });

  it('maps the IdP’s names and ignores what the map does not name (also Object.prototype members)', () => {
    const source = { path: ['realm_access', 'roles'], map: { aanmelder: 'referrer', dpo: 'privacy-officer' } };
    expect(namesIn(keycloak, source, 'list')).toEqual(['referrer']);
    expect(namesIn({ realm_access: { roles: ['constructor', 'toString', 'hasOwnProperty'] } }, source, 'list')).toEqual(
      [],
    );
    expect(namesIn(keycloak, { path: ['groups'], map: { '/dpo': 'privacy-officer' } }, 'list')).toEqual([
      'privacy-officer',
    ]);
  });

  it('takes names as they are without a map, and refuses claims of the wrong shape', () => {
    expect(namesIn({ roles: ['referrer', 'referrer'] }, { path: ['roles'] }, 'list')).toEqual(['referrer']);
    expect(namesIn({}, { path: ['roles'] }, 'list')).toEqual([]);
    expect(namesIn({ roles: 'referrer' }, { path: ['roles'] }, 'list')).toBeNull();
    expect(namesIn({ roles: ['referrer', 7] }, { path: ['roles'] }, 'list')).toBeNull();
    expect(namesIn({ roles: { referrer: true } }, { path: ['roles'] }, 'list')).toBeNull();
  });

  it('reads one profession from a string, or from groups through a map', () => {
    expect(
      namesIn(keycloak, { path: ['extn.profession'], map: { woonconsulent: 'housing-officer' } }, 'single'),
    ).toEqual(['housing-officer']);
    expect(namesIn({ profession: 'psychologist' }, { path: ['profession'] }, 'single')).toEqual(['psychologist']);
    // An array means nothing without a map saying which of its values is the profession.
    expect(namesIn({ profession: ['psychologist'] }, { path: ['profession'] }, 'single')).toBeNull();
    const fromGroups = { path: ['groups'], map: { '/staff/housing': 'housing-officer', '/dpo': 'administrator' } };
    expect(namesIn({ groups: ['/staff/housing', '/other'] }, fromGroups, 'single')).toEqual(['housing-officer']);
    // Two professions at once: the caller refuses it as ambiguous.
    expect(namesIn(keycloak, fromGroups, 'single')).toEqual(['administrator', 'housing-officer']);
  });
});

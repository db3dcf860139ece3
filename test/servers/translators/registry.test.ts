// The translator registry: the stock translators by name, user translators registered
// and removed, names with slashes matched by their last part, copies independent.

import { describe, expect, it } from 'vitest';
import { TranslatorRegistry } from '../../../servers/fs/translator.ts';
import { defaultRegistry, hello, tmpfs } from '../../../servers/translators/index.ts';

describe('translator registry', () => {
  it('holds hello and tmpfs by default', () => {
    const r = defaultRegistry();
    expect(r.names()).toEqual(['hello', 'tmpfs']);
    expect(r.get('hello')).toBe(hello);
    expect(r.get('/hurd/tmpfs')).toBe(tmpfs);
    expect(r.get('nope')).toBeUndefined();
  });

  it('users register and unregister; a clone is independent', () => {
    const r = defaultRegistry();
    const copy = r.clone();
    r.register('mine', hello);
    expect(r.has('mine')).toBe(true);
    expect(copy.has('mine')).toBe(false);
    expect(r.unregister('mine')).toBe(true);
    expect(r.has('mine')).toBe(false);
    expect(() => new TranslatorRegistry().register('a/b', hello)).toThrow(TypeError);
    expect(() => new TranslatorRegistry().register('', hello)).toThrow(TypeError);
  });
});

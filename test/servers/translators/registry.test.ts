// The translator registry: the stock translators by name, user translators registered
// and removed, names with slashes matched by their last part, copies independent.

import { describe, expect, it } from 'vitest';
import { TranslatorRegistry } from '../../../servers/fs/translator.ts';
import { defaultRegistry, filter, firmlink, hello, json, proc, tmpfs } from '../../../servers/translators/index.ts';

describe('translator registry', () => {
  it('holds the stock translators by default', () => {
    const r = defaultRegistry();
    expect(r.names()).toEqual(['filter', 'firmlink', 'hello', 'json', 'log', 'proc', 'tmpfs']);
    expect(r.get('hello')).toBe(hello);
    expect([r.get('filter'), r.get('firmlink'), r.get('proc'), r.get('/hurd/json')]).toEqual([filter, firmlink, proc, json]);
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

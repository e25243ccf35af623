import { statementName } from '../../src/db/sql';

describe('statementName', () => {
  it('gives a text the same name every time and different texts different names, up to a bound, past which statements go unnamed', () => {
    const first = statementName('select 1');
    expect(first).toBeDefined();
    expect(statementName('select 1')).toBe(first);

    // A list expanded to each length a caller sends makes a text of its own: the names must not grow without end.
    const names = new Set<string>();
    for (let length = 1; ; length++) {
      const name = statementName(`select * from message where id in (${Array.from({ length }, (_, i) => `$${i + 1}`).join(', ')})`);
      if (name === undefined) break;
      names.add(name);
      expect(length).toBeLessThan(10_000);
    }
    expect(names.size).toBeGreaterThanOrEqual(100);
    expect(names.has(first!)).toBe(false);
    // Texts named before the bound keep their name.
    expect(statementName('select 1')).toBe(first);
  });
});

import { safeJson, safeText } from '../../src/domain/safe-text';

const REPLACEMENT = '\uFFFD';

/** A deterministic stream of UTF-16 code units, biased towards the dangerous ones. */
function randomCodeUnits(seed: number, length: number): string {
  let state = seed;
  const next = () => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31);
  const pick = [0x0000, 0xd800, 0xdbff, 0xdc00, 0xdfff, 0xd83d, 0xde00, 0x0041, 0x05d0, 0x0301, 0xfeff, 0xffff];
  return String.fromCharCode(...Array.from({ length }, () => (next() % 3 === 0 ? next() % 0x10000 : pick[next() % pick.length]!)));
}

describe('safeText', () => {
  it.each([
    ['emoji, ZWJ sequences and flags', 'Oi 👋🏽 👨‍👩‍👧‍👦 🇧🇷'],
    ['right-to-left text and bidi marks', 'مرحبا \u200F שלום \u202E'],
    ['combining marks, unnormalized', 'Jose\u0301 n\u0303'],
    ['astral code points', '𝕳𝖊𝖑𝖑𝖔 𠜎 \u{10FFFD}'],
    ['a byte-order mark and noncharacters', '\uFEFFa\uFFFE\uFFFF'],
    ['other control characters', '\u0001\u0007\t\r\n\u001B[31m\u007F'],
    ['an empty string', ''],
    ['100,000 characters', 'ação '.repeat(20_000)],
  ])('keeps %s exactly', (_what, text) => {
    expect(safeText(text)).toBe(text);
  });

  it('replaces NUL with U+FFFD', () => {
    expect(safeText('a\u0000b\u0000\u0000')).toBe(`a${REPLACEMENT}b${REPLACEMENT}${REPLACEMENT}`);
  });

  it.each([
    ['a lone high surrogate', 'a\uD83D', `a${REPLACEMENT}`],
    ['a lone low surrogate', '\uDE00b', `${REPLACEMENT}b`],
    ['a pair in the wrong order', '\uDE00\uD83D', REPLACEMENT + REPLACEMENT],
    ['a high surrogate before a NUL', '\uD83D\u0000', REPLACEMENT + REPLACEMENT],
  ])('replaces %s with U+FFFD and keeps real pairs', (_what, text, expected) => {
    expect(safeText(text)).toBe(expected);
    expect(safeText(`${text}😀`)).toBe(`${expected}😀`);
  });

  it('always returns well-formed text without NUL, of the same length, changing only unsafe code units', () => {
    for (let seed = 1; seed <= 200; seed += 1) {
      const text = randomCodeUnits(seed, 64);
      const safe = safeText(text);
      expect(safe.isWellFormed()).toBe(true);
      expect(safe).not.toContain('\u0000');
      expect(safe).toHaveLength(text.length);
      for (let i = 0; i < text.length; i += 1) {
        if (safe[i] !== text[i]) expect(safe[i]).toBe(REPLACEMENT);
      }
    }
  });

  it('gives text that survives a JSON round trip unchanged', () => {
    const safe = safeText(randomCodeUnits(7, 500));
    expect(JSON.parse(JSON.stringify(safe))).toBe(safe);
    expect(Buffer.from(safe, 'utf8').toString('utf8')).toBe(safe);
  });
});

describe('safeJson', () => {
  it('makes every string safe, keys included, at any depth', () => {
    const value = { 'k\u0000': 'v\uD800', list: ['a\u0000', { deep: ['\uDFFF'] }], ok: 'fine 👍' };
    expect(safeJson(value)).toEqual({
      [`k${REPLACEMENT}`]: `v${REPLACEMENT}`,
      list: [`a${REPLACEMENT}`, { deep: [REPLACEMENT] }],
      ok: 'fine 👍',
    });
  });

  it('keeps numbers, booleans and null as they are', () => {
    const value = { latitude: -23.56, count: 0, big: '1234567890123456789', voice: true, animated: false, caption: null };
    expect(safeJson(value)).toEqual(value);
    expect(safeJson(42)).toBe(42);
    expect(safeJson(null)).toBeNull();
    expect(safeJson([true, 1.5])).toEqual([true, 1.5]);
  });

  it('does not change its input', () => {
    const value = { text: { body: 'a\u0000' }, list: ['\uD800'] };
    const copy = structuredClone(value);
    safeJson(value);
    expect(value).toEqual(copy);
  });
});

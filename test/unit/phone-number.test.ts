import { normalizeWhatsAppNumber } from '../../src/domain/phone-number';

describe('normalizeWhatsAppNumber', () => {
  it.each([
    ['+55 11 99999-0001', '5511999990001'],
    ['5511999990001', '5511999990001'],
    ['+1 (415) 555-0100', '14155550100'],
    ['0044 20 7946 0958', '442079460958'],
    ['+49.30.901820', '4930901820'],
    ['+12345678', '12345678'],
    ['+123456789012345', '123456789012345'],
  ])('keeps the digits of %j: %s', (input, expected) => {
    expect(normalizeWhatsAppNumber(input)).toBe(expected);
  });

  it('reads a national number as international: it cannot guess the missing country code', () => {
    expect(normalizeWhatsAppNumber('(415) 555-0100')).toBe('4155550100');
  });

  it.each([
    ['fewer than 8 digits', '+1234567'],
    ['more than 15 digits', '+1234567890123456'],
    ['a national trunk prefix 0', '011 99999 0001'],
    ['a 0 after the +', '+0 11 99999 0001'],
    ['a 0 after 00', '000 11 99999 0001'],
    ['two plus signs', '++5511999990001'],
    ['a plus sign in the middle', '55+11999990001'],
    ['letters', '+55 11 9999A-0001'],
    ['a phone keypad word', '1-800-FLOWERS'],
    ['an extension', '+1 415 555 0100 ext 12'],
    ['slashes', '+55/11/999990001'],
    ['a tab', '+55\t11999990001'],
    ['non-ASCII digits', '+٥٥١١٩٩٩٩٩٠٠٠١'],
    ['full-width digits', '+５５１１９９９９９０００１'],
    ['an empty string', ''],
    ['only separators', '+ ( ) - .'],
    ['a huge string', '1'.repeat(100_000)],
  ])('refuses %s', (_case, input) => {
    expect(normalizeWhatsAppNumber(input)).toBeNull();
  });

  it.each([null, undefined, 5511999990001, {}, ['5511999990001']])('refuses the non-string %j', (input) => {
    expect(normalizeWhatsAppNumber(input as unknown as string)).toBeNull();
  });
});

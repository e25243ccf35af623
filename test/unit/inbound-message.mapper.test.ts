import { MessageType } from '../../src/entities/message.entity';
import { mapInboundMessage } from '../../src/meta/inbound-message.mapper';
import { adReferral, contactCard, inboundMessage, message, replyTo, type Payload } from '../helpers/meta-payloads';

const FROM = '5511999990001';
const OURS = 'wamid.HBgLNTUxMTk5OTk5MDAwMRUCABEYEjQ2QkQ3RjE0QjA5QTgyNjlFRQA=';

/** The columns of a plain message with nothing but a type: what every case starts from. */
const NOTHING = { text: null, media: null, location: null, replyToWamid: null, context: null, referral: null, reaction: null, error: null };

describe('mapInboundMessage', () => {
  describe('each type', () => {
    it('text: the body', () => {
      expect(mapInboundMessage(message.text(FROM, 'Olá!'))).toEqual({ ...NOTHING, type: MessageType.TEXT, text: 'Olá!' });
    });

    it.each([
      ['image', MessageType.IMAGE, message.image(FROM, 'the box')],
      ['video', MessageType.VIDEO, message.video(FROM, 'unboxing')],
      ['document', MessageType.DOCUMENT, message.document(FROM, 'invoice.pdf', 'the box')],
    ])('%s: the media metadata, and the caption as text', (kind, type, sent) => {
      const mapped = mapInboundMessage(sent);
      expect(mapped).toEqual({ ...NOTHING, type, media: sent[kind], text: sent[kind].caption });
    });

    it('media without a caption has no text', () => {
      expect(mapInboundMessage(message.image(FROM))).toMatchObject({ type: MessageType.IMAGE, text: null, media: expect.any(Object) });
    });

    it('audio: a voice note keeps voice: true', () => {
      const voice = message.audio(FROM, true);
      expect(mapInboundMessage(voice)).toEqual({ ...NOTHING, type: MessageType.AUDIO, media: voice.audio });
      expect(mapInboundMessage(voice).media).toMatchObject({ voice: true });
      expect(mapInboundMessage(message.audio(FROM, false)).media).toMatchObject({ voice: false });
    });

    it('document: the filename is kept', () => {
      expect(mapInboundMessage(message.document(FROM, 'contrato final (2).pdf')).media).toMatchObject({ filename: 'contrato final (2).pdf' });
    });

    it('sticker: animated is kept', () => {
      const sticker = message.sticker(FROM, true);
      expect(mapInboundMessage(sticker)).toEqual({ ...NOTHING, type: MessageType.STICKER, media: sticker.sticker });
    });

    it('location: the place, named by its name, else its address', () => {
      const place = { latitude: 38.7223, longitude: -9.1393, name: 'Praça do Comércio', address: 'Lisboa' };
      expect(mapInboundMessage(message.location(FROM, place))).toEqual({ ...NOTHING, type: MessageType.LOCATION, location: place, text: 'Praça do Comércio' });
      expect(mapInboundMessage(message.location(FROM, { latitude: 1, longitude: 2, address: 'Rua A, 1' })).text).toBe('Rua A, 1');
      expect(mapInboundMessage(message.location(FROM, { latitude: 1, longitude: 2 })).text).toBeNull();
    });

    it('contacts: the type only (the cards stay in the raw payload)', () => {
      expect(mapInboundMessage(message.contacts(FROM, [contactCard('Ana Lima', '+55 11 90000-0000')]))).toEqual({ ...NOTHING, type: MessageType.CONTACTS });
    });

    it('interactive button and list replies: the title, and the message answered', () => {
      expect(mapInboundMessage(message.buttonReply(FROM, { id: 'yes', title: 'Yes, confirm' }, OURS))).toEqual({
        ...NOTHING,
        type: MessageType.INTERACTIVE,
        text: 'Yes, confirm',
        replyToWamid: OURS,
      });
      expect(mapInboundMessage(message.listReply(FROM, { id: 'm', title: 'Medium', description: 'Chest 96-101 cm' }, OURS))).toMatchObject({
        type: MessageType.INTERACTIVE,
        text: 'Medium',
        replyToWamid: OURS,
      });
    });

    it('interactive flow reply (nfm_reply): its body', () => {
      const flow = inboundMessage(FROM, 'interactive', { type: 'nfm_reply', nfm_reply: { name: 'flow', body: 'Sent', response_json: '{"a":1}' } });
      expect(mapInboundMessage(flow)).toMatchObject({ type: MessageType.INTERACTIVE, text: 'Sent' });
    });

    it('template quick-reply button: its text, else its payload', () => {
      expect(mapInboundMessage(message.quickReply(FROM, { payload: 'STOP', text: 'Stop promotions' }, OURS))).toEqual({
        ...NOTHING,
        type: MessageType.BUTTON,
        text: 'Stop promotions',
        replyToWamid: OURS,
      });
      expect(mapInboundMessage(inboundMessage(FROM, 'button', { payload: 'STOP' })).text).toBe('STOP');
    });

    it('reaction: the target and the emoji; a removal has no emoji', () => {
      expect(mapInboundMessage(message.reaction(FROM, OURS, '❤️'))).toEqual({ ...NOTHING, type: MessageType.REACTION, reaction: { targetWamid: OURS, emoji: '❤️' } });
      expect(mapInboundMessage(message.reaction(FROM, OURS)).reaction).toEqual({ targetWamid: OURS, emoji: null });
      expect(mapInboundMessage(message.reaction(FROM, OURS, '')).reaction).toEqual({ targetWamid: OURS, emoji: null });
    });

    it('reaction without a target: nothing to attach', () => {
      expect(mapInboundMessage(inboundMessage(FROM, 'reaction', { emoji: '👍' }))).toEqual({ ...NOTHING, type: MessageType.REACTION });
    });

    it('order and system messages', () => {
      expect(mapInboundMessage(inboundMessage(FROM, 'order', { catalog_id: '1', product_items: [] })).type).toBe(MessageType.ORDER);
      expect(mapInboundMessage(inboundMessage(FROM, 'system', { body: 'User changed number', type: 'user_changed_number' }))).toMatchObject({
        type: MessageType.SYSTEM,
        text: 'User changed number',
      });
    });

    it("unsupported: Meta's error code, title and details", () => {
      expect(mapInboundMessage(message.unsupported(FROM, 'poll_creation'))).toEqual({
        ...NOTHING,
        type: MessageType.UNSUPPORTED,
        error: { code: '131051', title: 'Message type unknown', details: 'Message type is currently not supported.' },
      });
    });

    it('an error without a title is named by its message', () => {
      const sent = inboundMessage(FROM, 'unsupported', { type: 'edit' }, { errors: [{ code: 131060, message: 'Unavailable' }] });
      expect(mapInboundMessage(sent).error).toEqual({ code: '131060', title: 'Unavailable', details: null });
    });

    it.each(['poll_v2', 'constructor', 'toString', 'hasOwnProperty', ''])('an unknown type (%p) is UNKNOWN, nothing extracted', (kind) => {
      expect(mapInboundMessage(inboundMessage(FROM, kind, { body: 'hi', caption: 'c' }))).toEqual({ ...NOTHING, type: MessageType.UNKNOWN });
    });

    it('a message without a type is UNKNOWN', () => {
      const { type: _type, ...untyped } = message.text(FROM, 'hi');
      expect(mapInboundMessage(untyped).type).toBe(MessageType.UNKNOWN);
    });
  });

  describe('context and referral', () => {
    it('a reply gives the wamid it answers and no extra context', () => {
      expect(mapInboundMessage(message.text(FROM, 'yes', { context: replyTo(OURS) }))).toMatchObject({ replyToWamid: OURS, context: null });
    });

    it('a forward keeps its flags and answers nothing', () => {
      expect(mapInboundMessage(message.text(FROM, 'fwd', { context: { forwarded: true } }))).toMatchObject({ replyToWamid: null, context: { forwarded: true } });
      expect(mapInboundMessage(message.text(FROM, 'fwd', { context: { frequently_forwarded: true } })).context).toEqual({ frequently_forwarded: true });
    });

    it('a product enquiry keeps the referred product beside the reply target', () => {
      const context = { ...replyTo(OURS), referred_product: { catalog_id: '123', product_retailer_id: 'sku-9' } };
      expect(mapInboundMessage(message.text(FROM, 'price?', { context }))).toMatchObject({
        replyToWamid: OURS,
        context: { referred_product: { catalog_id: '123', product_retailer_id: 'sku-9' } },
      });
    });

    it('a click-to-WhatsApp ad referral is kept as sent', () => {
      const referral = adReferral();
      expect(mapInboundMessage(message.text(FROM, 'hi', { referral })).referral).toEqual(referral);
    });
  });

  describe('hostile shapes', () => {
    it.each([
      ['a text body that is a string', inboundMessage(FROM, 'text', 'hello'), { type: MessageType.TEXT, text: null }],
      ['a text body that is a number', inboundMessage(FROM, 'text', { body: 42 }), { type: MessageType.TEXT, text: null }],
      ['a null image', inboundMessage(FROM, 'image', null), { type: MessageType.IMAGE, media: null }],
      ['an image that is a list', inboundMessage(FROM, 'image', [1, 2]), { type: MessageType.IMAGE, media: null }],
      ['a context that is a string', message.text(FROM, 'x', { context: 'nope' as never }), { replyToWamid: null, context: null }],
      ['errors that are not a list', { ...message.text(FROM, 'x'), errors: { code: 1 } } as Payload, { error: null }],
      ['an error code that is an object', message.unsupported(FROM, 'edit', { errors: [{ code: { toString: 1 }, title: 'T' }] }), { error: { code: '', title: 'T', details: null } }],
    ])('%s does not throw', (_what, sent, expected) => {
      expect(mapInboundMessage(sent)).toMatchObject(expected);
    });

    it('makes NUL and lone surrogates safe in every string it keeps', () => {
      const sent = message.image(FROM, 'a\u0000b\uD800', { context: { forwarded: true, note: 'x\u0000' }, referral: adReferral({ body: '\uDC00ad' }) });
      const mapped = mapInboundMessage(sent);
      expect(mapped.text).toBe('a\uFFFDb\uFFFD');
      expect(mapped.media).toMatchObject({ caption: 'a\uFFFDb\uFFFD' });
      expect(mapped.context).toEqual({ forwarded: true, note: 'x\uFFFD' });
      expect(mapped.referral).toMatchObject({ body: '\uFFFDad' });
    });
  });
});

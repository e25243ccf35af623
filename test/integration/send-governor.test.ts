import { randomBytes, randomUUID } from 'node:crypto';
import IORedis from 'ioredis';
import { ADMISSION_WINDOW_MS, PAIR_BURST, SendGovernor } from '../../src/services/outbound/send-governor';
import { requireEnv } from '../helpers/test-env';

/** The send governor against the real Redis, asked for many slots at the same moment. */
describe('SendGovernor: slots asked for at the same moment', () => {
  let redis: IORedis;
  let governor: SendGovernor;

  beforeAll(() => {
    redis = new IORedis(requireEnv('REDIS_URL'));
    governor = new SendGovernor(redis, `{gov-${randomBytes(4).toString('hex')}}`);
  });
  afterAll(async () => {
    await redis.quit();
  });

  const ask = (channelId: string, perSecond: number, recipients: string[]) =>
    Promise.all(recipients.map((recipient) => governor.takeAndAdmit(channelId, perSecond, recipient, randomUUID())));

  it('admits the first at once and gives the others of the same channel successive slots at its pace', async () => {
    const perSecond = 20;
    const slots = await ask(randomUUID(), perSecond, ['5511990000001', '5511990000002', '5511990000003', '5511990000004']);

    expect(slots[0]).toEqual({ waitMs: 0, reserved: true, admittedAt: expect.any(Date) });
    // Paced at the rate admission allows, `perSecond` per admission window; a later call waits the
    // time that passed less.
    const spacing = ADMISSION_WINDOW_MS / perSecond;
    slots.slice(1).forEach((slot, i) => {
      expect(slot).toMatchObject({ reserved: true, admittedAt: null });
      expect(slot.waitMs).toBeLessThanOrEqual(Math.ceil((i + 1) * spacing) + 1);
      expect(slot.waitMs).toBeGreaterThan(slots[i]!.waitMs);
    });
  });

  it("keeps one recipient's pair limit: a burst of PAIR_BURST, then no slot until it refills", async () => {
    const slots = await ask(randomUUID(), 1000, Array.from({ length: PAIR_BURST + 3 }, () => '5511990009999'));

    expect(slots.filter((slot) => slot.reserved)).toHaveLength(PAIR_BURST);
    for (const slot of slots.slice(PAIR_BURST)) {
      expect(slot.reserved).toBe(false);
      expect(slot.admittedAt).toBeNull();
      // About six seconds for the next token (Meta's pair rate).
      expect(slot.waitMs).toBeGreaterThan(1_000);
    }
  });

  it('paces each channel on its own', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const slots = await Promise.all([
      governor.takeAndAdmit(a, 10, '5511990000001', randomUUID()),
      governor.takeAndAdmit(b, 10, '5511990000001', randomUUID()),
      governor.takeAndAdmit(a, 10, '5511990000002', randomUUID()),
    ]);

    // The first of each channel leaves at once; the second of channel a waits for a's next slot.
    expect(slots[0]!.admittedAt).not.toBeNull();
    expect(slots[1]!.admittedAt).not.toBeNull();
    expect(slots[2]).toMatchObject({ reserved: true, admittedAt: null });
    expect(slots[2]!.waitMs).toBeGreaterThan(50);
  });
});

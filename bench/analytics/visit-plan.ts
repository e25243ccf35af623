import { CAMPAIGN_TEMPLATES } from './flows';
import { FIRST_NAMES, HOUR_WEIGHTS, LAST_NAMES, WEEKDAY_WEIGHTS, type OrgModel } from './history-model';
import type { Random } from './random';
import { DAY, HOUR, MINUTE, type PlannedVisit, type SimConversation } from './sim-conversation';

export interface HistoryWindow {
  start: number;
  now: number;
}

const MAX_HOUR_WEIGHT = Math.max(...HOUR_WEIGHTS);
const MAX_DAY_WEIGHT = Math.max(...WEEKDAY_WEIGHTS);

/** A time in [from, to) following the daily and weekly rhythm of the organization's zone (rejection sampling). */
function rhythmicTime(rng: Random, from: number, to: number, offsetMs: number, growth = 0, window?: HistoryWindow): number {
  let at = from;
  for (let tries = 0; tries < 64; tries++) {
    at = from + rng.next() * (to - from);
    const local = new Date(at + offsetMs);
    let weight = (HOUR_WEIGHTS[local.getUTCHours()]! / MAX_HOUR_WEIGHT) * (WEEKDAY_WEIGHTS[local.getUTCDay()]! / MAX_DAY_WEIGHT);
    if (growth && window) weight *= (1 + (growth * (at - window.start)) / (window.now - window.start)) / (1 + growth);
    if (rng.next() < weight) return at;
  }
  return at;
}

function poisson(rng: Random, mean: number): number {
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * rng.normal()));
  const limit = Math.exp(-mean);
  let k = 0;
  for (let p = rng.next(); p > limit; p *= rng.next()) k++;
  return k;
}

/** Campaign sends: a marketing template to a share of existing contacts, four times over the history. */
function campaignTimes(window: HistoryWindow, offsetHours: number): { at: number; template: string }[] {
  const days = (window.now - window.start) / DAY;
  const result: { at: number; template: string }[] = [];
  for (let i = 0; i < 4; i++) {
    const day = Math.floor(((i + 0.6) * days) / 4);
    const localMidnight = Math.floor((window.start + day * DAY + offsetHours * HOUR) / DAY) * DAY;
    const at = localMidnight + 10 * HOUR - offsetHours * HOUR;
    if (at > window.start && at < window.now) result.push({ at, template: CAMPAIGN_TEMPLATES[i % CAMPAIGN_TEMPLATES.length]! });
  }
  return result;
}

/**
 * Who the customers are and when they come: first visits spread over the history with a daily
 * rhythm and slow growth; a heavy-tailed activity per contact (most come once, a few every few
 * days: the segments); campaign and login-code sends for some. `activity` scales return visits.
 */
export function planConversations(rng: Random, org: OrgModel, count: number, window: HistoryWindow, activity: number, firstIndex = 0): SimConversation[] {
  const offset = org.utcOffsetHours * HOUR;
  const campaigns = campaignTimes(window, org.utcOffsetHours);
  const conversations: SimConversation[] = [];
  for (let i = 0; i < count; i++) {
    const first = rhythmicTime(rng, window.start, window.now, offset, 0.35, window);
    const visits: PlannedVisit[] = [{ at: first, kind: 'inbound' }];
    const perDay = Math.min(1, 0.01 * rng.pareto(1, 0.9)) * activity;
    const returns = poisson(rng, (perDay * (window.now - first)) / DAY);
    for (let r = 0; r < returns; r++) visits.push({ at: rhythmicTime(rng, first + HOUR, window.now, offset), kind: 'inbound' });
    for (const campaign of campaigns) {
      if (campaign.at > first && rng.chance(0.2)) visits.push({ at: campaign.at + rng.next() * 45 * MINUTE, kind: 'campaign', template: campaign.template });
    }
    if (rng.chance(0.06)) {
      for (let a = rng.int(1, 3); a > 0; a--) visits.push({ at: rhythmicTime(rng, first, window.now, offset), kind: 'auth' });
    }
    visits.sort((a, b) => a.at - b.at);
    const name = `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)}`;
    const channel = org.channels[rng.weighted(org.channels.map((c) => c.weight))]!;
    conversations.push({
      org, id: rng.uuid(), contactId: rng.uuid(), channel, name,
      waId: `55${String(11_900_000_000 + firstIndex + i)}`,
      readReceipts: rng.chance(0.9),
      visits, nextVisit: 0, busyUntil: 0, status: 'WAITING_AGENT', assignedTo: null, openedAt: null,
      final: { status: 'WAITING_AGENT', assignedTo: null, lastInboundAt: null, lastMessageAt: null, lastMessageId: null, lastSeenAt: null, firstSeenAt: null },
      rows: 0,
    });
  }
  return conversations;
}

import type { FlowDefinition } from '../../src/domain/flow/flow-definition';

/** What the generator knows of an organization created through the API. */
export interface OrgModel {
  id: string;
  /** Hours from UTC of the organization's zone (zones without daylight saving keep this exact). */
  utcOffsetHours: number;
  channels: ChannelModel[];
  agents: string[];
  flows: FlowModel[];
  /** By template name. */
  templates: Map<string, TemplateModel>;
  /** Conversations (= contacts: one channel each) to generate. */
  conversations: number;
  /** Target messages; the generator calibrates visit counts to land near it. */
  messages: number;
}

export interface ChannelModel {
  id: string;
  /** Share of the organization's contacts on this channel. */
  weight: number;
  /** Index in `OrgModel.flows` of the channel's default flow. */
  defaultFlow: number;
}

export interface FlowVersionModel {
  version: number;
  definition: FlowDefinition;
  /** Sessions starting at or after this time (ms) use this version, until the next one. */
  from: number;
}

export interface FlowModel {
  id: string;
  keyword: string;
  /** Relative popularity among keyword starts. */
  weight: number;
  versions: FlowVersionModel[];
}

export interface TemplateModel {
  id: string;
  name: string;
  language: string;
  category: 'MARKETING' | 'UTILITY' | 'AUTHENTICATION';
}

/** Meta error codes and titles seen on failed sends (Cloud API error codes reference). */
export const META_ERRORS = {
  undeliverable: { code: '131026', title: 'Message undeliverable', details: 'Unable to deliver message. Reasons can include: the recipient phone number is not a WhatsApp phone number.' },
  ecosystem: { code: '131049', title: 'This message was not delivered to maintain healthy ecosystem engagement.', details: 'In order to maintain a healthy ecosystem engagement, the message failed to be delivered.' },
  stoppedMarketing: { code: '131050', title: 'Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.', details: 'Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.' },
  experiment: { code: '130472', title: "User's number is part of an experiment", details: "Failed to send message because this user's phone number is part of an experiment" },
  generic: { code: '131000', title: 'Something went wrong', details: 'Message failed to send due to an unknown error.' },
  pairRate: { code: '131056', title: '(Business Account, Consumer Account) pair rate limit hit', details: 'Too many messages sent from the sender phone number to the same recipient phone number in a short period of time.' },
  media: { code: '131053', title: 'Media upload error', details: 'Unable to upload the media used in the message.' },
  reengagement: { code: '131047', title: 'Re-engagement message', details: 'Message failed to send because more than 24 hours have passed since the customer last replied to this number.' },
} as const;

export type MetaError = (typeof META_ERRORS)[keyof typeof META_ERRORS];

/** Failure mixes by kind of message: marketing templates fail most, and for their own reasons. */
export const FAILURE_MIX: Record<'service' | 'media' | 'marketing' | 'utility' | 'authentication', { rate: number; errors: [MetaError, number][] }> = {
  service: { rate: 0.012, errors: [[META_ERRORS.undeliverable, 5], [META_ERRORS.generic, 2], [META_ERRORS.experiment, 1], [META_ERRORS.pairRate, 1]] },
  media: { rate: 0.03, errors: [[META_ERRORS.media, 5], [META_ERRORS.undeliverable, 3], [META_ERRORS.generic, 1]] },
  marketing: { rate: 0.09, errors: [[META_ERRORS.ecosystem, 5], [META_ERRORS.undeliverable, 3], [META_ERRORS.stoppedMarketing, 2], [META_ERRORS.experiment, 1]] },
  utility: { rate: 0.025, errors: [[META_ERRORS.undeliverable, 4], [META_ERRORS.generic, 1], [META_ERRORS.reengagement, 1]] },
  authentication: { rate: 0.02, errors: [[META_ERRORS.undeliverable, 4], [META_ERRORS.generic, 1]] },
};

/** Relative traffic by local hour of day: quiet nights, a late-morning and an evening peak. */
export const HOUR_WEIGHTS = [2, 1.2, 0.8, 0.5, 0.5, 0.8, 1.8, 3.5, 6, 8.5, 10, 10, 9, 8.5, 8.5, 8.5, 8.5, 8, 8, 9, 10, 9.5, 7, 4];
/** By local day of week, Sunday first (Date.getUTCDay on local time). */
export const WEEKDAY_WEIGHTS = [0.55, 1, 1, 1, 1, 1.05, 0.75];

export const FIRST_NAMES = ['Ana', 'Bruno', 'Carla', 'Diego', 'Elena', 'Felipe', 'Gabriela', 'Hugo', 'Isabela', 'João', 'Karen', 'Lucas', 'Mariana', 'Nicolas', 'Olivia', 'Pedro', 'Quinn', 'Rafael', 'Sofia', 'Tiago', 'Ursula', 'Victor', 'Wendy', 'Yara', 'Zoe', 'Amit', 'Chen', 'Fatima', 'Kenji', 'Priya'];
export const LAST_NAMES = ['Silva', 'Santos', 'Oliveira', 'Souza', 'Lima', 'Pereira', 'Costa', 'Almeida', 'Smith', 'Garcia', 'Müller', 'Rossi', 'Kim', 'Nguyen', 'Khan', 'Tanaka'];

export const AGENT_LINES = [
  'Hi! I am here to help. Can you give me a few more details?',
  'Thanks for waiting. Let me check that for you.',
  'I see your order here. One moment please.',
  'Done! Anything else I can help with?',
  'I have forwarded this to our team; you will hear from us today.',
  'Could you send me a photo of the problem?',
  'Perfect, I have updated your details.',
  'Sorry about that. I have issued a refund; it takes 3-5 business days.',
];

export const CUSTOMER_LINES = [
  'Hi, I need help with my order',
  'ok',
  'thanks!',
  'When will it arrive?',
  'It still does not work',
  'Can I change the delivery address?',
  'yes please',
  'great, thank you',
  'hello? anyone there?',
  'I was charged twice',
];

export const INVALID_ANSWERS = ['not sure', 'hmm', '?', 'what do you mean', 'idk', 'later', 'can I talk to someone', '👍', 'no idea', 'wait'];

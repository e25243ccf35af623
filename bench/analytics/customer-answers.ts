import type { InboundInput } from '../../src/domain/flow/flow-engine';
import type { AnswerValidator } from '../../src/domain/flow/flow-definition';
import { INVALID_ANSWERS } from './history-model';
import type { Random } from './random';

export interface CustomerMessage {
  input: InboundInput;
  /** The message type stored (TEXT, INTERACTIVE, IMAGE...). */
  type: string;
}

const text = (value: string): CustomerMessage => ({ input: { kind: 'text', text: value }, type: 'TEXT' });

/** An answer the question's validator accepts, shaped like what people type. */
export function validAnswer(rng: Random, customer: { name: string; waId: string }, validator: AnswerValidator | undefined, saveAs: string | undefined): CustomerMessage {
  const rule = validator ?? { kind: 'text' as const };
  switch (rule.kind) {
    case 'email': {
      const local = customer.name.toLowerCase().normalize('NFD').replace(/[^a-z]/g, '.');
      return text(`${local}${rng.int(1, 99)}@${rng.chance(0.08) ? 'bigco.com' : rng.pick(['gmail.com', 'outlook.com', 'yahoo.com', 'example.com'])}`);
    }
    case 'phone':
      return text(rng.chance(0.7) ? `+${customer.waId}` : `+55 11 9${rng.int(1000, 9999)} ${rng.int(1000, 9999)}`);
    case 'number': {
      if (rule.max === 5) return text(String(1 + rng.weighted([1, 0.7, 1.2, 2.5, 3.5])));
      const value = Math.round(rng.pareto(rule.min && rule.min > 0 ? rule.min : 5, 1.1));
      return text(String(Math.min(rule.max ?? value, Math.max(rule.min ?? value, value))));
    }
    case 'choice': {
      const option = rng.pick(rule.options ?? ['yes']);
      return text(rng.chance(0.6) ? option : option.toLowerCase());
    }
    case 'regex':
      if (rule.pattern?.includes('\\d{6}')) {
        let digits = '';
        for (let i = 0; i < 6; i++) digits += String(rng.int(0, 8));
        // One order in seven has a 9: the flow's "delayed" branch.
        return text(rng.chance(0.15) ? `${digits.slice(0, 3)}9${digits.slice(4)}` : digits);
      }
      return text(`${String.fromCharCode(65 + rng.int(0, 25), 65 + rng.int(0, 25), 65 + rng.int(0, 25))}-${rng.int(1000, 9999)}`);
    default:
      if (saveAs === 'name') return text(customer.name);
      return text(rng.pick(['It arrived broken', 'Nobody answered my call', 'Too expensive for what it is', 'The app keeps crashing', 'Delivery was late again']));
  }
}

const WRONG_FOR: Partial<Record<string, string[]>> = {
  email: ['maria at gmail', 'my email is private', 'joao@'],
  number: ['five', 'a lot', 'not sure'],
  regex: ['12345', 'my order', 'ABC1234'],
  phone: ['call me', '12'],
  choice: ['the cheap one', 'dunno'],
};

/** What does not answer: a picture or a sticker, or text that misses the validator (or the buttons). */
export function invalidAnswer(rng: Random, validator: AnswerValidator | undefined): CustomerMessage {
  if (rng.chance(0.12)) return { input: { kind: 'other' }, type: rng.pick(['IMAGE', 'STICKER', 'AUDIO']) };
  const lines = WRONG_FOR[validator?.kind ?? ''] ?? INVALID_ANSWERS;
  return text(rng.pick(rng.chance(0.5) ? lines : INVALID_ANSWERS));
}

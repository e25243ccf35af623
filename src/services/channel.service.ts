import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { Channel } from '../entities/channel.entity';
import { paginate, type PageArgs } from '../db/paginate';
import type { SecretBox } from '../auth/secret-box';
import { conflict } from '../domain/errors';
import { findById } from '../db/find-by-id';
import { setDefaultFlow } from './flows/flow.service';
import { organizationRef, type MemberScope } from './scope';

export interface CreateChannelInput {
  phoneNumberId: string;
  wabaId: string;
  displayPhoneNumber: string;
  accessToken: string;
  name?: string | null;
  throughputPerSecond?: number | null;
}

export type UpdateChannelInput = { [K in keyof Omit<CreateChannelInput, 'phoneNumberId'>]?: CreateChannelInput[K] | null } & {
  /** The flow new conversations start on; null clears it. */
  defaultFlowId?: string | null;
};

async function flushUnique(scope: MemberScope) {
  try {
    await scope.em.flush();
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) {
      throw conflict('This phone number is already registered', 'phoneNumberId');
    }
    throw error;
  }
}

export async function createChannel(scope: MemberScope, secrets: SecretBox, input: CreateChannelInput): Promise<Channel> {
  const channel = scope.em.create(Channel, {
    organization: organizationRef(scope),
    phoneNumberId: input.phoneNumberId,
    wabaId: input.wabaId,
    displayPhoneNumber: input.displayPhoneNumber,
    name: input.name ?? null,
    accessTokenEncrypted: secrets.seal(input.accessToken),
    ...(input.throughputPerSecond ? { throughputPerSecond: input.throughputPerSecond } : {}),
  });
  await flushUnique(scope);
  return channel;
}

export const getChannel = (scope: MemberScope, id: string) => findById(scope.em, Channel, id, 'Channel');

export async function updateChannel(scope: MemberScope, secrets: SecretBox, id: string, input: UpdateChannelInput) {
  const channel = await getChannel(scope, id);
  if (input.wabaId) channel.wabaId = input.wabaId;
  if (input.displayPhoneNumber) channel.displayPhoneNumber = input.displayPhoneNumber;
  if (input.name !== undefined) channel.name = input.name;
  if (input.throughputPerSecond) channel.throughputPerSecond = input.throughputPerSecond;
  if (input.accessToken) channel.accessTokenEncrypted = secrets.seal(input.accessToken);
  if (input.defaultFlowId !== undefined) await setDefaultFlow(scope, channel, input.defaultFlowId);
  await flushUnique(scope);
  return channel;
}

export const listChannels = (scope: MemberScope, page: PageArgs) => paginate(scope.em, Channel, {}, page);

import type { Client } from 'pg';
import { benchFlowSpecs, mainMenu, TEMPLATES, type BenchFlowSpec } from './flows';
import type { ChannelModel, FlowModel, OrgModel, TemplateModel } from './history-model';

export interface GraphQLResult<T> {
  data?: T;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

export async function graphql<T = any>(url: string, token: string, query: string, variables: Record<string, unknown> = {}): Promise<GraphQLResult<T>> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as GraphQLResult<T>;
}

/** For setup steps: any error is fatal. */
async function must<T = any>(url: string, token: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const result = await graphql<T>(url, token, query, variables);
  if (result.errors?.length || !result.data) throw new Error(`GraphQL failed: ${JSON.stringify(result.errors)}`);
  return result.data;
}

export interface SetupOptions {
  name: string;
  timeZone: string;
  utcOffsetHours: number;
  channels: number;
  agents: number;
  /** Flow specs to create (the main menu is added as flow 0). */
  flows: BenchFlowSpec[];
  conversations: number;
  messages: number;
  /** When a second version takes over (ms): half way through the history. */
  secondVersionFrom: number;
  historyStart: number;
}

const CHANNEL_WEIGHTS = [0.6, 0.3, 0.1];
let phoneCounter = 0;

/**
 * One organization made through the API as a customer would: the OWNER key from
 * createOrganization, channels on one WhatsApp Business Account, agents (inviteUser), templates
 * (createTemplate; Meta's approval is then written directly, there being no Meta here), and flows
 * through createFlow/publishFlow (updateFlowDraft + publishFlow again for second versions).
 */
export async function setupOrganization(url: string, adminToken: string, db: Client, options: SetupOptions): Promise<{ model: OrgModel; ownerKey: string }> {
  const created = await must(url, adminToken, 'mutation ($input: CreateOrganizationInput!) { createOrganization(input: $input) { secret organization { id } } }', {
    input: { name: options.name, timezone: options.timeZone },
  });
  const key: string = created.createOrganization.secret;
  const organizationId: string = created.createOrganization.organization.id;
  const wabaId = `10${Date.now()}${phoneCounter}`;

  const channels: { id: string }[] = [];
  for (let i = 0; i < options.channels; i++) {
    const phoneNumberId = `20${Date.now()}${++phoneCounter}`;
    const { createChannel } = await must(url, key, 'mutation ($input: CreateChannelInput!) { createChannel(input: $input) { channel { id } } }', {
      input: { phoneNumberId, wabaId, displayPhoneNumber: `+1 555 01${String(phoneCounter).padStart(2, '0')} 000${i}`, accessToken: `EAAG-bench-${phoneNumberId}`, name: `Line ${i + 1}` },
    });
    channels.push({ id: createChannel.channel.id });
  }

  const agents: string[] = [];
  for (let i = 0; i < options.agents; i++) {
    const { inviteUser } = await must(url, key, 'mutation ($input: InviteUserInput!) { inviteUser(input: $input) { user { id } } }', {
      input: { email: `agent${i + 1}.${organizationId.slice(0, 8)}@bench.example.com`, name: `Agent ${i + 1}`, role: 'AGENT' },
    });
    agents.push(inviteUser.user.id);
  }

  const templates = new Map<string, TemplateModel>();
  for (const template of TEMPLATES) {
    const body = template.example ? { type: 'BODY', text: template.body, example: { body_text: [template.example] } } : { type: 'BODY', text: template.body };
    const { createTemplate } = await must(url, key, 'mutation ($input: CreateTemplateInput!) { createTemplate(input: $input) { template { id } } }', {
      input: { channelId: channels[0]!.id, name: template.name, language: template.language, category: template.category, components: template.components ?? [body] },
    });
    templates.set(template.name, { id: createTemplate.template.id, name: template.name, language: template.language, category: template.category });
  }
  await db.query(
    `update template set status = 'APPROVED', meta_template_id = 'meta-' || substr(id::text, 1, 8), quality_score = 'GREEN' where organization_id = $1`,
    [organizationId],
  );

  const flows: FlowModel[] = [];
  const publish = async (name: string, definitions: BenchFlowSpec['versions'], keyword: string, weight: number) => {
    const { createFlow } = await must(url, key, 'mutation ($input: CreateFlowInput!) { createFlow(input: $input) { flow { id } } }', {
      input: { name, definition: definitions[0] },
    });
    const flowId: string = createFlow.flow.id;
    const versions: FlowModel['versions'] = [];
    for (let v = 0; v < definitions.length; v++) {
      if (v > 0) await must(url, key, 'mutation ($input: UpdateFlowDraftInput!) { updateFlowDraft(input: $input) { flow { id } } }', { input: { flowId, definition: definitions[v] } });
      const { publishFlow } = await must(url, key, 'mutation ($input: FlowIdInput!) { publishFlow(input: $input) { flow { publishedVersion } } }', { input: { flowId } });
      versions.push({ version: publishFlow.flow.publishedVersion, definition: definitions[v]!, from: v === 0 ? options.historyStart : options.secondVersionFrom });
    }
    return { id: flowId, keyword, weight, versions };
  };
  const specs = options.flows;
  const others: FlowModel[] = [];
  for (const spec of specs) others.push(await publish(spec.name, spec.versions, spec.keyword, 1 / Math.pow(spec.index, 0.7)));
  const firstOf = (shape: BenchFlowSpec['shape']) => others[specs.findIndex((spec) => spec.shape === shape)]!.id;
  const menu = mainMenu({ sales: firstOf('lead'), support: firstOf('support'), orders: firstOf('order'), feedback: firstOf('feedback'), booking: firstOf('booking') });
  flows.push(await publish('Main menu', [menu], 'menu', 0), ...others);

  const channelModels: ChannelModel[] = [];
  for (let i = 0; i < channels.length; i++) {
    // The last line of three runs the first lead flow by default; the others the main menu.
    const defaultFlow = channels.length === 3 && i === 2 ? 1 : 0;
    await must(url, key, 'mutation ($input: UpdateChannelInput!) { updateChannel(input: $input) { channel { id } } }', {
      input: { id: channels[i]!.id, defaultFlowId: flows[defaultFlow]!.id },
    });
    channelModels.push({ id: channels[i]!.id, weight: CHANNEL_WEIGHTS[i] ?? 0.1, defaultFlow });
  }

  return {
    ownerKey: key,
    model: {
      id: organizationId,
      utcOffsetHours: options.utcOffsetHours,
      channels: channelModels,
      agents,
      flows,
      templates,
      conversations: options.conversations,
      messages: options.messages,
    },
  };
}

/** The second organization's flows: one of each shape (so isolation is tested on the same node ids). */
export const smallOrgFlows = () => benchFlowSpecs().slice(0, 5);

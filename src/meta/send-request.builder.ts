import type { OutboundContent } from '../domain/outbound-limits';

export interface SendEnvelope {
  /** Recipient's WhatsApp id (digits); sent with a leading + so Meta never prepends a country code. */
  to: string;
  /** Our message id: Meta echoes it in status webhooks, which is how an unknown outcome is resolved. */
  callbackData: string;
  replyToWamid?: string | null;
}

export interface TemplateSend {
  name: string;
  language: string;
  components: unknown[];
}

function interactiveParts(content: { text: string; header?: string; footer?: string }) {
  return {
    ...(content.header ? { header: { type: 'text', text: content.header } } : {}),
    body: { text: content.text },
    ...(content.footer ? { footer: { text: content.footer } } : {}),
  };
}

/** The `type` and type-specific object of a free-form message. Pure. */
function contentBody(content: OutboundContent): Record<string, unknown> {
  switch (content.kind) {
    case 'text':
      return { type: 'text', text: { body: content.text, ...(content.previewUrl ? { preview_url: true } : {}) } };
    case 'buttons':
      return {
        type: 'interactive',
        interactive: {
          type: 'button',
          ...interactiveParts(content),
          action: { buttons: content.buttons.map((button) => ({ type: 'reply', reply: { id: button.id, title: button.title } })) },
        },
      };
    case 'list':
      return {
        type: 'interactive',
        interactive: {
          type: 'list',
          ...interactiveParts(content),
          action: {
            button: content.button,
            sections: content.sections.map((section) => ({
              ...(section.title ? { title: section.title } : {}),
              rows: section.rows.map((row) => ({ id: row.id, title: row.title, ...(row.description ? { description: row.description } : {}) })),
            })),
          },
        },
      };
    case 'media':
      return {
        type: content.mediaKind,
        [content.mediaKind]: {
          ...(content.id ? { id: content.id } : { link: content.link }),
          ...(content.caption ? { caption: content.caption } : {}),
          ...(content.filename ? { filename: content.filename } : {}),
        },
      };
  }
}

function envelope(target: SendEnvelope): Record<string, unknown> {
  return {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to: `+${target.to}`,
    ...(target.replyToWamid ? { context: { message_id: target.replyToWamid } } : {}),
    biz_opaque_callback_data: target.callbackData,
  };
}

/** The exact body of `POST /{phone_number_id}/messages` for a free-form message. */
export const buildContentRequest = (target: SendEnvelope, content: OutboundContent) => ({ ...envelope(target), ...contentBody(content) });

/** The exact body for a template message. */
export const buildTemplateRequest = (target: SendEnvelope, template: TemplateSend) => ({
  ...envelope(target),
  type: 'template',
  template: { name: template.name, language: { code: template.language }, ...(template.components.length ? { components: template.components } : {}) },
});

import { ApiKey } from './api-key.entity';
import { Channel } from './channel.entity';
import { Organization } from './organization.entity';
import { UserSession } from './user-session.entity';
import { User } from './user.entity';

export { ApiKey, Channel, Organization, User, UserSession };

export const entities = [Organization, User, UserSession, ApiKey, Channel];

/** Entities the tenant filter scopes (Organization by its own id). */
export const tenantScopedEntities = ['Organization', 'User', 'UserSession', 'ApiKey', 'Channel'];

/** Member roles, from most to least powerful. */
export enum Role {
  OWNER = 'OWNER',
  ADMIN = 'ADMIN',
  AGENT = 'AGENT',
  VIEWER = 'VIEWER',
}

const rank: Record<Role, number> = { OWNER: 3, ADMIN: 2, AGENT: 1, VIEWER: 0 };

/** True when `role` may do what `required` may do. */
export const roleAtLeast = (role: Role, required: Role): boolean => rank[role] >= rank[required];

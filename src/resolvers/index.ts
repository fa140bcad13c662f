import type { NonEmptyArray } from 'type-graphql';
import { ApiKeyResolver } from './api-key.resolver';
import { AuditEventResolver } from './audit-event.resolver';
import { AuthResolver } from './auth.resolver';
import { PromptTemplateResolver } from './prompt-template.resolver';
import { RuleResolver } from './rule.resolver';
import { StreamResolver } from './stream.resolver';
import { TenantResolver } from './tenant.resolver';
import { UserResolver } from './user.resolver';
import { WindowResolver } from './window.resolver';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const resolvers: NonEmptyArray<Function> = [
  AuthResolver,
  TenantResolver,
  UserResolver,
  ApiKeyResolver,
  StreamResolver,
  PromptTemplateResolver,
  RuleResolver,
  AuditEventResolver,
  WindowResolver,
];

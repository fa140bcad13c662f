import type Redis from 'ioredis';
import type { AppConfig } from '../config/config';
import type { PrismaClient } from '../db/prisma-client';
import { ApiKeyService } from './api-key.service';
import { AuditService } from './audit.service';
import { AuthService } from './auth.service';
import { PromptTemplateService } from './prompt-template.service';
import { RateLimitService } from './rate-limit.service';
import { RuleService } from './rule.service';
import { StreamService } from './stream.service';
import { TenantService } from './tenant.service';
import { UserService } from './user.service';

/** Every domain service, built once per process from its dependencies. */
export interface Services {
  auth: AuthService;
  rateLimits: RateLimitService;
  tenants: TenantService;
  users: UserService;
  apiKeys: ApiKeyService;
  streams: StreamService;
  templates: PromptTemplateService;
  rules: RuleService;
  audit: AuditService;
}

export function createServices(deps: { prisma: PrismaClient; redis: Redis; config: AppConfig }): Services {
  const rateLimits = new RateLimitService(deps.redis, deps.config);
  const tenants = new TenantService(deps.prisma);
  return {
    auth: new AuthService(deps.prisma, deps.config, rateLimits),
    rateLimits,
    tenants,
    users: new UserService(),
    apiKeys: new ApiKeyService(),
    streams: new StreamService(deps.config, (tenantId) => tenants.get(tenantId)),
    templates: new PromptTemplateService(),
    rules: new RuleService(),
    audit: new AuditService(),
  };
}

import { Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';
import { Connection } from './connection.type';
import { OverBudgetAction } from './enums';

@ObjectType({ description: 'A customer of Vigil; everything else belongs to one' })
export class Tenant {
  @Field(() => ID)
  id!: string;

  @Field()
  slug!: string;

  @Field()
  name!: string;

  @Field(() => Int)
  maxActiveStreams!: number;

  @Field(() => Float)
  maxFps!: number;

  // BigInt in the database; exposed through TenantResolver as a Float (exact up to 2^53).
  monthlyTokenBudget!: bigint;

  @Field(() => Int, {
    description:
      'Days frames are kept, and the decided evidence (incidents, review items, analyses) of archived streams',
  })
  frameRetentionDays!: number;

  @Field(() => OverBudgetAction, { description: 'What happens once the monthly token budget is used up' })
  overBudgetAction!: OverBudgetAction;

  @Field(() => String, {
    nullable: true,
    description: 'YYYY-MM of the month whose token budget is used up, if any',
  })
  budgetExhaustedMonth!: string | null;

  @Field({ description: 'The tenant’s moderation policy, sent with every window analysed by a model' })
  policyText!: string;

  @Field(() => [String], {
    description: 'The tenant’s own object labels (lower-case), which rules and gates may name beside COCO’s',
  })
  customLabels!: string[];

  @Field(() => ID, {
    nullable: true,
    description:
      'The template a stream created without one gets (setDefaultTemplate); null: the tenant’s oldest template',
  })
  defaultTemplateId!: string | null;

  @Field()
  createdAt!: Date;
}

@ObjectType()
export class TenantConnection extends Connection(Tenant, 'Tenant') {}

@InputType()
export class TenantQuotasInput {
  @Field(() => Int, { nullable: true })
  maxActiveStreams?: number;

  @Field(() => Float, { nullable: true })
  maxFps?: number;

  @Field(() => Float, { nullable: true, description: 'Vision and reasoning tokens a month' })
  monthlyTokenBudget?: number;

  @Field(() => Int, { nullable: true })
  frameRetentionDays?: number;
}

@InputType()
export class UpdateTenantSettingsInput {
  @Field(() => OverBudgetAction, { nullable: true })
  overBudgetAction?: OverBudgetAction | null;

  @Field(() => String, { nullable: true, description: 'At most 4000 characters; empty for none' })
  policyText?: string | null;
}

@InputType()
export class CreateTenantInput {
  @Field({ description: 'Lowercase letters, digits and dashes; used at login' })
  slug!: string;

  @Field()
  name!: string;

  @Field()
  adminEmail!: string;

  @Field({ nullable: true, description: 'Omit to have one generated and returned once' })
  adminPassword?: string;

  @Field(() => TenantQuotasInput, { nullable: true })
  quotas?: TenantQuotasInput;
}

@ObjectType()
export class CreateTenantPayload {
  @Field(() => Tenant)
  tenant!: Tenant;

  @Field(() => ID)
  adminUserId!: string;

  @Field(() => String, { nullable: true, description: 'The generated admin password, shown only now' })
  initialPassword!: string | null;
}

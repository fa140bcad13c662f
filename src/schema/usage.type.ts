import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { OverBudgetAction } from './enums';

// Token sums are BigInt in the database; like Tenant.monthlyTokenBudget they are exposed as Float
// (exact up to 2^53).
@ObjectType()
abstract class UsageCounts {
  @Field(() => Int, { description: 'Windows analysed (by a GPU node or the local detector)' })
  windowsAnalysed!: number;

  @Field(() => Int, { description: 'Windows the local gate kept from the GPU' })
  windowsGated!: number;

  @Field(() => Int)
  windowsFailed!: number;

  @Field(() => Int, { description: 'Windows analysed locally because no GPU node was available' })
  windowsDegraded!: number;

  @Field(() => Float)
  framesSent!: number;

  @Field(() => Float)
  visionTokens!: number;

  @Field(() => Float)
  promptTokens!: number;

  @Field(() => Float)
  completionTokens!: number;

  @Field(() => Float)
  reasoningTokens!: number;

  @Field(() => Float, {
    description:
      'Of promptTokens and completionTokens, those Vigil estimated because a GPU node did not report them (no usage chunk, or a request that failed mid-answer)',
  })
  tokensEstimated!: number;

  @Field(() => Float, { description: 'Time GPU nodes spent on this tenant’s requests' })
  gpuSeconds!: number;
}

@ObjectType({ description: 'A month’s usage of the whole tenant' })
export class UsageTotals extends UsageCounts {}

@ObjectType({ description: 'A month’s usage of one stream' })
export class StreamUsage extends UsageCounts {
  @Field(() => ID)
  streamId!: string;

  @Field({ description: 'The stream’s name; a deleted stream’s as it was when it was deleted' })
  streamName!: string;

  @Field({ description: 'Whether the stream has been deleted since (its usage stays with the month)' })
  streamDeleted!: boolean;
}

@ObjectType({ description: 'Metering and budget of one calendar month (UTC)' })
export class TenantUsage {
  @Field({ description: 'YYYY-MM' })
  month!: string;

  @Field(() => Float, { description: 'The monthly token budget (prompt plus completion tokens)' })
  tokenBudget!: number;

  @Field(() => Float, { description: 'Prompt plus completion tokens used in the month' })
  tokensUsed!: number;

  @Field({ description: 'Whether tokensUsed has reached the current budget' })
  budgetExhausted!: boolean;

  @Field(() => OverBudgetAction)
  overBudgetAction!: OverBudgetAction;

  @Field(() => UsageTotals)
  totals!: UsageTotals;

  @Field(() => [StreamUsage], { description: 'Streams with usage in the month, most tokens first' })
  streams!: StreamUsage[];
}

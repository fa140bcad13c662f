import 'reflect-metadata';
import { GraphQLObjectType } from 'graphql';
import { Authorized, Field, ObjectType } from 'type-graphql';
import { buildVigilSchema, useSimpleResolvers } from './build-schema';

describe('buildVigilSchema', () => {
  it('reads plain fields straight off their object, and keeps field resolvers and their permissions', async () => {
    const schema = await buildVigilSchema();
    const stream = (schema.getType('Stream') as GraphQLObjectType).getFields();
    expect(stream.name!.resolve).toBeUndefined();
    expect(stream.sourceUrl!.resolve).toBeUndefined();
    // Field resolvers stay, with @Authorized on them (analyses needs ANALYSES_READ).
    expect(stream.template!.resolve).toBeInstanceOf(Function);
    expect(stream.analyses!.resolve).toBeInstanceOf(Function);
  });

  it('refuses a permission on an object type field, which a simple resolver would skip', () => {
    @ObjectType()
    class Planted {
      @Authorized('ADMIN')
      @Field()
      secret!: string;
    }
    expect(Planted).toBeDefined();
    expect(() => useSimpleResolvers()).toThrow(/object type fields: Planted\.secret/);
  });
});

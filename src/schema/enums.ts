import { registerEnumType } from 'type-graphql';
import { InferenceMode, Role, StreamKind, StreamStatus } from '../generated/prisma/enums';

registerEnumType(Role, { name: 'Role', description: 'What a user or API key may do in its tenant' });
registerEnumType(StreamKind, { name: 'StreamKind', description: 'How the sampler reads the source' });
registerEnumType(StreamStatus, { name: 'StreamStatus' });
registerEnumType(InferenceMode, {
  name: 'InferenceMode',
  description: 'THINKING models reason before answering; INSTRUCT models answer directly',
});

export { InferenceMode, Role, StreamKind, StreamStatus };

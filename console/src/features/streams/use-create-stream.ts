import { useMutationToast } from '../../hooks/use-mutation-toast';
import { CreateStreamMutation } from './streams.documents';

/** Registers a stream, started at once unless asked not to. */
export function useCreateStream() {
  return useMutationToast(CreateStreamMutation, (data) =>
    data.createStream.status === 'ACTIVE'
      ? `Stream “${data.createStream.name}” created and started`
      : `Stream “${data.createStream.name}” created; start it from its page`,
  );
}

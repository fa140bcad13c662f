import { useMutationToast } from '../../hooks/use-mutation-toast';
import { CreateStreamMutation } from './streams.documents';

/** Registers a stream; it starts stopped. */
export function useCreateStream() {
  return useMutationToast(
    CreateStreamMutation,
    (data) => `Stream “${data.createStream.name}” created; start it from its page`,
  );
}

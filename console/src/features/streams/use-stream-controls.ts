import { useMutationToast } from '../../hooks/use-mutation-toast';
import { PauseStreamMutation, StartStreamMutation, StopStreamMutation } from './streams.documents';

/** Pauses a stream (sampling stops, the stream stays registered); `refresh` re-reads it. */
export function usePauseStream(refresh: () => void) {
  return useMutationToast(PauseStreamMutation, 'Stream paused', refresh);
}

/** Starts (or resumes) a stream. */
export function useStartStream(refresh: () => void) {
  return useMutationToast(StartStreamMutation, 'Stream started', refresh);
}

/** Stops a stream. */
export function useStopStream(refresh: () => void) {
  return useMutationToast(StopStreamMutation, 'Stream stopped', refresh);
}

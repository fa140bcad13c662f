import { useMutation, useQuery } from 'urql';
import type { ResultOf } from '../../api/graphql';
import { AnalysisSceneQuery, SaveStreamSceneMutation, StreamSceneQuery } from './scenes.documents';
import type { Scene, SceneInput } from './scene-draft';

export type StreamSceneData = NonNullable<ResultOf<typeof StreamSceneQuery>['stream']>;

/** The stream's current zones and lines and its newest frame to draw them on. */
export function useStreamScene(streamId: string) {
  const [{ data, fetching, error }, refetch] = useQuery({
    query: StreamSceneQuery,
    variables: { id: streamId },
  });
  const refresh = () => refetch({ requestPolicy: 'network-only' });
  return { stream: data?.stream, fetching, error, refresh };
}

/**
 * The zones and lines an analysis was made with: the scene version its result recorded
 * (`sceneVersion`), else the stream's current scene.
 */
export function useAnalysisScene(streamId: string, sceneVersion: number | null): Scene | null {
  const pinned = sceneVersion !== null;
  const [{ data }] = useQuery({
    query: AnalysisSceneQuery,
    variables: { id: streamId, version: sceneVersion ?? 0, pinned },
  });
  return (pinned ? data?.stream.sceneAt : data?.stream.scene) ?? null;
}

/** Saves a scene; the caller tells the outcome (a conflict is told apart from bad input). */
export function useSaveStreamScene() {
  const [state, execute] = useMutation(SaveStreamSceneMutation);
  return {
    saving: state.fetching,
    save: (input: SceneInput) => execute({ input }),
  };
}

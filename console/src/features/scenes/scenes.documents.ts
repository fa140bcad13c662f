import { graphql } from '../../api/graphql';

/** One version of a stream's zones and lines, everything the console draws and edits. */
export const SceneFields = graphql(`
  fragment SceneFields on StreamScene {
    streamId
    version
    savedAt
    savedBy
    zones {
      id
      name
      polygon {
        x
        y
      }
      labels
      crowdAt
      dwellSeconds
      severity
    }
    lines {
      id
      name
      from {
        x
        y
      }
      to {
        x
        y
      }
      labels
      allowedDirection
      severity
    }
  }
`);

/** The stream's current scene and its newest frame, the picture the scene is drawn on. */
export const StreamSceneQuery = graphql(
  `
    query StreamScene($id: ID!) {
      stream(streamId: $id) {
        id
        latestFrame {
          id
          url
          width
          height
          capturedAt
        }
        scene {
          ...SceneFields
        }
      }
    }
  `,
  [SceneFields],
);

/**
 * The scene an analysis was made with: the version it recorded when `pinned`, else the stream's
 * current one (an analysis from before scenes were recorded).
 */
export const AnalysisSceneQuery = graphql(
  `
    query AnalysisScene($id: ID!, $version: Int!, $pinned: Boolean!) {
      stream(streamId: $id) {
        id
        scene @skip(if: $pinned) {
          ...SceneFields
        }
        sceneAt(version: $version) @include(if: $pinned) {
          ...SceneFields
        }
      }
    }
  `,
  [SceneFields],
);

export const SaveStreamSceneMutation = graphql(
  `
    mutation SaveStreamScene($input: SaveStreamSceneInput!) {
      saveStreamScene(input: $input) {
        ...SceneFields
      }
    }
  `,
  [SceneFields],
);

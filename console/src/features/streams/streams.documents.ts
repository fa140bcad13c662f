import { graphql } from '../../api/graphql';

/** A stream's status, sampling rate and counters: its row in the list and the top of its page. */
const StreamCountersFields = graphql(`
  fragment StreamCountersFields on Stream {
    id
    name
    kind
    status
    fps
    effectiveFps
    framesSampled
    framesKept
    framesSkipped
    windowsQueued
    windowsAnalysed
    lastFrameAt
    lastError
    analysisNotice
  }
`);

/** A lifecycle change's answer: the stream's new status. */
const StreamStatusFields = graphql(`
  fragment StreamStatusFields on Stream {
    id
    status
  }
`);

export const StreamListQuery = graphql(
  `
    query StreamList {
      streams(first: 100) {
        edges {
          node {
            ...StreamCountersFields
          }
        }
      }
    }
  `,
  [StreamCountersFields],
);

export const StreamViewQuery = graphql(
  `
    query StreamView($id: ID!) {
      stream(streamId: $id) {
        ...StreamCountersFields
        windowSize
        windowStride
        template {
          id
          name
        }
        analyses(first: 15) {
          edges {
            node {
              id
              windowId
              status
              mode
              model
              latencyMs
              completedAt
              startedAt
              result
            }
          }
        }
      }
    }
  `,
  [StreamCountersFields],
);

export const LatestWindowQuery = graphql(`
  query LatestWindow($id: ID!) {
    window(windowId: $id) {
      id
      index
      frames {
        id
        url
        capturedAt
        sequence
        skippedBefore
        width
        height
        sha256
      }
    }
  }
`);

export const RunningOnStreamQuery = graphql(`
  query RunningOnStream($streamId: ID!) {
    stream(streamId: $streamId) {
      id
      analyses(first: 1, status: RUNNING) {
        edges {
          node {
            id
            status
            startedAt
            mode
            model
          }
        }
      }
    }
  }
`);

export const StreamEventsSubscription = graphql(`
  subscription StreamEvents($id: ID!) {
    analysisCompleted(streamId: $id) {
      analysisId
      status
    }
  }
`);

export const StreamStatusEventsSubscription = graphql(`
  subscription StreamStatusEvents($id: ID!) {
    streamStatus(streamId: $id) {
      status
      lastError
    }
  }
`);

export const PauseStreamMutation = graphql(
  `
    mutation PauseStream($id: ID!) {
      pauseStream(streamId: $id) {
        ...StreamStatusFields
      }
    }
  `,
  [StreamStatusFields],
);

export const StartStreamMutation = graphql(
  `
    mutation StartStream($id: ID!) {
      startStream(streamId: $id) {
        ...StreamStatusFields
      }
    }
  `,
  [StreamStatusFields],
);

export const StopStreamMutation = graphql(
  `
    mutation StopStream($id: ID!) {
      stopStream(streamId: $id) {
        ...StreamStatusFields
      }
    }
  `,
  [StreamStatusFields],
);

export const CreateStreamMutation = graphql(`
  mutation CreateStream($input: CreateStreamInput!) {
    createStream(input: $input) {
      id
      name
      status
    }
  }
`);

import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { problemSchema } from './schemas.js';
import { trainingSchema, isTerminal, type Training } from './schemas.js';
import { ApiError, errorFromAnswer, unexpectedAnswer } from './api-error.js';

export interface TrainingEventHandlers {
  readonly onTraining: (training: Training) => void;
  readonly onError: (error: ApiError) => void;
}

const RECONNECT_MS = 2000;

/**
 * Follows `GET /v1/trainings/:id/events` until the training ends or `signal` aborts. fetch()
 * streaming rather than EventSource, since EventSource cannot send the Authorization header. The
 * server ends a stream after its lifetime; a stream that ends before a terminal status is opened
 * again.
 */
export async function followTraining(token: string, id: string, handlers: TrainingEventHandlers, signal: AbortSignal): Promise<void> {
  let ended = false;
  const parser = createParser({
    onEvent: (message: EventSourceMessage) => {
      let data: unknown;
      try {
        data = JSON.parse(message.data);
      } catch {
        handlers.onError(unexpectedAnswer('the training'));
        return;
      }
      if (message.event === 'training') {
        const parsed = trainingSchema.safeParse(data);
        if (!parsed.success) return handlers.onError(unexpectedAnswer('the training'));
        if (isTerminal(parsed.data.status)) ended = true;
        handlers.onTraining(parsed.data);
      } else if (message.event === 'problem') {
        const parsed = problemSchema.safeParse(data);
        ended = true;
        handlers.onError(parsed.success ? new ApiError(parsed.data) : unexpectedAnswer('the training'));
      }
    },
  });
  while (!ended && !signal.aborted) {
    try {
      const answer = await fetch(`/v1/trainings/${encodeURIComponent(id)}/events`, {
        headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
        signal,
      });
      if (!answer.ok || answer.body === null) {
        const error = errorFromAnswer(answer.status, await answer.text());
        handlers.onError(error);
        // 4xx other than "too many streams" will not get better by asking again.
        if (answer.status >= 400 && answer.status < 500 && answer.status !== 429) return;
      } else {
        const reader = answer.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          parser.feed(value);
        }
        parser.reset();
      }
    } catch {
      if (signal.aborted) return;
    }
    if (!ended && !signal.aborted) await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
  }
}
